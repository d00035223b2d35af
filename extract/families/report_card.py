"""Report cards (inspections from 10 November 2025): schools, further education and skills
providers, and early years settings. Built from Ofsted's published wording.

There is no overall grade. Each evaluation area gets one of five grades — exceptional, strong
standard, expected standard, needs attention, urgent improvement: the ``report_card`` scale in
``grades.py``, never compared with four-point grades — and safeguarding is "met" or "not met"
(the ``safeguarding`` scale; "not met" is an event of its own).

Evaluation areas (area keys):

- schools: ``inclusion``, ``curriculum_and_teaching``, ``achievement``,
  ``attendance_and_behaviour``, ``personal_development_and_wellbeing``, ``early_years``
  ("Early years (in schools)"), ``post_16`` ("Post-16"; ``sixth_form`` where the card prints
  "Sixth form"), ``leadership_and_governance``;
- further education: ``inclusion``, ``curriculum_and_teaching``, ``achievement``,
  ``participation_and_development``, ``leadership_and_governance``,
  ``contribution_to_skills_needs``, and the provision types (``education_programmes_for_young_
  people``, ``adult_learning_programmes``, ``apprenticeships``,
  ``provision_for_learners_with_high_needs``);
- early years: ``inclusion``, ``curriculum_and_teaching``, ``achievement``,
  ``childrens_welfare_and_wellbeing``, ``leadership_and_governance``;
- all: ``safeguarding`` (``met`` / ``not_met``).

No real report card has been checked yet, so every one is flagged ``needs_review`` until one
is (``extract.types``: the three ``*-report-card`` types, ``confirmed``); anything not read is
flagged too. ``inspection_kind``: ``report-card``.
"""
from __future__ import annotations

import re

from ..grades import grade_token
from .local_authority import dates_after, flat, new_report
from .unconfirmed import flag_if_unconfirmed

SCALE = r"(exceptional|strong standard|expected standard|needs attention|urgent improvement)"
COMMON = [
    ("inclusion", r"Inclusion"),
    ("curriculum_and_teaching", r"Curriculum and teaching"),
    ("achievement", r"Achievement"),
    ("leadership_and_governance", r"Leadership and governance"),
]
SCHOOL = [
    ("attendance_and_behaviour", r"Attendance and behaviour"),
    ("personal_development_and_wellbeing", r"Personal development and well-?being"),
    ("early_years", r"Early years(?: in schools)?"),
    ("post_16", r"Post-16(?: provision)?"),
    ("sixth_form", r"Sixth form(?: in schools)?"),
]
FURTHER_EDUCATION = [
    ("participation_and_development", r"Participation and development"),
    ("contribution_to_skills_needs", r"Contribution to meeting skills needs"),
    ("education_programmes_for_young_people", r"Education programmes for young people"),
    ("adult_learning_programmes", r"Adult learning programmes"),
    ("apprenticeships", r"Apprenticeships"),
    ("provision_for_learners_with_high_needs", r"Provision for learners with high needs"),
]
EARLY_YEARS = [
    ("childrens_welfare_and_wellbeing", r"Children's welfare and well-?being"),
]
AREAS = COMMON + SCHOOL + FURTHER_EDUCATION + EARLY_YEARS
_SAFEGUARDING = re.compile(r"Safeguarding(?: standards)?\s*:?\s+(?:are\s+)?(not met|met)\b",
                           re.I)
_URN = re.compile(r"\b(?:URN|Unique reference number):?\s*((?:EY)?\d{6,7})\b")


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


def _report_type(text: str, areas: dict) -> str:
    if any(key in areas for key, _ in FURTHER_EDUCATION) or re.search(
            r"\blearners\b|\bapprentices\b|this provider", text, re.I):
        return "further-education-report-card"
    if "childrens_welfare_and_wellbeing" in areas or re.search(
            r"\bEY\d{6,7}\b|early years setting|childminder|nursery", text, re.I):
        return "early-years-report-card"
    return "school-report-card"


def parse(doc):
    text = flat(doc.fast_text(1))
    areas = _graded_areas(text)
    report = new_report(_report_type(text, areas), "report-card")
    for key, (label, grade) in areas.items():
        report.judgements[key] = grade
        report.labels[key] = label
    safeguarding = _SAFEGUARDING.search(text)
    if safeguarding:
        report.judgements["safeguarding"] = grade_token(safeguarding.group(1))
        report.labels["safeguarding"] = "Safeguarding"
    else:
        report.flag("could not read safeguarding (met / not met)")
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    urn = _URN.search(text)
    report.urn = urn.group(1) if urn else None
    for name, value in (("inspection_date", report.inspection_date), ("urn", report.urn)):
        if not value:
            report.flag(f"could not read {name}")
    flag_if_unconfirmed(report)
    return report
