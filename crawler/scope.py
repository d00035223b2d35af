"""What a crawl covers, as search parameters (SITE.md).

A scope is a comma-separated list: at most one kind, then any number of ``la:NAME-or-CODE`` and
``region:NAME-or-CODE``. Examples: ``social-care`` (the default), ``childrens-homes,la:Kent``,
``schools,region:south-east``, ``all,la:886,la:887``.
"""
from __future__ import annotations

from extract import places
from extract.types import SCOPES

#: kind → search parameters (the registry in extract/types.py owns them)
KINDS = SCOPES
DEFAULT = "social-care"


class BadScope(ValueError):
    """One line naming the part of the scope that is wrong."""


def parse_scope(text: str | list | tuple | None) -> tuple[str, list[tuple[str, str]]]:
    """(canonical text, search parameters). Raises BadScope."""
    if isinstance(text, (list, tuple)):
        text = ",".join(text)
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    kind, las, regs = None, [], []
    for part in parts:
        key, sep, value = part.partition(":")
        key = key.strip().lower()
        if not sep:
            name = key.replace("_", "-").replace(" ", "-")
            if name not in KINDS:
                raise BadScope(f"unknown scope {part!r}: use one of {', '.join(KINDS)}, "
                               f"la:NAME, region:NAME")
            if kind and kind != name:
                raise BadScope(f"scope names two kinds ({kind}, {name}); give one")
            kind = name
        elif key in ("la", "local-authority", "local_authority"):
            code = places.la_code(value)
            if not code:
                raise BadScope(f"unknown local authority {value!r} in scope")
            if code not in las:
                las.append(code)
        elif key == "region":
            code = places.region_code(value)
            if not code:
                raise BadScope(f"unknown region {value!r} in scope (E12000001..E12000009 or "
                               f"a name such as 'South East')")
            if code not in regs:
                regs.append(code)
        else:
            raise BadScope(f"unknown scope part {part!r}: use la:NAME or region:NAME")
    kind = kind or DEFAULT
    params = list(KINDS[kind])
    params += [("local_authority[]", code) for code in sorted(las)]
    params += [("region[]", code) for code in sorted(regs)]
    canonical = ",".join([kind] + [f"la:{c}" for c in sorted(las)]
                         + [f"region:{c}" for c in sorted(regs)])
    return canonical, params


#: kinds whose providers another kind's search also lists
_WITHIN = {"childrens-homes": {"social-care", "all"}, "la-childrens-services": {"social-care", "all"},
           "social-care": {"all"}, "schools": {"all"}, "early-years": {"all"}}


def covers(wider: str, scope: str) -> bool:
    """Whether a crawl of canonical scope ``wider`` lists every provider a crawl of ``scope``
    lists (same scope; a kind inside a wider kind; an un-narrowed scope covers its narrowings)."""
    if wider == scope:
        return True
    wide_kind, *wide_parts = wider.split(",")
    kind, *parts = scope.split(",")
    if wide_parts and set(wide_parts) - set(parts):
        return False                 # the wider crawl was narrowed to places this one is not in
    return wide_kind == kind or wide_kind in _WITHIN.get(kind, set())
