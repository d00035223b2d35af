"""Bad input to the extractor and to ``ofsted-watch extract``: one stderr line naming the file and
the problem, exit status 2, the other files still read, never a traceback. Every bad file here is
a real file made in tmp_path."""
from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from crawler.replica.hostile import pdf_file
from extract import BadReport, extract_file
from extract.pdf import Document
from monitor.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
GOOD = FIXTURES / "ilacs_80445_cambridgeshire_2024-05-16.pdf"

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    state, j = list(range(256)), 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def make_pdf(contents: list[list[str]], page_content: list[int] | None = None,
             user_password: str | None = None) -> bytes:
    """A text PDF written by hand: ``contents`` are line lists, ``page_content`` says which one
    each page shows (pages may share one content stream). ``user_password`` encrypts it with
    the standard security handler (RC4, 40-bit, revision 2)."""
    page_content = list(range(len(contents))) if page_content is None else page_content
    first_content, first_page = 4, 4 + len(contents)
    file_id = hashlib.md5(repr(contents).encode()).digest()
    key = None
    if user_password is not None:
        owner_key = hashlib.md5(b"owner-secret" + _PAD).digest()[:5]
        o_value = _rc4(owner_key, (user_password.encode() + _PAD)[:32])
        permissions = (-4).to_bytes(4, "little", signed=True)
        key = hashlib.md5((user_password.encode() + _PAD)[:32] + o_value + permissions
                          + file_id).digest()[:5]
        u_value = _rc4(key, _PAD)

    def stream(number: int, lines: list[str]) -> bytes:
        text = "".join(f"({line.replace('(', '[').replace(')', ']')}) Tj T* " for line in lines)
        data = f"BT /F1 10 Tf 14 TL 50 800 Td {text}ET".encode()
        if key:
            data = _rc4(hashlib.md5(key + number.to_bytes(3, "little") + b"\0\0").digest()[:10],
                        data)
        return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)

    kids = " ".join(f"{first_page + i} 0 R" for i in range(len(page_content)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {len(page_content)} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    objects += [stream(first_content + i, lines) for i, lines in enumerate(contents)]
    objects += [(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font "
                 f"<< /F1 3 0 R >> >> /Contents {first_content + index} 0 R >>").encode()
                for index in page_content]
    trailer_extra = b""
    if key:
        objects.append(b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <%s> /U <%s> >>"
                       % (o_value.hex().encode(), u_value.hex().encode()))
        trailer_extra = b" /Encrypt %d 0 R" % len(objects)
    return pdf_file(objects, b" /ID [<%s> <%s>]%s" % (file_id.hex().encode(),
                                                     file_id.hex().encode(), trailer_extra))


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, words its one-line problem must contain)."""
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    html = tmp_path / "error-page.pdf"
    html.write_text("<!DOCTYPE html><html><head><title>Error</title></head>"
                    "<body>Sorry, there is a problem with the service</body></html>")
    truncated = tmp_path / "truncated.pdf"
    data = GOOD.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    encrypted = tmp_path / "encrypted.pdf"
    encrypted.write_bytes(make_pdf([["Inspection of Nowhere local authority"]],
                                   user_password="secret"))
    scanned = tmp_path / "scanned.pdf"
    document = pdfium.PdfDocument(str(GOOD))
    image = document[0].render(scale=0.5).to_pil()
    document.close()
    image.convert("RGB").save(scanned, "PDF")
    unrelated = tmp_path / "minutes.pdf"
    unrelated.write_bytes(make_pdf([["Parish council minutes", "Item 1: the village hall roof",
                                     "Item 2: any other business"]]))
    return {
        "missing": (tmp_path / "no-such-report.pdf", "no such file"),
        "empty": (empty, "empty file"),
        "html": (html, "HTML page"),
        "truncated": (truncated, "truncated"),
        "encrypted": (encrypted, "encrypted"),
        "scanned": (scanned, "no text layer"),
        "unrelated": (unrelated, "not an Ofsted inspection report"),
    }


BAD_KINDS = ["missing", "empty", "html", "truncated", "encrypted", "scanned", "unrelated"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_extract_file_raises_one_line_bad_report(tmp_path, kind):
    path, words = _bad_files(tmp_path)[kind]
    with pytest.raises(BadReport) as caught:
        extract_file(path)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message


def test_the_encrypted_file_is_a_real_encrypted_pdf(tmp_path):
    path = _bad_files(tmp_path)["encrypted"][0]
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(str(path))
    document = pdfium.PdfDocument(str(path), password="secret")
    page = document[0]
    assert "Nowhere" in page.get_textpage().get_text_range()
    page.close()
    document.close()


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_cli_names_the_bad_file_and_still_reads_the_good_one(tmp_path, kind):
    path, words = _bad_files(tmp_path)[kind]
    result = CliRunner().invoke(main, ["extract", str(path), str(GOOD)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = result.stderr.splitlines()
    assert errors == [f"ofsted-watch extract: {path}: {errors[0].split(': ', 2)[2]}"]
    assert words in errors[0]
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["file"] == str(GOOD)


def test_cli_reports_every_bad_file_once(tmp_path):
    bad = _bad_files(tmp_path)
    paths = [str(bad[kind][0]) for kind in BAD_KINDS]
    result = CliRunner().invoke(main, ["extract", *paths, str(GOOD)])
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert [line.split(": ")[1] for line in errors] == paths
    assert len(result.stdout.splitlines()) == 1


LAC_COVER = ["Inspection of looked after children services", "Staffordshire County Council",
             "Inspection dates: 8 - 12 July 2013"]
LAC_FINDINGS = ["Record of main findings", "Services for looked after children",
                "Overall effectiveness Adequate", "Capacity to improve Good",
                "Outcomes for looked after children and young people Adequate",
                "Quality of provision Adequate", "Leadership and management Good"]


def test_five_thousand_pages_are_never_all_parsed(tmp_path):
    """A 5,000-page file: page count from PDFium, then only the cover and the last pages are
    read; Python memory stays small (pdfplumber's ``pdf.pages`` would build 5,000 pages)."""
    path = tmp_path / "huge.pdf"
    path.write_bytes(make_pdf([LAC_COVER, ["Filler page"], LAC_FINDINGS],
                              [0] + [1] * 4998 + [2]))
    tracemalloc.start()
    report = extract_file(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.pages == 5000
    assert report.report_type == "la-lac-2013"
    assert report.overall == "adequate"
    assert report.judgements["capacity_to_improve"] == "good"
    assert report.pages_read == [1, 5000]
    assert peak < 30 * 1024 * 1024


def test_pages_outside_the_read_window_are_refused(tmp_path):
    path = tmp_path / "huge.pdf"
    path.write_bytes(make_pdf([LAC_COVER, ["Filler page"]], [0] + [1] * 4999))
    with Document(path) as doc:
        assert doc.page_count == 5000
        with pytest.raises(IndexError):
            doc.fast_text(2500)
        with pytest.raises(IndexError):
            doc.text(2500)
        assert "Filler page" in doc.text(4990)  # pdfplumber, one page built lazily
        assert doc.pages_read == [4990]
