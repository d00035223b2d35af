"""Inspection dates as printed in reports → ISO (first day, last day).

Forms seen in real reports: "10 to 21 July 2023", "6 July 2015 – 30 July 2015",
"12/09/2016 to 06/10/2016", "20 June 2017 ─ 13 July 2017", "8 – 12 July 2013",
"28 February to 3 March 2023", "30 June 2020", "19/02/2020", day lists across months
("28 February, 1 and 2 March 2022"), lists with gaps ("15, 16 and 21 July 2021"), two blocks
("8 to 12 March and 22 to 26 March 2021"), abbreviated months ("18 Feb 2019", "Sept"),
"15 and 16 of May 2019", and letters that print no year ("on 4 and 5 November"), whose year
comes from the letter's own date. Dashes are folded to "-" by grades.normalise_text first.

What the two dates mean (docs/extract.md): ``first`` is the earliest day printed and ``last``
the latest — for an inspection in two blocks, the first day of the first block and the last
day of the last block; days in between that were not inspected do not matter. A printed range
whose start comes after its end is kept as printed and reported as a problem, never reordered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], start=1)}
_ABBREVIATIONS = {name[:3]: number for name, number in MONTHS.items()} | {"sept": 9}
_MONTH = (r"(?:" + "|".join(MONTHS) + "|" + "|".join(sorted(_ABBREVIATIONS, key=len,
                                                            reverse=True)) + r")\.?")

#: The longest span, first to last day in calendar days, that an inspection of each report
#: type has: a longer printed span is a misprint or a misread (``span_problem``).
MAX_SPAN_DAYS = {
    "ilacs": 14,            # standard: two weeks on site (11 days); short: one week
    "la-sif": 35,           # four weeks on site (21–27 days in the corpus)
    "la-lac-2013": 21,
    "la-focused-visit": 10,  # two days on site; assurance visits up to a week
    "la-monitoring-visit": 10,
    "jtai": 21,
    "area-send": 21, "area-send-2016": 21,
    "lscb-review": 35,
    "school-s5": 5, "school-eif": 5, "school-ungraded": 5, "school-report-card": 7,
    "early-years": 7, "early-years-report-card": 7,
    "further-education": 14, "further-education-report-card": 14,
    "childrens-home": 7, "secure-childrens-home": 10, "residential-special-school": 10,
    "fostering-agency": 14,
}

_TOKEN = re.compile(
    r"(?P<numeric>\d{1,2})/(?P<nmonth>\d{1,2})/(?P<nyear>\d{4}|\d{2})(?!\d)"
    r"|(?P<year>\d{4})(?!\d)"
    r"|(?P<day>\d{1,2})(?:st|nd|rd|th)?(?![\d/])"
    rf"|(?P<month>{_MONTH})(?![a-z])"
    r"|(?P<range>-|to|until|till)(?![a-z])"
    r"|(?P<list>,|and|&|of)(?![a-z])"
    r"|(?P<space>\s+)",
    re.I)


_KINDS = ("numeric", "year", "day", "month", "range", "list", "space")


@dataclass
class DateSpan:
    """Every day a report prints for its inspection, read from one date expression."""
    printed_first: str | None = None        # the first day as printed (ISO)
    printed_last: str | None = None         # the last day as printed (ISO)
    days: list[str] = field(default_factory=list)   # every day printed, in printed order
    blocks: int = 0                          # separate runs of days ("8 to 12 and 22 to 26")
    year_from_context: bool = False          # no year printed: taken from the letter's date

    @property
    def first(self) -> str | None:
        return min(self.days) if self.days and self.ordered else self.printed_first

    @property
    def last(self) -> str | None:
        return max(self.days) if self.days and self.ordered else self.printed_last

    @property
    def ordered(self) -> bool:
        return list(self.days) == sorted(self.days)


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    return MONTHS.get(word) or _ABBREVIATIONS[word[:4] if word[:4] == "sept" else word[:3]]


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _read_from(text: str, start: int, context: date | None) -> DateSpan | None:
    """Read the date expression starting at ``start``: a list of days, ranges and blocks.
    None when no complete date (day, month and year — or a year from ``context``) starts there.
    """
    items: list[list] = []          # [day, month, year, joined_to_previous_by_range]
    complete: list[list] | None = None
    joiner = None
    position = start
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            break
        position = match.end()
        kind = next(name for name in _KINDS if match[name] is not None)
        if kind == "space":
            continue
        if kind == "numeric":
            year = int(match["nyear"]) + (2000 if len(match["nyear"]) == 2 else 0)
            items.append([int(match["numeric"]), int(match["nmonth"]), year, joiner == "range"])
            joiner = None
        elif kind == "day":
            if items and items[-1][1] is None and joiner is None:
                break                   # "3 10": two numbers in a row is not a date list
            if items and items[-1][2] is not None and joiner is None:
                break                   # "14 July 2023 8 August 2023": a second, unjoined date
            items.append([int(match["day"]), None, None, joiner == "range"])
            joiner = None
        elif kind == "month":
            if not items or items[-1][1] is not None:
                break
            for item in reversed(items):
                if item[1] is not None:
                    break
                item[1] = _month_number(match["month"])
            joiner = None
        elif kind == "year":
            if not items or items[-1][1] is None or items[-1][2] is not None:
                break
            for item in reversed(items):
                if item[2] is not None:
                    break
                item[2] = int(match["year"])
            joiner = None
        elif kind == "range":
            if not items:
                break
            joiner = "range"
        elif kind == "list":
            if not items:
                break
            if joiner is None:
                joiner = "list"
        if items and all(item[1] is not None for item in items) and (
                context is not None or all(item[2] is not None for item in items)):
            complete = [list(item) for item in items]
    if complete is None:
        return None
    span = DateSpan()
    if any(item[2] is None for item in complete):
        span.year_from_context = True
        for item in complete:
            if item[2] is None:
                item[2] = context.year
        # A letter dated January about a visit in December: the visit was the year before.
        if any((_iso(item[2], item[1], item[0]) or "") > context.isoformat()
               for item in complete):
            for item in complete:
                item[2] -= 1
    previous = None
    for day, month, year, ranged in complete:
        iso = _iso(year, month, day)
        if iso is None:
            return None
        ordinal = date.fromisoformat(iso).toordinal()
        # a new block: a listed day more than a weekend after the one before
        if previous is None or (not ranged and ordinal - previous > 3):
            span.blocks += 1
        previous = ordinal
        span.days.append(iso)
    span.printed_first, span.printed_last = span.days[0], span.days[-1]
    return span


_START = re.compile(r"(?<![\d/])\d{1,2}(?:st|nd|rd|th)?(?![\d])", re.I)


def read_dates(text: str, context: date | None = None) -> DateSpan | None:
    """The first date expression in ``text`` (whitespace folded), or None.

    ``context``: the date of the letter, for expressions that print no year (focused-visit
    letters: "on 4 and 5 November"); a day after the letter's date is taken as the year before.
    """
    text = re.sub(r"\s+", " ", text)
    for candidate in _START.finditer(text):
        span = _read_from(text, candidate.start(), context)
        if span is not None:
            return span
    return None


def parse_date(text: str) -> str | None:
    """The first single date in ``text`` as ISO, or None ("18 Feb 2019", "19/02/2020")."""
    span = read_dates(text)
    return span.days[0] if span else None


def parse_date_range(text: str, context: date | None = None) -> tuple[str | None, str | None]:
    """(first day, last day) of the first date expression in ``text``; a single day gives the
    same date twice; nothing recognisable gives (None, None). See ``DateSpan`` for lists,
    blocks and a start printed after its end (kept as printed)."""
    span = read_dates(text, context)
    return (span.first, span.last) if span else (None, None)


def span_problem(report_type: str | None, first: str | None, last: str | None) -> str | None:
    """Why the pair (first day, last day) cannot be an inspection of ``report_type``, or None."""
    if not first or not last:
        return None
    if first > last:
        return f"inspection dates: first day {first} is after the last day {last}"
    days = (date.fromisoformat(last) - date.fromisoformat(first)).days
    limit = MAX_SPAN_DAYS.get(report_type or "")
    if limit is not None and days > limit:
        return (f"inspection dates {first} to {last} span {days} days; no {report_type} "
                f"inspection lasts more than {limit}")
    return None
