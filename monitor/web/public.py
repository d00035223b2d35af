"""The public snapshot: the only database file Datasette (``/data``) ever opens.

It holds the public history and nothing else — providers, reports (without the local file path
or download bookkeeping), judgements and events (without outbox bookkeeping) — copied column by
column from an allow-list, so a column or table added to the service later is private until it
is listed here. Subscriptions, deliveries, crawl runs and job runs are never copied: no SQL typed
into ``/data`` can reach them, because they are not in the file.

``write_snapshot(db_path, out_path)`` builds the copy in a temporary file beside ``out_path``
and then either renames it into place (no snapshot yet) or copies it into the live file with
SQLite's backup API, so readers that have it open see the old or the new copy, never half of
one. ``SnapshotKeeper`` redoes this when the source database has changed (throttled).
"""
from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from . import words

log = logging.getLogger(__name__)

#: table → [(column, declaration), ...]; the first column is the primary key unless noted.
TABLES: dict[str, list[tuple[str, str]]] = {
    "providers": [
        ("urn", "text primary key"), ("name", "text"), ("category", "text"),
        ("provider_type", "text"), ("local_authority", "text"), ("region", "text"),
        ("region_name", "text"), ("owner", "text"), ("status", "text"), ("page_url", "text"),
        ("latest_report_date", "text"), ("registration_date", "text"), ("places", "integer"),
        ("first_seen", "text"), ("updated_at", "text"),
    ],
    "reports": [
        ("file_id", "text primary key"), ("urn", "text references providers(urn)"),
        ("url", "text"), ("title", "text"), ("inspection_date", "text"),
        ("publication_date", "text"), ("report_type", "text"), ("inspection_kind", "text"),
        ("overall", "text"), ("enforcement", "text"), ("provider_name", "text"),
        ("owner", "text"), ("local_authority", "text"), ("inspection_end_date", "text"),
        ("needs_review", "integer"), ("review_reasons", "text"), ("sha256", "text"),
        ("size", "integer"), ("extraction", "text"), ("extractor_version", "text"),
        ("first_seen", "text"),
    ],
    "judgements": [
        ("report_id", "text references reports(file_id)"),
        ("urn", "text references providers(urn)"),
        ("area", "text"), ("grade", "text"), ("scale", "text"), ("label", "text"),
    ],
    "events": [
        ("id", "integer primary key"), ("report_id", "text references reports(file_id)"),
        ("urn", "text references providers(urn)"), ("kind", "text"), ("area", "text"),
        ("old_grade", "text"), ("new_grade", "text"), ("serious", "integer"),
        ("baseline", "integer"), ("detected_at", "text"), ("detail", "text"),
    ],
}
EXTRA_SQL = [
    "create unique index judgements_pk on judgements(report_id, area)",
    "create index reports_urn on reports(urn)",
    "create index reports_publication_date on reports(publication_date)",
    "create index judgements_urn on judgements(urn)",
    "create index events_urn on events(urn)",
    "create index events_kind on events(kind)",
    "create index events_detected_at on events(detected_at)",
    "create index providers_local_authority on providers(local_authority)",
    "create index providers_owner on providers(owner)",
]
#: Columns computed while copying, from reference data (not in the source table).
COMPUTED = {("providers", "region_name"): "region_name(region)"}


def _source_columns(conn, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"pragma src.table_info({table})")}


def _build(db_path: str, tmp_path: str) -> None:
    conn = sqlite3.connect(tmp_path, isolation_level=None)
    try:
        conn.create_function("region_name", 1, words.region_name, deterministic=True)
        conn.execute("attach database ? as src", [f"file:{db_path}?mode=ro"])
        conn.execute("begin")
        for table, columns in TABLES.items():
            conn.execute(f"create table {table} (" + ", ".join(
                f"{name} {decl}" for name, decl in columns) + ")")
            present = _source_columns(conn, table)
            if not present:
                continue
            names, values = [], []
            for name, _ in columns:
                names.append(name)
                if (table, name) in COMPUTED:
                    values.append(COMPUTED[(table, name)])
                else:
                    values.append(name if name in present else "null")
            conn.execute(f"insert into {table} ({', '.join(names)}) select {', '.join(values)} "
                         f"from src.{table}")
        for sql in EXTRA_SQL:
            conn.execute(sql)
        conn.execute("commit")
        conn.execute("detach database src")
        conn.execute("analyze")
    finally:
        conn.close()


def write_snapshot(db_path: str | Path, out_path: str | Path) -> Path:
    """Write the public snapshot of ``db_path`` to ``out_path``; return ``out_path``."""
    db_path, out_path = str(db_path), Path(out_path)
    if not Path(db_path).exists():
        raise FileNotFoundError(2, "No such file", db_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".public-", suffix=".db", dir=out_path.parent)
    os.close(fd)
    os.unlink(tmp)  # sqlite makes it
    try:
        _build(db_path, tmp)
        if out_path.exists():
            source = sqlite3.connect(tmp)
            target = sqlite3.connect(out_path)
            try:
                target.execute("pragma busy_timeout = 10000")
                source.backup(target)
            finally:
                source.close()
                target.close()
        else:
            os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out_path


def default_path(db_path: str | Path) -> Path:
    """``ofsted-watch.db`` → ``ofsted-watch.public.db`` beside it."""
    path = Path(db_path)
    return path.with_name(path.stem + ".public.db")


class SnapshotKeeper:
    """Keeps the snapshot in step with the source database, checking at most every
    ``interval`` seconds whether the source (or its write-ahead log) has changed.

    ``refresh_soon()`` is what a visit to ``/data`` calls: with ``background`` (the default) a
    stale snapshot is rewritten in a thread while the current one goes on being served (a large
    history takes seconds to copy); without, the visit waits for it."""

    def __init__(self, db_path: str | Path, out_path: str | Path, interval: float = 10.0,
                 background: bool = True):
        self.db_path, self.out_path, self.interval = str(db_path), Path(out_path), interval
        self.background = background
        self._lock = threading.Lock()
        self._stamp = None
        self._checked = 0.0
        self._worker: threading.Thread | None = None

    def _source_stamp(self) -> tuple:
        out = []
        for suffix in ("", "-wal"):
            try:
                st = os.stat(self.db_path + suffix)
                out += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                out += [0, 0]
        return tuple(out)

    def refresh(self, force: bool = False) -> bool:
        """Rewrite the snapshot if the source changed; True when it was rewritten."""
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return False
        with self._lock:
            if not force and time.monotonic() - self._checked < self.interval:
                return False
            self._checked = time.monotonic()
            stamp = self._source_stamp()
            if not force and stamp == self._stamp and self.out_path.exists():
                return False
            write_snapshot(self.db_path, self.out_path)
            self._stamp = stamp
            return True

    def refresh_soon(self) -> None:
        if not self.background or not self.out_path.exists():
            self.refresh()
            return
        if time.monotonic() - self._checked < self.interval or \
                (self._worker is not None and self._worker.is_alive()):
            return
        self._worker = threading.Thread(target=self._refresh_logged, name="public-snapshot",
                                        daemon=True)
        self._worker.start()

    def _refresh_logged(self) -> None:
        try:
            self.refresh()
        except Exception:  # the old snapshot goes on being served; say why in the log
            log.exception("public snapshot of %s could not be written", self.db_path)
