"""Standalone reviews of the effectiveness of a Local Safeguarding Children Board (LSCB),
2013–2018: published on their own when the board was reviewed apart from the single
inspection of the council's children's services.

The verdict is the sentence that opens every LSCB section of the real single-inspection
reports ("The Local Safeguarding Children Board (LSCB) is good" / "... requires improvement");
a standalone review's own page 1 has not been checked on a real PDF, so every report is
flagged until one is (``extract.types``: ``lscb-review`` unconfirmed). The grade goes to
``judgements["lscb_review"]``; ``overall`` stays null — the board is not the council, and its
grade is never compared with the council's overall effectiveness.
``report_type`` and ``inspection_kind``: ``lscb-review``.
"""
from __future__ import annotations

import re

from .la_sif import _LSCB, _TITLE as SIF_TITLE, LSCB_LABEL
from .local_authority import (authority_in, dates_after, flat, new_report, require,
                              set_provider, token)
from .unconfirmed import flag_if_unconfirmed

REPORT_TYPE = "lscb-review"
_TITLE = re.compile(r"Review of the effectiveness of the Local Safeguarding Children Board"
                    r"(?: \(LSCB\))?", re.I)
#: The verdict is on page 1 or within the next few pages.
SEARCH_PAGES = 4


def detect(doc) -> bool:
    head = flat(doc.fast_text(1))[:400]
    return bool(_TITLE.search(head)) and not re.search(SIF_TITLE, head, re.I)


def parse(doc):
    text = flat(doc.fast_text(1))
    report = new_report(REPORT_TYPE, REPORT_TYPE)
    title = _TITLE.search(text)
    before = text[:title.start()].strip(" 0123456789")
    after = re.match(r"\s*(?:in|for|of)\s+(.+?)\s+(?:Inspection dates?|Report published)",
                     text[title.end():], re.I)
    printed = before or (after.group(1) if after else None)
    if printed and not authority_in(printed) and after:
        printed = after.group(1)
    set_provider(report, printed)
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    for number in range(1, min(doc.page_count, SEARCH_PAGES) + 1):
        match = _LSCB.search(flat(doc.fast_text(number)))
        if match and token(match.group(1)):
            report.judgements = {"lscb_review": token(match.group(1))}
            report.labels = {"lscb_review": LSCB_LABEL}
            break
    else:
        report.flag("LSCB review: no verdict sentence ('The Local Safeguarding Children Board "
                    "is ...') in the first pages")
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date)
    flag_if_unconfirmed(report)
    return report
