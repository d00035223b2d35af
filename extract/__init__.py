"""PDF → structured Ofsted report. ``extract_file(path)`` is the whole public API."""
from __future__ import annotations

import re
from pathlib import Path

from .dates import span_problem
from .errors import BadReport
from .result import Report

#: Bump whenever a change could alter any extracted field: stored reports are re-extracted.
EXTRACTOR_VERSION = "0.3.0"

__all__ = ["BadReport", "EXTRACTOR_VERSION", "Report", "extract_file", "urn_from_filename"]

#: Report files are named ``<type>_<URN>_<name-slug>_<date>.pdf`` (the corpus and fixtures).
_FILENAME_URN = re.compile(r"^[a-z0-9-]+_((?:SC|EY)?\d{5,8})_", re.I)


def urn_from_filename(path: str | Path) -> str | None:
    """The URN in a ``<type>_<URN>_<slug>_<date>.pdf`` file name, else None."""
    match = _FILENAME_URN.match(Path(path).name)
    return match.group(1) if match else None


def extract_file(path: str | Path, urn: str | None = None, families: list | None = None
                 ) -> Report:
    """Read one report PDF. Raises BadReport (one user-facing line) for unreadable input.

    Local-authority reports never print the authority's URN. For them ``urn`` (the caller's
    URN, e.g. the crawler's provider URN) is used, else the URN in the file name when it follows
    ``<type>_<URN>_<slug>_<date>.pdf``; a URN printed in the report always wins.
    ``families`` limits detection to the given family modules (default: all).
    """
    from .families import parse_document
    from .pdf import Document

    with Document(path) as doc:
        report = parse_document(doc, families)
        report.file = str(path)
        report.sha256 = doc.sha256
        report.urn = report.urn or urn or urn_from_filename(path)
        report.pages = doc.page_count
        report.pages_read = sorted(doc.pages_read)
        report.extractor_version = EXTRACTOR_VERSION
        _check(report)
        return report


def _check(report: Report) -> None:
    """Checks every family shares: dates that no inspection of the kind can have are flagged,
    and a report flagged for review always says why."""
    problem = span_problem(report.report_type, report.inspection_date,
                           report.inspection_end_date)
    if problem:
        report.flag(problem)
    if report.needs_review and not report.review_reasons:
        report.review_reasons.append("flagged for review without a recorded reason")
    report.needs_review = bool(report.review_reasons)
