"""``/local-authority/{slug}`` and ``/owner/{slug}``: every provider in a group, with its
current headline grade, last inspection and direction of travel; counts by grade; a chart; the
group's latest events. ``/local-authority`` and ``/owner`` list the groups."""
from __future__ import annotations

import functools

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
    from the database is escaped (``render.escape_text``, the same output as Jinja's); cells
    made from a few values (a grade, a type, a date) are made once and kept."""
    place_label = "Local authority" if kind == "owner" else "Owner"
    owner_page = kind == "owner"
    out = []
    for p in providers:
        urn = escape_text(p["urn"])
        direction = p["direction"]
        was = _was_cell(p["previous_grade"]) \
            if direction in ("improved", "declined", "same") else ""
        out.append(
            f'      <tr>\n'
            f'        <td data-label="Provider"><a href="/provider/{urn}">'
            f'{_type_cell(p.get("report_type"), p.get("provider_type"))} {urn}</a></td>\n'
            f'        <td data-label="{place_label}">'
            f'{_place_cell(p["local_authority"] if owner_page else p["owner"], owner_page)}'
            f'</td>\n'
            f'        <td data-label="Current grade">{_grade_cell(p["current_grade"])}</td>\n'
            f'        <td data-label="Last inspection">{_date_cell(p["last_inspection"])}</td>\n'
            f'        <td data-label="Direction of travel"><span class="direction '
            f'direction-{direction}">{ARROWS.get(direction, "")}'
            f'{DIRECTION_WORDS[direction]}</span>{was}</td>\n'
            f'      </tr>\n')
    return Markup("".join(out))


@functools.lru_cache(maxsize=1024)
def _grade_cell(token: str | None) -> str:
    return (f'<span class="grade {escape_text(words.grade_class(token))}">'
            f'{escape_text(words.grade_words(token))}</span>')


@functools.lru_cache(maxsize=1024)
def _was_cell(token: str | None) -> str:
    return f' <span class="meta">(was {escape_text(words.grade_words(token))})</span>' \
        if token else ""


@functools.lru_cache(maxsize=1024)
def _type_cell(report_type: str | None, provider_type: str | None) -> str:
    label = words.type_label(report_type, provider_type)
    return escape_text(label[:1].upper() + label[1:])


@functools.lru_cache(maxsize=65536)
def _date_cell(iso: str | None) -> str:
    return escape_text(words.long_date(iso)) if iso else "none on record"


@functools.lru_cache(maxsize=65536)
def _place_cell(place: str | None, owner_page: bool) -> str:
    """The owner (on a local authority's page) or local authority (on an owner's), linked."""
    if not place:
        return "not known"
    link = (f"/local-authority/{words.slugify(place)}" if owner_page
            else f"/owner/{words.slugify(place)}")
    return f'<a href="{escape_text(link)}">{escape_text(place)}</a>'


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
    # in words only the events the page shows (the JSON has them all)
    events = store.events(EventFilters(urns=group.urns), limit=60, present=fmt == "json")
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
        "groups": group_events(events, limit=15, present=words.present_event),
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
