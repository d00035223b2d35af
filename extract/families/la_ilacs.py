"""ILACS: inspections of local authority children's services, 2018 onwards. Page 1 only.

Layouts: 2018–22 (council name above the title; one row "children in care and care leavers"),
2023+ (separate care-leavers row), and reports inspected from April 2026 (no "Overall
effectiveness" row: ``overall`` is null and that is not a fault). Grades may wrap ("Requires
improvement to / be good") or print beside the label; PDFium keeps each grade after its label.

``inspection_kind``: ``ilacs-short`` or ``ilacs-standard``. Reports do not print which; short
inspections are one week on site and standard ones two (ILACS framework), so an on-site span of
up to 7 days is short. No readable dates → kind null and the report is flagged.
"""
from __future__ import annotations

import re

from .local_authority import (days_between, dates_after, flat, name_before, new_report,
                              read_table, require, set_provider)

REPORT_TYPE = "ilacs"
_LEADERS = r"The impact of leaders on (?:social work )?practice with children and families"
ROWS = [
    ("impact_of_leaders", _LEADERS),
    ("help_and_protection",
     r"The experiences and progress of children who need help and protection"),
    ("in_care_and_care_leavers",
     r"The experiences and progress of children in care and care leavers"),
    ("in_care", r"The experiences and progress of children in care(?! and care leavers)"),
    ("care_leavers", r"The experiences and progress of (?:children )?care leavers"),
    ("overall_effectiveness", r"Overall effectiveness"),
]
#: The 2026 reforms dropped the overall row for inspections from this date.
NO_OVERALL_FROM = "2026-04-01"


def detect(doc) -> bool:
    first = flat(doc.fast_text(1))
    return bool(re.search(r"Judgement\s+Grade", first) and re.search(_LEADERS, first, re.I)
                and re.search(r"Inspection dates?", first[:400]))


def parse(doc):
    text = flat(doc.fast_text(1))
    report = new_report(REPORT_TYPE, None)
    set_provider(report, _provider(text, doc.fast_text(1)))
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    header = re.search(r"Judgement\s+Grade", text)
    judgements, labels = read_table(text, ROWS, header.end() if header else 0)
    if _incomplete(judgements, report.inspection_date) and doc.readable(2):
        # The table continues onto page 2 (a long label or a page break inside the table).
        both = text + " " + flat(doc.fast_text(2))
        judgements, labels = read_table(both, ROWS, header.end() if header else 0)
    report.judgements, report.labels = judgements, labels
    report.overall = judgements.get("overall_effectiveness")

    span = days_between(report.inspection_date, report.inspection_end_date)
    if span is not None:
        report.inspection_kind = "ilacs-short" if span <= 7 else "ilacs-standard"
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date,
            inspection_kind=report.inspection_kind)
    for key in _missing(judgements):
        report.flag(f"judgement table: no grade read for {key}")
    if report.overall is None and not (report.inspection_date
                                       and report.inspection_date >= NO_OVERALL_FROM):
        report.flag("judgement table: no Overall effectiveness row")
    return report


def _missing(judgements: dict) -> list[str]:
    missing = [key for key in ("impact_of_leaders", "help_and_protection") if key not in judgements]
    if "in_care_and_care_leavers" not in judgements:
        missing += [key for key in ("in_care", "care_leavers") if key not in judgements]
    return missing


def _incomplete(judgements: dict, first_day: str | None) -> bool:
    no_overall = "overall_effectiveness" not in judgements and not (
        first_day and first_day >= NO_OVERALL_FROM)
    return bool(_missing(judgements)) or no_overall


def _provider(text: str, page: str) -> str | None:
    if text.startswith("Inspection of"):  # 2023+: "Inspection of Bedford local authority ..."
        match = re.match(r"Inspection of (.+?)\s+(?:local\s+authority\s+)?children's\s+services",
                         text)
        return match.group(1) if match else None
    # 2018-22: "1 / Blackpool Borough Council / Inspection of children's social care ..."
    above = name_before(page, r"Inspection of (?:local authority )?children's")
    if above:
        return above
    match = re.match(r"(?:\d+\s+)?(.+?)\s+Inspection of (?:local authority )?children's", text)
    return match.group(1) if match else None
