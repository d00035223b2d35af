"""Layouts known from Ofsted's published templates and wording only, not yet checked on a real
report PDF, are read but flagged: nothing is alerted on an unconfirmed guess.

Whether a layout is confirmed is one flag in the report-type registry (``extract.types``:
``ReportType(..., confirmed=True)``); confirming a layout after checking real PDFs is that
one-line change, and its reports are no longer flagged for this reason.
"""
from __future__ import annotations

from ..result import Report


def confirmed(report_type: str) -> bool:
    from ..types import TYPES
    found = TYPES.get(report_type)
    return bool(found and found.confirmed)


def flag_if_unconfirmed(report: Report) -> None:
    if report.report_type and not confirmed(report.report_type):
        report.flag(f"{report.report_type}: layout read from Ofsted's published templates and "
                    "wording, not yet checked on a real report PDF")
