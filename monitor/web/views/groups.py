"""``/local-authority/{slug}`` and ``/owner/{slug}``: every provider in a group, with its
current headline grade, last inspection and direction of travel; counts by grade; a chart; the
group's latest events. ``/local-authority`` and ``/owner`` list the groups."""
from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request

from .. import charts, exports, words
from ..queries import EventFilters, group_events
from ..render import atom_response, data_links, escape_text, not_found, page, split_format

KINDS = {
    "local-authority": {"noun": "local authority", "plural": "Local authorities",
                        "table": "authorities", "filter": "local_authority"},
    "owner": {"noun": "owner", "plural": "Owners (registered providers)",
              "table": "owners", "filter": "owner"},
}
DIRECTION_WORDS = {"improved": "improved", "declined": "declined", "same": "no change",
                   "first": "first graded inspection", "none": "not graded yet"}
ARROWS = {"improved": '<span aria-hidden="true">▲ </span>',
          "declined": '<span aria-hidden="true">▼ </span>'}


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


def table_rows(providers: list[dict], kind: str) -> Markup:
    """The providers table's rows, as HTML: every cell in words, escaped here.

    A local authority lists every provider in it (129 in the median one): built in one pass
    in Python rather than by a template loop, whose autoescaping makes a ``Markup`` object of
    each of the ~1,300 cells — the page renders in about half the time. Every value that comes
    from the database is escaped (``render.escape_text``, the same output as Jinja's)."""
    esc = escape_text
    place_label = "Local authority" if kind == "owner" else "Owner"
    out = []
    for p in providers:
        place = p["local_authority"] if kind == "owner" else p["owner"]
        if place:
            place_link = (f"/local-authority/{words.slugify(place)}" if kind == "owner"
                          else f"/owner/{words.slugify(place)}")
            place_cell = f'<a href="{esc(place_link)}">{esc(place)}</a>'
        else:
            place_cell = "not known"
        current, direction = p["current_grade"], p["direction"]
        was = (f' <span class="meta">(was {esc(words.grade_words(p["previous_grade"]))})</span>'
               if p["previous_grade"] and direction in ("improved", "declined", "same") else "")
        label = words.type_label(p.get("report_type"), p.get("provider_type"))
        urn = esc(p["urn"])
        last = words.long_date(p["last_inspection"]) if p["last_inspection"] \
            else "none on record"
        out.append(
            f'      <tr>\n'
            f'        <td data-label="Provider"><a href="/provider/{urn}">'
            f'{esc(label[:1].upper() + label[1:])} {urn}</a></td>\n'
            f'        <td data-label="{place_label}">{place_cell}</td>\n'
            f'        <td data-label="Current grade"><span class="grade '
            f'{esc(words.grade_class(current))}">{esc(words.grade_words(current))}</span></td>\n'
            f'        <td data-label="Last inspection">{esc(last)}</td>\n'
            f'        <td data-label="Direction of travel"><span class="direction '
            f'direction-{direction}">{ARROWS.get(direction, "")}'
            f'{DIRECTION_WORDS[direction]}</span>{was}</td>\n'
            f'      </tr>\n')
    return Markup("".join(out))


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
