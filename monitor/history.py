"""A provider's history: judgements materialised from stored reports, and the history query.

``sync(db)`` turns each new or re-extracted report's extraction into ``judgements`` rows (one per
area, ``overall`` being the headline), each with the scale its grade belongs to. A report is read
again only when the crawler rewrites it: triggers on ``reports`` (migration m201) mark its
``monitor_reports`` row dirty, so a cycle touches only what changed, never the whole table.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from extract.grades import SCALES

#: The headline judgement's area key.
OVERALL = "overall"


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_extraction(text: str | None) -> dict | None:
    """The stored extraction as a dict, or None when there is none (or it is not JSON)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def scale_for(token: str | None) -> str:
    return SCALES[token][0] if token in SCALES else "unknown"


def judgement_rows(report_id: str, urn: str, extraction: dict | None,
                   overall_column: str | None = None) -> list[dict]:
    """One row per graded area of a report: the headline first, then each area."""
    rows = []
    extraction = extraction or {}
    labels = extraction.get("labels") or {}
    overall = extraction.get("overall") if extraction else overall_column
    if overall:
        rows.append({"report_id": report_id, "urn": urn, "area": OVERALL, "grade": overall,
                     "scale": scale_for(overall), "label": labels.get(OVERALL)})
    for area, grade in (extraction.get("judgements") or {}).items():
        if not grade or area == OVERALL:
            continue
        if area.startswith("overall_") and grade == overall:
            # the headline printed as an area ("overall experiences and progress",
            # "overall effectiveness"): one judgement, kept as ``overall`` so frameworks compare
            if rows and not rows[0]["label"]:
                rows[0]["label"] = labels.get(area)
            continue
        rows.append({"report_id": report_id, "urn": urn, "area": area, "grade": grade,
                     "scale": scale_for(grade), "label": labels.get(area)})
    return rows


def sync(db, now: str | None = None) -> int:
    """Materialise judgements for new and re-extracted reports; return how many were read."""
    now = now or utcnow()
    pending = db.execute(
        "select r.file_id, r.urn, r.extraction, r.overall from reports r "
        "left join monitor_reports m on m.report_id = r.file_id "
        "where m.report_id is null or m.dirty = 1").fetchall()
    if not pending:
        return 0
    with db.atomic():
        for file_id, urn, text, overall in pending:
            db.execute("delete from judgements where report_id = ?", [file_id])
            rows = judgement_rows(file_id, urn, load_extraction(text), overall)
            if rows:
                db.conn.executemany(
                    "insert into judgements (report_id, urn, area, grade, scale, label) "
                    "values (:report_id, :urn, :area, :grade, :scale, :label)", rows)
            db.execute(
                "insert into monitor_reports (report_id, dirty, detected, synced_at) "
                "values (?, 0, 0, ?) on conflict(report_id) do update set dirty = 0, "
                "synced_at = excluded.synced_at", [file_id, now])
    return len(pending)


def report_sort_key(report: dict) -> tuple:
    """Reports in the order they happened: inspection date, then publication date, then file."""
    return (report.get("inspection_date") or report.get("publication_date") or "",
            report.get("publication_date") or "", str(report.get("file_id") or ""))


def provider_history(db, urn: str) -> dict | None:
    """Everything known about one provider, oldest report first; None for an unknown URN."""
    urn = urn.strip()
    provider = next(iter(db["providers"].rows_where("urn = ?", [urn])), None)
    reports = [dict(row) for row in db["reports"].rows_where("urn = ?", [urn])]
    if provider is None and not reports:
        return None
    judgements: dict[str, dict] = {}
    for row in db["judgements"].rows_where("urn = ?", [urn]):
        judgements.setdefault(row["report_id"], {})[row["area"]] = {
            "grade": row["grade"], "scale": row["scale"], "label": row["label"]}
    items = []
    for report in sorted(reports, key=report_sort_key):
        extraction = load_extraction(report.get("extraction")) or {}
        items.append({
            "file_id": report["file_id"], "url": report.get("url"), "title": report.get("title"),
            "inspection_date": report.get("inspection_date"),
            "publication_date": report.get("publication_date"),
            "report_type": extraction.get("report_type") or report.get("report_type"),
            "inspection_kind": extraction.get("inspection_kind") or report.get("inspection_kind"),
            "overall": extraction.get("overall") or report.get("overall"),
            "judgements": judgements.get(report["file_id"], {}),
            "enforcement": extraction.get("enforcement") or [],
            "needs_review": bool(extraction.get("needs_review") or report.get("needs_review")),
            "review_reasons": extraction.get("review_reasons") or [],
            "extract_error": report.get("extract_error"),
        })
    events = [dict(row) for row in db["events"].rows_where(
        "urn = ?", [urn], order_by="detected_at, id")]
    for event in events:
        event.pop("enqueued_at", None)
        event["detail"] = load_extraction(event.get("detail")) or {}
        event["serious"] = bool(event["serious"])
        event["baseline"] = bool(event["baseline"])
    if provider is None:
        latest = load_extraction(reports[-1].get("extraction")) or {}
        provider = {"urn": urn, "name": latest.get("provider_name"),
                    "owner": latest.get("owner"), "local_authority": latest.get("local_authority")}
    return {"provider": dict(provider), "reports": items, "events": events}
