"""Children's homes and other social-care settings (secure children's homes, residential special
schools, independent fostering agencies): SCCIF reports (2017 onwards: full, interim, monitoring,
assurance), the April 2015 framework layout and the pre-April-2015 layout.

Page 1 holds the identity, dates, the judgement table (sometimes split onto page 2), the
last-inspection fields and, in full inspections, the "Recent inspection history". The history
(when not on page 1) and the sentences saying Ofsted took enforcement action are searched for
only up to "Information about this inspection" (``social_care_pages``).

Text comes from PDFium (``doc.fast_text``). A reading that leaves anything for review is done
again from pdfplumber text (``doc.text``), a different engine; the reading with fewer doubts is
kept, and what still cannot be read is flagged for review, never guessed.
"""
from __future__ import annotations

import re

from ..dates import parse_date, parse_date_range
from ..grades import grade_token
from ..result import Report
from .social_care_fields import (ENFORCEMENT_CUE, SENTENCE_CUE, assurance_concerns,
                                 enforcement_sentences, enforcement_tokens, interim_outcome,
                                 is_none)
from .social_care_pages import Pages
from .social_care_tables import history_rows, judgement_rows, read_rows

SCCIF = re.compile(r"Inspected\s+under\s+the\s+social\s+care\s+common\s+inspection\s+framework",
                   re.I)
OLD_HEADER = re.compile(r"^(?:Secure )?Children's homes? (?:interim )?inspection\b", re.I | re.M)

#: "Information about this <setting>" → report_type. Other SCCIF settings are recognised so
#: they are not mistaken for something else, and flagged until someone checks their layout.
SETTINGS = {
    "children's home": "childrens-home",
    "secure children's home": "secure-childrens-home",
    "residential special school": "residential-special-school",
    "independent fostering agency": "fostering-agency",
    "fostering agency": "fostering-agency",
}
OTHER_SETTINGS = {
    "residential family centre": "residential-family-centre",
    "voluntary adoption agency": "adoption-agency",
    "adoption support agency": "adoption-support-agency",
    "boarding school": "boarding-school",
    "residential holiday scheme for disabled children": "residential-holiday-scheme",
}
_KIND = re.compile(r"^(full|interim|monitoring|assurance)\s+(?:inspection|visit)$", re.I)

CORE = ["overall_experiences_and_progress", "help_and_protection", "leaders_and_managers"]
REQUIRED = {
    "sccif": CORE,
    "sccif-secure": CORE + ["education", "health"],
    "2015": CORE,
    "pre2015": ["overall_effectiveness", "outcomes", "quality_of_care", "safety",
                "leadership_and_management"],
}
HEADLINE = {"sccif": "overall_experiences_and_progress", "2015": "overall_experiences_and_progress",
            "pre2015": "overall_effectiveness"}

#: Lines that end the page-1 block (judgement table + last-inspection fields).
_BLOCK_END = re.compile(
    r"^(?:Recent inspection history|What does the .+ need to do to improve|Inspection judgements"
    r"|This inspection|This monitoring visit|This assurance visit|(?:1\. )?Summary of"
    r"|Full report|Information about this)\b", re.I)
_FIELD = re.compile(
    r"^(Date of (?:last|previous) inspection|Overall judgement at last inspection"
    r"|Enforcement action since last inspection):\s*(.*)$", re.I)
_HISTORY_HEADING = re.compile(r"^Recent inspection history$", re.I | re.M)
_HISTORY_ROW_START = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s")
_FOOTER = re.compile(r"^Inspection report\b.*\s\d+$", re.I)


def detect(doc) -> bool:
    text = doc.fast_text(1)
    return bool(SCCIF.search(text) or OLD_HEADER.search(text))


def parse(doc) -> Report:
    """Read from PDFium text; if that leaves anything for review, read again from pdfplumber
    text (a different text engine, ~40 times slower) and keep the reading with fewer doubts."""
    fast = read(Pages(doc, fast=True))
    if not fast.needs_review:
        return fast
    slow = read(Pages(doc, fast=False))
    return slow if len(slow.review_reasons) < len(fast.review_reasons) else fast


def read(pages: Pages) -> Report:
    doc = pages.doc
    report = Report(file=str(doc.path), sha256=doc.sha256)
    lines = pages.lines(1)
    if SCCIF.search(pages.text(1)):
        layout = "sccif"
        block, fields = _read_sccif_page_one(pages, report, lines)
    else:
        pre2015 = any(re.match(r"Overall effectiveness\b", line) for line in lines)
        layout = "pre2015" if pre2015 else "2015"
        block, fields = _read_grid_page_one(pages, report, lines, layout)

    _read_judgements(report, layout, block, pages)
    _read_history(pages, report)
    _read_last_inspection(report, fields, layout)
    _read_enforcement(pages, report, fields)
    if report.inspection_kind is None:
        report.flag("inspection kind not printed")
    if not report.urn:
        report.flag("URN not found on page 1")
    if not report.provider_name:
        report.flag("provider name not found on page 1")
    if not report.inspection_date:
        report.flag("inspection date not found or not a date")
    return report


# --- page 1 ---------------------------------------------------------------------------------

def _read_sccif_page_one(pages, report, lines):
    start = next((i for i, line in enumerate(lines) if line.lower().startswith("inspected under")),
                 None)
    if start is None:
        report.flag("layout not recognised: no line starts 'Inspected under the social care …'")
        return [], {}
    provider = []
    for line in lines[:start]:
        urn = re.match(r"^(?:Unique reference number:?\s*)?(SC\d{6}|\d{6,8})$", line, re.I)
        if urn and not report.urn:
            report.urn = urn.group(1)
        elif _KIND.match(line):
            report.inspection_kind = _KIND.match(line).group(1).lower()
        elif _setting(line.lower()):
            continue  # a residential special school prints its setting where others print a kind
        else:
            provider.append(re.sub(r"^Registered provider:\s*", "", line, flags=re.I))
    report.provider_name = " ".join(provider) or None
    if len(provider) > 2:
        report.flag(f"unexpected lines above the framework line: {provider!r}")
    for line in lines[start:]:
        info = re.match(r"^Information about this (.+?)\.?$", line, re.I)
        if info:
            report.report_type = _setting(info.group(1).lower())
            if report.report_type is None:
                report.flag(f"setting not recognised: {info.group(1)!r}")
            break
    else:
        report.flag("setting not printed ('Information about this …' missing)")
    if report.report_type in OTHER_SETTINGS.values():
        report.flag(f"setting {report.report_type} not checked against a real report")
    if report.report_type != "residential-special-school":
        report.owner = report.provider_name  # page 1 names the registered provider
    dated = next((i for i, line in enumerate(lines)
                  if re.match(r"Inspection dates?:", line, re.I)), None)
    if dated is None:
        return [], {}
    report.inspection_date, report.inspection_end_date = parse_date_range(
        " ".join(lines[dated:dated + 2]).split(":", 1)[1])
    block = _block(pages, lines[dated + 1:],
                   may_spill=report.inspection_kind in ("full", None))
    table, fields = _split_fields(block)
    return table, fields


#: Field labels of the details grid (2015-2017 and pre-2015 layouts).
GRID_LABELS = ["Unique reference number", "Type of inspection", "Provision subtype",
               "Registered provider", "Registered provider address", "Registered person",
               "Registered person address", "Responsible individual", "Registered manager",
               "Inspector", "Inspection date", "Previous inspection judgement",
               "Previous inspection", "Enforcement action since last inspection",
               "Enforcement action"]
_GRID_KNOWN = [label.lower() for label in GRID_LABELS]


def _grid_lines(lines):
    """"Label value" lines. PDFium prints a wrapped label's lines and then its value
    ("Unique reference" / "number" / "SC465103"); pdfplumber prints the value beside the label's
    first line ("Unique reference SC465103" / "number"), which the field patterns allow for."""
    def prefix(text):
        text = text.lower()
        return any(known == text or known.startswith(text + " ") for known in _GRID_KNOWN)

    out, index = [], 0
    while index < len(lines):
        label, after = lines[index], index + 1
        if prefix(label):
            while after < len(lines) and prefix(label + " " + lines[after]):
                label, after = label + " " + lines[after], after + 1
            if label.lower() in _GRID_KNOWN and after < len(lines):
                out.append(f"{label} {lines[after]}")
                index = after + 1
                continue
        out.append(lines[index])
        index += 1
    return out


def _read_grid_page_one(pages, report, lines, layout):
    """The details grid of the 2015-2017 and pre-2015 layouts, then the judgement rows."""
    lines = _grid_lines(lines)
    grid = {}
    for index, line in enumerate(lines):
        for name, pattern in [
                ("urn", r"^Unique reference(?: number)?\s+(SC\d{6}|\d{6,8})\b"),
                ("kind", r"^Type of inspection\s+(\w+)"),
                ("subtype", r"^Provision subtype\s+(.+)$"),
                ("provider", r"^Registered (?:provider|person)\s+(.+)$"),
                ("previous", r"^Previous inspection(?: judgement)?\s+(.+)$"),
                ("enforcement", r"^Enforcement action(?: since(?: last inspection)?)?\s+(.+)$")]:
            match = re.match(pattern, line, re.I)
            if match and name not in grid:
                grid[name] = (index, match.group(1).strip())
    dates = [(i, parse_date(line), line.split(None, 2)[-1]) for i, line in enumerate(lines)
             if re.match(r"^Inspection date\s+\d", line, re.I)]
    report.urn = grid.get("urn", (0, None))[1]
    report.provider_name = report.owner = grid.get("provider", (0, None))[1]
    kind = grid.get("kind", (0, ""))[1].lower()
    known = ("full", "interim", "monitoring", "assurance")
    report.inspection_kind = kind if kind in known else None
    subtype = grid.get("subtype", (0, ""))[1].lower()
    report.report_type = _setting(subtype)
    if report.report_type is None:
        report.flag(f"provision subtype not recognised: {subtype!r}")
    if dates:
        report.inspection_date = report.inspection_end_date = dates[0][1]
    fields = {}
    if "previous" in grid:
        index, value = grid["previous"]
        earlier = [(date, printed) for i, date, printed in dates[1:] if i < index]
        # The pre-2015 grid repeats this inspection's date there: that is no previous date.
        if earlier and earlier[-1][0] != report.inspection_date:
            fields["date of last inspection"] = earlier[-1][1]
        fields["overall judgement at last inspection"] = value
    if "enforcement" not in grid:
        return [], fields
    index, value = grid["enforcement"]
    fields["enforcement action since last inspection"] = value
    if report.inspection_kind not in ("full", None):
        return [], fields
    return _block(pages, lines[index + 1:], stop_early=True), fields


def _block(pages, lines, stop_early=False, may_spill=True):
    """Lines from just after the dates to the first heading that ends the page-1 block; when
    page 1 ends first, the block goes on at the top of page 2 (a table split by a page break) —
    unless page 2 starts with such a heading."""
    for index, line in enumerate(lines):
        if _BLOCK_END.match(line) and not (stop_early and line.lower() == "this inspection"):
            return lines[:index]
    if not may_spill or pages.page_count < 2 or _BLOCK_END.match(pages.first_line(2)):
        return lines
    for index, line in enumerate(more := pages.lines(2)):
        if _BLOCK_END.match(line):
            return lines + more[:index]
    return lines + more


def _split_fields(block):
    """Judgement-table lines, and the "Field: value" lines after them (values may wrap)."""
    table, fields, current = [], {}, None
    for line in block:
        match = _FIELD.match(line)
        if match:
            current = match.group(1).lower()
            fields[current] = match.group(2).strip()
        elif current:
            fields[current] = (fields[current] + " " + line).strip()
        else:
            table.append(line)
    return table, fields


def _setting(text: str) -> str | None:
    text = text.strip().rstrip(".")
    return SETTINGS.get(text) or OTHER_SETTINGS.get(text)


# --- judgements -----------------------------------------------------------------------------

def _read_judgements(report, layout, table_lines, pages):
    kind = report.inspection_kind
    if kind == "interim":
        token, label, problems = interim_outcome(pages.text(1))
        for problem in problems:
            report.flag(problem)
        if token:
            report.judgements["overall_experiences_and_progress"] = token
            report.labels["overall_experiences_and_progress"] = label
            report.overall = None if token == "not_judged" else token
        return
    if kind == "assurance":
        report.concerns, problems = assurance_concerns(pages.text(1))
        for problem in problems:
            report.flag(problem)
        return
    if kind == "monitoring":
        return
    rows = judgement_rows(table_lines)
    judgements, labels, problems = read_rows(rows)
    for problem in problems:
        report.flag(problem)
    if kind is None and judgements:
        report.inspection_kind = kind = "full"  # the judgement table itself shows a full inspection
    if kind != "full":
        return
    required = REQUIRED["sccif-secure" if report.report_type == "secure-childrens-home" else layout]
    missing = [key for key in required if key not in judgements]
    if missing:
        report.flag(f"judgement table incomplete: no {', '.join(missing)}")
    report.judgements, report.labels = judgements, labels
    report.overall = judgements.get(HEADLINE[layout])
    if report.overall is None:
        report.flag("full inspection with no headline grade read")


# --- history, last inspection, enforcement --------------------------------------------------

def _read_history(pages, report):
    found = pages.pages_with(_HISTORY_HEADING)
    if not found:
        return
    page = found[0]
    lines = _body(pages.lines(page))
    heading = next((i for i, line in enumerate(lines) if _HISTORY_HEADING.match(line)), None)
    if heading is None:
        report.flag(f"'Recent inspection history' located on page {page} but not read there")
        return
    rows, problems, ran_to_end = history_rows(lines[heading + 1:])
    while ran_to_end and page < pages.page_count and _HISTORY_ROW_START.match(
            pages.first_line(page + 1)):
        page += 1
        more, more_problems, ran_to_end = history_rows(_body(pages.lines(page)))
        rows += more
        problems += more_problems
    for problem in problems:
        report.flag(problem)
    if not rows and not problems:
        report.flag("'Recent inspection history' has no rows")
    report.history = rows


def _read_last_inspection(report, fields, layout):
    judgement = fields.get("overall judgement at last inspection")
    if judgement is None or is_none(judgement):
        return
    token = grade_token(judgement)
    if token is None:
        report.flag(f"judgement at last inspection not recognised: {judgement!r}")
        return
    printed = fields.get("date of last inspection") or fields.get("date of previous inspection")
    date = parse_date(printed) if printed else None
    if printed and not date:
        report.flag(f"date of last inspection not a date: {printed!r}")
    if date is None and layout == "sccif":
        # Interim and assurance pages print only the judgement: the last inspection is the
        # latest history row with that outcome.
        date = next((row["date"] for row in report.history if row["judgement"] == token), None)
    report.last_inspection = {"date": date, "judgement": token}


def _read_enforcement(pages, report, fields):
    tokens = []
    since = fields.get("enforcement action since last inspection")
    if since is not None and not is_none(since):
        tokens += enforcement_tokens(since)
        if not tokens:
            report.flag(f"enforcement since last inspection not understood: {since!r}")
    for page in pages.pages_with(ENFORCEMENT_CUE):
        if "compliance_notice" in tokens and not SENTENCE_CUE.search(pages.locate_text(page)):
            continue  # only the compliance-notice footnote, and that notice is read already
        text = "\n".join(_body(pages.lines(page)))
        sentences, unfinished = enforcement_sentences(_without_field(text, since))
        if unfinished and page < pages.page_count:
            text += "\n" + "\n".join(_body(pages.lines(page + 1)))
            sentences, _ = enforcement_sentences(_without_field(text, since))
        for sentence in sentences:
            found = enforcement_tokens(sentence)
            if not found:
                report.flag(f"enforcement sentence not understood: {sentence[:80]!r}")
            tokens += found
    report.enforcement = list(dict.fromkeys(tokens))


def _without_field(text: str, since: str | None) -> str:
    """Page text without the "Enforcement action since last inspection" field (read already)."""
    flat = re.sub(r"\s+", " ", text)
    if since:
        flat = flat.replace(f"Enforcement action since last inspection: {since}", "")
    return flat


# --- text helpers ---------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _body(lines: list[str]) -> list[str]:
    """Page lines without the running footer ("Inspection report for …: URN 2" + date line)."""
    out = []
    skip_date = False
    for line in lines:
        if _FOOTER.match(line):
            skip_date = True
            continue
        if skip_date and parse_date_range(line)[0]:
            skip_date = False
            continue
        skip_date = False
        out.append(line)
    return out
