"""Header rows and column names of Ofsted's official social-care statistics, across their years.

The files (``../shared/mi/README.md``) change shape from year to year: a byte-order mark or not,
a group row ("Provider information, …, Latest Full Inspection") or three preamble lines before the
header, and the same column spelt several ways ("Reg Status" / "Registration Status" /
"Registration status" / "Provider status"; "Inspection ID" / "Event number" / "Inspection event
number"; "Latest full inspection date"; even "Latest full inspectio health services").

``find_header`` finds the header row wherever it starts; ``match_columns`` maps its cells to the
fields the importer knows. A header is folded (``fold``: lower case, one space, no BOM) and the
prefixes "latest full inspection" / "inspection" are tried off, so a new year's prefix does not
need a new spelling here.

Judgement columns map to the extractor's area keys (``extract/families/social_care_tables.py``)
so an official row and a PDF's judgements compare directly. The headline column
("Overall experiences and progress …", before 2017 "Overall effectiveness") is stored as the
monitor's ``overall`` area (``monitor.history.OVERALL``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import MIError

#: field -> folded spellings seen in the files (2013-14 … 2022-23)
FIELDS: dict[str, tuple[str, ...]] = {
    "urn": ("urn", "provider urn"),
    "provision_type": ("provision type", "provider type"),
    "status": ("registration status", "reg status", "provider status"),
    "registration_date": ("registration date",),
    "name": ("name", "setting name", "provider name"),
    "local_authority": ("local authority",),
    "region": ("government office region", "government_office_region_name", "region"),
    "sector": ("sector",),
    "places": ("places",),
    "owner": ("organisation which owns the provider", "organisation"),
    "event_type": ("event type", "inspection event type", "event type group", "inspection type"),
    "inspection_date": ("inspection date", "event date"),
    "publication_date": ("publication date", "inspection publication date"),
    "event_number": ("event number", "inspection event number", "inspection id"),
}

#: columns that look like fields but must never be read (addresses are never stored)
IGNORED = ("address", "town", "county", "postcode", "web link", "constituency", "linked")

#: folded judgement column -> area key (the extractor's keys; others by their own name)
JUDGEMENTS: dict[str, str] = {
    # social care common inspection framework (from April 2017; 2018-19 on in these files)
    "overall experiences and progress of children and young people":
        "overall_experiences_and_progress",
    "how well children and young people are helped and protected": "help_and_protection",
    "the effectiveness of leaders and managers": "leaders_and_managers",
    "outcomes in education and related learning activities": "education",
    "health services": "health",
    # earlier frameworks (the 2015-2017 children's-home judgements are printed in these columns
    # too: see ``framework_areas``)
    "overall effectiveness": "overall_effectiveness",
    "outcomes for children and young people": "outcomes",
    "quality of care": "quality_of_care",
    "safeguarding children and young people": "safety",
    "the safety of children and young people": "safety",
    "leadership and management": "leadership_and_management",
    # 2013-14 columns of agencies, schools and colleges (national minimum standards era)
    "experiences and progress of, and outcomes for, children and young people": "outcomes",
    "quality of service": "quality_of_service",
    "outcomes for service users": "outcomes_for_service_users",
    "helping children to be healthy": "being_healthy",
    "protecting children from harm or neglect and helping them stay safe": "staying_safe",
    "helping children to make a positive contribution": "positive_contribution",
    "achieving economic wellbeing": "economic_wellbeing",
    "quality of assessment": "quality_of_assessment",
    "quality of care, support and guidance": "quality_of_care_support_and_guidance",
    "safeguarding": "safeguarding",
    "outcomes for residential pupils": "outcomes_for_residential_pupils",
    "quality of residential provision and care": "quality_of_residential_provision",
    "residential pupils' safety": "residential_pupils_safety",
    "leadership and management of residential provision": "leadership_of_residential_provision",
    "outcomes for boarders": "outcomes_for_boarders",
    "quality of boarding provision and care": "quality_of_boarding_provision",
    "boarders' safety": "boarders_safety",
    "leadership and management of boarding": "leadership_of_boarding",
    "outcomes for young people": "outcomes_for_young_people",
}

#: the headline judgement's column keys, best first
HEADLINES = ("overall_experiences_and_progress", "overall_effectiveness")

#: In 2015-2017 (and for agencies and schools in 2017-18) the April 2015 and SCCIF judgements of
#: children's homes are printed under the old column names. A row from 1 April 2015 whose
#: "Outcomes" and "Quality of care" are empty (or a children's home's row) means these:
FRAMEWORK_2015 = {"overall_effectiveness": "overall_experiences_and_progress",
                  "safety": "help_and_protection",
                  "leadership_and_management": "leaders_and_managers"}
CHILDRENS_HOME_TYPES = ("Children's home", "Secure children's home",
                        "Residential special school (registered as a children's home)")
#: … and a secure children's home's "Outcomes for children and young people" there is its
#: education judgement (the 2019 file restates event 10021866's as "Outcomes in education …")
FRAMEWORK_2015_HOMES = {**FRAMEWORK_2015, "outcomes": "education"}

#: Inspection event types as printed → the extractor's inspection kinds (and a few more)
EVENT_TYPES = {
    "full inspection": "full",
    "interim inspection": "interim", "sc interim": "interim",
    "monitoring inspection": "monitoring", "sc monitoring inspection": "monitoring",
    "monitoring visit": "monitoring",
    "assurance visit": "assurance",
    "emergency inspection": "emergency", "emergency visit": "emergency",
    "sc emergency inspection": "emergency",
}

#: Provision types: the spelling stored (the search site's own, ``extract/types.py``), by folded
#: spelling; a type not listed is stored as printed.
PROVISION_TYPES = {
    "children's home": "Children's home",
    "secure children's home": "Secure children's home",
    "residential special school": "Residential special school",
    "residential special school (registered as a children's home)":
        "Residential special school (registered as a children's home)",
    "residential special school (>295 days/year)":
        "Residential special school (registered as a children's home)",
    "independent fostering agency": "Independent fostering agency",
    "independent fostering provider": "Independent fostering agency",
    "voluntary adoption agency": "Voluntary adoption agency",
    "adoption support agency": "Adoption support agency",
    "residential family centre": "Residential family centre",
    "boarding school": "Boarding school",
    "further education college with residential accommodation":
        "Further education college with residential accommodation",
    "residential holiday scheme for disabled children":
        "Residential holiday scheme for disabled children",
    "secure training centre": "Secure training centre",
    "cafcass": "Cafcass",
}

#: Grade wordings accepted in a judgement cell (folded); the token comes from
#: ``extract.grades.grade_token`` so it is the very token the extractor writes.
GRADE_WORDINGS = {
    "outstanding", "good", "adequate", "satisfactory", "inadequate",
    "requires improvement", "requires improvement to be good",
    "improved effectiveness", "sustained effectiveness",
    "declined in effectiveness", "declined effectiveness", "not judged",
}
#: 2013-14 children's-home files code grades as numbers (checked against the 2014-15 file, where
#: the same event numbers carry words): full inspections 1-4, interim outcomes 2-5; 0 = none.
NUMERIC_GRADES = {
    "full": {"1": "outstanding", "2": "good", "3": "adequate", "4": "inadequate"},
    "interim": {"2": "improved effectiveness", "3": "sustained effectiveness",
                "4": "declined effectiveness", "5": "not judged"},
}

HEADER_SEARCH_ROWS = 20


def fold(text) -> str:
    """Header or value → lower case, single spaces, no BOM, no typographic noise."""
    text = str(text or "").replace("\ufeff", "").replace("\u00a0", " ")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\ufffd", " ")
    text = text.replace("\u2013", " ").replace("\u2014", " ")
    return " ".join(text.lower().split())


@dataclass
class Columns:
    """Where each known field and judgement sits in a file's rows (0-based column indexes)."""
    header_row: int                                  # 0-based index of the header row
    fields: dict[str, int] = field(default_factory=dict)
    judgements: list[tuple[int, str, str]] = field(default_factory=list)  # (index, area, label)

    def get(self, row, name):
        index = self.fields.get(name)
        return None if index is None or index >= len(row) else row[index]

    def getter(self, name):
        """A function row -> the field's cell (None when the file has no such column); rows
        must be as wide as the header."""
        index = self.fields.get(name)
        return (lambda row: None) if index is None else (lambda row: row[index])


def _candidates(folded: str):
    """The header itself, then without the prefixes some years add."""
    yield folded
    rest = re.sub(r"^latest full ", "", folded)
    if rest != folded:
        yield rest
    stripped = re.sub(r"^inspection? ", "", rest)  # "inspectio health services" (2022 typo)
    if stripped != rest:
        yield stripped


_FIELD_BY_SPELLING = {spelling: name for name, spellings in FIELDS.items()
                      for spelling in spellings}


def match_columns(header: list, header_row: int = 0) -> Columns:
    """Map a header row's cells to fields and judgement areas. The first column of a spelling
    wins (2016-17 lists "Ofsted Region" before "Government Office Region"; only the latter is
    read)."""
    columns = Columns(header_row=header_row)
    seen_areas = set()
    for index, cell in enumerate(header):
        folded = fold(cell)
        if not folded or any(word in folded for word in IGNORED):
            continue
        for candidate in _candidates(folded):
            name = _FIELD_BY_SPELLING.get(candidate)
            if name and name not in columns.fields:
                columns.fields[name] = index
                break
            area = JUDGEMENTS.get(candidate)
            if area and area not in seen_areas:
                seen_areas.add(area)
                columns.judgements.append((index, area, str(cell).strip().lstrip("\ufeff")))
                break
    if "owner" in columns.fields and _header_is_nms(header):
        del columns.fields["owner"]  # 2013-14 agencies: "Organisation" is a judgement there
    return columns


def _header_is_nms(header) -> bool:
    return any(fold(cell) == "outcomes for service users" for cell in header)


def find_header(rows) -> Columns:
    """The first row (within the first 20) with a URN column and an inspection date column.

    ``rows`` is any iterable of lists; only its first rows are looked at."""
    for index, row in enumerate(rows):
        if index >= HEADER_SEARCH_ROWS:
            break
        columns = match_columns(row, index)
        if "urn" in columns.fields and "inspection_date" in columns.fields:
            return columns
    raise MIError(f"no recognisable header (no row with a URN and an inspection date column "
                  f"in the first {HEADER_SEARCH_ROWS} rows)")


@lru_cache(maxsize=256)
def event_kind(text) -> str | None:
    """"SC – Emergency inspection" → emergency; unknown wording → its own folded slug."""
    folded = fold(text)
    if not folded:
        return None
    return EVENT_TYPES.get(folded) or re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


@lru_cache(maxsize=256)
def provision_type(text) -> str | None:
    folded = fold(text)
    if not folded:
        return None
    return PROVISION_TYPES.get(folded, " ".join(str(text).split()))
