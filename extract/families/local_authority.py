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
from .. import places
from ..result import Report

#: A four-point grade as printed in LA reports, whatever its line breaks ("Requires /
#: improvement", "Requires improvement to / be good"). SIF sentences say "require improvement".
GRADE = (r"(?:requires?\s+improvement(?:\s+to\s+be\s+good)?|outstanding|good|inadequate"
         r"|adequate|not\s+judged)")
#: A table cell's grade; the label may end in a full stop or a colon ("Overall effectiveness.").
GRADE_AT_START = re.compile(r"[\s.:]*(" + GRADE + r")\b", re.I)

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

_TRAILING_SERVICE = re.compile(
    r"(?:'s)?\s+(?:local\s+authority\s+)?children'?s\s+(?:social\s+care\s+)?services?$"
    r"|\s+local\s+authority$", re.I)


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


def _title(name: str) -> str:
    """Every word capitalised ("Kingston Upon Thames", "Stoke-On-Trent"); letters after an
    apostrophe stay as printed (never "Durham'S")."""
    return re.sub(r"(?<!['\w])[A-Za-z]+", lambda m: m[0][0].upper() + m[0][1:], name)


def _strip_council_words(name: str) -> str:
    for _ in range(3):
        shorter = _NAME_SUFFIXES.sub("", _NAME_PREFIXES.sub("", name)).strip(" ,.")
        if shorter == name or not shorter:
            break
        name = shorter
    return name


def _clean_printed(printed: str) -> str:
    """The printed name without what follows a name in titles: a possessive ("Durham's"),
    "children's services", "local authority", "Children's Services" in capitals."""
    name = flat(printed).strip(" ,.:")
    name = re.sub(r"^the\s+", "", name, flags=re.I)
    name = re.sub(r"\bSt\.\s*", "St ", name).replace(" & ", " and ")
    name = _TRAILING_SERVICE.sub("", name).strip(" ,.:")
    return re.sub(r"'s$", "", name).strip(" ,.:")


def read_table_over_pages(doc, text: str, rows: list[tuple[str, str]], required: list[str],
                          start: int = 0) -> tuple[dict[str, str], dict[str, str]]:
    """``read_table`` on page 1's flattened ``text``; when a ``required`` row is missing and
    there is a page 2, read again across the page break (a table continued on page 2)."""
    judgements, labels = read_table(text, rows, start)
    if any(key not in judgements for key in required) and doc.readable(2):
        judgements, labels = read_table(text + " " + flat(doc.fast_text(2)), rows, start)
    return judgements, labels


def la_name(printed: str) -> str:
    """The local authority's name as Ofsted lists the provider, from the name a report prints:
    council-type words dropped ("London Borough of", "Metropolitan Borough Council", "County
    Council", "MBC", ...), every word capitalised ("Kingston Upon Thames", "Stoke-On-Trent").
    A short or other printed form that the table of local authorities (``extract.places``)
    knows under another name ("Hull", "Sandwell Children's Trust", "City of London") gives the
    table's name; see ``canonical_authority``."""
    return canonical_authority(printed)[1]


def canonical_authority(printed: str) -> tuple[str | None, str]:
    """(table name or None, provider display name) for a printed authority name.

    The table name is the local authority as Ofsted's search form lists it
    (``extract.places``); None when the table does not know the name (the caller flags it).
    The display name keeps the printed wording, title-cased, when it is the same name as the
    table's; where the print is a short form, a trust or otherwise another name, the table's
    name wins (title-cased likewise)."""
    cleaned = _clean_printed(printed)
    stripped = _strip_council_words(cleaned)
    found = None
    for candidate in (cleaned, stripped, _NAME_SUFFIXES.sub("", cleaned).strip(" ,.")):
        found = places.lookup(candidate)
        if found:
            break
    if found is None:
        display = stripped
    elif places.normalise(stripped) == places.normalise(found[1]):
        display = stripped
    else:
        display = found[1]
    if display.lower() in _OFSTED_NAMES:
        display = _OFSTED_NAMES[display.lower()]
    else:
        display = _title(display)
    return (found[1] if found else None), display


def name_before(page: str, title: str) -> str | None:
    """The authority's name printed on the lines just above a title (``title``: a regex the
    title line starts with): one, two or three lines joined ("Metropolitan Borough of
    Barnsley" / "Council"), the shortest join the table knows; else the line(s) as printed
    (the caller flags a name the table does not know). None when there is no such title."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if re.match(title, line, re.I):
            break
    else:
        return None
    above = [line for line in lines[max(0, index - 3):index] if not re.fullmatch(r"\d+", line)]
    for count in range(1, len(above) + 1):
        joined = " ".join(above[-count:])
        if canonical_authority(joined)[0]:
            return joined
    return " ".join(above) or None


def heading_name(page: str, marker: str) -> str | None:
    """The name after a heading's opening words ("Focused visit to Bristol City Council"),
    with the heading's next line when the heading wraps, never the letter's first sentence."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        match = re.match(marker + r"\s+(.+)$", line, re.I)
        if match:
            name = match.group(1)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if (not re.search(r"services?$", name, re.I) and following
                    and len(following) < 40 and not re.match(r"(?:This|Dear|Between)\b",
                                                             following)):
                name += " " + following
            return name
    return None


def authority_in(text: str) -> str | None:
    """The one local authority the table knows that ``text`` names (longest name wins where
    one contains another: "North Somerset", not "Somerset"), or None when none or several."""
    return places.only_authority_in(text)


def local_authority(printed: str) -> str:
    return f"{la_name(printed)} (local authority)"


def set_provider(report: Report, printed: str | None, kind: str = "(local authority)") -> None:
    """provider_name "<name> <kind>" and local_authority from the printed name.

    ``local_authority`` is the name in the table of English local authorities (the name as
    Ofsted's listing gives it). A printed name the table does not know is kept as read, and
    the report is flagged; so is a name found only inside a longer phrase (a sentence or a
    salutation read where the title should be)."""
    if not printed:
        return
    table_name, display = canonical_authority(printed)
    if table_name is None:
        inside = authority_in(printed)
        if inside:
            table_name, display = canonical_authority(inside)
            report.flag(f"local authority name read from the phrase '{flat(printed)[:80]}'; "
                        f"taken as {table_name}")
        else:
            report.flag(f"local authority '{display}' is not in the table of English local "
                        "authorities; kept as printed")
    report.local_authority = table_name or display
    report.provider_name = f"{display} {kind}"


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
