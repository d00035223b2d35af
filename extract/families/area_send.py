"""Area SEND inspections (Ofsted/CQC, 2023 framework). Page 1 only.

The outcome is a paragraph under "Inspection outcome", one of three standard sentences:
"... typically lead to positive experiences and outcomes ..." (``send_positive``),
"... lead to inconsistent experiences and outcomes ..." (``send_inconsistent``),
"There are widespread and/or systemic failings ..." (``send_widespread_failings``).
The token is both ``overall`` and ``judgements["area_send_outcome"]``. Any other wording, or
more than one of these, is flagged rather than guessed. ``inspection_kind``: ``area-send``.
"""
from __future__ import annotations

import re

from .local_authority import dates_after, flat, new_report, require, set_provider

REPORT_TYPE = "area-send"
OUTCOMES = [
    ("send_positive", r"typically lead to positive experiences and outcomes"),
    ("send_inconsistent", r"lead to inconsistent experiences and outcomes"),
    ("send_widespread_failings", r"widespread and/or systemic failings"),
]


def detect(doc) -> bool:
    return bool(re.search(r"Area SEND inspection of", flat(doc.fast_text(1)), re.I))


def parse(doc):
    text = flat(doc.fast_text(1))
    report = new_report(REPORT_TYPE, "area-send")
    name = re.search(r"Area SEND inspection of (?:the )?(.+?) Local Area Partnership", text, re.I)
    set_provider(report, name.group(1) if name else None, "local area partnership")
    report.inspection_date, report.inspection_end_date = dates_after(text, r"Inspection dates?:?")
    outcome = re.search(r"Inspection outcome (.+?)(?:Information about|$)", text)
    found = [key for key, wording in OUTCOMES
             if outcome and re.search(wording, outcome.group(1), re.I)]
    if len(found) == 1:
        report.overall = found[0]
        report.judgements = {"area_send_outcome": found[0]}
        report.labels = {"area_send_outcome": "Inspection outcome"}
    else:
        report.flag("inspection outcome paragraph not recognised" if not found
                    else "inspection outcome paragraph matches more than one outcome")
    require(report, provider_name=report.provider_name, inspection_date=report.inspection_date)
    return report
