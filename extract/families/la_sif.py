"""Single inspection framework (SIF), 2013–2018, including re-inspections.

Page 1: the overall judgement is a sentence above the table ("Children's services in X are
good", "The overall judgement is that children's services require improvement"), then a
five-row table. The review of the Local Safeguarding Children Board (``lscb_review``) is
graded in its own section, usually 28–39 pages in and only sometimes on page 1 too. To find
it without reading the report: page 1, else the contents page's page number for the LSCB
section (checked at that page and its neighbours, since printed numbers may be offset), else
a PDFium scan of the remaining pages. Re-inspections without an LSCB review have no row.

``inspection_kind``: ``sif`` or ``sif-reinspection``.
"""
from __future__ import annotations

import re

from .local_authority import (GRADE, dates_after, flat, name_before, new_report,
                              read_table_over_pages, require, set_provider, token)

REPORT_TYPE = "la-sif"
_TITLE = r"(Re-?\s?inspection|Inspection) of services for children in need of help and protection"
ROWS = [
    ("help_and_protection", r"Children who need help and protection"),
    ("looked_after_and_permanence", r"Children looked after and achieving permanence"),
    ("adoption_performance", r"Adoption performance"),
    ("care_leavers", r"Experiences and progress of care leavers"),
    ("leadership_management_governance", r"Leadership, management and governance"),
]
_OVERALL = re.compile(
    r"(?:overall judgement is(?: that children's services?)?|Children's services? in [^.]{1,90}?)"
    r"\s+(?:are\s+|is\s+)?(" + GRADE + r")\b", re.I)
_LSCB = re.compile(
    r"Local Safeguarding Children Board(?: \(LSCB\))?\s+(?:is\s+)?(" + GRADE + r")\b", re.I)
_LSCB_CONTENTS = re.compile(
    r"(?:The )?(?:effectiveness of the )?Local Safeguarding Children Board(?: \(LSCB\))?\s+(\d{1,3})\b",
    re.I)
#: The LSCB section's own opening: its heading, then the verdict sentence. Used to find a
#: review that page 1 does not announce (appended at the back of the report).
LSCB_SECTION = re.compile(
    r"(?:effectiveness of the|The) Local Safeguarding Children Board(?: \(LSCB\))?\s+"
    r"The Local Safeguarding Children Board(?: \(LSCB\))?\s+(?:is\s+)?(" + GRADE + r")\b",
    re.I)
LSCB_LABEL = "Local Safeguarding Children Board (review)"


def detect(doc) -> bool:
    # The title opens the page (after the council's name); letters quote it further down.
    return bool(re.search(_TITLE, flat(doc.fast_text(1))[:300], re.I))


def parse(doc):
    text = flat(doc.fast_text(1))
    title = re.search(_TITLE, text, re.I)
    kind = "sif-reinspection" if title.group(1).lower().startswith("re") else "sif"
    report = new_report(REPORT_TYPE, kind)
    name = re.match(r"(?:\d+\s+)?(.+?)\s+" + _TITLE, text, re.I)
    set_provider(report, name_before(doc.fast_text(1), _TITLE.split(" of ")[0] + " of")
                 or (name.group(1) if name else None))
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")

    judgements, labels = read_table_over_pages(doc, text, ROWS, [key for key, _ in ROWS])
    overall = _OVERALL.search(text)
    if overall:
        report.overall = token(overall.group(1))
        judgements = {"overall_effectiveness": report.overall, **judgements}
        labels = {"overall_effectiveness": flat(overall.group(0)), **labels}
    lscb_reviewed = re.search(r"Review of the effectiveness of the Local Safeguarding", text, re.I)
    # Not announced on page 1: a review may still be appended at the back (2015 reports).
    lscb = _find_lscb(doc, text) if lscb_reviewed else _find_appended_lscb(doc)
    if lscb:
        judgements["lscb_review"] = lscb
        labels["lscb_review"] = LSCB_LABEL
    elif lscb_reviewed:
        report.flag("LSCB review announced on page 1 but its judgement was not found")
    report.judgements, report.labels = judgements, labels

    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date,
            overall=report.overall)
    for key, _ in ROWS:
        if key not in judgements:
            report.flag(f"judgement table: no grade read for {key}")
    return report


def _lscb_on(doc, number: int, pattern: re.Pattern = _LSCB) -> str | None:
    match = pattern.search(flat(doc.fast_text(number)))
    return token(match.group(1)) if match else None


def _find_appended_lscb(doc) -> str | None:
    """An LSCB review appended to a report whose page 1 does not announce one: its section
    heading followed by its verdict sentence, searched from the last page backwards (PDFium)."""
    for number in range(doc.page_count, 1, -1):
        if doc.readable(number):
            found = _lscb_on(doc, number, LSCB_SECTION)
            if found:
                return found
    return None


def _find_lscb(doc, first_page_text: str) -> str | None:
    match = _LSCB.search(first_page_text)
    if match:
        return token(match.group(1))
    tried = {1}
    for contents_page in range(2, min(5, doc.page_count) + 1):
        contents = flat(doc.fast_text(contents_page))
        tried.add(contents_page)
        if "Contents" not in contents:
            continue
        for listed in _LSCB_CONTENTS.finditer(contents):
            printed = int(listed.group(1))
            for number in (printed, printed + 1, printed - 1, printed + 2):
                if number in tried or not doc.readable(number):
                    continue
                tried.add(number)
                found = _lscb_on(doc, number)
                if found:
                    return found
        break
    for number in range(2, doc.page_count + 1):  # no usable contents entry: scan (PDFium)
        if number not in tried and doc.readable(number):
            found = _lscb_on(doc, number)
            if found:
                return found
    return None

