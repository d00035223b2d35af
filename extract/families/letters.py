"""Letters with no graded judgement: focused visits to local authority children's services
(ILACS framework, 2018 onwards), monitoring visits to the children's services of councils
judged inadequate ("Monitoring visit to X children's services": the same letter shape; read
but flagged until a real one is checked, ``la-monitoring-visit`` in ``extract.types``) and joint
targeted area inspections (JTAI, 2016 onwards).

``overall`` is null and ``judgements`` empty — that is the layout, not a failure. A focused
visit whose letter has an "Areas for priority action" (or "Area for priority action") heading
gets ``areas_for_priority_action`` in ``enforcement``: Ofsted's most serious finding in a
letter, notified to the DfE. Letters are short (4–17 pages), so every page in the read window
is checked for that heading with PDFium.

``inspection_kind``: ``focused-visit`` or ``jtai``; ``report_type``: ``la-focused-visit`` or
``jtai``. Provider: "<LA> (local authority)" for focused visits, "<area> (local area
partnership)" for JTAI.
"""
from __future__ import annotations

import re

from datetime import date

from ..dates import parse_date, parse_date_range
from .local_authority import flat, heading_name, new_report, require, set_provider
from .unconfirmed import flag_if_unconfirmed

_FOCUSED = re.compile(r"Focused visit to (.+?) children's services", re.I)
_JTAI = re.compile(r"Joint targeted area inspection of (.+?)\s+(?:Between|This letter|This inspection"
                   r"|\d)", re.I)
#: The heading, alone on its line or ending in a colon ("Areas for priority action:").
_MONITORING = re.compile(r"Monitoring visit (?:to|of) (.+?) children's services", re.I)
_SEND_2016 = re.compile(r"Joint local area SEND (inspection|revisit) in (.+?)\s+(?:Between|From|Dear|"
                       r"This letter|\d)", re.I)
_WSOA = re.compile(r"Written Statement of Action (?:\(WSOA\) )?is required", re.I)
_REVISIT_PROGRESS = re.compile(r"(?:has|have) (not )?made sufficient progress in addressing"
                               r"[^.]{0,120}", re.I)
_PRIORITY = re.compile(r"^\s*Areas? for priority action\s*(?::.*)?$", re.I | re.M)
#: Letters run to 4–17 pages; a longer one is not a layout we know.
MAX_PAGES = 30


def detect(doc) -> bool:
    text = flat(doc.fast_text(1))
    return bool(_FOCUSED.search(text) or _JTAI.search(text) or _MONITORING.search(text[:1500])
                or _SEND_2016.search(text[:1500]))


def parse(doc):
    text = flat(doc.fast_text(1))
    focused = _FOCUSED.search(text)
    monitoring = None if focused else _MONITORING.search(text[:1500])
    if focused or monitoring:
        kind = "focused visit" if focused else "monitoring visit"
        report = (new_report("la-focused-visit", "focused-visit") if focused
                  else new_report("la-monitoring-visit", "monitoring-visit"))
        heading = heading_name(doc.fast_text(1), "Focused visit to" if focused
                               else "Monitoring visit (?:to|of)")
        set_provider(report, heading or (focused or monitoring).group(1))
        opening = rf"summarises the findings of (?:a|the) (?:\w+ )?{kind}"
        letter = text if re.search(opening, text, re.I) or not doc.readable(2) else (
            text + " " + flat(doc.fast_text(2)))   # a cover page: the letter starts on page 2
        visit = re.search(opening, letter, re.I)
        if visit:
            # "on 4 and 5 November": a date with no year takes the year of the letter's date.
            report.inspection_date, report.inspection_end_date = parse_date_range(
                letter[visit.end():visit.end() + 250],
                letter_date(doc.fast_text(1)) or (letter_date(doc.fast_text(2))
                                                  if doc.readable(2) else None))
        if _has_priority_actions(doc):
            report.enforcement.append("areas_for_priority_action")
        if monitoring:
            flag_if_unconfirmed(report)
    elif _SEND_2016.search(text[:1500]):
        report = _send_2016(doc, text)
    else:
        report = new_report("jtai", "jtai")
        area = _JTAI.search(text)
        if area:
            # "... of the multi-agency response to <theme> in <area>" or "... of <area>"
            name = re.split(r"\s+in\s+", area.group(1))[-1] if re.match(
                r"the multi-agency response", area.group(1), re.I) else area.group(1)
            set_provider(report, name, "(local area partnership)")
            report.inspection_date, report.inspection_end_date = parse_date_range(
                text[area.start():area.start() + 700], letter_date(doc.fast_text(1)))
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date)
    if doc.page_count > MAX_PAGES:
        report.flag(f"a {doc.page_count}-page letter: only the first {MAX_PAGES} pages were read")
    return report


def _send_2016(doc, text: str):
    """Joint local area SEND inspections (2016–2022) and their revisits: letters with no grade.
    An inspection may end with a Written Statement of Action (``written_statement_of_action``
    in ``enforcement``); a revisit says whether the area made sufficient progress (in the review
    reasons: the letter is flagged until a real one is checked)."""
    title = _SEND_2016.search(text[:1500])
    revisit = title.group(1).lower() == "revisit"
    report = new_report("area-send-2016", "area-send-revisit" if revisit else "area-send-2016")
    set_provider(report, title.group(2), "local area partnership")
    report.inspection_date, report.inspection_end_date = parse_date_range(
        text[title.end() - 12:title.end() + 400], letter_date(doc.fast_text(1)))
    pages = " ".join(flat(doc.fast_text(number))
                     for number in range(1, min(doc.page_count, MAX_PAGES) + 1))
    if not revisit and _WSOA.search(pages):
        report.enforcement.append("written_statement_of_action")
    progress = _REVISIT_PROGRESS.search(pages) if revisit else None
    if progress:
        report.flag(f"revisit outcome: '{progress.group(0).strip()}'")
    elif revisit:
        report.flag("revisit: no sentence on whether sufficient progress was made")
    flag_if_unconfirmed(report)
    return report


def letter_date(page: str) -> date | None:
    """The date a letter is written on: the first line that is a whole date."""
    for line in page.splitlines()[:30]:
        line = line.strip()
        if re.fullmatch(r"\d{1,2} [A-Za-z]+\.? \d{4}", line):
            found = parse_date(line)
            if found:
                return date.fromisoformat(found)
    return None


def _has_priority_actions(doc) -> bool:
    return any(_PRIORITY.search(doc.fast_text(number))
               for number in range(1, min(doc.page_count, MAX_PAGES) + 1))
