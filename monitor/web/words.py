"""What people read: grade, area, report-type and region words, and the slugs in URLs.

The one place the web pages borrow reference data from the rest of the project (region names,
report-type labels, grade words), so a module that moves is fixed here once.
"""
from __future__ import annotations

import functools
import re
import unicodedata

try:  # the places table moved from the crawler to the extractor
    from extract.places import REGIONS
except ImportError:  # pragma: no cover - older layout
    from crawler.regions import REGIONS  # type: ignore[no-redef]

try:
    from extract import types as _types
except ImportError:  # pragma: no cover - older layout
    _types = None

try:
    from extract.grades import SCALES
except ImportError:  # pragma: no cover
    SCALES = {}

from ..message import AREA_WORDS, ENFORCEMENT_WORDS, GRADE_WORDS

#: The four-point scale, best first, as the chart and the counts show it.
FOUR_POINT = ("outstanding", "good", "requires_improvement", "inadequate")

#: Event kinds, in the order a person cares about them, with what each means.
KINDS = {
    "downgrade": "Downgrade",
    "inadequate": "Rated inadequate",
    "declined": "Declined in effectiveness",
    "enforcement": "Enforcement",
    "upgrade": "Upgrade",
    "published": "New report",
}
KIND_HELP = {
    "downgrade": "a graded area lower than at the previous inspection",
    "inadequate": "inadequate with no earlier comparable grade (straight in at the bottom)",
    "declined": "an interim inspection found it declined in effectiveness",
    "enforcement": "a compliance notice, restriction, suspension or other action named in a "
                   "report",
    "upgrade": "a graded area higher than at the previous inspection",
    "published": "every new inspection report, whatever it says",
}
#: Kinds that say something changed (``published`` only says a report came out).
CHANGE_KINDS = ("downgrade", "inadequate", "declined", "enforcement", "upgrade")


def grade_words(token: str | None) -> str:
    if not token:
        return "not graded"
    return GRADE_WORDS.get(token, token.replace("_", " "))


def short_grade(token: str | None) -> str:
    """A grade in a few words, for tight places (the chart's axis, badges)."""
    if token == "requires_improvement":
        return "requires improvement"
    return grade_words(token)


def grade_rank(token: str | None) -> tuple[str, int] | None:
    """(scale, rank) with rank 1 the best, or None for a token without a scale."""
    found = SCALES.get(token or "")
    if not found or found[0] in ("none", "unknown"):
        return None
    return found


@functools.lru_cache(maxsize=4096)
def grade_class(token: str | None) -> str:
    """A CSS class for a grade (colour is always beside the words, never instead). Cached: a
    long page asks for the same few grades hundreds of times."""
    return "grade-" + re.sub(r"[^a-z_]", "", (token or "none").lower()).replace("_", "-")


def area_words(area: str, label: str | None = None) -> str:
    if area in AREA_WORDS:
        return AREA_WORDS[area]
    if area in ENFORCEMENT_WORDS:
        return ENFORCEMENT_WORDS[area].capitalize()
    return label or area.replace("_", " ").capitalize()


def enforcement_words(token: str) -> str:
    return ENFORCEMENT_WORDS.get(token, token.replace("_", " "))


def type_label(report_type: str | None, provider_type: str | None = None) -> str:
    """"children's home" for a report type slug; else the provider type as the site shows it."""
    default = (provider_type or "provider").strip().lower() or "provider"
    if _types is not None:
        return _types.label(report_type, default)
    return default


def region_name(code: str | None) -> str | None:
    """The crawler stores a region as its ONS code (E12000005): the name people know."""
    if not code:
        return None
    return REGIONS.get(code, code)


@functools.lru_cache(maxsize=65536)
def slugify(name: str | None) -> str:
    """A stable lowercase-hyphen slug of a name as stored ("St Helens" → "st-helens").
    Accents fold to plain letters, "&" reads "and"; a slug of a slug is itself."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


_URN = re.compile(r"^\s*([A-Za-z]{0,2})\s*-?\s*(\d{5,8})\s*$")


def normalise_urn(text: str | None) -> str | None:
    """``sc 123456`` → ``SC123456``; ``2650001`` stays; anything else is not a URN: None."""
    found = _URN.match(text or "")
    if not found:
        return None
    return found.group(1).upper() + found.group(2)


def kind_words(kind: str) -> str:
    return KINDS.get(kind, kind.replace("_", " ").capitalize())


def change_words(event: dict) -> str:
    """What an event says in one phrase: "outstanding → inadequate", "compliance notice"."""
    if event.get("kind") == "enforcement":
        return enforcement_words(event.get("area") or "")
    if event.get("kind") == "published":
        return "new report, " + grade_words(event.get("new_grade"))
    old, new = event.get("old_grade"), event.get("new_grade")
    if old:
        return f"{grade_words(old)} → {grade_words(new)}"
    return grade_words(new)


def headline(events: list[dict]) -> str:
    """One line for a report's events, the most serious first ("Downgraded to inadequate")."""
    order = {"downgrade": 0, "inadequate": 1, "declined": 2, "enforcement": 3, "upgrade": 4}
    graded = [e for e in events if e.get("kind") in order and e.get("kind") != "enforcement"]
    if not any(e.get("kind") in order for e in events):  # only "a new report came out"
        grade = next((e.get("new_grade") for e in events if e.get("new_grade")), None)
        return "New inspection report" + (f": rated {grade_words(grade)}" if grade else "")
    if graded:
        pick = min(graded, key=lambda e: (e.get("area") != "overall", not e.get("serious"),
                                          order.get(e.get("kind"), 9)))
        new = grade_words(pick.get("new_grade"))
        where = "" if pick.get("area") == "overall" else \
            f" ({area_words(pick.get('area') or '').lower()})"
        text = {"downgrade": f"Downgraded to {new}{where}",
                "inadequate": f"Rated {new}{where}",
                "declined": "Declined in effectiveness",
                "upgrade": f"Upgraded to {new}{where}"}.get(pick.get("kind"),
                                                         kind_words(pick.get("kind") or ""))
        if any(e.get("kind") == "enforcement" for e in events):
            text += ", with enforcement"
        return text
    names = [enforcement_words(e.get("area") or "") for e in events
             if e.get("kind") == "enforcement"]
    return "Enforcement: " + ", ".join(dict.fromkeys(names))


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


@functools.lru_cache(maxsize=65536)
def long_date(iso: str | None) -> str:
    """``2024-03-05`` → ``5 March 2024`` (cached: a page of 129 providers asks for many dates
    again and again)."""
    if not iso:
        return "date not known"
    try:
        year, month, day = (int(part) for part in iso[:10].split("-"))
        return f"{day} {MONTHS[month - 1]} {year}"
    except (ValueError, IndexError):
        return iso


def present_event(event: dict) -> dict:
    """Add what a page shows of an event, in words, computed once here rather than by template
    filters in a loop: kind, area and grades in words, CSS classes, link slugs, dates."""
    kind = event.get("kind") or ""
    if kind == "enforcement":
        event["area_words"] = "Enforcement"
        event["what"] = enforcement_words(event.get("area") or "")
    elif kind == "published":
        event["area_words"] = "Headline grade"
        event["what"] = None
    else:
        event["area_words"] = area_words(event.get("area") or "")
        event["what"] = None
    event["kind_words"] = kind_words(kind)
    event["old_words"] = grade_words(event.get("old_grade")) if event.get("old_grade") else None
    event["new_words"] = grade_words(event.get("new_grade"))
    event["old_css"] = grade_class(event.get("old_grade"))
    event["new_css"] = grade_class(event.get("new_grade"))
    event["type_words"] = type_label(event.get("report_type"), event.get("provider_type"))
    event["published_words"] = long_date(event["publication_date"]) \
        if event.get("publication_date") else None
    event["la_slug"] = slugify(event.get("local_authority"))
    event["owner_slug"] = slugify(event.get("owner"))
    return event
