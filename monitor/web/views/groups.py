"""``/local-authority/{slug}`` and ``/owner/{slug}``: every provider in a group, with its
current headline grade, last inspection and direction of travel; counts by grade; a chart; the
group's latest events. ``/local-authority`` and ``/owner`` list the groups."""
from __future__ import annotations

from starlette.requests import Request

from .. import charts, exports, words
from ..queries import EventFilters, group_events
from ..render import atom_response, data_links, not_found, page, split_format

KINDS = {
    "local-authority": {"noun": "local authority", "plural": "Local authorities",
                        "table": "authorities", "filter": "local_authority"},
    "owner": {"noun": "owner", "plural": "Owners (registered providers)",
              "table": "owners", "filter": "owner"},
}
DIRECTION_WORDS = {"improved": "improved", "declined": "declined", "same": "no change",
                   "first": "first graded inspection", "none": "not graded yet"}


def counts_by_grade(providers: list[dict]) -> list[tuple[str, str, int]]:
    counts = {token: 0 for token in words.FOUR_POINT}
    other = 0
    for p in providers:
        grade = p["current_grade"]
        rank = words.grade_rank(grade)
        if rank and rank[0] == "four_point":
            token = "requires_improvement" if rank[1] == 3 else grade
            counts[token] += 1
        else:
            other += 1
    out = [(token, words.short_grade(token), n) for token, n in counts.items()]
    out.append(("none", "other or not graded", other))
    return out


def table_rows(providers: list[dict], kind: str) -> list[tuple]:
    """The providers table, one tuple per row with everything in words: computed here once, so
    the template's loop only unpacks and prints (a long table renders several times faster)."""
    rows = []
    for p in providers:
        place = p["local_authority"] if kind == "owner" else p["owner"]
        place_link = (f"/local-authority/{words.slugify(place)}" if kind == "owner"
                      else f"/owner/{words.slugify(place)}") if place else None
        was = words.grade_words(p["previous_grade"]) if p["previous_grade"] and \
            p["direction"] in ("improved", "declined", "same") else None
        label = words.type_label(p.get("report_type"), p.get("provider_type"))
        rows.append((
            p["urn"], label[:1].upper() + label[1:], place, place_link,
            words.grade_class(p["current_grade"]), words.grade_words(p["current_grade"]),
            words.long_date(p["last_inspection"]) if p["last_inspection"] else "none on record",
            p["direction"], DIRECTION_WORDS[p["direction"]], was))
    return rows


def local_authority_page(request: Request):
    return group_page(request, "local-authority")


def owner_page(request: Request):
    return group_page(request, "owner")


def local_authority_index(request: Request):
    return group_index(request, "local-authority")


def owner_index(request: Request):
    return group_index(request, "owner")


def group_page(request: Request, kind: str):
    info = KINDS[kind]
    raw, fmt = split_format(request.path_params["slug"])
    store = request.app.state.store
    directory = store.directory()
    group = getattr(directory, info["table"]).get(words.slugify(raw))
    if group is None:
        return not_found(request, f"No {info['noun']} called “{raw}” is in this service's "
                                  f"records. Search for it by name below, or browse the list of "
                                  f"{info['plural'].lower()}.", q=raw.replace("-", " "))
    path = f"/{kind}/{group.slug}"
    if fmt == "atom":
        events = store.events(EventFilters(urns=group.urns), limit=100)
        return atom_response(request, group_events(events),
                             f"{group.name}: changes in Ofsted outcomes", path)
    providers = store.provider_summaries(group.urns)
    if fmt == "csv":
        return exports.csv_response(exports.provider_records(providers),
                                    exports.PROVIDER_COLUMNS, f"{kind}-{group.slug}.csv")
    counts = counts_by_grade(providers)
    events = store.events(EventFilters(urns=group.urns), limit=60)
    if fmt == "json":
        return exports.json_response({
            "kind": kind, "slug": group.slug, "name": group.name,
            "counts": {token: n for token, _, n in counts},
            "providers": exports.provider_records(providers),
            "events": exports.event_records(events)})
    return page(request, "group.html", {
        "title": group.name, "kind": kind, "info": info, "group": group,
        "providers": providers, "rows": table_rows(providers, kind), "counts": counts,
        "chart": charts.count_chart(counts),
        "groups": group_events(events)[:15],
        "events_link": f"/events?{info['filter']}={group.slug}",
        "feeds": data_links(request, path, keep_query=False),
        "feed_title": f"{group.name}: changes (Atom)",
        "subscribe": f"/subscribe?{info['filter']}={group.slug}"})


def group_index(request: Request, kind: str):
    info = KINDS[kind]
    table = getattr(request.app.state.store.directory(), info["table"])
    groups = sorted(table.values(), key=lambda g: g.name.lower())
    return page(request, "group_index.html", {"title": info["plural"], "kind": kind,
                                              "info": info, "groups": groups})
