"""PDF → structured Ofsted report. ``extract_file(path)`` is the whole public API."""
from __future__ import annotations

from pathlib import Path

from .errors import BadReport
from .result import Report

#: Bump whenever a change could alter any extracted field: stored reports are re-extracted.
EXTRACTOR_VERSION = "0.1.0"

__all__ = ["BadReport", "EXTRACTOR_VERSION", "Report", "extract_file"]


def extract_file(path: str | Path) -> Report:
    """Read one report PDF. Raises BadReport (one user-facing line) for unreadable input."""
    from .families import parse_document
    from .pdf import Document

    with Document(path) as doc:
        report = parse_document(doc)
        report.file = str(path)
        report.sha256 = doc.sha256
        report.pages = doc.page_count
        report.pages_read = sorted(doc.pages_read)
        report.extractor_version = EXTRACTOR_VERSION
        return report
