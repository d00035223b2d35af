"""School report cards (inspections from 10 November 2025). Minimal, by design.

No real report card is in the corpus, so this reads only the published wording: there is no
overall grade; each evaluation area gets one of five grades (exceptional, strong standard,
expected standard, needs attention, urgent improvement — the ``report_card`` scale in
``grades.py``), and safeguarding is "met" or "not met". Area keys below follow Ofsted's list of
evaluation areas. Every report card is flagged ``needs_review`` ("layout known from published
wording only") until real reports confirm the layout; anything not read is flagged too.

``report_type``: ``school-report-card``; ``inspection_kind``: ``report-card``.
"""
from __future__ import annotations

import re

from ..grades import grade_token
from .local_authority import dates_after, flat, new_report

REPORT_TYPE = "school-report-card"
SCALE = r"(exceptional|strong standard|expected standard|needs attention|urgent improvement)"
AREAS = [
    ("inclusion", r"Inclusion"),
    ("curriculum_and_teaching", r"Curriculum and teaching"),
    ("achievement", r"Achievement"),
    ("attendance_and_behaviour", r"Attendance and behaviour"),
    ("personal_development_and_wellbeing", r"Personal development and well-?being"),
    ("early_years", r"Early years(?: in schools)?"),
    ("sixth_form", r"Sixth form(?: in schools)?"),
    ("leadership_and_governance", r"Leadership and governance"),
]
_SAFEGUARDING = re.compile(r"Safeguarding(?: standards)?\s*:?\s+(not met|met)\b", re.I)


def _graded_areas(text: str) -> dict[str, tuple[str, str]]:
    found = {}
    for key, label in AREAS:
        match = re.search(r"\b(" + label + r")\s*:?\s+" + SCALE + r"\b", text, re.I)
        if match:
            found[key] = (flat(match.group(1)), grade_token(match.group(2)))
    return found


def detect(doc) -> bool:
    text = flat(doc.fast_text(1))
    return bool(_SAFEGUARDING.search(text)) and len(_graded_areas(text)) >= 2


def parse(doc):
    text = flat(doc.fast_text(1))
    report = new_report(REPORT_TYPE, "report-card")
    report.flag("report-card layout known from published wording only; check by hand")
    for key, (label, grade) in _graded_areas(text).items():
        report.judgements[key] = grade
        report.labels[key] = label
    safeguarding = _SAFEGUARDING.search(text)
    if safeguarding:
        report.judgements["safeguarding"] = grade_token(safeguarding.group(1))
        report.labels["safeguarding"] = "Safeguarding"
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    urn = re.search(r"\bURN:?\s*(\d{6,7})\b", text)
    report.urn = urn.group(1) if urn else None
    for name, value in (("inspection_date", report.inspection_date), ("urn", report.urn)):
        if not value:
            report.flag(f"could not read {name}")
    return report
