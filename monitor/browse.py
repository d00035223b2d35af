"""The queries behind ``ofsted-watch providers`` and ``ofsted-watch events``: find before you follow.

Both read only. Filters are the subscriptions' own (``monitor.filters`` checks what the user
typed; ``monitor.subscriptions.Filter`` matches it), so a search shows exactly what a
subscription with the same filters would follow. Rows carry no address (none is stored):
children's homes are anonymised and named by their URN where the history has no name.
"""
from __future__ import annotations

import re
from datetime import date

from extract import types
from extract.places import REGIONS
from extract.grades import SCALES

from . import filters as checks
from .subscriptions import Filter, ProviderFacts

PROVIDER_COLUMNS = ["urn", "name", "provider_type", "local_authority", "region", "owner",
                    "status", "latest_inspection", "latest_grade", "reports", "page_url"]
EVENT_COLUMNS = ["id", "detected_at", "urn", "name", "provider_type", "local_authority",
                 "owner", "kind", "area", "old_grade", "new_grade", "serious", "alerted",
                 "inspection_date", "publication_date", "report_url"]


class BrowseError(ValueError):
    """A search option that cannot be read; one line."""


def grade(text: str) -> str:
    """A grade token ("requires improvement" → ``requires_improvement``); BrowseError else."""
    token = re.sub(r"[^a-z]+", "_", (text or "").lower()).strip("_")
    token = {"ri": "requires_improvement", "requires_improvement_to_be_good":
             "requires_improvement"}.get(token, token)
    if token not in SCALES:
        raise BrowseError(f"grade {text!r}: not a grade Ofsted gives (e.g. outstanding, good, "
                          f"requires improvement, inadequate)")
    return token


def parse_day(text: str | None, option: str = "--since") -> str | None:
    """``YYYY-MM-DD`` → itself; BrowseError for another format."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise BrowseError(f"{option} {text!r}: not a date in the form YYYY-MM-DD "
                          f"(e.g. 2025-01-31)") from None


def build_filter(db, *, urns=(), local_authority=None, region=None, owner=None,
                 provider_type=None) -> Filter:
    """The filters as a subscription would store them; FilterError/BrowseError for a bad one."""
    from extract.places import region_code
    wanted: dict = {}
    found = checks.urns(urns)
    if found:
        wanted["urns"] = found
    if local_authority:
        wanted["local_authority"] = checks.local_authority(local_authority)
    if region:
        code = region_code(region)
        if not code:
            raise BrowseError(f"region {region!r}: not an English region (e.g. 'South East', "
                              f"E12000008)")
        wanted["region"] = code
    if owner:
        wanted["owner"] = checks.owner(db, owner)
    if provider_type:
        wanted["provider_type"] = checks.provider_type(provider_type)
    return Filter(wanted or {"all": True})


def _display_name(row: dict) -> str:
    if row.get("name"):
        return row["name"]
    kind = types.label(row.get("report_type"), "provider")
    return f"{kind} {row['urn']}"


def providers(db, *, match: Filter, grade_token: str | None = None,
              search: str | None = None) -> list[dict]:
    """Providers the history holds that ``match`` accepts, with their latest graded report."""
    columns = ("urn", "name", "provider_type", "category", "local_authority", "region", "owner",
               "status", "page_url")
    known = {values[0]: dict(zip(columns, values)) for values in db.execute(
        f"select {', '.join(columns)} from providers")}
    latest: dict[str, tuple] = {}       # urn -> (sort key, row): the latest report
    graded: dict[str, tuple] = {}       # urn -> (sort key, row): the latest readable grade
    counts: dict[str, int] = {}
    names = ("file_id", "urn", "inspection_date", "publication_date", "overall",
             "needs_review", "report_type", "owner", "local_authority", "provider_name")
    for values in db.execute(f"select {', '.join(names)} from reports"):
        file_id, urn, inspected, published, overall, review = values[:6]
        counts[urn] = counts.get(urn, 0) + 1
        key = (inspected or published or "", published or "", str(file_id or ""))
        if urn not in latest or key > latest[urn][0]:
            latest[urn] = (key, values)
        if overall and not review and (urn not in graded or key > graded[urn][0]):
            graded[urn] = (key, values)
    latest = {urn: dict(zip(names, pair[1])) for urn, pair in latest.items()}
    graded = {urn: dict(zip(names, pair[1])) for urn, pair in graded.items()}
    needle = (search or "").strip().lower()
    out = []
    for urn in sorted(set(known) | set(latest)):
        provider = known.get(urn)
        report = latest.get(urn) or {}
        if not match.all and not match.matches(ProviderFacts(urn, provider, report)):
            continue
        best = graded.get(urn) or {}
        if grade_token and best.get("overall") != grade_token:
            continue
        p = provider or {}
        row = {
            "urn": urn, "name": p.get("name") or report.get("provider_name"),
            "provider_type": p.get("provider_type") or p.get("category")
            or (types.label(report.get("report_type"), "") or None),
            "local_authority": p.get("local_authority") or report.get("local_authority"),
            "region": REGIONS.get(p.get("region") or "", p.get("region")),
            "owner": p.get("owner") or report.get("owner"), "status": p.get("status"),
            "latest_inspection": best.get("inspection_date"),
            "latest_grade": best.get("overall"), "reports": counts.get(urn, 0),
            "page_url": p.get("page_url"), "report_type": report.get("report_type"),
        }
        row["name"] = _display_name(row)
        if needle and not any(needle in str(row.get(k) or "").lower()
                              for k in ("urn", "name", "owner", "local_authority")):
            continue
        row.pop("report_type")
        out.append(row)
    return out


def events(db, *, match: Filter, since: str | None = None, kinds=None,
           news_only: bool = False) -> list[dict]:
    """Events across providers, newest first, that ``match`` accepts."""
    where, params = [], []
    if since:
        where.append("e.detected_at >= ?")
        params.append(since)
    if kinds:
        where.append(f"e.kind in ({','.join('?' * len(kinds))})")
        params.extend(kinds)
    if news_only:
        where.append("e.baseline = 0")
    rows = [dict(r) for r in db.query(
        "select e.id, e.detected_at, e.urn, e.kind, e.area, e.old_grade, e.new_grade, "
        "e.serious, e.baseline, r.inspection_date, r.publication_date, r.url as report_url, "
        "r.report_type, r.owner as report_owner, r.local_authority as report_la, "
        "r.provider_name from events e left join reports r on r.file_id = e.report_id"
        + (" where " + " and ".join(where) if where else "")
        + " order by e.detected_at desc, e.id desc", params)]
    urns = sorted({r["urn"] for r in rows})
    known = {}
    from .sql import dicts_in
    for p in dicts_in(db, "select urn, name, provider_type, category, local_authority, region, "
                          "owner from providers where urn in ({marks})", urns):
        known[p["urn"]] = p
    out = []
    for r in rows:
        provider = known.get(r["urn"])
        report = {"report_type": r["report_type"], "owner": r["report_owner"],
                  "local_authority": r["report_la"], "provider_name": r["provider_name"]}
        if not match.all and not match.matches(ProviderFacts(r["urn"], provider, report)):
            continue
        p = provider or {}
        row = {"id": r["id"], "detected_at": r["detected_at"], "urn": r["urn"],
               "name": p.get("name") or r["provider_name"],
               "provider_type": p.get("provider_type") or p.get("category")
               or (types.label(r["report_type"], "") or None),
               "local_authority": p.get("local_authority") or r["report_la"],
               "owner": p.get("owner") or r["report_owner"], "kind": r["kind"],
               "area": r["area"], "old_grade": r["old_grade"], "new_grade": r["new_grade"],
               "serious": bool(r["serious"]), "alerted": not r["baseline"],
               "inspection_date": r["inspection_date"],
               "publication_date": r["publication_date"], "report_url": r["report_url"],
               "report_type": r["report_type"]}
        row["name"] = _display_name(row)
        row.pop("report_type")
        out.append(row)
    return out


__all__ = ["BrowseError", "EVENT_COLUMNS", "PROVIDER_COLUMNS", "build_filter",
           "events", "grade", "parse_day", "providers"]
