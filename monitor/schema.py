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

import contextlib
import errno
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


@migrations()
def m101_crawler_pending(db: sqlite_utils.Database):
    """Work a crawl owes: report files listed but not stored yet, provider pages that failed.
    Retried at the start of the next crawl (kind: 'file' or 'provider'; data: JSON)."""
    db["crawl_pending"].create({
        "url": str, "kind": str, "urn": str, "data": str, "attempts": int,
        "last_error": str, "updated_at": str,
    }, pk="url", if_not_exists=True)


@migrations()
def m201_monitor_state(db: sqlite_utils.Database):
    """Monitor bookkeeping. ``monitor_reports``: one row per report the history has read —
    ``dirty`` set again (by trigger) whenever the crawler rewrites the report's extraction;
    ``detected``: 0 not yet, 1 enforcement only (grades unread, needs review), 2 done for good.
    ``events.enqueued_at``: fanned out to subscriptions (set at once for baseline events, which
    never are); ``deliveries.claimed_at``: when a send
    began (a row left in ``sending`` is never resent blindly)."""
    db["monitor_reports"].create({
        "report_id": str, "dirty": int, "detected": int, "synced_at": str, "detected_at": str,
    }, pk="report_id", if_not_exists=True)
    db["monitor_reports"].create_index(["dirty"], if_not_exists=True)
    db["monitor_reports"].create_index(["detected"], if_not_exists=True)
    for sql in (
        "CREATE TRIGGER IF NOT EXISTS monitor_report_inserted AFTER INSERT ON reports BEGIN "
        "UPDATE monitor_reports SET dirty = 1 WHERE report_id = NEW.file_id; END",
        "CREATE TRIGGER IF NOT EXISTS monitor_report_updated AFTER UPDATE OF extraction, "
        "needs_review, extract_error, overall, inspection_date ON reports BEGIN "
        "UPDATE monitor_reports SET dirty = 1 WHERE report_id = NEW.file_id; END",
    ):
        db.execute(sql)
    if "enqueued_at" not in db["events"].columns_dict:
        db["events"].add_column("enqueued_at", str)
    db["events"].create_index(["enqueued_at"], if_not_exists=True)
    db["events"].create_index(["urn"], if_not_exists=True)
    if "claimed_at" not in db["deliveries"].columns_dict:
        db["deliveries"].add_column("claimed_at", str)
    db["deliveries"].create_index(["status", "next_attempt_at"], if_not_exists=True)


@migrations()
def m301_service_job_runs(db: sqlite_utils.Database):
    # one row per scheduled/manual job run (cycle, outbox, digest): outcome and one-line summary
    db["job_runs"].create({
        "id": int, "job": str, "started_at": str, "finished_at": str, "status": str,
        "summary": str,
    }, pk="id", if_not_exists=True)
    db["job_runs"].create_index(["job", "started_at"], if_not_exists=True)


@migrations()
def m202_report_facts(db: sqlite_utils.Database):
    """An extraction is parsed once (``history.record_extraction``) into columns of ``reports``
    and rows of ``judgements``; the triggers that marked reports dirty for a later sync go (the
    ``monitor_reports.dirty`` column stays, unused). Existing extractions are recorded now."""
    from .history import record_stored_extractions, report_facts, load_extraction

    for name, kind in (("provider_name", str), ("owner", str), ("local_authority", str),
                       ("inspection_end_date", str), ("enforcement", str),
                       ("review_reasons", str)):
        if name not in db["reports"].columns_dict:
            db["reports"].add_column(name, kind)
    db.execute("DROP TRIGGER IF EXISTS monitor_report_inserted")
    db.execute("DROP TRIGGER IF EXISTS monitor_report_updated")
    # a new PDF's bytes are looked up among stored extractions: indexed, not a scan
    db["reports"].create_index(["extracted_sha256", "extractor_version"], if_not_exists=True)
    db["monitor_reports"].create_index(["detected", "report_id"], if_not_exists=True)
    for file_id, text in db.execute(
            "select file_id, extraction from reports where extraction is not null").fetchall():
        facts = report_facts(load_extraction(text))
        facts.pop("extraction")
        db["reports"].update(file_id, facts)
    record_stored_extractions(db)


@migrations()
def m203_news_and_holds(db: sqlite_utils.Database):
    """``reports.baseline``: 1 when the report was already published when watching began (found
    by a crawl before the first successful crawl of a scope covering it), 0 when it is news,
    null when stored without that knowledge (see ``store.is_news``).
    ``monitor_reports.held_reason``: why a report's grade events wait (its previous inspection
    could not be read)."""
    if "baseline" not in db["reports"].columns_dict:
        db["reports"].add_column("baseline", int)
    if "held_reason" not in db["monitor_reports"].columns_dict:
        db["monitor_reports"].add_column("held_reason", str)


#: Page cache per connection, in KiB.
CACHE_KIB = 65536
#: How long a writer waits for another to finish before giving up (milliseconds).
BUSY_TIMEOUT_MS = 30_000


class Database(sqlite_utils.Database):
    """sqlite-utils' Database whose transactions begin as writers (``BEGIN IMMEDIATE``).

    A deferred ``BEGIN`` that reads and then writes cannot wait for another writer: SQLite
    refuses the upgrade at once ("database is locked") whatever the busy timeout. Beginning as a
    writer makes every transaction queue behind the current writer for up to the busy timeout
    instead. Implicit transactions (sqlite3's own, around ``insert_all`` and the like) begin
    IMMEDIATE too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conn.isolation_level = "IMMEDIATE"

    def atomic(self):
        if self.conn.in_transaction:
            return super().atomic()           # nested: a savepoint inside the writer's transaction
        return self._immediate()

    @contextlib.contextmanager
    def _immediate(self):
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                raise


def open_db(path: str | Path | None = None, *, memory: bool = False) -> Database:
    """Open (creating and migrating) the database. WAL mode; one connection per thread/job;
    writers queue for up to ``BUSY_TIMEOUT_MS``."""
    if memory:
        db = Database(memory=True)
    else:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:  # a file where a folder of the path should be
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", exc.filename) from None
        db = Database(path)
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # SQLite's default page cache is 2 MB: a history of a million reports keeps its indexes'
    # upper levels in memory with a larger one (memory is only taken as pages are read)
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    if migrations.pending(db):
        if memory:
            migrations.apply(db)
        else:
            _migrate_exclusively(db, path)
    return db


def _migrate_exclusively(db: sqlite_utils.Database, path: Path) -> None:
    """Two processes opening a new database at once must not both run m001: serialise on a lock
    file beside the database, then re-check what is still pending."""
    import fcntl

    with open(f"{path}.migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if migrations.pending(db):
                migrations.apply(db)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ---- public email subscribers (issue 11) ----


@migrations()
def m501_public_subscribers(db: sqlite_utils.Database):
    """Email sign-ups from the web site (``monitor/signups.py``) are ``subscriptions`` rows with
    ``source = 'web'``, the address in ``email`` (``notify_url`` stays empty: the send URL is
    made from the operator's mail URL at send time), ``active = 0`` until ``confirmed_at``;
    ``token_nonce`` is in every link made for the row (a deleted row's links die with it).
    ``signup_requests``: one row per sign-up asked for, by keyed hashes of the address and of
    the client (never the address itself), for rate limits."""
    columns = db["subscriptions"].columns_dict
    for name in ("email", "source", "confirmed_at", "token_nonce"):
        if name not in columns:
            db["subscriptions"].add_column(name, str)
    db["subscriptions"].create_index(["email"], if_not_exists=True)
    db["signup_requests"].create({
        "id": int, "at": str, "address_key": str, "client_key": str, "emailed": int,
    }, pk="id", if_not_exists=True)
    db["signup_requests"].create_index(["address_key", "at"], if_not_exists=True)
    db["signup_requests"].create_index(["client_key", "at"], if_not_exists=True)


# ---- official statistics (issue 12) ----


@migrations()
def m401_statistics_official(db: sqlite_utils.Database):
    """Ofsted's official statistics (monitor/statistics, docs/statistics.md).
    ``official_inspections``: one row per (URN, inspection key = event number, else
    "last day/event type"); ``inspection_date`` is the LAST day inspected; ``overall`` the
    headline token. ``official_judgements``: one row per (URN, key, area), headline as
    ``overall`` like ``judgements``. ``as_at``/``source_file``: the newest file a row's values
    come from. ``official_files``: each file imported (by content hash).
    ``official_disagreements``: the last ``mi check`` (replaced each run).
    ``providers`` gains registration date, places, where the owner came from
    (``owner_source = 'statistics'``) and the as-at date of the newest statistics read."""
    db["official_inspections"].create({
        "urn": str, "inspection_key": str, "event_number": str, "event_type": str,
        "event_type_printed": str, "inspection_date": str, "publication_date": str,
        "provision_type": str, "overall": str, "as_at": str, "source_file": str,
    }, pk=("urn", "inspection_key"), not_null={"urn", "inspection_key"}, if_not_exists=True)
    db["official_inspections"].create_index(["urn", "inspection_date"], if_not_exists=True)
    db["official_judgements"].create({
        "urn": str, "inspection_key": str, "area": str, "grade": str, "scale": str,
        "label": str, "as_at": str, "source_file": str,
    }, pk=("urn", "inspection_key", "area"), not_null={"urn", "inspection_key", "area"},
        if_not_exists=True)
    db["official_files"].create({
        "sha256": str, "source_file": str, "format": str, "as_at": str, "rows": int,
        "inspections": int, "imported_at": str,
    }, pk="sha256", if_not_exists=True)
    db["official_disagreements"].create({
        "id": int, "report_id": str, "urn": str, "inspection_key": str, "inspection_date": str,
        "family": str, "field": str, "pdf": str, "statistics": str, "url": str,
        "checked_at": str,
    }, pk="id", if_not_exists=True)
    db["official_disagreements"].create_index(["report_id"], if_not_exists=True)
    columns = db["providers"].columns_dict
    for name, kind in (("registration_date", str), ("places", int), ("owner_source", str),
                       ("statistics_as_at", str)):
        if name not in columns:
            db["providers"].add_column(name, kind)


@migrations()
def m402_statistics_provider_rows(db: sqlite_utils.Database):
    """``official_providers``: what each statistics file says about each provider (one row per
    URN and file; never an address, never REDACTED). ``providers`` takes each field from the
    newest file that gives it, so import order never matters; owner changes stay visible here."""
    db["official_providers"].create({
        "urn": str, "source_file": str, "as_at": str, "name": str, "provider_type": str,
        "local_authority": str, "region": str, "owner": str, "status": str,
        "registration_date": str, "places": int,
    }, pk=("urn", "source_file"), not_null={"urn", "source_file"}, if_not_exists=True)
    db["official_providers"].create_index(["urn", "as_at", "source_file"], if_not_exists=True)


@migrations()
def m403_statistics_judgement_rank(db: sqlite_utils.Database):
    """``official_judgements.file_rank``: which file an inspection's judgements come from —
    the earliest (its first publication), then the one giving more judgements, then by name
    ("as_at|99-count|file")."""
    if "file_rank" not in db["official_judgements"].columns_dict:
        db["official_judgements"].add_column("file_rank", str)
    db.execute(
        "update official_judgements set file_rank = as_at || '|' || printf('%02d', 99 - ("
        "select count(*) from official_judgements o where o.urn = official_judgements.urn "
        "and o.inspection_key = official_judgements.inspection_key "
        "and o.source_file = official_judgements.source_file)) || '|' || source_file "
        "where file_rank is null")


# ---- indexes for hot paths (issue: crawl_pending scan, local-authority page) ----


@migrations()
def m204_hot_path_indexes(db: sqlite_utils.Database):
    """Two lookups that scanned or sorted:

    ``crawl_pending(urn, kind)``: ``store.save_provider`` deletes a provider's owed page
    (``kind = 'provider' and urn = ?``) for every provider page it stores: an index search, not
    a scan of the table.

    ``reports`` in history order per provider (``web.queries.Store.provider_summaries``, the
    local-authority and owner pages): URN, then the order ``history.report_sort_key`` gives —
    ``coalesce(inspection_date, publication_date, '')``, ``coalesce(publication_date, '')``,
    ``file_id`` — then the columns the page reads, so the rows come out of the index already in
    order without touching the wide ``reports`` rows (no table lookups, no sort). The
    expressions must stay written exactly as the query writes them for SQLite to use it;
    ``tests/test_indexes.py`` checks the plan."""
    db["crawl_pending"].create_index(["urn", "kind"], if_not_exists=True)
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_reports_urn_history_order ON reports ("
        "urn, coalesce(inspection_date, publication_date, ''), coalesce(publication_date, ''), "
        "file_id, inspection_date, publication_date, overall, report_type)")


@migrations()
def m205_fewer_bookkeeping_indexes(db: sqlite_utils.Database):
    """Every report examined by detection updates ``monitor_reports.detected``; each index on
    the column is one more B-tree to change. ``(detected)`` alone is the prefix of
    ``(detected, report_id)`` (m202), which answers the same lookups, and ``dirty`` is no longer
    read (m202): both indexes go."""
    db.execute("DROP INDEX IF EXISTS idx_monitor_reports_detected")
    db.execute("DROP INDEX IF EXISTS idx_monitor_reports_dirty")
