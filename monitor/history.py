"""A provider's history: what each report says, and the history query.

``record_extraction`` is the one place an extraction is parsed: it writes the report's facts as
columns of ``reports`` (type, kind, headline grade, owner, local authority, enforcement, review
reasons), its ``judgements`` rows (one per area, ``overall`` being the headline, each with the
scale its grade belongs to), its ``monitor_reports`` row (what detection has done with it), and
the provider's owner ("the latest report with an owner wins"). Detection, the outbox, messages
and pages read those rows and columns, never the extraction JSON, which is kept as the record of
what the extractor said.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from extract.grades import SCALES

from .sql import json_object as load_extraction  # the stored extraction as a dict (or None)

#: The headline judgement's area key.
OVERALL = "overall"


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")



def json_list(text: str | None) -> list:
    """A JSON list column (enforcement, review reasons) as a list."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def scale_for(token: str | None) -> str:
    return SCALES[token][0] if token in SCALES else "unknown"


def judgement_rows(report_id: str, urn: str, extraction: dict | None) -> list[dict]:
    """One row per graded area of a report: the headline first, then each area."""
    rows = []
    extraction = extraction or {}
    labels = extraction.get("labels") or {}
    overall = extraction.get("overall")
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


def report_facts(report: dict | None) -> dict:
    """The ``reports`` columns an extraction fills (None: nothing could be read)."""
    if report is None:
        return {"extraction": None, "needs_review": 1}
    return {
        "extraction": json.dumps(report, sort_keys=True),
        "report_type": report.get("report_type"),
        "inspection_kind": report.get("inspection_kind"),
        "overall": report.get("overall"),
        "provider_name": report.get("provider_name"),
        "owner": report.get("owner"),
        "local_authority": report.get("local_authority"),
        "inspection_end_date": report.get("inspection_end_date"),
        "enforcement": json.dumps(report.get("enforcement") or []),
        "review_reasons": json.dumps(report.get("review_reasons") or []),
        "needs_review": 1 if report.get("needs_review") else 0,
    }


def record_extraction(db, file_id: str, *, sha256: str | None, version: str | None,
                      report: dict | None, error: str | None, now: str | None = None) -> None:
    """Store what the extractor read from one report file (or why it could not), in one
    transaction: the report's columns, its judgements, its detection bookkeeping, its provider's
    owner. Re-recording a report (new bytes, new extractor) replaces all of it; what detection
    already did with the report stands (``monitor_reports.detected`` is kept)."""
    now = now or utcnow()
    with db.atomic():
        found = db.execute("select urn, inspection_date from reports where file_id = ?",
                           [file_id]).fetchone()
        if found is None:
            raise KeyError(f"no stored report {file_id}")
        urn, inspected = found
        fields = {"extractor_version": version, "extracted_sha256": sha256,
                  "extract_error": error, **report_facts(report)}
        if report and not inspected and report.get("inspection_date"):
            fields["inspection_date"] = report["inspection_date"]  # the site's date, else the PDF's
        db["reports"].update(file_id, fields)
        db.execute("delete from judgements where report_id = ?", [file_id])
        rows = judgement_rows(file_id, urn, report)
        if rows:
            db.conn.executemany(
                "insert into judgements (report_id, urn, area, grade, scale, label) "
                "values (:report_id, :urn, :area, :grade, :scale, :label)", rows)
        # detection: a new report is to be examined (0); one examined while unreadable
        # (1, waiting) is examined again once it reads; one done for good (2) stays done
        readable = bool(report) and not report.get("needs_review") and not error
        db.execute(
            "insert into monitor_reports (report_id, dirty, detected, synced_at) "
            "values (?, 0, 0, ?) on conflict(report_id) do update set "
            "synced_at = excluded.synced_at, detected = case when detected = 1 and ? "
            "then 0 else detected end", [file_id, now, int(readable)])
        # reports of this provider held for a previous inspection that could not be read are
        # examined again now that one of its reports was read anew (detect.HELD → 0)
        db.execute("update monitor_reports set detected = 0 where detected = 3 and report_id in "
                   "(select file_id from reports where urn = ?)", [urn])
        if report and report.get("owner"):
            update_owner(db, urn)


def update_owner(db, urn: str) -> None:
    """Owners change hands: the provider's owner is the one named by its most recently
    published report that names one — unless Ofsted's official statistics (``mi import``) name
    the owner as at a date after that report was published: the official name is canonical."""
    row = db.execute(
        "select owner, coalesce(publication_date, inspection_date, '') from reports "
        "where urn = ? and owner is not null and owner != '' "
        "order by coalesce(publication_date, '') desc, coalesce(inspection_date, '') desc "
        "limit 1", [urn]).fetchone()
    if row:
        db.execute("update providers set owner = ?, owner_source = 'report' where urn = ? and "
                   "not (coalesce(owner_source, '') = 'statistics' and "
                   "coalesce(statistics_as_at, '') >= ?)", [row[0], urn, row[1]])


def record_stored_extractions(db) -> int:
    """Record every stored extraction that has no ``monitor_reports`` row yet (databases made
    before extractions were recorded as rows). Returns how many."""
    todo = db.execute(
        "select r.file_id, r.extracted_sha256, r.extractor_version, r.extraction, "
        "r.extract_error from reports r left join monitor_reports m on m.report_id = r.file_id "
        "where m.report_id is null and (r.extraction is not null or r.extract_error is not null)"
    ).fetchall()
    for file_id, sha, version, text, error in todo:
        record_extraction(db, file_id, sha256=sha, version=version,
                          report=load_extraction(text), error=error)
    return len(todo)


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
        items.append({
            "file_id": report["file_id"], "url": report.get("url"), "title": report.get("title"),
            "inspection_date": report.get("inspection_date"),
            "inspection_end_date": report.get("inspection_end_date"),
            "publication_date": report.get("publication_date"),
            "report_type": report.get("report_type"),
            "inspection_kind": report.get("inspection_kind"),
            "overall": report.get("overall"),
            "judgements": judgements.get(report["file_id"], {}),
            "enforcement": json_list(report.get("enforcement")),
            "needs_review": bool(report.get("needs_review")),
            "review_reasons": json_list(report.get("review_reasons")),
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
        latest = max(reports, key=report_sort_key)
        provider = {"urn": urn, "name": latest.get("provider_name"),
                    "owner": latest.get("owner"), "local_authority": latest.get("local_authority")}
    from .statistics.timeline import official_timeline  # Ofsted's statistics, oldest first
    return {"provider": dict(provider), "reports": items, "events": events,
            "official": official_timeline(db, urn)}
