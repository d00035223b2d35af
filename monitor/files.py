"""Report PDFs kept content-addressed: ``{pdf_dir}/{sha[:2]}/{sha}.pdf``, written atomically."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def pdf_path(pdf_dir: str | Path, sha256: str) -> Path:
    return Path(pdf_dir) / sha256[:2] / f"{sha256}.pdf"


def store_pdf(pdf_dir: str | Path, data: bytes) -> tuple[str, Path, int]:
    """Write ``data`` once under its sha256; (sha256, path, size). A crash never leaves a
    partial file under the final name (temporary file, fsync, rename)."""
    sha = hashlib.sha256(data).hexdigest()
    path = pdf_path(pdf_dir, sha)
    if path.exists() and path.stat().st_size == len(data):
        return sha, path, len(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha, path, len(data)
