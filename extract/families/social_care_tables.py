"""The two tables of a social-care report, read from page text in reading order.

* The judgement table ("Overall experiences and progress of children and young people, taking
  into account | good"). pdfplumber prints each visual line as "<label part> <grade part>";
  PDFium prints the label cell's lines and then the grade cell's lines. Both cells wrap
  ("requires improvement to" / "be good"; labels over two or three lines). A row starts with the
  first words of a known label; later lines add to the row while its label is still a prefix of
  a known label, or while its grade is still unfinished; any other line is prose (the standard
  sentence, which the 2015-2017 layout prints between rows) and closes the row.
* "Recent inspection history": rows "dd/mm/yyyy <type> <judgement>".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..dates import parse_date
from ..grades import grade_token

#: (area key, label as Ofsted prints it). Several labels can share a key across frameworks.
LABELS: list[tuple[str, str]] = [
    # SCCIF (2017 onwards), also fostering agencies, residential special schools, secure homes
    ("overall_experiences_and_progress",
     "Overall experiences and progress of children and young people, taking into account"),
    ("help_and_protection", "How well children and young people are helped and protected"),
    ("leaders_and_managers", "The effectiveness of leaders and managers"),
    ("education", "Children's education and learning"),
    ("health", "Children's health"),
    # April 2015 framework (2015-2017)
    ("overall_experiences_and_progress",
     "The overall experiences and progress of children and young people living in the home are"),
    ("leaders_and_managers", "The impact and effectiveness of leaders and managers"),
    # before April 2015
    ("overall_effectiveness", "Overall effectiveness"),
    ("outcomes", "Outcomes for children and young people"),
    ("quality_of_care", "Quality of care"),
    ("safety", "Safeguarding children and young people"),
    ("safety", "The safety of children and young people"),
    ("leadership_and_management", "Leadership and management"),
]

#: The grade words a table cell may end with (a wrapped cell ends with part of one).
_GRADE_TAIL = re.compile(
    r"\s*\b(requires improvement to be good|requires improvement to|requires improvement"
    r"|improvement to be good|improvement to|to be good|be good"
    r"|outstanding|good|inadequate|adequate)\.?$", re.I)

_HISTORY_ROW = re.compile(r"^(\d{1,2}/\d{1,2}/\d{4})\s+(.+)$")
_HISTORY_JUDGEMENT = re.compile(
    r"\s*\b(requires improvement to be good|requires improvement to|requires improvement"
    r"|outstanding|good|inadequate|adequate|satisfactory"
    r"|(?:improved|sustained|declined)(?: in)? effectiveness|not judged)$", re.I)
_HISTORY_HEADER = re.compile(r"^Inspection date\s+Inspection type\s+Inspection judgement$", re.I)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower().rstrip(":")


_KNOWN = [(key, label, _norm(label)) for key, label in LABELS]


def _is_label_prefix(text: str) -> bool:
    """True when ``text`` (normalised) is a known label or the first whole words of one."""
    return any(known == text or known.startswith(text + " ") for _, _, known in _KNOWN)


def _label_for(text: str) -> tuple[str, str] | None:
    for key, label, known in _KNOWN:
        if known == text:
            return key, label
    return None


@dataclass
class Row:
    label_parts: list[str] = field(default_factory=list)
    grade_parts: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return " ".join(self.label_parts)

    @property
    def grade(self) -> str:
        return " ".join(self.grade_parts)


def split_cells(line: str) -> tuple[str, str]:
    """"How well children and young people are helped requires improvement to" →
    ("How well children and young people are helped", "requires improvement to")."""
    match = _GRADE_TAIL.search(line)
    if not match:
        return line.strip(), ""
    return line[:match.start()].strip(), match.group(1)


def judgement_rows(lines: list[str]) -> list[Row]:
    """Rows of a judgement table from the lines around it. A row whose label is not known reads
    as prose and is dropped: the caller flags a table that lacks a row its layout must have."""
    rows: list[Row] = []
    current: Row | None = None
    lone_grade = None   # a line holding only a grade, not taken by the row before it
    for line in lines:
        label, grade = split_cells(line)
        text = _norm(label)
        if text and _is_label_prefix(text) and (
                current is None or not _is_label_prefix(_norm(current.label + " " + label))):
            # A grade printed on the line above its label (the 2015-2017 first page wraps the
            # label around the grade cell) belongs to this row when the row prints none.
            current = Row([label], [grade] if grade else [lone_grade] if lone_grade else [])
            rows.append(current)
            lone_grade = None
        elif current is not None and (
                (text and _is_label_prefix(_norm(current.label + " " + label)))
                or (not text and grade and _grade_incomplete(current.grade))):
            if text:
                current.label_parts.append(label)
            if grade:
                current.grade_parts.append(grade)
            lone_grade = None
        else:
            lone_grade = grade if not text and grade else None
            current = None  # prose between or after the rows
    return rows


def _grade_incomplete(grade: str) -> bool:
    return bool(re.search(r"\b(to|improvement)$", grade.strip(), re.I)) or not grade.strip()


def read_rows(rows: list[Row]) -> tuple[dict, dict, list[str]]:
    """(judgements {key: token}, labels {key: label as printed}, problems)."""
    judgements: dict[str, str] = {}
    labels: dict[str, str] = {}
    problems: list[str] = []
    for row in rows:
        known = _label_for(_norm(row.label))
        if known is None:
            problems.append(f"judgement label not recognised: {row.label!r}")
            continue
        key, printed = known
        token = grade_token(row.grade) if row.grade else None
        if token is None or token == "not_judged":
            problems.append(f"grade not recognised for {printed!r}: {row.grade!r}")
            continue
        if key in judgements and judgements[key] != token:
            problems.append(f"two different grades printed for {printed!r}")
            continue
        judgements[key] = token
        labels[key] = row.label
    return judgements, labels, problems


def history_rows(lines: list[str]) -> tuple[list[dict], list[str], bool]:
    """Rows of "Recent inspection history" from the lines after its heading.

    Returns (rows, problems, ran_to_end): ran_to_end is True when the lines ended while still in
    the table, so the table may go on at the top of the next page."""
    rows: list[dict] = []
    problems: list[str] = []
    for line in lines:
        line = line.strip()
        if not line or _HISTORY_HEADER.match(line):
            continue
        match = _HISTORY_ROW.match(line)
        if match:
            rest = match.group(2)
            judgement = _HISTORY_JUDGEMENT.search(rest)
            date = parse_date(match.group(1))
            if not judgement or not date or not rest[:judgement.start()].strip():
                problems.append(f"history row not understood: {line!r}")
                continue
            rows.append({"date": date, "type": rest[:judgement.start()].strip(),
                         "judgement": judgement.group(1)})
            continue
        wrapped = rows and rows[-1]["judgement"].lower().endswith(" to")
        if wrapped and re.fullmatch(r"be good", line, re.I):
            rows[-1]["judgement"] += " " + line
            continue
        return _tokens(rows, problems), problems, False
    return _tokens(rows, problems), problems, True


def _tokens(rows: list[dict], problems: list[str]) -> list[dict]:
    out = []
    for row in rows:
        token = grade_token(row["judgement"])
        if token is None:
            problems.append(f"history judgement not recognised: {row['judgement']!r}")
            continue
        out.append({"date": row["date"], "type": row["type"], "judgement": token})
    return out
