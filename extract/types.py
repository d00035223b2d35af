"""The registry of report types: one entry per kind of report the extractor returns.

Every other table of report types is derived from this one: the crawler's scopes and the
replica's provider categories (``CATEGORIES``), the labels messages and pages show, and the
provider types a subscription may filter on. Adding a report type (a new school report card, a
new provider category) is adding one ``ReportType`` here.

``slug`` is the ``report_type`` an extraction carries; ``label`` is what a person reads
("children's home"); ``category`` is the provider category the search site lists it under
(``CATEGORIES``); ``scales`` are the grade scales its judgements use (``extract.grades``);
``confirmed`` says whether the layout has been read and checked on real published PDFs.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """A provider category as reports.ofsted.gov.uk lists it.

    ``label`` is the category text on the results page; ``page_code`` the first path segment of
    the provider page (``/provider/{page_code}/{urn}``); ``level_1`` / ``level_2`` the search
    parameters that select it (SITE.md: 3/11 and 3/12 are known; the other level_2 codes are
    guesses, and a wrong one fails a scoped crawl loudly, never silently)."""
    slug: str
    label: str
    page_code: str
    level_1: str
    level_2: str | None


@dataclass(frozen=True)
class ReportType:
    slug: str
    label: str
    category: str          # Category.slug
    scales: tuple[str, ...]
    confirmed: bool = False


CATEGORIES: dict[str, Category] = {c.slug: c for c in (
    Category("childrens-home", "Children's home", "2", "3", "11"),
    Category("secure-childrens-home", "Secure children's home", "2", "3", "11"),
    Category("la-childrens-services", "Local authority children's services", "44", "3", "12"),
    Category("residential-special-school", "Residential special school", "2", "3", "13"),
    Category("fostering-agency", "Independent fostering agency", "2", "3", "14"),
    Category("adoption-agency", "Voluntary adoption agency", "2", "3", "15"),
    Category("residential-family-centre", "Residential family centre", "2", "3", "16"),
    Category("supported-accommodation", "Supported accommodation", "2", "3", "17"),
    Category("primary", "Primary", "21", "1", "1"),
    Category("secondary", "Secondary", "23", "1", "2"),
    Category("special-school", "Special school", "25", "1", None),
    Category("independent-school", "Independent school", "27", "1", None),
    Category("boarding-school", "Boarding school", "1", "1", None),
    Category("further-education", "Further education and skills", "1", "1", None),
    Category("nursery", "Nursery", "16", "2", None),
    Category("childminder", "Childminder", "17", "2", None),
)}

_FOUR = ("four_point",)
TYPES: dict[str, ReportType] = {t.slug: t for t in (
    ReportType("childrens-home", "children's home", "childrens-home",
               ("four_point", "interim"), confirmed=False),
    ReportType("secure-childrens-home", "secure children's home", "secure-childrens-home",
               ("four_point", "interim")),
    ReportType("residential-special-school", "residential special school",
               "residential-special-school", _FOUR),
    ReportType("fostering-agency", "fostering agency", "fostering-agency", _FOUR),
    ReportType("adoption-agency", "adoption agency", "adoption-agency", _FOUR),
    ReportType("adoption-support-agency", "adoption support agency", "adoption-agency", _FOUR),
    ReportType("residential-family-centre", "residential family centre",
               "residential-family-centre", _FOUR),
    ReportType("boarding-school", "boarding school", "boarding-school", _FOUR),
    ReportType("residential-holiday-scheme", "residential holiday scheme for disabled children",
               "residential-special-school", _FOUR),
    ReportType("ilacs", "local authority children's services", "la-childrens-services", _FOUR,
               confirmed=True),
    ReportType("la-sif", "local authority children's services", "la-childrens-services",
               _FOUR, confirmed=True),
    ReportType("la-lac-2013", "local authority children's services", "la-childrens-services",
               _FOUR, confirmed=True),
    ReportType("la-safeguarding-progress-2009", "local authority children's services",
               "la-childrens-services", _FOUR, confirmed=True),
    ReportType("la-focused-visit", "local authority children's services",
               "la-childrens-services", (), confirmed=True),
    ReportType("la-monitoring-visit", "local authority children's services",
               "la-childrens-services", ()),
    ReportType("jtai", "local area (joint targeted area inspection)", "la-childrens-services",
               (), confirmed=True),
    ReportType("area-send-2016", "local area (SEND)", "la-childrens-services", ()),
    ReportType("area-send", "local area (SEND)", "la-childrens-services", ("send",),
               confirmed=True),
    ReportType("lscb-review", "local safeguarding children board", "la-childrens-services",
               _FOUR),
    ReportType("school-s5", "school", "primary", _FOUR, confirmed=True),
    ReportType("school-s8", "school", "primary", ()),
    ReportType("school-report-card", "school", "primary", ("report_card", "safeguarding")),
    ReportType("school-eif", "school", "primary", ("four_point", "safeguarding")),
    ReportType("school-ungraded", "school", "primary", ("ungraded_outcome", "safeguarding")),
    ReportType("further-education", "further education and skills provider",
               "further-education", ("four_point", "skills_needs", "ungraded_outcome",
                                     "safeguarding")),
    ReportType("further-education-report-card", "further education and skills provider",
               "further-education", ("report_card", "safeguarding")),
    ReportType("early-years", "early years setting", "nursery", ("four_point", "safeguarding")),
    ReportType("early-years-report-card", "early years setting", "nursery",
               ("report_card", "safeguarding")),
)}

#: What ``crawl --scope`` accepts as its kind → the search parameters it sends.
SCOPES: dict[str, list[tuple[str, str]]] = {
    "social-care": [("level_1_types", "3")],                 # homes, LA services, agencies...
    "childrens-homes": [("level_1_types", "3"), ("level_2_types", "11")],
    "la-childrens-services": [("level_1_types", "3"), ("level_2_types", "12")],
    "schools": [("level_1_types", "1")],
    "early-years": [("level_1_types", "2")],
    "all": [],
}


def label(slug: str | None, default: str = "provider") -> str:
    """A report type's name for people ("children's home"), else ``default``."""
    found = TYPES.get(slug or "")
    return found.label if found else default


def category_for_label(text: str | None) -> Category | None:
    """The category whose site label is ``text`` (case-insensitive)."""
    wanted = (text or "").strip().lower()
    return next((c for c in CATEGORIES.values() if c.label.lower() == wanted), None)
