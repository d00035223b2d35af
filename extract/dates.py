"""Inspection date ranges as printed in reports → ISO (first day, last day).

Forms seen: "10 to 21 July 2023", "6 July 2015 – 30 July 2015", "12/09/2016 to 06/10/2016",
"20 June 2017 ─ 13 July 2017", "8 – 12 July 2013", "28 February to 3 March 2023",
"30 June 2020", "19/02/2020". Dashes are folded to "-" by grades.normalise_text first.
"""
from __future__ import annotations

import re
from datetime import date

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], start=1)}
_MONTH = r"(?:" + "|".join(MONTHS) + r")"
_SEP = r"\s*(?:-|to|and|until|–|—|─)\s*"

_DAY_MONTH_YEAR = rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s+(\d{{4}})"
_NUMERIC = r"(\d{1,2})/(\d{1,2})/(\d{4})"

_RANGES = [
    # 6 July 2015 - 30 July 2015 ; 20 June 2017 - 13 July 2017
    (re.compile(_DAY_MONTH_YEAR + _SEP + _DAY_MONTH_YEAR, re.I),
     lambda m: ((m[3], m[2], m[1]), (m[6], m[5], m[4]))),
    # 28 February to 3 March 2023
    (re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH}){_SEP}(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s+(\d{{4}})", re.I),
     lambda m: ((m[5], m[2], m[1]), (m[5], m[4], m[3]))),
    # 10 to 21 July 2023 ; 8 - 12 July 2013
    (re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?{_SEP}(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s+(\d{{4}})", re.I),
     lambda m: ((m[4], m[3], m[1]), (m[4], m[3], m[2]))),
    # 12/09/2016 to 06/10/2016
    (re.compile(_NUMERIC + _SEP + _NUMERIC),
     lambda m: ((m[3], m[2], m[1]), (m[6], m[5], m[4]))),
]
_SINGLE = [
    (re.compile(_DAY_MONTH_YEAR, re.I), lambda m: (m[3], m[2], m[1])),
    (re.compile(_NUMERIC), lambda m: (m[3], m[2], m[1])),
]


def _iso(year: str, month: str, day: str) -> str | None:
    month_number = int(month) if month.isdigit() else MONTHS[month.lower()]
    try:
        return date(int(year), month_number, int(day)).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first single date in ``text`` as ISO, or None."""
    for pattern, parts in _SINGLE:
        match = pattern.search(text)
        if match:
            return _iso(*parts(match))
    return None


def parse_date_range(text: str) -> tuple[str | None, str | None]:
    """(first day, last day) of the first date or date range in ``text``; a single day gives
    the same date twice; nothing recognisable gives (None, None)."""
    text = re.sub(r"\s+", " ", text)
    best = None
    for pattern, parts in _RANGES:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0].start()):
            best = (match, parts)
    single = None
    for pattern, parts in _SINGLE:
        match = pattern.search(text)
        if match and (single is None or match.start() < single[0].start()):
            single = (match, parts)
    if best and (single is None or best[0].start() <= single[0].start()):
        start, end = best[1](best[0])
        return _iso(*start), _iso(*end)
    if single:
        day = _iso(*single[1](single[0]))
        return day, day
    return None, None
