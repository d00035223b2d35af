"""Reading stored PDFs with ``extract/``: run the extractor (in the sandbox of
``monitor/sandbox_extract.py``), reuse an extraction of the same bytes, find what must be read
again, and hand each result, cleaned of control characters, to ``history.record_extraction`` (the
one place an extraction becomes the report's facts and judgements).

An extraction error is recorded with the extractor version and the bytes it was about, like an
extraction: it is permanent until either changes (a file that broke the sandbox's memory or time
limit is not read again at every crawl)."""
from __future__ import annotations

import json
from pathlib import Path

from . import history, sandbox_extract
from .store import clean, clean_text

__all__ = ["extract_pdf", "extractor_version", "cached_extraction", "record",
           "stale_extractions"]


def extract_pdf(path: str | Path, urn: str | None = None) -> tuple[dict | None, str | None]:
    """(report dict, None) or (None, one-line error), read in the sandbox. Never raises."""
    try:
        outcome = sandbox_extract.shared_pool().read(path, urn)
    except Exception as exc:  # the sandbox itself cannot run: record, do not crash the caller
        return None, f"extractor unavailable: {type(exc).__name__}: {exc}"
    if outcome.kind == "internal":
        return None, f"extractor error: {outcome.error}"
    return outcome.pair


def extractor_version() -> str:
    try:
        from extract import EXTRACTOR_VERSION
    except Exception:
        return "unavailable"
    return EXTRACTOR_VERSION


def cached_extraction(db, sha256: str, version: str) -> tuple[dict | None, str | None] | None:
    """The extraction already made for the same bytes by the same extractor version, if any."""
    row = db.execute(
        "select extraction, extract_error from reports where extracted_sha256 = ? and "
        "extractor_version = ? and (extraction is not null or extract_error is not null) "
        "limit 1", [sha256, version]).fetchone()
    if not row:
        return None
    return (json.loads(row[0]) if row[0] else None), row[1]


def record(db, file_id: str, urn: str, sha256: str, version: str, report: dict | None,
           error: str | None) -> None:
    """Store one extraction (or its error) as the report's facts and judgements."""
    report, error = clean(report), clean_text(error)     # nothing from a PDF reaches a terminal raw
    if report is not None and not report.get("urn"):
        # local-authority reports print no URN: the provider page it was listed on knows it
        report = {**report, "urn": urn}
    history.record_extraction(db, file_id, sha256=sha256, version=version, report=report,
                              error=error)


def stale_extractions(db, version: str) -> list[dict]:
    """Reports whose bytes or extractor version differ from what was extracted."""
    return list(db.query(
        "select file_id, urn, url, sha256, path from reports where path is not null and "
        "(extractor_version is null or extractor_version != ? or extracted_sha256 is null "
        "or extracted_sha256 != sha256)", [version]))
