"""The one place that writes what a crawl finds: providers, reports, crawl runs, failures and
the work a crawl owes the next one (tables in monitor/schema.py).

``save_*`` functions only write, each one unit of work in one transaction, so a crawl killed at
any point leaves whole rows or none. Reads used while crawling are small point lookups, so
memory stays flat however large the site grows. Extractions are recorded by
``history.record_extraction`` (through ``monitor/extraction.py``), not here.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import sqlite_utils

from . import locks
from .history import utcnow as now
from .schema import open_db

#: how far before the last successful crawl an incremental crawl starts looking
SAFETY_OVERLAP = timedelta(days=3)
#: a listed file or provider page that keeps failing is given up after this many runs
MAX_PENDING_ATTEMPTS = 5

__all__ = ["open_db", "now", "start_run", "finish_run", "last_success_start", "default_since",
           "save_provider", "save_report", "save_failure", "pending", "known_latest",
           "known_latest_many", "Known", "have_file", "stored_files", "clean_text", "clean",
           "hold_crawl_lock", "CrawlBusy", "crawl_log_path"]


# ---- clean text in ---------------------------------------------------------------------------
#: Terminal escape sequences (CSI, OSC/DCS/PM/APC strings, other ESC sequences, their 8-bit
#: forms), then every other C0/C1 control character and DEL; tab and newline stay.
_CONTROL = re.compile(r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                          # CSI ... final byte
    | (?:\x1b[]P^_X]|[\x90\x98\x9d\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?  # strings
    | \x1b [ -/]* [0-~]?                                             # other escapes
    | [\x00-\x08\x0b-\x1f\x7f-\x9f]                                     # C0, DEL, C1
""", re.VERBOSE)


def clean_text(text):
    """``text`` without terminal escape sequences or control characters (anything else is
    returned unchanged). Everything from the site or a PDF passes through here on the way in."""
    if not isinstance(text, str):
        return text
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def clean(value):
    """``clean_text`` through dicts, lists and dataclass items (bytes are left alone)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            current = getattr(value, name)
            if isinstance(current, (str, dict, list, tuple)):
                setattr(value, name, clean(current))
    return value


# ---- one crawl per database ------------------------------------------------------------------
#: A parent that holds the lock for its crawl child names the inherited descriptor here.
LOCK_FD_ENV = "OFSTED_WATCH_CRAWL_LOCK_FD"


class CrawlBusy(OSError):
    """Another crawl holds this database's crawl lock (one line, naming its pid)."""


def crawl_lock_path(db_path) -> Path:
    return Path(f"{db_path}.crawl.lock")


def crawl_log_path(db_path) -> Path:
    """Where a crawl child's log is kept: beside the database."""
    return Path(f"{db_path}.crawl.log")


def hold_crawl_lock(db_path):
    """Take the database's crawl lock (``{db}.crawl.lock``, ``fcntl.flock``) and write our pid in
    it; CrawlBusy at once, naming the holder's pid, if another crawl holds it. Keep the returned
    file open for as long as the crawl runs: the lock goes with it (or with the process). A crawl
    child whose parent already holds the lock is handed the descriptor (``LOCK_FD_ENV``)."""
    import fcntl

    path = crawl_lock_path(db_path)
    inherited = os.environ.get(LOCK_FD_ENV)
    if inherited and inherited.isdigit():
        try:
            fd = int(inherited)
            same = os.fstat(fd).st_ino == path.stat().st_ino
            if same:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # ours already: succeeds
                return os.fdopen(fd, "r", closefd=False)
        except OSError:
            pass
    try:
        return locks.take(path, str(os.getpid()))
    except locks.Held as held:
        raise CrawlBusy(f"another crawl (pid {held.holder or 'unknown'}) is running on this "
                        f"database (lock {path}); try again when it ends") from None


def _tx(db: sqlite_utils.Database):
    return db.atomic()  # one transaction: commit or roll back as a whole


# ---- runs ------------------------------------------------------------------------------------
def start_run(db, *, mode: str, scope: str, since: str | None) -> int:
    with _tx(db):
        table = db["crawl_runs"]
        table.insert({"started_at": now(), "status": "running", "mode": mode, "scope": scope,
                      "since": since, "pages": 0, "providers": 0, "new_reports": 0,
                      "errors": 0, "requests": 0})
        return table.last_pk


def finish_run(db, run_id: int, *, status: str, reason: str | None = None, **counts) -> None:
    with _tx(db):
        db["crawl_runs"].update(run_id, {"finished_at": now(), "status": status,
                                         "reason": reason, **counts})


def describe_run(db, run_id: int, *, mode: str, scope: str, since: str | None) -> None:
    """Fill in what a run opened by its parent process (``crawl_in_subprocess``) covers."""
    with _tx(db):
        db["crawl_runs"].update(run_id, {"mode": mode, "scope": scope, "since": since})


def close_interrupted(db, *, keep: int | None = None) -> int:
    """Mark runs still 'running' (their process was killed) as failed; one crawl at a time
    per database is the rule, so any such row is stale. Returns how many."""
    reason = "interrupted: the crawl process ended without recording an outcome"
    log = _log_beside(db)
    if log:
        reason += f" (see {log})"
    with _tx(db):
        cursor = db.execute(
            "update crawl_runs set status = 'failed', finished_at = ?, reason = ? "
            "where status = 'running' and id != ?", [now(), reason, keep or -1])
        return cursor.rowcount


def _log_beside(db) -> Path | None:
    """The crawl log beside this connection's database file, if there is one."""
    for _, name, file in db.execute("pragma database_list"):
        if name == "main" and file:
            log = crawl_log_path(file)
            return log if log.exists() else None
    return None


def run_summary(db, run_id: int) -> dict:
    row = dict(db["crawl_runs"].get(run_id))
    row["run_id"] = row.pop("id")
    return row


def last_success_start(db, scope: str) -> str | None:
    row = db.execute("select started_at from crawl_runs where status = 'ok' and scope = ? "
                     "order by started_at desc limit 1", [scope]).fetchone()
    return row[0] if row else None


def default_since(db, scope: str) -> str | None:
    """ISO date an incremental crawl starts from: last success minus the overlap (or None:
    never crawled successfully, so walk everything)."""
    started = last_success_start(db, scope)
    if not started:
        return None
    return (datetime.fromisoformat(started) - SAFETY_OVERLAP).date().isoformat()


# ---- what we know ----------------------------------------------------------------------------
#: keys asked at once in one ``in (...)`` lookup (well under SQLite's variable limit)
LOOKUP_CHUNK = 500


class Known(NamedTuple):
    """What the crawl needs to know of a stored provider to leave it alone: the latest report
    date its page showed, and when that page was stored (``updated_at``, ISO, UTC)."""
    latest_report_date: str | None
    fetched_at: str | None


def known_latest(db, urn: str) -> Known | None:
    """The stored provider's latest report date and when its page was stored (None: unknown)."""
    return known_latest_many(db, [urn]).get(urn)


def known_latest_many(db, urns) -> dict[str, Known]:
    """``known_latest`` for many URNs at once (primary-key lookups): those stored, by URN."""
    urns = list(dict.fromkeys(urns))
    found = {}
    for i in range(0, len(urns), LOOKUP_CHUNK):
        chunk = urns[i:i + LOOKUP_CHUNK]
        for urn, latest, fetched in db.execute(
                "select urn, latest_report_date, updated_at from providers where urn in "
                f"({', '.join('?' * len(chunk))})", chunk).fetchall():
            found[urn] = Known(latest, fetched)
    return found


def have_file(db, file_id: str) -> bool:
    return db.execute("select 1 from reports where file_id = ?", [file_id]).fetchone() is not None


def stored_files(db, file_ids) -> set[str]:
    """The file ids among ``file_ids`` already stored (primary-key lookups)."""
    ids = list(dict.fromkeys(file_ids))
    found = set()
    for i in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[i:i + LOOKUP_CHUNK]
        found.update(row[0] for row in db.execute(
            f"select file_id from reports where file_id in ({', '.join('?' * len(chunk))})",
            chunk).fetchall())
    return found


def pending(db, max_attempts: int = MAX_PENDING_ATTEMPTS):
    """Files listed but never stored, provider pages that failed: retried by the next run."""
    for row in db.query("select * from crawl_pending where attempts < ? order by kind desc, url",
                        [max_attempts]):
        row["data"] = json.loads(row["data"] or "{}")
        yield row


# ---- writes ----------------------------------------------------------------------------------
def save_provider(db, item) -> None:
    """Upsert one provider and remember each listed report not stored yet (crawl_pending), in
    one transaction: if the crawl dies before the PDFs arrive, the next run fetches them."""
    item = clean(item)
    stamp = now()
    row = {
        "urn": item.urn, "name": item.name, "category": item.category,
        "provider_type": item.provider_type, "local_authority": item.local_authority,
        "region": item.region, "status": item.status, "page_url": item.page_url,
        "latest_report_date": item.latest_report_date, "updated_at": stamp,
    }
    with _tx(db):
        existing = db.execute("select first_seen, latest_report_date from providers "
                              "where urn = ?", [item.urn]).fetchone()
        row["first_seen"] = existing[0] if existing else stamp
        if existing and existing[1] and (not row["latest_report_date"]
                                         or existing[1] > row["latest_report_date"]):
            row["latest_report_date"] = existing[1]
        # never blank a known value with an empty one
        row = {k: v for k, v in row.items() if v not in (None, "") or k == "urn"}
        db["providers"].upsert(row, pk="urn", alter=False)
        # provider page worked: it is no longer owed
        db.execute("delete from crawl_pending where kind = 'provider' and urn = ?", [item.urn])
        for report in item.missing:
            db.execute(
                "insert into crawl_pending (url, kind, urn, data, attempts, updated_at) "
                "values (?, 'file', ?, ?, 0, ?) on conflict(url) do update set "
                "data = excluded.data, updated_at = excluded.updated_at",
                [report["url"], item.urn, json.dumps(report), stamp])


def watching_since(db, run_id: int | None) -> str | None:
    """When watching began for this run's scope: the start of the first successful crawl, before
    this run, of a scope that covers it (None: this run is part of the baseline)."""
    from crawler.scope import covers
    if not run_id:
        return None
    row = db.execute("select scope, started_at from crawl_runs where id = ?", [run_id]).fetchone()
    if not row:
        return None
    scope, started = row
    for prior_scope, prior_start in db.execute(
            "select scope, started_at from crawl_runs where status = 'ok' and started_at <= ? "
            "and id != ? order by started_at", [started, run_id]):
        if covers(prior_scope or "", scope or ""):
            return prior_start
    return None


def is_news(watching: str | None, publication_date: str | None) -> bool:
    """THE baseline rule, in one place: a report is news when it is first found after watching
    began for its scope and was not already published before that day. A report found by the
    first successful crawl (or any before it), or published before watching began (listed then,
    fetched later), is history: stored, shown, never alerted."""
    if watching is None:
        return False
    return not (publication_date and publication_date < watching[:10])


def save_report(db, item, *, sha256: str, path: str | None, size: int,
                news: bool | None = None) -> bool:
    """Store one downloaded report (its PDF is already on disk). False if it was known.
    ``news``: whether it alerts anyone (``is_news``); None when the caller cannot know."""
    item = clean(item)
    stamp = now()
    with _tx(db):
        if have_file(db, item.file_id):
            db.execute("delete from crawl_pending where url = ?", [item.url])
            return False
        db["reports"].insert({
            "file_id": item.file_id, "urn": item.urn, "url": item.url, "title": item.title,
            "inspection_date": item.inspection_date, "publication_date": item.publication_date,
            "sha256": sha256, "size": size, "path": path, "downloaded_at": stamp,
            "first_seen": stamp, "needs_review": 0,
            "baseline": None if news is None else int(not news),
        })
        if item.publication_date:
            db.execute("update providers set latest_report_date = ? where urn = ? and "
                       "(latest_report_date is null or latest_report_date < ?)",
                       [item.publication_date, item.urn, item.publication_date])
        db.execute("delete from crawl_pending where url = ?", [item.url])
    return True


def save_failure(db, run_id: int | None, item) -> None:
    """Record a failure (URL + reason) and, for a provider page or a file, owe it to the next
    run. Listing pages are not owed: a failed listing fails the run instead."""
    item = clean(item)
    stamp = now()
    with _tx(db):
        db["crawl_errors"].insert({"run_id": run_id, "url": item.url, "reason": item.reason,
                                   "at": stamp})
        if item.kind in ("provider", "file"):
            db.execute(
                "insert into crawl_pending (url, kind, urn, data, attempts, last_error, "
                "updated_at) values (?, ?, ?, ?, 1, ?, ?) on conflict(url) do update set "
                "attempts = attempts + 1, last_error = excluded.last_error, "
                "updated_at = excluded.updated_at",
                [item.url, item.kind, item.urn, json.dumps(item.data), item.reason, stamp])
