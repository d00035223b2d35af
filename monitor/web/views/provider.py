"""``/provider/{urn}``: one provider's details, current grades, timeline and chart.

Children's-home reports are anonymised: a home is shown by URN, type, local authority, region
and owner; no address is ever shown or looked up.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from .. import charts, exports, words
from ..queries import group_events
from ..render import atom_response, data_links, not_found, page, split_format

REPORT_COLUMNS = ("file_id", "inspection_date", "publication_date", "report_type",
                  "inspection_kind", "overall", "areas", "enforcement", "events", "needs_review",
                  "url")


def display_name(provider: dict, report_type: str | None = None) -> str:
    """A heading for a provider: its name, unless the name is only its owner (anonymised
    children's homes), then its type and URN."""
    label = words.type_label(report_type, provider.get("provider_type"))
    name = (provider.get("name") or "").strip()
    home = "home" in label or "home" in (provider.get("provider_type") or "").lower()
    if name and name != (provider.get("owner") or "").strip() and not home:
        return name
    return f"{label[:1].upper()}{label[1:]} {provider['urn']}"


def kind_words(kind: str | None) -> str:
    """"full" → "Full inspection", "monitoring-visit" → "Monitoring visit"."""
    text = (kind or "").replace("-", " ").replace("_", " ").strip()
    if not text:
        return "Inspection"
    if "inspection" not in text and "visit" not in text:
        text += " inspection"
    return text[:1].upper() + text[1:]


def model(history: dict) -> dict:
    provider = dict(history["provider"])
    reports = history["reports"]
    events_by_report: dict[str, list[dict]] = {}
    for event in history["events"]:
        events_by_report.setdefault(event["report_id"], []).append(event)
    latest_type = next((r["report_type"] for r in reversed(reports) if r["report_type"]), None)
    timeline = []
    for report in reversed(reports):
        areas = [{"area": area, "words": words.area_words(area, j.get("label")),
                  "grade": j["grade"]}
                 for area, j in sorted(report["judgements"].items(),
                                       key=lambda item: (item[0] != "overall", item[0]))
                 if j.get("scale") not in ("none",)]
        timeline.append({**report, "areas": areas,
                         "events": sorted((e for e in events_by_report.get(report["file_id"], [])
                                           if e["kind"] != "published"),
                                          key=lambda e: (e["kind"] == "enforcement",
                                                         e["area"] != "overall")),
                         "kind_words": kind_words(report["inspection_kind"]),
                         "type_words": words.type_label(report["report_type"],
                                                        provider.get("provider_type"))})
    current = next((item for item in timeline if any(
        words.grade_rank(a["grade"]) for a in item["areas"])), None)
    official = [{
        "inspection_date": row["inspection_date"],
        "kind_words": row.get("event_type_printed") or kind_words(row.get("event_type")),
        "publication_date": row.get("publication_date"),
        "has_report": bool(row.get("report_id")),
        "areas": [{"words": words.area_words(area, (j or {}).get("label")),
                   "grade": (j or {}).get("grade")}
                  for area, j in sorted((row.get("judgements") or {}).items(),
                                        key=lambda item: (item[0] != "overall", item[0]))
                  if (j or {}).get("grade")],
    } for row in reversed(history.get("official") or [])]
    return {
        "provider": provider,
        "name": display_name(provider, latest_type),
        "type_words": words.type_label(latest_type, provider.get("provider_type")),
        "region": words.region_name(provider.get("region")),
        "la_slug": words.slugify(provider.get("local_authority")),
        "owner_slug": words.slugify(provider.get("owner")),
        "current": current,
        "timeline": timeline,
        "official": official,
        "chart": charts.grade_chart(reports),
        "page_url": provider.get("page_url"),
    }


def report_records(timeline: list[dict]) -> list[dict]:
    return [{
        "file_id": r["file_id"], "inspection_date": r["inspection_date"],
        "publication_date": r["publication_date"], "report_type": r["report_type"],
        "inspection_kind": r["inspection_kind"], "overall": r["overall"],
        "areas": "; ".join(f"{a['area']}={a['grade']}" for a in r["areas"]),
        "enforcement": "; ".join(r["enforcement"]),
        "events": "; ".join(f"{e['kind']}:{e['area']}" for e in r["events"]),
        "needs_review": int(r["needs_review"]), "url": r["url"],
    } for r in timeline]


def provider_page(request: Request):
    raw, fmt = split_format(request.path_params["urn"])
    urn = words.normalise_urn(raw) or raw.strip()
    if urn != raw and fmt == "html":
        return RedirectResponse(f"/provider/{urn}", status_code=301)
    store = request.app.state.store
    history = store.provider(urn)
    if history is None:
        return not_found(request, f"No provider with the URN “{raw}” is in this service's "
                                  f"records. Check the number, or search by local authority "
                                  f"or owner.", q=raw)
    m = model(history)
    path = f"/provider/{urn}"
    if fmt == "json":
        return exports.json_response(history)
    if fmt == "csv":
        return exports.csv_response(report_records(m["timeline"]), REPORT_COLUMNS,
                                    f"provider-{urn}.csv")
    if fmt == "atom":
        events = [dict(e, **_event_context(history, e)) for e in history["events"]]
        groups = group_events(sorted(events, key=lambda e: e["id"], reverse=True))
        return atom_response(request, groups, f"{m['name']}: changes in Ofsted outcomes", path)
    return page(request, "provider.html", {
        **m, "title": m["name"], "feeds": data_links(request, path, keep_query=False),
        "feed_title": f"{m['name']}: changes (Atom)",
        "subscribe": f"/subscribe?urn={urn}"})


def _event_context(history: dict, event: dict) -> dict:
    report = next((r for r in history["reports"] if r["file_id"] == event["report_id"]), {})
    p = history["provider"]
    return {"report_url": report.get("url"), "inspection_date": report.get("inspection_date"),
            "publication_date": report.get("publication_date"),
            "report_type": report.get("report_type"), "provider_type": p.get("provider_type"),
            "owner": p.get("owner"), "local_authority": p.get("local_authority")}

