"""``/events``: every event, newest first, filterable by kind, local authority, owner, provider
type and publication date; the same list as Atom, CSV and JSON."""
from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request

from .. import exports, words
from ..queries import EventFilters, group_events
from ..render import FORMATS, atom_response, data_links, page, query_string

PAGE_SIZE = 50
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_filters(request: Request) -> tuple[EventFilters, list[str]]:
    """The filters in the query string, and one message per value that was not understood."""
    params = request.query_params
    problems = []
    kinds = []
    for value in params.getlist("kind"):
        for kind in value.split(","):
            kind = kind.strip()
            if kind in words.KINDS:
                kinds.append(kind)
            elif kind:
                problems.append(f"“{kind}” is not a kind of event; showing every kind.")
    dates = {}
    for key in ("since", "until"):
        value = (params.get(key) or "").strip()
        if value and not _DATE.match(value):
            problems.append(f"“{value}” is not a date like 2026-01-31; it was ignored.")
            value = ""
        dates[key] = value or None
    before = params.get("before")
    before = int(before) if before and before.isdigit() else None
    filters = EventFilters(
        kinds=kinds,
        local_authority=(params.get("local_authority") or "").strip() or None,
        owner=(params.get("owner") or "").strip() or None,
        provider_type=(params.get("type") or "").strip() or None,
        since=dates["since"], until=dates["until"], before=before)
    return filters, problems


def describe(filters: EventFilters, directory) -> str:
    parts = []
    if filters.kinds:
        parts.append(" or ".join(words.kind_words(k).lower() for k in filters.kinds))
    for attr, table, word in (("local_authority", directory.authorities, "in"),
                              ("owner", directory.owners, "owned by"),
                              ("provider_type", directory.types, "type")):
        slug = getattr(filters, attr)
        if slug:
            group = table.get(words.slugify(slug))
            parts.append(f"{word} {group.name if group else slug}")
    if filters.since:
        parts.append(f"published from {words.long_date(filters.since)}")
    if filters.until:
        parts.append(f"published up to {words.long_date(filters.until)}")
    return ", ".join(parts)


def events_page(request: Request):
    return _events(request, "html")


def events_data(request: Request):
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise HTTPException(404)
    return _events(request, fmt)


def _events(request: Request, fmt: str):
    store = request.app.state.store
    filters, problems = read_filters(request)
    directory = store.directory()
    described = describe(filters, directory)
    if fmt == "atom":
        filters.before = None
        groups = group_events(store.events(filters, limit=100))
        title = "ofsted-watch: changes in Ofsted outcomes" + (f" ({described})"
                                                               if described else "")
        return atom_response(request, groups, title, "/events",
                             query_string(request, before=None))
    limit = 1000 if fmt in ("csv", "json") else PAGE_SIZE
    events = store.events(filters, limit=limit + 1)
    more = len(events) > limit
    events = events[:limit]
    if fmt == "csv":
        return exports.csv_response(exports.event_records(events), exports.EVENT_CSV_COLUMNS,
                                    "events.csv")
    if fmt == "json":
        data = {"events": exports.event_records(events), "filters": described or None}
        if more:
            data["next"] = "/events.json" + query_string(request, before=str(events[-1]["id"]))
        return exports.json_response(data)
    return page(request, "events.html", {
        "title": "Events" + (f": {described}" if described else ""),
        "events": events, "filters": filters, "described": described, "problems": problems,
        "authorities": sorted(directory.authorities.values(), key=lambda g: g.name.lower()),
        "types": sorted(directory.types.values(), key=lambda g: g.name.lower()),
        "owner_value": request.query_params.get("owner", ""),
        "next": query_string(request, before=str(events[-1]["id"])) if more else None,
        "feeds": data_links(request, "/events"),
        "feed_title": "Events" + (f" ({described})" if described else "") + " (Atom)"})
