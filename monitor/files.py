"""Report PDFs kept content-addressed: ``{pdf_dir}/{sha[:2]}/{sha}.pdf``, written atomically.

A file is written under a temporary name that carries the writer's pid (``.part-{pid}-….pdf``),
synced, then renamed; a process killed mid-write leaves only such a file, which the next crawl
removes (``remove_partials``) once its writer is gone."""
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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".part-{os.getpid()}-", suffix=".pdf")
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


def remove_partials(pdf_dir: str | Path, *, stale_after: float = 3600.0) -> int:
    """Remove temporary files left by writers that died mid-write: those whose pid is no longer
    running (older files without a pid once an hour old). Returns how many."""
    import time

    removed = 0
    for part in Path(pdf_dir).glob("*/.part-*"):
        pid = part.name.split("-")[1]
        try:
            if pid.isdigit():
                if int(pid) != os.getpid() and not _alive(int(pid)):
                    part.unlink()
                    removed += 1
            elif time.time() - part.stat().st_mtime > stale_after:
                part.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
