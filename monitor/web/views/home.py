"""``/``: what the service is and for whom, the search box, the latest serious news."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from .. import exports
from ..queries import EventFilters, group_events
from ..render import FORMATS, atom_response, page

#: What the front page lists: downgrades, enforcement and straight-in inadequate judgements.
HOME_KINDS = ["downgrade", "enforcement", "inadequate"]


def _latest(store, limit: int) -> list[dict]:
    return store.events(EventFilters(kinds=list(HOME_KINDS)), limit=limit)


def home(request: Request):
    store = request.app.state.store
    directory = store.directory()
    groups = group_events(_latest(store, 80), limit=20)
    return page(request, "home.html", {
        "title": "", "groups": groups,
        "n_authorities": len(directory.authorities), "n_owners": len(directory.owners),
        "n_providers": sum(len(g.urns) for g in directory.types.values()),
        "feeds": {fmt: f"/latest.{fmt}" for fmt in ("atom", "csv", "json")},
        "feed_title": "Latest downgrades, enforcement and inadequate judgements (Atom)",
        "subscribe": "/subscribe"})


def latest_data(request: Request):
    store = request.app.state.store
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise HTTPException(404)
    if fmt == "atom":
        return atom_response(request, group_events(_latest(store, 100)),
                             "ofsted-watch: latest downgrades, enforcement and inadequate "
                             "judgements", "/latest")
    events = _latest(store, 200)
    if fmt == "csv":
        return exports.csv_response(exports.event_records(events), exports.EVENT_CSV_COLUMNS,
                                    "latest.csv")
    return exports.json_response({"events": exports.event_records(events)})
