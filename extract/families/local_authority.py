"""Shared reading of local-authority reports (ILACS, SIF, 2013 looked-after children, the 2009
progress inspection, area SEND and the letters): grade phrases, local-authority names, dates.

The family modules themselves are ``la_ilacs``, ``la_sif``, ``la_lac_2013``,
``la_progress_2009``, ``area_send`` and ``letters``; each has ``detect(doc)`` / ``parse(doc)``.
Everything here reads PDFium text (``doc.fast_text``), one page at a time.
"""
from __future__ import annotations

import re
from datetime import date

from ..dates import parse_date_range
from ..grades import grade_token
from ..result import Report

#: A four-point grade as printed in LA reports, whatever its line breaks ("Requires /
#: improvement", "Requires improvement to / be good"). SIF sentences say "require improvement".
GRADE = (r"(?:requires?\s+improvement(?:\s+to\s+be\s+good)?|outstanding|good|inadequate"
         r"|adequate)")
GRADE_AT_START = re.compile(r"\s*(" + GRADE + r")\b", re.I)

#: Ofsted's provider names where they differ from the name the report prints (it prints "and").
_OFSTED_NAMES = {
    "bournemouth, christchurch and poole": "Bournemouth, Christchurch & Poole",
    "telford and wrekin": "Telford & Wrekin",
}
_NAME_PREFIXES = re.compile(
    r"^(?:the\s+)?(?:london borough of|royal borough of|metropolitan borough of|city of"
    r"|borough of|council of the)\s+", re.I)
_NAME_SUFFIXES = re.compile(
    r"\s+(?:district metropolitan council|metropolitan borough council|metropolitan council"
    r"|borough council|county council|city council|district council|council|mbc|borough"
    r"|city|county|local authority)$", re.I)


def flat(text: str) -> str:
    """All whitespace (line breaks included) folded to single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def token(grade_words: str) -> str | None:
    """Grade token for printed grade words; "require improvement" is read as "requires"."""
    return grade_token(re.sub(r"\brequire\b", "requires", grade_words, flags=re.I))


def grade_after(text: str, position: int) -> tuple[str, str] | None:
    """(token, words as printed) of the grade starting at ``position``, or None."""
    match = GRADE_AT_START.match(text, position)
    if not match:
        return None
    words = flat(match.group(1))
    found = token(words)
    return (found, words) if found else None


def read_table(text: str, rows: list[tuple[str, str]], start: int = 0
               ) -> tuple[dict[str, str], dict[str, str]]:
    """Read a Judgement | Grade table from flattened text.

    ``rows`` are (area key, label regex). A row counts only where its label is directly followed
    by a grade (so the same words in prose never count). Returns (judgements, labels).
    """
    judgements: dict[str, str] = {}
    labels: dict[str, str] = {}
    for key, label in rows:
        for match in re.finditer(label, text[start:], re.I):
            grade = grade_after(text, start + match.end())
            if grade:
                judgements[key] = grade[0]
                labels[key] = flat(match.group(0))
                break
    return judgements, labels


def la_name(printed: str) -> str:
    """The local authority's name as Ofsted lists the provider, from the name a report prints:
    council-type words dropped ("London Borough of", "Metropolitan Borough Council", "County
    Council", "MBC", ...), every word capitalised ("Kingston Upon Thames", "Stoke-On-Trent")."""
    name = flat(printed).strip(" ,.")
    for _ in range(3):
        shorter = _NAME_SUFFIXES.sub("", _NAME_PREFIXES.sub("", name)).strip(" ,.")
        if shorter == name or not shorter:
            break
        name = shorter
    if name.lower() in _OFSTED_NAMES:
        return _OFSTED_NAMES[name.lower()]
    return re.sub(r"[A-Za-z]+", lambda m: m[0][0].upper() + m[0][1:], name)


def local_authority(printed: str) -> str:
    return f"{la_name(printed)} (local authority)"


def set_provider(report: Report, printed: str | None, kind: str = "(local authority)") -> None:
    """provider_name "<name> <kind>" and local_authority "<name>" from the printed name."""
    if printed:
        report.local_authority = la_name(printed)
        report.provider_name = f"{report.local_authority} {kind}"


def dates_after(text: str, marker: str) -> tuple[str | None, str | None]:
    """The date range printed after ``marker`` (a regex), e.g. "Inspection dates?:"."""
    match = re.search(marker, text, re.I)
    if not match:
        return None, None
    return parse_date_range(flat(text[match.end():match.end() + 200]))


def days_between(first: str | None, last: str | None) -> int | None:
    if not first or not last:
        return None
    return (date.fromisoformat(last) - date.fromisoformat(first)).days


def new_report(report_type: str, inspection_kind: str | None) -> Report:
    return Report(file="", sha256="", report_type=report_type, inspection_kind=inspection_kind)


def require(report: Report, **fields) -> None:
    """Flag the report for review for every field given as None/empty."""
    for name, value in fields.items():
        if not value:
            report.flag(f"could not read {name}")
