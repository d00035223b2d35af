"""Run ``extract/`` on a stored PDF: (report dict, None) or (None, one-line error)."""
from __future__ import annotations

from pathlib import Path


def extract_pdf(path: str | Path) -> tuple[dict | None, str | None]:
    try:
        from extract import BadReport, extract_file
    except Exception as exc:  # the extractor itself cannot load: record, do not crash the crawl
        return None, f"extractor unavailable: {type(exc).__name__}: {exc}"
    try:
        return extract_file(path).to_dict(), None
    except BadReport as exc:
        return None, str(exc) or "unreadable report"
    except Exception as exc:  # a bug in one family must not lose the report row
        return None, f"extractor error: {type(exc).__name__}: {exc}"


def extractor_version() -> str:
    try:
        from extract import EXTRACTOR_VERSION
    except Exception:
        return "unavailable"
    return EXTRACTOR_VERSION
