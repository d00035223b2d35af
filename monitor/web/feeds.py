"""Atom feeds (feedgen): one entry per report's events, with stable ids and dates from the data.

Entry id: ``tag:{host},2026:event/{id}`` where ``id`` is the report's first event id — it never
changes once detected. ``updated`` is when the service detected the events (``detected_at``),
never the time of the request; an empty feed says it was updated at the epoch of the service's
tag. Links leaving the site are absolute, built on the public URL.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from . import words

EMPTY_UPDATED = "2026-01-01T00:00:00+00:00"


def tag_base(public_url: str) -> str:
    host = urlsplit(public_url).hostname or "localhost"
    return f"tag:{host},2026:"


def _iso(value: str | None) -> str:
    value = value or EMPTY_UPDATED
    if len(value) == 10:
        value += "T00:00:00"
    if not (value.endswith("Z") or "+" in value[10:] or value[10:].count("-")):
        value += "+00:00"
    return value


def _summary(group: dict) -> str:
    lines = []
    for event in group["events"]:
        area = words.area_words(event["area"]) if event["kind"] != "enforcement" else "Enforcement"
        lines.append(f"{area}: {words.change_words(event)}")
    who = ", ".join(v for v in (group.get("owner"), group.get("local_authority")) if v)
    lines.append(f"{words.type_label(group.get('report_type'), group.get('provider_type'))} "
                 f"{group['urn']}" + (f" ({who})" if who else ""))
    lines.append(f"Inspected {words.long_date(group.get('inspection_date'))}; published "
                 f"{words.long_date(group.get('publication_date'))}.")
    return "\n".join(lines)


def atom(groups: list[dict], *, title: str, public_url: str, self_path: str,
         page_path: str) -> bytes:
    """The feed for a list of event groups (``queries.group_events``), newest first."""
    base = public_url.rstrip("/")
    fg = FeedGenerator()
    fg.id(tag_base(public_url) + self_path.lstrip("/"))
    fg.title(title)
    fg.author({"name": "ofsted-watch"})
    fg.link(href=base + self_path, rel="self", type="application/atom+xml")
    fg.link(href=base + page_path, rel="alternate", type="text/html")
    fg.subtitle("Changes in Ofsted inspection outcomes, detected by ofsted-watch from reports "
                "published on reports.ofsted.gov.uk.")
    fg.updated(_iso(max((g["detected_at"] for g in groups), default=None)))
    for group in reversed(groups):  # feedgen prepends: add oldest first, newest ends up first
        entry = fg.add_entry()
        entry.id(f"{tag_base(public_url)}event/{group['first_id']}")
        name = words.type_label(group.get("report_type"), group.get("provider_type"))
        entry.title(f"{group['headline']}: {name} {group['urn']}")
        entry.updated(_iso(group["detected_at"]))
        if group.get("publication_date"):
            entry.published(_iso(group["publication_date"]))
        entry.link(href=f"{base}/provider/{group['urn']}", rel="alternate", type="text/html")
        if (group.get("report_url") or "").startswith(("https://", "http://")):
            entry.link(href=group["report_url"], rel="related", type="application/pdf",
                       title="Ofsted report (PDF)")
        entry.summary(_summary(group))
        for event in group["events"]:
            entry.category(term=event["kind"], label=words.kind_words(event["kind"]))
    return fg.atom_str(pretty=True)
