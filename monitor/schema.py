"""The database schema, made and upgraded idempotently by sqlite-migrate.

One SQLite file holds everything. Tables (owner in brackets):
  providers      (crawler)  one row per URN, latest known details
  reports        (crawler)  one row per published report file, with its extraction
  crawl_runs     (crawler)  one row per crawl, with outcome and reason
  crawl_errors   (crawler)  URL + reason for each failure in a run
  judgements     (monitor)  one row per (report, area): grade token and scale
  events         (monitor)  downgrade / declined / enforcement / inadequate / upgrade, once per report
  subscriptions  (monitor)  who wants what, where (Apprise URL, never printed)
  deliveries     (monitor)  the outbox: one row per (event, subscription)

Append new migrations at the end; never edit one that has shipped.
"""
from __future__ import annotations

from pathlib import Path

import sqlite_utils
from sqlite_migrate import Migrations

migrations = Migrations("ofsted_watch")


@migrations()
def m001_core(db: sqlite_utils.Database):
    db["providers"].create({
        "urn": str, "name": str, "category": str, "provider_type": str,
        "local_authority": str, "region": str, "owner": str, "status": str,
        "page_url": str, "latest_report_date": str, "first_seen": str, "updated_at": str,
    }, pk="urn", not_null={"urn"}, if_not_exists=True)
    db["reports"].create({
        "file_id": str,            # files.ofsted.gov.uk numeric id (text), unique per published file
        "urn": str, "url": str, "title": str,
        "inspection_date": str, "publication_date": str,
        "sha256": str, "size": int, "path": str, "downloaded_at": str,
        "report_type": str, "inspection_kind": str, "overall": str,
        "extraction": str,         # JSON of extract.Report.to_dict()
        "extractor_version": str, "extracted_sha256": str, "needs_review": int,
        "extract_error": str, "first_seen": str,
    }, pk="file_id", not_null={"file_id", "urn"}, if_not_exists=True)
    db["reports"].create_index(["urn"], if_not_exists=True)
    db["reports"].create_index(["publication_date"], if_not_exists=True)
    db["crawl_runs"].create({
        "id": int, "started_at": str, "finished_at": str, "status": str, "mode": str,
        "scope": str, "since": str, "reason": str, "pages": int, "providers": int,
        "new_reports": int, "errors": int, "requests": int,
    }, pk="id", if_not_exists=True)
    db["crawl_errors"].create({
        "id": int, "run_id": int, "url": str, "reason": str, "at": str,
    }, pk="id", foreign_keys=[("run_id", "crawl_runs", "id")], if_not_exists=True)
    db["judgements"].create({
        "report_id": str, "urn": str, "area": str, "grade": str, "scale": str, "label": str,
    }, pk=("report_id", "area"), foreign_keys=[("report_id", "reports", "file_id")],
        if_not_exists=True)
    db["judgements"].create_index(["urn"], if_not_exists=True)
    db["events"].create({
        "id": int, "report_id": str, "urn": str, "kind": str, "area": str,
        "old_grade": str, "new_grade": str, "serious": int, "baseline": int,
        "detected_at": str, "detail": str,
    }, pk="id", foreign_keys=[("report_id", "reports", "file_id")], if_not_exists=True)
    db["events"].create_index(["report_id", "kind", "area"], unique=True, if_not_exists=True)
    db["subscriptions"].create({
        "id": int, "name": str, "notify_url": str, "filters": str, "events": str,
        "digest": str, "created_at": str, "active": int,
    }, pk="id", if_not_exists=True)
    db["deliveries"].create({
        "id": int, "event_id": int, "subscription_id": int, "status": str, "attempts": int,
        "last_error": str, "next_attempt_at": str, "sent_at": str, "created_at": str,
    }, pk="id", foreign_keys=[("event_id", "events", "id"),
                              ("subscription_id", "subscriptions", "id")], if_not_exists=True)
    db["deliveries"].create_index(["event_id", "subscription_id"], unique=True, if_not_exists=True)


# ---- later migrations go below this line ----


def open_db(path: str | Path | None = None, *, memory: bool = False) -> sqlite_utils.Database:
    """Open (creating and migrating) the database. WAL mode; one connection per thread/job."""
    if memory:
        db = sqlite_utils.Database(memory=True)
    else:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 10000")
    migrations.apply(db)
    return db
