"""A provider's official timeline, and how an official row and a PDF report are the same
inspection.

The statistics give an inspection's last day; a report gives its first and last day (the stored
``reports.inspection_date`` and the extraction's ``inspection_date`` / ``inspection_end_date``).
They are the same inspection when the URN is the same and the official day is the report's last
day, its first day, or lies between them. When several official rows fit (a full inspection and
a monitoring visit in the same week), the one of the report's inspection kind is chosen.
"""
from __future__ import annotations

from ..sql import json_object as load_extraction

SOURCE = "statistics"


def report_dates(report: dict, extraction: dict | None = None) -> tuple[str | None, str | None]:
    """(first day, last day) of a stored report: the extraction's, else the reports row's."""
    extraction = extraction if extraction is not None else (
        load_extraction(report.get("extraction")) or {})
    first = extraction.get("inspection_date") or report.get("inspection_date")
    last = extraction.get("inspection_end_date") or report.get("inspection_end_date") or first
    if first and last and last < first:
        first, last = last, first
    return first, last


def report_columns(db) -> str:
    """The ``reports`` columns matching reads (``inspection_end_date`` where the schema has it)."""
    wanted = ("file_id", "urn", "url", "report_type", "inspection_kind", "overall",
              "inspection_date", "inspection_end_date", "extraction")
    have = db["reports"].columns_dict
    return ", ".join(c for c in wanted if c in have)


def same_inspection(official_date: str | None, first: str | None, last: str | None) -> bool:
    if not official_date or not (first or last):
        return False
    first, last = first or last, last or first
    return first <= official_date <= last


def match_official(rows: list[dict], first: str | None, last: str | None,
                   kind: str | None = None) -> dict | None:
    """The official row (of one URN's ``rows``) that is the report's inspection, or None."""
    found = [row for row in rows if same_inspection(row["inspection_date"], first, last)]
    if not found:
        return None
    found.sort(key=lambda row: (row["event_type"] != kind, row["inspection_date"] != last,
                                row["inspection_key"]))
    return found[0]


def official_rows(db, urn: str) -> list[dict]:
    """The official inspections of one URN, oldest first, each with its ``judgements``
    ({area: {grade, scale, label}})."""
    urn = urn.strip().upper()
    rows = [dict(row) for row in db.query(
        "select * from official_inspections where urn = ? "
        "order by inspection_date, inspection_key", [urn])]
    judgements: dict[str, dict] = {}
    for row in db.query("select inspection_key, area, grade, scale, label "
                        "from official_judgements where urn = ?", [urn]):
        judgements.setdefault(row["inspection_key"], {})[row["area"]] = {
            "grade": row["grade"], "scale": row["scale"], "label": row["label"]}
    for row in rows:
        row["judgements"] = judgements.get(row["inspection_key"], {})
    return rows


def official_timeline(db, urn: str) -> list[dict]:
    """Every official inspection of a provider, oldest first, for history and web pages.

    Each item: ``source`` ('statistics'), ``inspection_key``, ``event_number``, ``event_type``
    (full, interim, monitoring, assurance, emergency…), ``event_type_printed``,
    ``inspection_date`` (last day inspected, ISO), ``publication_date``, ``provision_type``,
    ``overall`` (headline token or None), ``judgements`` ({area: {grade, scale, label}}, the
    headline under ``overall``), ``source_file``, and — when the crawler has read the same
    inspection's PDF — ``report_id`` and ``report_url`` (else None)."""
    if not db["official_inspections"].exists():  # a database opened read-only, not migrated
        return []
    rows = official_rows(db, urn)
    if not rows:
        return []
    reports = [dict(row) for row in db.query(  # by the index on urn: URNs are stored upper case
        f"select {report_columns(db)} from reports where urn in (?, ?)",
        [urn.strip(), urn.strip().upper()])]
    matched: dict[str, dict] = {}
    for report in reports:
        extraction = load_extraction(report.get("extraction")) or {}
        first, last = report_dates(report, extraction)
        kind = extraction.get("inspection_kind") or report.get("inspection_kind")
        row = match_official(rows, first, last, kind)
        if row is not None:
            matched.setdefault(row["inspection_key"], report)
    timeline = []
    for row in rows:
        report = matched.get(row["inspection_key"])
        timeline.append({
            "source": SOURCE, "inspection_key": row["inspection_key"],
            "event_number": row["event_number"], "event_type": row["event_type"],
            "event_type_printed": row["event_type_printed"],
            "inspection_date": row["inspection_date"],
            "publication_date": row["publication_date"],
            "provision_type": row["provision_type"], "overall": row["overall"],
            "judgements": row["judgements"], "source_file": row["source_file"],
            "report_id": report["file_id"] if report else None,
            "report_url": report["url"] if report else None,
        })
    return timeline


def previous_official(db, urn: str, before: str, scale: str | None = None) -> dict | None:
    """The latest official inspection with a headline grade (on ``scale``, if given:
    ``four_point`` skips interim outcomes) whose last day is before ``before`` (ISO) — what
    detection can compare the first report read after an import with. Returns
    {inspection_key, event_type, inspection_date, overall, judgements: {area: grade}} or None."""
    urn = urn.strip().upper()
    row = db.execute(
        "select i.inspection_key, i.event_type, i.inspection_date, j.grade "
        "from official_inspections i join official_judgements j using (urn, inspection_key) "
        "where i.urn = ? and i.inspection_date < ? and j.area = 'overall' "
        "and j.grade != 'not_judged' and (? is null or j.scale = ?) "
        "order by i.inspection_date desc, i.inspection_key desc limit 1",
        [urn, before, scale, scale]).fetchone()
    if row is None:
        return None
    found = dict(zip(("inspection_key", "event_type", "inspection_date", "overall"), row))
    found["judgements"] = dict(db.execute(
        "select area, grade from official_judgements where urn = ? and inspection_key = ?",
        [urn, found["inspection_key"]]).fetchall())
    return found


def official_grades(db, urns) -> dict[str, list[dict]]:
    """For detection: each URN's official inspections that carry grades, oldest first, as
    {inspection_key, event_type, inspection_date (last day), grades: {area: (grade, scale)}}
    — to be read as earlier inspections, so the first PDF read after an import is compared with
    the real previous grade. URNs with none are left out."""
    found: dict[str, dict] = {}
    urns = sorted({u.strip().upper() for u in urns if u})
    for start in range(0, len(urns), 500):
        chunk = urns[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for urn, key, kind, date, area, grade, scale in db.execute(
                "select i.urn, i.inspection_key, i.event_type, i.inspection_date, j.area, "
                "j.grade, j.scale from official_inspections i join official_judgements j "
                f"using (urn, inspection_key) where i.urn in ({marks})", chunk):
            item = found.setdefault((urn, key), {
                "urn": urn, "inspection_key": key, "event_type": kind, "inspection_date": date,
                "grades": {}})
            item["grades"][area] = (grade, scale)
    by_urn: dict[str, list[dict]] = {}
    for item in sorted(found.values(), key=lambda i: (i["inspection_date"] or "",
                                                      i["inspection_key"])):
        by_urn.setdefault(item.pop("urn"), []).append(item)
    return by_urn
