"""School inspection reports, section 5, common inspection framework 2015–2019.

Page 1 is a judgement table ("Overall effectiveness Requires improvement", ...). The row
"Overall effectiveness at previous inspection" is history, not a result of this inspection:
it goes to ``last_inspection`` (``{"date": None, "judgement": <as printed>}``), never to
``judgements``. The URN is printed under "School details" near the end ("Unique reference
number"), read from the last pages. ``inspection_kind``: ``section-5``.

The November 2025 report-card format is a different layout with a different scale; it lives
in ``report_card.py`` beside this module.
"""
from __future__ import annotations

import re

from .local_authority import (dates_after, flat, grade_after, new_report, read_table_over_pages,
                              require)

REPORT_TYPE = "school-s5"
ROWS = [
    ("overall_effectiveness", r"Overall effectiveness(?! at previous)"),
    ("leadership_and_management", r"Effectiveness of leadership and management"),
    ("teaching_learning_assessment", r"Quality of teaching, learning and assessment"),
    ("personal_development_behaviour_welfare", r"Personal development, behaviour and welfare"),
    ("outcomes_for_pupils", r"Outcomes for pupils"),
    ("early_years_provision", r"Early years provision"),
    ("sixth_form_provision", r"16 to 19 study programmes"),
]
REQUIRED = ["overall_effectiveness", "leadership_and_management", "teaching_learning_assessment",
            "personal_development_behaviour_welfare", "outcomes_for_pupils"]
#: The 2012–2015 layout: "Overall effectiveness  Previous inspection: Good 2 / This inspection:
#: Requires improvement 3", then four graded rows, each grade followed by its number.
ROWS_2012 = [
    ("achievement_of_pupils", r"Achievement of pupils"),
    ("quality_of_teaching", r"Quality of teaching"),
    ("behaviour_and_safety_of_pupils", r"Behaviour and safety of pupils"),
    ("leadership_and_management", r"Leadership and management"),
    ("early_years_provision", r"Early years provision"),
    ("sixth_form_provision", r"Sixth form provision"),
]
REQUIRED_2012 = ["achievement_of_pupils", "quality_of_teaching", "behaviour_and_safety_of_pupils",
                 "leadership_and_management"]
#: No real 2012-2015 report has been checked yet: set True once one has (one line).
LAYOUT_2012_CONFIRMED = False
_THIS_INSPECTION = re.compile(r"This inspection:\s*")
_PREVIOUS_2012 = re.compile(r"Previous inspection:\s*")
#: "School details" (with the URN) is on one of the last pages.
LAST_PAGES = 4


def detect(doc) -> bool:
    text = flat(doc.fast_text(1))
    return bool(re.match(r"School report\b", text)
                and (re.search(r"Overall effectiveness\s+(?:Outstanding|Good|Requires|Inadequate)",
                               text, re.I) or _is_2012(text)))


def _is_2012(text: str) -> bool:
    found = _THIS_INSPECTION.search(text)
    return bool(found and grade_after(text, found.end()))


def parse(doc):
    text = flat(doc.fast_text(1))
    report = new_report(REPORT_TYPE, "section-5")
    lines = [line.strip() for line in doc.fast_text(1).splitlines() if line.strip()]
    report.provider_name = lines[1] if len(lines) > 1 and lines[0] == "School report" else None
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    required = REQUIRED
    if _is_2012(text):
        required = REQUIRED_2012
        report.inspection_kind = "section-5-2012"
        report.judgements, report.labels = read_table_over_pages(doc, text, ROWS_2012, required)
        this = grade_after(text, _THIS_INSPECTION.search(text).end())
        report.judgements = {"overall_effectiveness": this[0], **report.judgements}
        report.labels = {"overall_effectiveness": "Overall effectiveness: This inspection",
                         **report.labels}
        previous = _PREVIOUS_2012.search(text)
        if not LAYOUT_2012_CONFIRMED:
            report.flag("school-s5 2012-2015 layout (\"This inspection:\") read from Ofsted's "
                        "published wording, not yet checked on a real report PDF")
    else:
        report.judgements, report.labels = read_table_over_pages(doc, text, ROWS, REQUIRED)
        previous = re.search(r"Overall effectiveness at previous inspection", text)
    report.overall = report.judgements.get("overall_effectiveness")
    grade = grade_after(text, previous.end()) if previous else None
    if grade:
        report.last_inspection = {"date": None, "judgement": grade[1]}
    for number in range(doc.page_count, max(1, doc.page_count - LAST_PAGES), -1):
        urn = re.search(r"Unique reference number\s+(\d{6,7})\b", flat(doc.fast_text(number)))
        if urn:
            report.urn = urn.group(1)
            break
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date,
            urn=report.urn)
    for key in required:
        if key not in report.judgements:
            report.flag(f"judgement table: no grade read for {key}")
    return report
