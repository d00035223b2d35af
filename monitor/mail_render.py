"""The emails people read: an alert, a digest, a sign-up confirmation — HTML and plain text.

Jinja2 templates in ``monitor/templates/email/`` (autoescaped HTML; the text templates are not
HTML). The HTML is written with a ``<style>`` block and its rules are inlined into ``style``
attributes by css-inline (mail clients drop or ignore ``<style>`` more often than not); only the
narrow-screen rules (``narrow.css``) travel as a ``<style>`` block. Every text from the reports site or a PDF is escaped (Jinja
autoescaping), and a link from there is used only if it is plain http(s).

An alert says how far and how fast in its subject ("Outstanding to inadequate in 11 months:
children's home 2650001 (Hollybank Childcare Ltd, Staffordshire)"); each area old → new with the
grade written out (colour only as a second cue); enforcement always (or "none named"); the owner
and local authority; buttons to the report and to the provider's page on this site; and the
footer: why this email came, manage, unsubscribe. A digest names the period it covers and groups
the reports by provider.

An email to a web subscriber is rendered once per set of events with placeholders for the
personal parts (why, manage and unsubscribe links), which ``personalise`` fills in per
recipient: one downgrade to 5,000 subscribers is rendered once.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2

from extract import types

from . import message
from .message import enforcement_words, grade_words, long_date

TEMPLATES = Path(__file__).parent / "templates" / "email"
LONDON = ZoneInfo("Europe/London")
SITE_NAME = "ofsted-watch"

#: Per-process random placeholders for the personal parts (text from a report cannot guess them).
_TAG = secrets.token_hex(6)
PLACEHOLDERS = {"why": f"OWP{_TAG}WHY", "manage": f"OWP{_TAG}MANAGE",
                "unsubscribe": f"OWP{_TAG}UNSUB"}


@dataclass(frozen=True)
class EmailMessage(message.Message):
    """A ``message.Message`` whose plain-text part is written, not converted from the HTML:
    ``notify.Sender`` gives Apprise's email plugin ``email_text`` as the text/plain part."""
    email_text: str | None = None


# ---- words ----------------------------------------------------------------------------------

def grade_class(token: str | None) -> str:
    return "grade-" + re.sub(r"[^a-z_]", "", (token or "none").lower()).replace("_", "-")


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def safe_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def months_between(earlier: str | None, later: str | None) -> int | None:
    try:
        a, b = date.fromisoformat(earlier[:10]), date.fromisoformat(later[:10])
    except (TypeError, ValueError):
        return None
    months = (b.year - a.year) * 12 + b.month - a.month - (1 if b.day < a.day else 0)
    return months if months >= 0 else None


def span_words(months: int | None) -> str:
    """How fast: 'in 11 months', 'in 2 years 3 months', 'within a month'."""
    if months is None:
        return ""
    if months < 1:
        return "within a month"
    if months < 24:
        return f"in {months} month{'s' if months != 1 else ''}"
    years, rest = divmod(months, 12)
    return f"in {years} years" + (f" {rest} month{'s' if rest != 1 else ''}" if rest else "")


def _previous_date(group: message.ReportEvents) -> str | None:
    return next((e["detail"].get("previous_date") for e in group.events
                 if isinstance(e.get("detail"), dict) and e["detail"].get("previous_date")),
                None)


def headline(group: message.ReportEvents) -> str:
    """How far and how fast: 'Outstanding to inadequate in 11 months' for a headline grade
    that moved; otherwise what the report raised ('Rated inadequate', 'Enforcement — ...')."""
    moved = [e for e in group.events if e["kind"] in ("downgrade", "upgrade")
             and e["area"] == "overall" and e.get("old_grade")]
    if moved:
        event = moved[0]
        months = months_between(_previous_date(group), group.report.get("inspection_date"))
        span = span_words(months)
        return (f"{cap(grade_words(event['old_grade']))} to {grade_words(event['new_grade'])}"
                + (f" {span}" if span else ""))
    label = group.provider_label()
    title = message.title(group)
    return title[:-len(label) - 2] if title.endswith(": " + label) else title


def subject(group: message.ReportEvents) -> str:
    return f"{headline(group)}: {group.provider_label()}"


def report_model(group: message.ReportEvents, public_url: str | None) -> dict:
    """Everything the templates show about one report, in words."""
    report, provider = group.report, group.provider
    kind = (provider.get("provider_type") or "").strip()
    type_words = types.label(report.get("report_type"), kind.lower() if kind else "provider")
    owner = provider.get("owner") or report.get("owner")
    place = provider.get("local_authority") or report.get("local_authority")
    areas = [{"label": row["label"], "old": grade_words(row["old"]) if row["old"] else None,
              "new": grade_words(row["new"]), "old_class": grade_class(row["old"]),
              "new_class": grade_class(row["new"]),
              "moved": bool(row["old"]) and row["old"] != row["new"]}
             for row in group.areas]
    enforcement = list(dict.fromkeys(enforcement_words(e["area"]) for e in group.events
                                     if e["kind"] == "enforcement"))
    if not enforcement:
        enforcement = [enforcement_words(t) for t in _list(report.get("enforcement"))]
    previous = _previous_date(group)
    overall = next((a for a in group.areas if a["area"] == "overall"), None)
    inspection_kind = (report.get("inspection_kind") or "").replace("-", " ").replace("_", " ")
    if inspection_kind and "inspection" not in inspection_kind and "visit" not in inspection_kind:
        inspection_kind += " inspection"
    kinds = sorted({e["kind"] for e in group.events if e["kind"] != "published"},
                   key=lambda k: message.KIND_ORDER.get(k, 9))
    base = (public_url or "").rstrip("/")
    return {
        "urn": group.urn, "headline": headline(group), "label": group.provider_label(),
        "type_words": type_words, "owner": owner, "local_authority": place,
        "areas": areas, "enforcement": enforcement, "serious": group.serious,
        "kinds": [KIND_BADGES.get(k, k) for k in kinds],
        "inspection_kind": inspection_kind or "inspection",
        "inspected": long_date(report.get("inspection_date")),
        "published": long_date(report.get("publication_date")),
        "previous": long_date(previous) if previous else None,
        "overall_old": grade_words(overall["old"]) if overall and overall["old"] else None,
        "overall_new": grade_words(overall["new"]) if overall else None,
        "report_url": safe_url(report.get("url")),
        "ofsted_page": safe_url(provider.get("page_url")),
        "page_url": f"{base}/provider/{group.urn}" if base else None,
    }


KIND_BADGES = {"downgrade": "Downgrade", "inadequate": "Rated inadequate",
               "declined": "Declined in effectiveness", "enforcement": "Enforcement",
               "upgrade": "Upgrade"}


def _list(value) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        import json
        try:
            return list(json.loads(value))
        except ValueError:
            return []
    return []


# ---- templates ------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update({"cap": cap})
    return env


_ENV = _environment()
_INLINER = None


_NARROW = (TEMPLATES / "narrow.css").read_text()


def _inline(html: str) -> str:
    """The template's ``<style>`` rules moved into ``style`` attributes (the block dropped:
    it would travel twice), then the narrow-screen rules, which cannot be inlined, added back
    as the one ``<style>`` block."""
    global _INLINER
    import css_inline
    if _INLINER is None:
        _INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
    return _INLINER.inline(html).replace("</head>", f"<style>\n{_NARROW}</style>\n</head>", 1)


def _render(template: str, **context) -> tuple[str, str]:
    """(HTML with its CSS inlined, plain text) of ``template.html`` / ``template.txt``."""
    context.setdefault("site_name", SITE_NAME)
    html = _inline(_ENV.get_template(f"{template}.html").render(**context))
    text = _ENV.get_template(f"{template}.txt").render(**context)
    return html, _tidy(text)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def footer_context(personal) -> dict:
    """The footer's personal parts: the real ones, or placeholders filled in later."""
    if personal is None:
        return {"why": PLACEHOLDERS["why"], "manage": PLACEHOLDERS["manage"],
                "unsubscribe": PLACEHOLDERS["unsubscribe"]}
    return {"why": personal.why, "manage": personal.manage, "unsubscribe": personal.unsubscribe}


def alert(group: message.ReportEvents, *, public_url: str | None, personal=None
          ) -> EmailMessage:
    """The email for one report's events (to a web subscriber: ``personal``, or placeholders
    for ``personalise``)."""
    model = report_model(group, public_url)
    title = subject(group)
    preheader = _preheader(model)
    html, text = _render("alert", r=model, title=title, preheader=preheader,
                         footer=footer_context(personal), public_url=public_url)
    base = message.render(group)
    return EmailMessage(title, text, html, base.markdown, base.data, email_text=text)


def _preheader(model: dict) -> str:
    parts = []
    if model["overall_old"]:
        parts.append(f"{cap(model['overall_old'])} at the previous graded inspection, now "
                     f"{model['overall_new']}.")
    elif model["overall_new"]:
        parts.append(f"Now {model['overall_new']}.")
    parts.append("Enforcement: " + (", ".join(model["enforcement"]) or "none named") + ".")
    return " ".join(parts)


def period_words(period: str, start: str, end: str) -> tuple[str, str]:
    """('Daily digest, 4 to 5 December 2026', 'reports found between 08:00 on 4 December
    2026 and 08:00 on 5 December 2026') in London time."""
    a, b = _london(start), _london(end)
    if a.date() == b.date():
        days = _day(b)
    elif a.year == b.year and a.month == b.month:
        days = f"{a.day} to {_day(b)}"
    elif a.year == b.year:
        days = f"{a.day} {a:%B} to {_day(b)}"
    else:
        days = f"{_day(a)} to {_day(b)}"
    name = f"{cap(period)} digest, {days}"
    covers = (f"found between {a:%H:%M} on {_day(a)} and {b:%H:%M} on {_day(b)} "
              f"(UK time)")
    return name, covers


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _london(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON)


def digest(groups: list[message.ReportEvents], period: str, *, start: str, end: str,
           public_url: str | None, personal=None) -> EmailMessage:
    """One email for a period: its name and span, then the reports grouped by provider (the
    providers with serious news first)."""
    name, covers = period_words(period, start, end)
    by_provider: dict[str, list[dict]] = {}
    serious: dict[str, bool] = {}
    for group in sorted(groups, key=lambda g: (g.report.get("publication_date") or "",
                                               g.report_id)):
        by_provider.setdefault(group.urn, []).append(report_model(group, public_url))
        serious[group.urn] = serious.get(group.urn, False) or group.serious
    providers = [{"urn": urn, "label": reports[0]["label"], "reports": reports,
                  "page_url": reports[0]["page_url"], "serious": serious[urn]}
                 for urn, reports in sorted(by_provider.items(),
                                            key=lambda item: (not serious[item[0]], item[0]))]
    n_reports = len(groups)
    n_serious = sum(1 for g in groups if g.serious)
    title = (f"{name}: {n_reports} report{'s' if n_reports != 1 else ''} about "
             f"{len(providers)} provider{'s' if len(providers) != 1 else ''}"
             + (f", {n_serious} serious" if n_serious else ""))
    html, text = _render("digest", name=name, covers=covers, providers=providers,
                         title=title, n_reports=n_reports, n_serious=n_serious,
                         preheader=f"{n_reports} report{'s' if n_reports != 1 else ''} {covers}.",
                         footer=footer_context(personal), public_url=public_url)
    base = message.render_digest(groups, period)
    data = dict(base.data, period={"name": name, "start": start, "end": end})
    return EmailMessage(title, text, html, base.markdown, data, email_text=text)


def confirmation(*, kind: str, follow: str, kinds: str, how_often: str, link: str,
                 public_url: str | None, hours: int) -> EmailMessage:
    """The one email an address gets before it is confirmed: 'confirm' (follow the link to
    start) or 'already' (it has these alerts; the link manages them)."""
    if kind == "already":
        title = f"You already get these {SITE_NAME} alerts"
    else:
        title = f"Confirm your {SITE_NAME} email alerts"
    html, text = _render("confirm", kind=kind, follow=follow, kinds=kinds, how_often=how_often,
                         link=link, title=title, hours=hours, public_url=public_url,
                         preheader=("Confirm to start getting alerts about " + follow + "."
                                    if kind != "already" else
                                    "Nothing has changed: use the link to manage them."))
    return EmailMessage(title, text, html, text, {"title": title}, email_text=text)


def personalise(msg: EmailMessage, personal) -> EmailMessage:
    """Fill one subscriber's why/manage/unsubscribe into a message rendered with placeholders."""
    values = {"why": personal.why, "manage": personal.manage,
              "unsubscribe": personal.unsubscribe}
    html, text = msg.html, msg.email_text or msg.text
    for key, placeholder in PLACEHOLDERS.items():
        html = html.replace(placeholder, escape(values[key], quote=True))
        text = text.replace(placeholder, values[key])
    return replace(msg, html=html, text=text, email_text=text)
