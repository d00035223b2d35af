"""Atom feeds: one entry per report's events, with stable ids and dates from the data.

Written with a Jinja template (``templates/feed.xml``, autoescaped: every name from a report is
text). Entry id: ``tag:{host},2026:event/{id}`` where ``id`` is the report's first event id — it
never changes once detected. ``updated`` is when the service detected the events
(``detected_at``), never the time of the request; an empty feed gives a fixed date. Links leaving
the site are absolute, built on the public URL.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import jinja2

from . import words

EMPTY_UPDATED = "2026-01-01T00:00:00+00:00"
#: Entries in a feed: the newest reports' news (a reader polls; older news is on the page).
MAX_ENTRIES = 50


def tag_base(public_url: str) -> str:
    host = urlsplit(public_url).hostname or "localhost"
    return f"tag:{host},2026:"


def rfc3339(value: str | None) -> str:
    """A stored ISO date or time as an Atom date (UTC when no offset is given)."""
    value = value or EMPTY_UPDATED
    if len(value) == 10:
        value += "T00:00:00"
    if not (value.endswith("Z") or "+" in value[10:] or "-" in value[10:]):
        value += "+00:00"
    return value


def entry(group: dict, base: str, tag: str) -> dict:
    name = words.type_label(group.get("report_type"), group.get("provider_type"))
    lines = []
    for event in group["events"]:
        if event["kind"] == "enforcement":
            lines.append(("Enforcement", words.enforcement_words(event["area"])))
        elif event["kind"] == "published":
            lines.append(("Headline grade", words.grade_words(event["new_grade"])))
        else:
            lines.append((words.area_words(event["area"]), words.change_words(event)))
    return {
        "id": f"{tag}event/{group['first_id']}",
        "title": f"{group['headline']}: {name} {group['urn']}",
        "updated": rfc3339(group["detected_at"]),
        "published": rfc3339(group["publication_date"]) if group.get("publication_date")
        else None,
        "link": f"{base}/provider/{group['urn']}",
        "pdf": group.get("report_url") if (group.get("report_url") or "").startswith(
            ("https://", "http://")) else None,
        "lines": lines, "name": name, "urn": group["urn"], "owner": group.get("owner"),
        "local_authority": group.get("local_authority"),
        "inspected": words.long_date(group.get("inspection_date")),
        "published_words": words.long_date(group.get("publication_date")),
        "kinds": list(dict.fromkeys(e["kind"] for e in group["events"])),
    }


def atom(env: jinja2.Environment, groups: list[dict], *, title: str, public_url: str,
         self_path: str, page_path: str) -> bytes:
    """The feed for a list of event groups (``queries.group_events``), newest first."""
    base = public_url.rstrip("/")
    tag = tag_base(public_url)
    groups = groups[:MAX_ENTRIES]
    entries = [entry(g, base, tag) for g in groups]
    return env.get_template("feed.xml").render(
        id=tag + self_path.lstrip("/"), title=title, self_url=base + self_path,
        page_url=base + page_path, entries=entries, kind_words=words.kind_words,
        updated=rfc3339(max((g["detected_at"] for g in groups if g["detected_at"]),
                            default=None)),
    ).encode("utf-8")
