"""Hostile PDFs for the replica to serve and the tests to read: a decompression bomb made in a few
KiB (tests/test_hostile_extract.py, tests/test_hostile_crawl.py, benchmarks/soak_crawl.py), and
the writer of hand-built PDFs (``pdf_file``; also tests/test_extract_bad_input.py)."""
from __future__ import annotations

import zlib


def zero_bomb(mib: int) -> bytes:
    """A zlib stream that inflates to ``mib`` MiB of zeros, in about mib KiB: one compressed MiB
    (after a full flush, every MiB compresses to the same bytes) repeated, an empty final block
    and the Adler-32 of n zeros, which is (n mod 65521) << 16 | 1."""
    packer = zlib.compressobj(9)
    head = packer.compress(bytes(2**20)) + packer.flush(zlib.Z_FULL_FLUSH)
    body = packer.compress(bytes(2**20)) + packer.flush(zlib.Z_FULL_FLUSH)
    size = mib * 2**20
    return head + body * (mib - 1) + b"\x03\x00" + ((size % 65521) << 16 | 1).to_bytes(4, "big")


def bomb_pdf(mib: int = 1024) -> bytes:
    """Two pages: page 1 says something, page 2's content stream is a Flate bomb."""
    text = b"BT /F1 12 Tf 50 800 Td (Inspection of a children's home) Tj ET"
    bomb = zero_bomb(mib)
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font "
            b"<< /F1 3 0 R >> >> /Contents %d 0 R >>")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [5 0 R 6 0 R] /Count 2 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
               page % 4, page % 7,
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
               % (len(bomb), bomb)]
    return pdf_file(objects)


def pdf_file(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF of ``objects`` (numbered from 1; object 1 the catalog) with a correct cross-reference
    table; ``trailer``: extra trailer entries (an /ID, an /Encrypt)."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, trailer, xref)
    return bytes(out)
