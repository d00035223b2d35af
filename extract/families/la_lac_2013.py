"""2013 inspections of looked after children services (2012–13 framework).

The grades (four-point, with Adequate) are printed only at the end of the report, under "Record
of main findings" ("Overall effectiveness Inadequate", Medway: "Inadequate Grade 4"). Page 1
gives the council and the dates; the judgements are read from the last pages backwards
(the contents page also lists "Record of main findings", so the search starts at the end).

``inspection_kind``: ``lac-2013``.
"""
from __future__ import annotations

import re

from .local_authority import dates_after, flat, new_report, read_table, require, set_provider

REPORT_TYPE = "la-lac-2013"
_TITLE = r"Inspection of looked after children services"
ROWS = [
    ("overall_effectiveness", r"Overall effectiveness"),
    ("capacity_to_improve", r"Capacity to improve"),
    ("outcomes_for_looked_after_children_and_young_people",
     r"Outcomes for looked after children and young people"),
    ("quality_of_provision", r"Quality of provision"),
    ("leadership_and_management", r"Leadership and management"),
]
#: "Record of main findings" sits on one of the last pages.
LAST_PAGES = 4


def detect(doc) -> bool:
    return bool(re.match(r"\s*" + _TITLE, flat(doc.fast_text(1)), re.I))


def parse(doc):
    text = flat(doc.fast_text(1))
    report = new_report(REPORT_TYPE, "lac-2013")
    name = re.search(_TITLE + r"\s+(.+?)\s+Inspection dates?", text, re.I)
    set_provider(report, name.group(1) if name else None)
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")

    for number in range(doc.page_count, max(1, doc.page_count - LAST_PAGES), -1):
        page = flat(doc.fast_text(number))
        heading = re.search(r"Record of main findings\s+Services for looked after children", page)
        if heading:
            report.judgements, report.labels = read_table(page, ROWS, heading.end())
            break
    else:
        report.flag("no 'Record of main findings' in the last pages")
    report.overall = report.judgements.get("overall_effectiveness")
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date)
    for key, _ in ROWS:
        if key not in report.judgements:
            report.flag(f"record of main findings: no grade read for {key}")
    return report
