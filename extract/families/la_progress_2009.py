"""2009 inspections of progress in safeguarding after a joint area review (Haringey).

The result is narrative ("the council and its partners have made limited progress overall"),
not a grade on any scale, and the cover prints no inspection dates. So: ``overall`` null,
``judgements`` empty, dates null, and ``needs_review`` true with the printed phrase in
``review_reasons`` — a person reads the one-word progress verdict, the monitor never compares
it with a grade. ``inspection_kind``: ``safeguarding-progress``.
"""
from __future__ import annotations

import re

from .local_authority import flat, new_report, set_provider

REPORT_TYPE = "la-safeguarding-progress-2009"
_TITLE = r"Inspection of progress made in the provision of safeguarding services in (?:the )?(.+?)\s+(?:Care Quality|Ofsted|HM |Age group)"
#: The "Overall judgement on progress" section follows the contents within a few pages.
SEARCH_PAGES = 8


def detect(doc) -> bool:
    return bool(re.match(r"\s*Inspection of progress made in the provision of safeguarding",
                         flat(doc.fast_text(1)), re.I))


def parse(doc):
    text = flat(doc.fast_text(1))
    report = new_report(REPORT_TYPE, "safeguarding-progress")
    name = re.match(r"\s*" + _TITLE, text, re.I)
    set_provider(report, name.group(1) if name else None)
    verdict = None
    for number in range(2, min(doc.page_count, SEARCH_PAGES) + 1):
        page = flat(doc.fast_text(number))
        section = re.search(r"Overall judgement on progress since [A-Z][a-z]+ \d{4}(?!\s\d+\s)", page)
        if section:
            found = re.search(r"made (\w+(?: \w+)?) progress", page[section.end():])
            verdict = found.group(1) + " progress" if found else None
            break
    if verdict:
        report.flag(f"narrative progress judgement, not a grade: '{verdict}'")
    else:
        report.flag("could not read the overall judgement on progress")
    if not report.provider_name:
        report.flag("could not read provider_name")
    report.flag("no inspection dates printed on the cover")
    return report
