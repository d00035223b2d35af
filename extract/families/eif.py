"""Education Inspection Framework reports, September 2019 to November 2025: graded
inspections of schools (section 5), further education and skills providers and early years
settings, and the ungraded inspection letters of schools (section 8).

Built from Ofsted's published report templates and wording; no real PDF of these layouts has
been checked yet, so every report is flagged ``needs_review`` until one is (``extract.types``:
``confirmed``; confirming a layout is that one-line change).

Page 1 of a graded report::

    Inspection of <name>
    <address>
    Inspection dates: 7 and 8 March 2023            ("Inspection date:" for early years)
    Overall effectiveness                Good       (schools: none from September 2024)
    The quality of education             Good
    Behaviour and attitudes              Outstanding
    Personal development                 Good
    Leadership and management            Good
    Early years provision                Good       (schools, where there is one)
    Sixth-form provision                 Good       (schools, where there is one)
    Education programmes for young people Good      (further education: the provision types)
    Adult learning programmes / Apprenticeships / Provision for learners with high needs
    Previous inspection grade            Good       (or "Overall effectiveness at previous
                                                     inspection": history, never a judgement)

Further education adds "Contribution to meeting skills needs" (2023–: strong / reasonable /
limited, the ``skills_needs`` scale). The URN is printed under "School details" / "Provider
details" / "Setting details" on the last pages ("Unique reference number"). Every EIF report
says whether "the arrangements for safeguarding are effective" (a sentence in the first
pages; the safeguarding row of reports from September 2024): ``judgements["safeguarding"]``
is ``met`` or ``not_met`` on the ``safeguarding`` scale.

Ungraded school inspections ("Inspection of a good school: <name>", 2019–2024; "Short
inspection of <name>" letters before) print no grade: their "Outcome" sentence says the school
continues to be good (or outstanding), and sometimes more. ``judgements["outcome"]`` is one of
the ``ungraded_outcome`` scale: ``could_be_outstanding`` ("could be judged outstanding if we
were to carry out a graded inspection now"), ``standards_maintained`` ("continues to be a good
school"), ``standards_may_have_declined`` ("inspectors have some concerns that standards may be
declining", "may not be as high as"). ``overall`` stays null (an ungraded inspection does not
change the grade); the grade the school keeps goes to ``last_inspection``.
"""
from __future__ import annotations

import re

from .local_authority import (dates_after, flat, grade_after, new_report, read_table,
                              read_table_over_pages, require)
from .unconfirmed import flag_if_unconfirmed

CORE = [
    ("overall_effectiveness", r"Overall effectiveness(?! at previous)"),
    ("quality_of_education", r"The quality of education"),
    ("behaviour_and_attitudes", r"Behaviour and attitudes"),
    ("personal_development", r"Personal development(?!,)"),
    ("leadership_and_management", r"Leadership and management"),
]
SCHOOL_ROWS = [
    ("early_years_provision", r"Early years provision"),
    ("sixth_form_provision", r"Sixth[- ]form provision"),
]
FE_ROWS = [
    ("education_programmes_for_young_people", r"Education programmes for young people"),
    ("adult_learning_programmes", r"Adult learning programmes"),
    ("apprenticeships", r"Apprenticeships"),
    ("provision_for_learners_with_high_needs", r"Provision for learners with high needs"),
]
#: Further education under the common inspection framework (2015–2019): page 1 like a
#: section 5 school report's, with the provision types. Read as ``further-education``, kind
#: ``cif``, with the school section 5 area keys.
CIF_FE = [
    ("overall_effectiveness", r"Overall effectiveness(?! at previous)"),
    ("leadership_and_management", r"Effectiveness of leadership and management"),
    ("teaching_learning_assessment", r"Quality of teaching, learning and assessment"),
    ("personal_development_behaviour_welfare", r"Personal development, behaviour and welfare"),
    ("outcomes_for_learners", r"Outcomes for learners"),
    ("study_programmes_16_to_19", r"16 to 19 study programmes"),
    ("adult_learning_programmes", r"Adult learning programmes"),
    ("apprenticeships", r"Apprenticeships"),
    ("traineeships", r"Traineeships"),
    ("provision_for_learners_with_high_needs", r"Provision for learners with high needs"),
]
CIF_REQUIRED = ["overall_effectiveness", "leadership_and_management",
                "teaching_learning_assessment", "personal_development_behaviour_welfare",
                "outcomes_for_learners"]
REQUIRED = ["quality_of_education", "behaviour_and_attitudes", "personal_development",
            "leadership_and_management"]
_PREVIOUS = re.compile(r"(?:Overall effectiveness at previous inspection|Previous inspection "
                       r"grade)", re.I)
_SKILLS = re.compile(r"Contribution to meeting skills needs\s*:?\s+(Strong|Reasonable|Limited)\b",
                     re.I)
_SAFEGUARDING_ROW = re.compile(r"\bSafeguarding\s*:?\s+(Not effective|Effective|Not met|Met)\b")
_SAFEGUARDING_SENTENCE = re.compile(r"arrangements for safeguarding are (not )?effective", re.I)
#: Titles open page 1 (a line or two of page furniture may come first: searched in its head).
_GRADED_TITLE = re.compile(r"^\s*Inspection of (?!a good school|an outstanding school)",
                           re.I | re.M)
_UNGRADED_TITLE = re.compile(
    r"^\s*(?:Inspection of (?:a good|an outstanding) school:?|Short inspection of)\s",
    re.I | re.M)
HEAD = 300
#: Short-inspection letters (2015–2019) open with Ofsted's address, the date and a salutation;
#: their title is a line further down.
_SHORT_LETTER = re.compile(r"^\s*Short inspection of\s+(.+)$", re.I | re.M)
_VISIT_ON = re.compile(r"Following my visit to the (?:school|provider|college) on", re.I)
_CONTINUES = re.compile(r"continues to be (?:an? )?(good|outstanding)(?: school)?\b", re.I)
_COULD_BE_OUTSTANDING = re.compile(
    r"could be judged outstanding|may be judged outstanding|could now be better than good", re.I)
_MAY_HAVE_DECLINED = re.compile(
    r"standards may (?:be declining|have declined)|may not be as (?:high|strong)"
    r"|may no longer be (?:good|outstanding)", re.I)
_URN = re.compile(r"Unique reference number\s*:?\s*((?:EY|SC)?\d{5,8})\b")
_EY_URN = re.compile(r"\b(EY\d{6,7})\b")
#: The details block (URN) is on one of the last pages; safeguarding in the first pages.
LAST_PAGES = 4
FIRST_PAGES = 5
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\s*$")


def _table(text: str) -> dict:
    judgements, _ = read_table(text, CORE + SCHOOL_ROWS + FE_ROWS)
    return judgements


def detect(doc) -> bool:
    text = doc.fast_text(1)
    if _UNGRADED_TITLE.search(text[:HEAD]) or _SHORT_LETTER.search(text[:2500]):
        return True
    if _is_cif_fe(flat(text)):
        return True
    if not _GRADED_TITLE.search(text[:HEAD]):
        return False
    found = _table(flat(text))
    return sum(key in found for key in REQUIRED) >= 2


def _is_cif_fe(text: str) -> bool:
    found, _ = read_table(text, CIF_FE)
    return "outcomes_for_learners" in found and "leadership_and_management" in found


def parse(doc):
    page = doc.fast_text(1)
    if _UNGRADED_TITLE.search(page[:HEAD]) or _SHORT_LETTER.search(page[:2500]):
        return _ungraded(doc, page)
    if _is_cif_fe(flat(page)):
        return _cif_fe(doc, page)
    return _graded(doc, page)


def _cif_fe(doc, page: str):
    text = flat(page)
    report = new_report("further-education", "cif")
    report.judgements, report.labels = read_table_over_pages(doc, text, CIF_FE, CIF_REQUIRED)
    report.overall = report.judgements.get("overall_effectiveness")
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    report.provider_name = lines[0] if lines and not re.match(
        r"(?:Further education|Inspection)", lines[0], re.I) else (
        lines[1] if len(lines) > 1 else None)
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    _previous_grade(report, text)
    return _finish(doc, report, CIF_REQUIRED)


def _kind_of(doc, text: str, judgements: dict) -> str:
    """school-eif, further-education or early-years, from what page 1 prints: the provision
    types, then the question heading ("What is it like to attend this school?" / "... this early
    years setting?" / "... to be a learner with this provider?"), then other cues."""
    if any(key in judgements for key, _ in FE_ROWS):
        return "further-education"
    if re.search(r"attend this school|School details", text, re.I):
        return "school-eif"
    if _EY_URN.search(text) or re.search(r"early years setting|childminder|Setting details"
                                         r"|The provision is", text, re.I):
        return "early-years"
    if re.search(r"\blearners?\b|\bapprentices\b|this provider|Contribution to meeting skills",
                 text, re.I):
        return "further-education"
    return "school-eif"


def _graded(doc, page: str):
    text = flat(page)
    judgements, labels = read_table_over_pages(doc, text, CORE + SCHOOL_ROWS + FE_ROWS,
                                               REQUIRED)
    report_type = _kind_of(doc, text, judgements)
    report = new_report(report_type, "graded")
    report.judgements, report.labels = judgements, labels
    report.overall = judgements.get("overall_effectiveness")
    report.provider_name = _name(page, _GRADED_TITLE)
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    _previous_grade(report, text)
    skills = _SKILLS.search(text)
    if skills:
        report.judgements["skills_needs"] = f"{skills.group(1).lower()}_contribution"
        report.labels["skills_needs"] = "Contribution to meeting skills needs"
    _safeguarding(doc, report, text)
    return _finish(doc, report, REQUIRED)


def _ungraded(doc, page: str):
    text = flat(page)
    # Further education had short inspections too ("This provider continues to be good").
    provider = re.search(r"this provider|\blearners\b|\bapprentices\b", text, re.I)
    report = new_report("further-education" if provider else "school-ungraded", "ungraded")
    letter = _SHORT_LETTER.search(page[:2500])
    report.provider_name = (letter.group(1).strip() if letter
                            else _name(page, _UNGRADED_TITLE))
    report.inspection_date, report.inspection_end_date = dates_after(
        text, r"Inspection dates?:?" if re.search(r"Inspection dates?:?", text, re.I)
        else _VISIT_ON.pattern)
    # The outcome sentence is on page 1 (letters before 2019: after the salutation, page 1–2).
    outcome_text = text if _CONTINUES.search(text) or not doc.readable(2) else (
        text + " " + flat(doc.fast_text(2)))
    continues = _CONTINUES.search(outcome_text)
    after = outcome_text[continues.start():continues.start() + 900] if continues else ""
    improved = bool(_COULD_BE_OUTSTANDING.search(after))
    declined = bool(_MAY_HAVE_DECLINED.search(after))
    if continues and improved and declined:
        report.flag("ungraded outcome says both 'could be judged outstanding' and 'standards may "
                    "have declined'")
    elif continues:
        outcome = ("could_be_outstanding" if improved else
                   "standards_may_have_declined" if declined else "standards_maintained")
        report.judgements["outcome"] = outcome
        report.labels["outcome"] = "Outcome"
        report.last_inspection = {"date": None, "judgement": continues.group(1).lower()}
    else:
        report.flag("ungraded inspection: no outcome sentence ('continues to be a good school')")
    _safeguarding(doc, report, text)
    _urn(doc, report)
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date,
            urn=report.urn)
    flag_if_unconfirmed(report)
    return report


def _previous_grade(report, text: str) -> None:
    """"Overall effectiveness at previous inspection" / "Previous inspection grade": history."""
    previous = _PREVIOUS.search(text)
    grade = grade_after(text, previous.end()) if previous else None
    if grade:
        report.last_inspection = {"date": None, "judgement": grade[1]}


def _finish(doc, report, required: list[str]):
    """URN from the details page; flag what the layout must have and did not give."""
    _urn(doc, report)
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date,
            urn=report.urn)
    for key in required:
        if key not in report.judgements:
            report.flag(f"judgement table: no grade read for {key}")
    flag_if_unconfirmed(report)
    return report


def _name(page: str, title: re.Pattern) -> str | None:
    """The name after the title, up to the address line (which ends in a postcode) or the
    dates; a title wrapped over two lines is joined when the second has no comma or digit."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    start = next((index for index, line in enumerate(lines[:6]) if title.match(line)), None)
    if start is None:
        return None
    first = title.sub("", lines[start], count=1).strip(" :")
    name = [first] if first else []
    for line in lines[start + 1:start + 4]:
        if re.match(r"Inspection dates?", line, re.I) or _POSTCODE.search(line) or re.search(
                r"[,\d]", line):
            break
        name.append(line)
    return " ".join(name).strip() or None


def _safeguarding(doc, report, text: str) -> None:
    row = _SAFEGUARDING_ROW.search(text)
    if row:
        found = row.group(1).lower()
        report.judgements["safeguarding"] = "not_met" if found.startswith("not") else "met"
        report.labels["safeguarding"] = "Safeguarding"
        return
    for number in range(1, min(doc.page_count, FIRST_PAGES) + 1):
        sentence = _SAFEGUARDING_SENTENCE.search(flat(doc.fast_text(number)))
        if sentence:
            report.judgements["safeguarding"] = "not_met" if sentence.group(1) else "met"
            report.labels["safeguarding"] = "The arrangements for safeguarding are effective"
            return


def _urn(doc, report) -> None:
    for number in range(doc.page_count, max(1, doc.page_count - LAST_PAGES), -1):
        urn = _URN.search(flat(doc.fast_text(number)))
        if urn:
            report.urn = urn.group(1)
            return

