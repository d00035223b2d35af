"""What a user types, checked against what is known: local authorities, URNs, owners, types.

A filter that matches nothing must never be saved silently (issue 8): a council that mistypes its
own name would be unprotected without knowing it. So every value is read here before it is stored
or searched for, and refused with one line — the closest known names suggested — when it means
nothing:

  local authority  the 153 English councils of ``extract.places`` by name, DfE code, common short
                   form ("Staffs") or the old name of a merged council ("Poole"), compared without
                   case, punctuation or council words ("Staffordshire County Council");
  URN              digits, ``SC`` + digits or ``EY`` + digits, normalised (``sc 123456`` →
                   ``SC123456``); a URN the history has not seen yet is accepted with a warning;
  owner            a registered provider company named in the history (``providers.owner``,
                   ``reports.owner``), compared folded ("Harmony Childcare Ltd" = "HARMONY
                   CHILDCARE LIMITED"); an unknown one only when the caller says it is new;
  provider type    one of ``PROVIDER_TYPES``: the provider categories of ``extract.types``.

The same folding serves both sides: ``place_keys``/``owner_key``/``type_keys`` turn a stored
filter and a provider's details into comparable keys (``monitor.subscriptions.Filter``).
"""
from __future__ import annotations

import csv
import difflib
import io
import re
from functools import lru_cache
from pathlib import Path

from extract import places, types

__all__ = ["FilterError", "PROVIDER_TYPES", "local_authority", "owner", "provider_type", "urn",
           "urns", "urns_from_file"]


class FilterError(ValueError):
    """A filter value that would match nothing; the message says why and what is close."""


def fold(text: str | None) -> str:
    """Lower case, apostrophes dropped, ``&`` → and, every other mark a space."""
    text = (text or "").lower().replace("\u2019", "'").replace("'", "").replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _suggest(wanted: str, known: dict[str, str], n: int = 3) -> str:
    """', did you mean A, B or C?' from ``known`` (folded key → shown name), or ''."""
    keys = difflib.get_close_matches(fold(wanted), list(known), n=n * 2, cutoff=0.6)
    names = list(dict.fromkeys(known[k] for k in keys))[:n]
    if not names:
        return ""
    if len(names) == 1:
        return f"; did you mean {names[0]!r}?"
    return "; did you mean " + ", ".join(repr(x) for x in names[:-1]) + f" or {names[-1]!r}?"


# ---- local authorities ------------------------------------------------------------------------

_COUNCIL_WORDS = re.compile(
    r"\b(?:city and county council|county borough council|metropolitan borough council|"
    r"metropolitan district council|borough council|county council|city council|"
    r"district council|unitary authority|council|london borough of|royal borough of|"
    r"metropolitan borough of|borough of|county of|local authority|children s services|"
    r"childrens services|cc|mbc|lbc|rbc|bc|dc|ua|la)\b")


@lru_cache(maxsize=8192)
def _authority(text: str | None) -> tuple[str, str, str] | None:
    """(DfE code, table name, region) for a name, short form, old name or DfE code; None."""
    if not text or not text.strip():
        return None
    raw = text.strip()
    code = places.FORMER_CODES.get(raw, raw)
    if code.isdigit():
        name = places.la_name(code)
        return places.lookup(name) if name else None
    folded = fold(raw)
    candidates = [raw, folded, " ".join(_COUNCIL_WORDS.sub(" ", folded).split())]
    bare = candidates[-1]
    candidates += [re.sub(r"^city of ", "", bare), re.sub(r" city$", "", bare)]
    for candidate in candidates:
        found = places.lookup(candidate)
        if found:
            return found
    return None


def _authority_names() -> dict[str, str]:
    known = {fold(name): name for _, name, _ in places.LOCAL_AUTHORITIES}
    for alias, target in places.ALIASES.items():
        found = places.lookup(target)
        if found and len(alias) > 3:
            known.setdefault(fold(alias), found[1])
    return known


def local_authority(text: str) -> str:
    """The council's name as Ofsted's search form lists it; FilterError for anything else."""
    found = _authority(text)
    if found:
        return found[1]
    what = (text or "").strip()
    if what.isdigit():
        raise FilterError(f"local authority {what!r}: no English council has this DfE code "
                          f"(e.g. 860 is Staffordshire)")
    raise FilterError(f"local authority {what!r}: not an English council"
                      + (_suggest(what, _authority_names()) or
                         " (use its name, e.g. 'Staffordshire', or its DfE code, e.g. 860)"))


@lru_cache(maxsize=8192)
def place_keys(text: str | None) -> frozenset[str]:
    """The keys a stored local-authority filter matches: the council's table name, and for a
    retired council the councils that took over its area; a name the table does not know
    (an old subscription) compares folded."""
    if not text:
        return frozenset()
    found = _authority(text)
    if not found:
        return frozenset({place_key(text)})
    return frozenset({found[1], *places.SUCCESSORS.get(found[1], ())})


@lru_cache(maxsize=8192)
def place_key(text: str | None) -> str:
    """A provider's local authority as a key ``place_keys`` can contain."""
    found = _authority(text)
    if found:
        return found[1]
    return " ".join(_COUNCIL_WORDS.sub(" ", fold(text)).split())


# ---- URNs -------------------------------------------------------------------------------------

_URN = re.compile(r"^(SC|EY)?(\d{5,8})$")


def urn(text: str) -> str:
    """A URN as Ofsted writes it: ``123456``, ``SC123456``, ``EY123456`` (any case, spaces or
    dashes inside are dropped); FilterError otherwise."""
    value = re.sub(r"[\s\-_.]+", "", (text or "")).upper()
    if not _URN.match(value):
        raise FilterError(f"URN {(text or '').strip()!r}: not a URN (Ofsted's are digits, "
                          f"SC + digits or EY + digits, e.g. 123456, SC123456, EY123456)")
    return value


def urns(values) -> list[str]:
    """URNs from one or several options, each possibly a comma- or space-separated list."""
    found = []
    for value in values or ():
        for part in re.split(r"[,;]+", value or ""):
            if not part.strip():
                continue
            try:
                found.append(urn(part))            # "SC 123456": one URN with a space
            except FilterError:
                words = part.split()
                if len(words) < 2:
                    raise
                found.extend(urn(word) for word in words)   # "SC123456 SC654321"
    return list(dict.fromkeys(found))


def urns_from_file(path: str | Path) -> list[str]:
    """URNs from a file: one a line, or a CSV with a column headed URN (any case). Blank lines
    and lines starting with ``#`` are skipped; a bad URN is refused with its line number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FilterError(f"--urn-file {path}: not a text file") from None
    except OSError as exc:
        raise FilterError(f"--urn-file {path}: {exc.strerror or exc}") from None
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)
            if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
    column = 0
    if rows:
        header = [fold(c) for c in rows[0][1]]
        named = [i for i, c in enumerate(header) if c in ("urn", "unique reference number")]
        if named:
            column = named[0]
            rows = rows[1:]
        elif len(header) > 1 or not _URN.match(re.sub(r"[\s\-_.]+", "", rows[0][1][0]).upper()):
            if len(header) > 1:
                raise FilterError(f"--urn-file {path}: a CSV needs a column headed URN")
            rows = rows[1:]                      # a one-column file with a header of its own
    found = []
    for n, row in rows:
        cell = row[column] if column < len(row) else ""
        if not cell.strip():
            continue
        try:
            found.append(urn(cell))
        except FilterError as exc:
            raise FilterError(f"--urn-file {path}, line {n}: {exc}") from None
    if not found:
        raise FilterError(f"--urn-file {path}: no URNs in it")
    return list(dict.fromkeys(found))


def unknown_urns(db, wanted: list[str]) -> list[str]:
    """The URNs among ``wanted`` that the history has not seen (no provider, no report)."""
    from .sql import rows_in
    known = {row[0].upper() for row in rows_in(
        db, "select urn from providers where urn in ({marks})", wanted)}
    known |= {row[0].upper() for row in rows_in(
        db, "select distinct urn from reports where urn in ({marks})", wanted)}
    return [u for u in wanted if u not in known]


# ---- owners -----------------------------------------------------------------------------------

_COMPANY_WORDS = re.compile(r"\b(?:the|ltd|limited|plc|public limited company|llp|cic|cio|"
                            r"company|co|uk)\b")


@lru_cache(maxsize=8192)
def owner_key(text: str | None) -> str:
    """A company name folded so that spellings of one name compare equal: "Harmony Childcare
    Ltd", "HARMONY CHILDCARE LIMITED" and "Harmony Childcare" all give "harmony childcare"."""
    return " ".join(_COMPANY_WORDS.sub(" ", fold(text)).split())


def known_owners(db) -> dict[str, str]:
    """Owners the history names: folded key → the spelling seen most often."""
    counts: dict[str, dict[str, int]] = {}
    for name, n in db.execute(
            "select owner, count(*) from (select owner from providers union all "
            "select owner from reports) where owner is not null and owner != '' group by owner"):
        counts.setdefault(owner_key(name), {})[name] = n
    return {key: max(spellings, key=lambda s: (spellings[s], s))
            for key, spellings in counts.items() if key}


def owner(db, text: str, *, new: bool = False) -> str:
    """The owner as the history spells it; FilterError for a company the history has never
    seen, unless ``new`` (the user means a company not seen yet: kept as typed)."""
    wanted = (text or "").strip()
    key = owner_key(wanted)
    if not key:
        raise FilterError(f"owner {wanted!r}: give the registered provider's name")
    known = known_owners(db)
    if key in known:
        return known[key]
    if new:
        return wanted
    close = _suggest(key, {k: v for k, v in known.items()})
    if not close:
        contained = sorted({v for k, v in known.items() if key in k})[:3]
        close = ("; did you mean " + " or ".join(repr(c) for c in contained) + "?"
                 if contained else "")
    raise FilterError(f"owner {wanted!r}: no provider in the history has this owner{close} "
                      f"(add --new-owner to follow a company not seen yet)")


# ---- provider types ---------------------------------------------------------------------------

#: What ``--provider-type``/``--type`` accepts: the provider categories of the report-type
#: registry (slug → the label the site shows).
PROVIDER_TYPES: dict[str, str] = {slug: c.label for slug, c in types.CATEGORIES.items()}


@lru_cache(maxsize=8192)
def _type_slug(text: str | None) -> str | None:
    folded = fold(text)
    if not folded:
        return None
    dashed = folded.replace(" ", "-")
    if dashed in PROVIDER_TYPES:
        return dashed
    for slug, label in PROVIDER_TYPES.items():
        if fold(label) == folded:
            return slug
    if dashed in types.TYPES:                      # a report type's slug → its category
        return types.TYPES[dashed].category
    return None


def provider_type(text: str) -> str:
    """A provider category's slug ("childrens-home") from its slug or its label ("Children's
    home"); FilterError for anything else, listing the choices."""
    found = _type_slug(text)
    if found:
        return found
    wanted = (text or "").strip()
    known = {fold(s.replace("-", " ")): s for s in PROVIDER_TYPES}
    known.update({fold(label): slug for slug, label in PROVIDER_TYPES.items()})
    close = [s for s in PROVIDER_TYPES if fold(wanted) and fold(wanted) in fold(s.replace("-", " "))]
    hint = (_suggest(wanted, known) if not close else
            "; did you mean " + ", ".join(repr(c) for c in close[:-1])
            + (" or " if len(close) > 1 else "") + repr(close[-1]) + "?")
    raise FilterError(f"provider type {wanted!r}: not a type Ofsted lists{hint} "
                      f"(choose from {', '.join(PROVIDER_TYPES)})")


@lru_cache(maxsize=8192)
def type_keys(*values: str | None) -> frozenset[str]:
    """A provider's type, category and report type as the keys a type filter compares."""
    keys = set()
    for value in values:
        if not value:
            continue
        slug = _type_slug(value)
        keys.add(slug or fold(value).replace(" ", "-"))
    return frozenset(keys)


@lru_cache(maxsize=8192)
def type_key(text: str | None) -> str:
    """A stored type filter's key (an old subscription's free text compares folded)."""
    return _type_slug(text) or fold(text).replace(" ", "-")
