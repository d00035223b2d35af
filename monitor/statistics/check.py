"""``mi check``: every report read from a PDF against the official row of the same inspection.

A report (a ``reports`` row with an extraction) and an official inspection are the same
inspection when the URN is the same and the official day (the last day inspected) is the report's
last day, first day or between them (``timeline.match_official``). For each such pair the fields
both could give are compared: the inspection kind (``event_type``) and every judgement area, the
headline as ``overall`` — the PDF's side through ``monitor.history.judgement_rows``, the very rows
the monitor stores, so what is compared is what detection reads. A field one side gives and the
other does not is a disagreement too (a PDF that missed a judgement the statistics have).

Each run replaces ``official_disagreements``: the monitor can hold an alert whose grades the
statistics contradict (``disagreements_for(db, report_id)``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..history import OVERALL, judgement_rows, load_extraction, utcnow
from .columns import HEADLINES
from .timeline import match_official, report_columns, report_dates

#: fields in the order they are listed
FIELD_ORDER = ("event_type", OVERALL)


@dataclass
class CheckResult:
    reports: int = 0                      # reports with an extraction
    matched: int = 0                      # … that are an inspection the statistics hold
    families: dict = field(default_factory=dict)   # family -> {matched, fields: {f: {agree, disagree}}}
    disagreements: list = field(default_factory=list)

    @property
    def compared(self) -> int:
        return sum(c["agree"] + c["disagree"] for f in self.families.values()
                   for c in f["fields"].values())

    @property
    def agreed(self) -> int:
        return sum(c["agree"] for f in self.families.values() for c in f["fields"].values())

    def to_dict(self) -> dict:
        return {"reports": self.reports, "matched": self.matched,
                "unmatched": self.reports - self.matched, "fields_compared": self.compared,
                "fields_agreed": self.agreed, "families": self.families,
                "disagreements": self.disagreements}


def pdf_fields(report: dict, extraction: dict) -> dict[str, str]:
    """The report's kind and judgements as the monitor reads them: {field: token}."""
    values = {}
    kind = extraction.get("inspection_kind") or report.get("inspection_kind")
    if kind:
        values["event_type"] = kind
    for row in judgement_rows(report["file_id"], report["urn"], extraction):
        area = OVERALL if row["area"] in HEADLINES else row["area"]
        values.setdefault(area, row["grade"])
    return values


def official_fields(row: dict) -> dict[str, str]:
    values = {"event_type": row["event_type"]} if row.get("event_type") else {}
    for area, judgement in row["judgements"].items():
        values[area] = judgement["grade"]
    return values


def _official_by_urn(db) -> dict[str, list[dict]]:
    """Official inspections (with judgements) of every URN some extracted report has."""
    urns = "select distinct upper(urn) from reports where extraction is not null"
    rows: dict[tuple, dict] = {}
    by_urn: dict[str, list[dict]] = defaultdict(list)
    for row in db.query(f"select * from official_inspections where urn in ({urns}) "
                        "order by urn, inspection_date, inspection_key"):
        row = dict(row, judgements={})
        rows[(row["urn"], row["inspection_key"])] = row
        by_urn[row["urn"]].append(row)
    for row in db.query("select urn, inspection_key, area, grade from official_judgements "
                        f"where urn in ({urns})"):
        found = rows.get((row["urn"], row["inspection_key"]))
        if found is not None:
            found["judgements"][row["area"]] = {"grade": row["grade"]}
    return by_urn


def run_check(db, now: str | None = None) -> CheckResult:
    """Compare, record the disagreements (replacing the last run's), return the tally."""
    now = now or utcnow()
    result = CheckResult()
    official = _official_by_urn(db)
    records = []
    for report in db.query(f"select {report_columns(db)} from reports "
                           "where extraction is not null order by urn, file_id"):
        extraction = load_extraction(report["extraction"])
        if extraction is None:
            continue
        result.reports += 1
        first, last = report_dates(report, extraction)
        kind = extraction.get("inspection_kind") or report.get("inspection_kind")
        row = match_official(official.get((report["urn"] or "").upper(), []), first, last, kind)
        if row is None:
            continue
        result.matched += 1
        family = extraction.get("report_type") or report.get("report_type") or "unknown"
        tally = result.families.setdefault(family, {"matched": 0, "fields": {}})
        tally["matched"] += 1
        pdf, stats = pdf_fields(report, extraction), official_fields(row)
        names = sorted(set(pdf) | set(stats),
                       key=lambda f: (FIELD_ORDER.index(f) if f in FIELD_ORDER else 9, f))
        for name in names:
            counts = tally["fields"].setdefault(name, {"agree": 0, "disagree": 0})
            if pdf.get(name) == stats.get(name):
                counts["agree"] += 1
                continue
            counts["disagree"] += 1
            records.append({
                "report_id": report["file_id"], "urn": row["urn"],
                "inspection_key": row["inspection_key"],
                "inspection_date": row["inspection_date"], "family": family, "field": name,
                "pdf": pdf.get(name), "statistics": stats.get(name), "url": report["url"],
                "checked_at": now})
    with db.atomic():
        db.execute("delete from official_disagreements")
        if records:
            db["official_disagreements"].insert_all(records, batch_size=1000)
    result.disagreements = [{k: v for k, v in r.items() if k != "checked_at"} for r in records]
    return result


def disagreements_for(db, report_id: str) -> list[dict]:
    """What the last ``mi check`` found the statistics contradict in one report: a list of
    {field, pdf, statistics, urn, inspection_date, inspection_key} (empty: none, or unchecked)."""
    return [dict(row) for row in db.query(
        "select field, pdf, statistics, urn, inspection_date, inspection_key "
        "from official_disagreements where report_id = ? order by field", [str(report_id)])]
