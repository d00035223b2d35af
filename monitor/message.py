"""What an alert says: one message per report (all its events), or one digest for a period.

A message names the provider ("children's home SC123456 (Harmony Childcare Ltd, Staffordshire)"),
lists every graded area old → new, the inspection and publication dates, any enforcement, and
links to the report PDF and the provider's page. Each is a ``Message`` value, rendered once per
event group and given to every channel in the form it shows best (``notify.Sender`` chooses):
HTML for email, Markdown for Slack/Teams/Discord, the ``data`` fields for JSON webhooks, plain
text for the rest.
"""
from __future__ import annotations

import html as htmllib
import json
from dataclasses import dataclass, field


from extract import types

from . import history
from .sql import dicts_in

GRADE_WORDS = {
    "requires_improvement": "requires improvement to be good",
    "declined_effectiveness": "declined in effectiveness",
    "improved_effectiveness": "improved effectiveness",
    "sustained_effectiveness": "sustained effectiveness",
    "send_positive": "positive experiences and outcomes",
    "send_inconsistent": "inconsistent experiences and outcomes",
    "send_widespread_failings": "widespread or systemic failings",
    "not_met": "not met",
}
ENFORCEMENT_WORDS = {
    "compliance_notice": "compliance notice", "restriction_of_accommodation":
    "restriction of accommodation", "suspension": "suspension of registration",
    "cancellation": "cancellation of registration", "notice_of_proposal": "notice of proposal",
    "warning_letter": "warning letter", "areas_for_priority_action": "areas for priority action",
}
AREA_WORDS = {
    "overall": "Overall", "help_and_protection": "How well children are helped and protected",
    "leaders_and_managers": "Effectiveness of leaders and managers",
}
KIND_ORDER = {"safeguarding": 0, "downgrade": 1, "inadequate": 2, "declined": 3,
              "standards": 4, "enforcement": 5, "upgrade": 6, "published": 7}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def grade_words(token: str | None) -> str:
    if not token:
        return "none"
    return GRADE_WORDS.get(token, token.replace("_", " "))


def area_words(area: str, label: str | None = None) -> str:
    """Our short name for a known area, else the label as printed, else the key in words."""
    return AREA_WORDS.get(area) or label or area.replace("_", " ").capitalize()


def enforcement_words(token: str) -> str:
    return ENFORCEMENT_WORDS.get(token, token.replace("_", " "))


def long_date(iso: str | None) -> str:
    if not iso:
        return "not known"
    try:
        year, month, day = (int(part) for part in iso[:10].split("-"))
        return f"{day} {MONTHS[month - 1]} {year}"
    except (ValueError, IndexError):
        return iso


@dataclass(frozen=True)
class Message:
    """One alert, in every form a channel may want."""
    title: str
    text: str
    html: str
    markdown: str
    data: dict


@dataclass
class ReportEvents:
    """One report and the events it raised, with what a message needs to say about them."""
    report_id: str
    urn: str
    events: list[dict]
    report: dict = field(default_factory=dict)
    provider: dict = field(default_factory=dict)
    #: each graded area: {"area": key, "label": words, "old": token or None, "new": token}
    areas: list[dict] = field(default_factory=list)

    @property
    def serious(self) -> bool:
        return any(e["serious"] for e in self.events)

    def provider_label(self) -> str:
        kind = (self.provider.get("provider_type") or "").strip()
        kind = types.label(self.report.get("report_type"), kind.lower() if kind else "provider")
        who = self.provider.get("owner") or self.report.get("owner") \
            or self.provider.get("name") or self.report.get("provider_name")
        place = self.provider.get("local_authority") or self.report.get("local_authority")
        extra = ", ".join(v for v in (who, place) if v)
        return f"{kind} {self.urn}" + (f" ({extra})" if extra else "")


def _headline(group: ReportEvents) -> str:
    events = sorted(group.events, key=lambda e: (e["area"] != "overall", not e["serious"],
                                                 KIND_ORDER.get(e["kind"], 9)))
    first = events[0]
    overall = [e for e in events if e["area"] == "overall" and e["kind"] != "enforcement"]
    pick = overall[0] if overall else min(
        events, key=lambda e: (KIND_ORDER.get(e["kind"], 9), not e["serious"]))
    kind, new = pick["kind"], grade_words(pick["new_grade"])
    where = "" if pick["area"] == "overall" else f" ({area_words(pick['area']).lower()})"
    if kind == "downgrade":
        return f"Downgraded to {new}{where}"
    if kind == "inadequate":
        return f"Rated {new}{where}"
    if kind == "declined":
        return "Declined in effectiveness"
    if kind == "safeguarding":
        return "Safeguarding standards not met"
    if kind == "standards":
        return "Standards may have declined"
    if kind == "upgrade":
        return f"Upgraded to {new}{where}"
    if kind == "enforcement":
        tokens = [enforcement_words(e["area"]) for e in events if e["kind"] == "enforcement"]
        return "Enforcement — " + ", ".join(tokens)
    if kind == "published":
        grade = pick.get("new_grade")
        return "New inspection report" + (f": rated {grade_words(grade)}" if grade else "")
    return first["kind"].capitalize()


def title(group: ReportEvents) -> str:
    return f"{_headline(group)}: {group.provider_label()}"


def _lines(group: ReportEvents) -> list[str]:
    lines = []
    for row in group.areas:
        old, new = row["old"], row["new"]
        change = f"{grade_words(old)} → {grade_words(new)}" if old else grade_words(new)
        lines.append(f"{row['label']}: {change}")
    enforcement = [enforcement_words(e["area"]) for e in group.events if e["kind"] == "enforcement"]
    if enforcement:
        lines.append("Enforcement: " + ", ".join(enforcement))
    previous = next((e["detail"].get("previous_date") for e in group.events
                     if e["detail"].get("previous_date")), None)
    inspected = long_date(group.report.get("inspection_date"))
    if previous:
        inspected += f" (previous graded inspection {long_date(previous)})"
    lines.append(f"Inspected: {inspected}")
    lines.append(f"Published: {long_date(group.report.get('publication_date'))}")
    lines.append(f"Report (PDF): {group.report.get('url') or 'not known'}")
    lines.append(f"Provider page: {group.provider.get('page_url') or 'not known'}")
    return lines


def render(group: ReportEvents) -> Message:
    """The message for one report's events."""
    head = title(group)
    lines = _lines(group)
    text = "\n".join([head, ""] + lines + ["", _FOOTER])
    body = "".join(f"<li>{_html_line(line)}</li>" for line in lines)
    html = (f"<html><body><h2>{htmllib.escape(head)}</h2><ul>{body}</ul>"
            f"<p><small>{htmllib.escape(_FOOTER)}</small></p></body></html>")
    markdown = "\n".join([f"**{_md(head)}**", ""] + [f"- {_md_line(line)}" for line in lines])
    return Message(head, text, html, markdown, group_json(group))


def render_digest(groups: list[ReportEvents], period: str) -> Message:
    """One message listing a period's events, most serious first."""
    groups = sorted(groups, key=lambda g: (not g.serious, g.report.get("publication_date") or ""))
    n = sum(len(g.events) for g in groups)
    serious = sum(1 for g in groups if g.serious)
    head = (f"Ofsted {period} digest: {len(groups)} report{'s' if len(groups) != 1 else ''}"
            f" with changes" + (f", {serious} serious" if serious else ""))
    text_parts, html_parts = [head, ""], [f"<html><body><h2>{htmllib.escape(head)}</h2>"]
    for group in groups:
        text_parts += [title(group)] + [f"  {line}" for line in _lines(group)] + [""]
        html_parts.append(f"<h3>{htmllib.escape(title(group))}</h3><ul>"
                          + "".join(f"<li>{_html_line(line)}</li>" for line in _lines(group))
                          + "</ul>")
    text_parts.append(f"{n} event{'s' if n != 1 else ''} in all. {_FOOTER}")
    html_parts.append(f"<p><small>{n} event{'s' if n != 1 else ''} in all. "
                      f"{htmllib.escape(_FOOTER)}</small></p></body></html>")
    markdown = [f"**{_md(head)}**", ""]
    for group in groups:
        markdown += [f"**{_md(title(group))}**"] + [f"- {_md_line(line)}"
                                                     for line in _lines(group)] + [""]
    data = {"digest": period, "title": head, "reports": [group_json(g) for g in groups]}
    return Message(head, "\n".join(text_parts), "".join(html_parts), "\n".join(markdown), data)


_FOOTER = "Sent by ofsted-watch from reports published by Ofsted."


def _html_line(line: str) -> str:
    label, _, value = line.partition(": ")
    if value.startswith("http"):
        url = htmllib.escape(value, quote=True)
        return f"{htmllib.escape(label)}: <a href=\"{url}\">{url}</a>"
    return htmllib.escape(line)


_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]<>()#+!|~"})


def _md(text: str) -> str:
    """Text from a report or the site, made inert in Markdown."""
    return text.translate(_MD_SPECIAL)


def _md_line(line: str) -> str:
    label, _, value = line.partition(": ")
    if value.startswith("http"):
        return f"{_md(label)}: <{value}>"
    return _md(line)


def test_message() -> Message:
    head = "ofsted-watch test message"
    text = ("This is a test from ofsted-watch: alerts sent to this address will arrive like "
            "this one.")
    return Message(head, text, f"<html><body><p>{htmllib.escape(text)}</p></body></html>",
                   _md(text), {"title": head, "test": True})


def load_groups(db, event_ids: list[int]) -> list[ReportEvents]:
    """The events by report, with the report, its provider and its areas old → new."""
    if not event_ids:
        return []
    events = sorted(dicts_in(db, "select * from events where id in ({marks})", event_ids),
                    key=lambda e: e["id"])
    groups: dict[str, ReportEvents] = {}
    for event in events:
        event["detail"] = history.load_extraction(event.get("detail")) or {}
        group = groups.get(event["report_id"])
        if group is None:
            group = groups[event["report_id"]] = ReportEvents(event["report_id"], event["urn"], [])
        group.events.append(event)
    for group in groups.values():
        _fill(db, group)
    return list(groups.values())


def _fill(db, group: ReportEvents) -> None:
    group.report = next(iter(db["reports"].rows_where("file_id = ?", [group.report_id])), {})
    group.provider = next(iter(db["providers"].rows_where("urn = ?", [group.urn])), {}) or {}
    current = {row["area"]: row for row in db["judgements"].rows_where(
        "report_id = ?", [group.report_id])}
    previous_id = next((e["detail"].get("previous_report") for e in group.events
                        if e["detail"].get("previous_report")), None)
    previous = {row["area"]: row["grade"] for row in db["judgements"].rows_where(
        "report_id = ?", [previous_id])} if previous_id else {}
    by_area = {e["area"]: e for e in group.events if e["kind"] != "enforcement"}
    for area in sorted(current, key=lambda a: (a != "overall", a)):
        row = current[area]
        if row["scale"] in ("none", "unknown"):
            continue
        event = by_area.get(area)
        old = event["old_grade"] if event and event.get("old_grade") else previous.get(area)
        group.areas.append({"area": area, "label": area_words(area, row["label"]),
                            "old": old, "new": row["grade"]})


def group_json(group: ReportEvents) -> dict:
    """A machine-readable form (JSON webhooks, feeds and --json output)."""
    report = group.report
    return json.loads(json.dumps({
        "report_id": group.report_id, "urn": group.urn, "title": title(group),
        "provider": group.provider_label(),
        "report_type": report.get("report_type"),
        "inspection_date": report.get("inspection_date"),
        "publication_date": report.get("publication_date"),
        "kinds": sorted({e["kind"] for e in group.events}),
        "areas": group.areas,
        "enforcement": [e["area"] for e in group.events if e["kind"] == "enforcement"],
        "events": group.events, "url": report.get("url"),
        "page_url": group.provider.get("page_url")}, default=str))
