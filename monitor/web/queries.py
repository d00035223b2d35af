"""Every query the web pages make, read-only, against the service's SQLite file.

One read-only connection per thread (Starlette runs page functions in a thread pool). Names that
appear in URLs — local authorities, owners, provider types — come from a small directory built
from ``providers`` and rebuilt only when the database changes (``PRAGMA data_version``),
so a page never scans the providers table for a slug.
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from ..history import load_extraction, provider_history
from . import words

#: The columns an event row carries everywhere (pages, CSV, JSON, feeds).
EVENT_COLUMNS = (
    "id", "kind", "area", "old_grade", "new_grade", "serious", "baseline", "detected_at",
    "report_id", "urn", "report_url", "inspection_date", "publication_date", "report_type",
    "provider_name", "provider_type", "local_authority", "region", "owner", "provider_page_url",
)
_EVENT_SELECT = (
    "select e.id, e.kind, e.area, e.old_grade, e.new_grade, e.serious, e.baseline, "
    "e.detected_at, e.report_id, e.urn, r.url, r.inspection_date, r.publication_date, "
    "r.report_type, p.name, p.provider_type, p.local_authority, p.region, p.owner, p.page_url "
    "from events e left join reports r on r.file_id = e.report_id "
    "left join providers p on p.urn = e.urn")
_CHUNK = 900
#: The site's read-only connections read the database file through a memory map (up to this
#: much of it): pages come straight from the operating system's file cache, shared by every
#: thread's connection, instead of being read into each connection's own page cache (SQLite's
#: default 2 MB, which a few local-authority pages outgrow: each reads an index page or more
#: per provider, scattered over the file). Address space only: no memory beyond the OS's
#: file cache, however many threads (about 15% off the local-authority page in
#: benchmarks/web.py).
MMAP_BYTES = 256 * 1024 * 1024
#: Each provider's reports, oldest first in the order ``history.report_sort_key`` gives, for
#: the local-authority and owner pages. Read straight from the index
#: ``idx_reports_urn_history_order`` (migration m204), already in this order and holding
#: every column named here: no sort and no read of the wide ``reports`` rows. Its ORDER BY
#: expressions must stay written exactly as the index's (``tests/test_indexes.py``).
SUMMARY_REPORTS_SQL = (
    "select urn, inspection_date, overall, report_type from reports "
    "where urn in ({marks}) order by urn, "
    "coalesce(inspection_date, publication_date, ''), "
    "coalesce(publication_date, ''), file_id")
#: Grades that rank on a scale (a headline like "not judged" is no current grade).
_RANKED = {token for token, (scale, _) in words.SCALES.items()
           if scale not in ("none", "unknown")}


@dataclass
class Group:
    """Providers sharing a local authority, an owner or a type, found by its slug."""
    slug: str
    name: str
    names: set[str] = field(default_factory=set)
    urns: list[str] = field(default_factory=list)


@dataclass
class Directory:
    authorities: dict[str, Group]
    owners: dict[str, Group]
    types: dict[str, Group]


@dataclass
class EventFilters:
    kinds: list[str] = field(default_factory=list)
    local_authority: str | None = None      # slug
    owner: str | None = None                # slug
    provider_type: str | None = None        # slug
    since: str | None = None                # ISO date, on the report's publication date
    until: str | None = None
    urns: list[str] | None = None
    before: int | None = None               # keyset paging: events older than this id
    include_baseline: bool = True


class Store:
    def __init__(self, db_path: str | Path):
        self.db_path = str(db_path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._directory: Directory | None = None
        self._directory_stamp = None
        self._version_conn: sqlite3.Connection | None = None
        self._build_lock = threading.Lock()

    # ---- connections -------------------------------------------------------------------
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA query_only = ON")
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            db = self._local.db = sqlite_utils.Database(conn)
        return db

    def stamp(self) -> int:
        """Changes whenever another connection commits to the database (PRAGMA data_version,
        asked on one connection kept for this)."""
        with self._lock:
            if self._version_conn is None:
                self._version_conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True,
                                                     check_same_thread=False)
            return self._version_conn.execute("pragma data_version").fetchone()[0]

    # ---- the directory of slugs --------------------------------------------------------
    def directory(self) -> Directory:
        stamp = self.stamp()
        if self._directory is not None and stamp == self._directory_stamp:
            return self._directory
        with self._build_lock:
            if self._directory is None or stamp != self._directory_stamp:
                self._directory = self._build_directory()
                self._directory_stamp = stamp
        return self._directory

    def _build_directory(self) -> Directory:
        authorities: dict[str, Group] = {}
        owners: dict[str, Group] = {}
        kinds: dict[str, Group] = {}
        rows = self.db().execute(
            "select urn, local_authority, owner, provider_type from providers order by urn")
        for urn, la, owner, ptype in rows:
            for table, name in ((authorities, la), (owners, owner), (kinds, ptype)):
                if not name or not name.strip():
                    continue
                slug = words.slugify(name)
                if not slug:
                    continue
                group = table.get(slug)
                if group is None:
                    group = table[slug] = Group(slug, name.strip())
                group.names.add(name)
                group.urns.append(urn)
        return Directory(authorities, owners, kinds)

    # ---- one provider ------------------------------------------------------------------
    def provider(self, urn: str) -> dict | None:
        return provider_history(self.db(), urn)

    # ---- providers of a group, with their current grade and direction of travel ---------
    def provider_summaries(self, urns: list[str]) -> list[dict]:
        """Each provider with its current headline grade (latest graded report), its last
        inspection and its direction of travel, most recently inspected first."""
        db = self.db()
        out = []
        for start in range(0, len(urns), _CHUNK):
            chunk = urns[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            providers = {row[0]: row for row in db.execute(
                f"select urn, name, provider_type, local_authority, region, owner, status "
                f"from providers where urn in ({marks})", chunk)}
            facts: dict[str, list] = {}
            # oldest first per provider, in the order history.report_sort_key gives
            for urn, inspected, overall, report_type in db.execute(
                    SUMMARY_REPORTS_SQL.format(marks=marks), chunk):
                f = facts.get(urn)
                if f is None:   # [last inspection, report type, current, previous, count]
                    f = facts[urn] = [None, None, None, None, 0]
                f[0], f[1] = inspected, report_type
                f[4] += 1
                if overall in _RANKED:
                    f[3], f[2] = f[2], overall
            for urn, row in providers.items():
                last, report_type, current, previous, count = facts.get(
                    urn, (None, None, None, None, 0))
                out.append({
                    "urn": urn, "name": row[1], "provider_type": row[2],
                    "local_authority": row[3], "region": row[4], "owner": row[5],
                    "status": row[6], "current_grade": current, "last_inspection": last,
                    "report_type": report_type, "reports": count,
                    "direction": direction(previous, current), "previous_grade": previous})
        out.sort(key=lambda p: (p["last_inspection"] or "", p["urn"]), reverse=True)
        return out

    # ---- events ------------------------------------------------------------------------
    def events(self, filters: EventFilters, limit: int = 50, *,
               present: bool = True) -> list[dict]:
        """Events newest first. ``present=False``: without the words a page shows
        (``words.present_event``), for a page that shows only some of them
        (``group_events(..., present=words.present_event)``)."""
        where, params = [], []
        if filters.kinds:
            where.append(f"e.kind in ({','.join('?' * len(filters.kinds))})")
            params += filters.kinds
        directory = None
        for attr, column in (("local_authority", "p.local_authority"), ("owner", "p.owner"),
                             ("provider_type", "p.provider_type")):
            slug = getattr(filters, attr)
            if not slug:
                continue
            directory = directory or self.directory()
            table = {"local_authority": directory.authorities, "owner": directory.owners,
                     "provider_type": directory.types}[attr]
            group = table.get(words.slugify(slug))
            names = sorted(group.names) if group else []
            if not names:
                return []
            where.append(f"{column} in ({','.join('?' * len(names))})")
            params += names
        if filters.urns is not None:
            if not filters.urns:
                return []
            if len(filters.urns) <= _CHUNK:
                where.append(f"e.urn in ({','.join('?' * len(filters.urns))})")
                params += filters.urns
            else:  # a very large owner: let SQLite walk the events instead
                where.append("e.urn in (select value from json_each(?))")
                import json
                params.append(json.dumps(filters.urns))
        if filters.since:
            where.append("r.publication_date >= ?")
            params.append(filters.since)
        if filters.until:
            where.append("r.publication_date <= ?")
            params.append(filters.until)
        if filters.before:
            where.append("e.id < ?")
            params.append(filters.before)
        if not filters.include_baseline:
            where.append("e.baseline = 0")
        # pick the ids first, joining only what the filters need, then read the rows: a report
        # row is wide (its extraction), so it is read for the events shown, not every candidate
        joins = ""
        if filters.since or filters.until:
            joins += " join reports r on r.file_id = e.report_id"
        if any((filters.local_authority, filters.owner, filters.provider_type)):
            joins += " join providers p on p.urn = e.urn"
        inner = "select e.id from events e" + joins + \
            (" where " + " and ".join(where) if where else "") + " order by e.id desc limit ?"
        sql = _EVENT_SELECT + f" where e.id in ({inner}) order by e.id desc"
        params.append(limit)
        return [event_row(row, present) for row in self.db().execute(sql, params)]

    def latest_detected(self) -> str | None:
        row = self.db().execute("select max(detected_at) from events").fetchone()
        return row[0] if row else None

    # ---- search ------------------------------------------------------------------------
    def search(self, text: str, limit: int = 50) -> dict:
        text = (text or "").strip()
        found = {"urn": None, "providers": [], "authorities": [], "owners": []}
        if not text:
            return found
        db = self.db()
        urn = words.normalise_urn(text)
        if urn:
            row = db.execute("select urn from providers where urn = ? union "
                             "select urn from reports where urn = ? limit 1",
                             [urn, urn]).fetchone()
            if row:
                found["urn"] = row[0]
        needle = text.lower()
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found["providers"] = [dict(zip(("urn", "name", "provider_type", "local_authority",
                                        "owner"), row)) for row in db.execute(
            "select urn, name, provider_type, local_authority, owner from providers "
            "where name like ? escape '\\' or urn like ? escape '\\' order by name, urn limit ?",
            [like, like, limit])]
        directory = self.directory()
        slug = words.slugify(text)
        for key, table in (("authorities", directory.authorities),
                           ("owners", directory.owners)):
            hits = [g for g in table.values()
                    if needle in g.name.lower() or (slug and slug in g.slug)]
            hits.sort(key=lambda g: (g.slug != slug, not g.slug.startswith(slug), g.name))
            found[key] = hits[:limit]
        return found


def event_row(row, present: bool = True) -> dict:
    event = dict(zip(EVENT_COLUMNS, row))
    event["serious"] = bool(event["serious"])
    event["baseline"] = bool(event["baseline"])
    return words.present_event(event) if present else event


def direction(previous: str | None, current: str | None) -> str:
    """"improved", "declined", "same", or "first" (nothing graded before on that scale)."""
    now, before = words.grade_rank(current), words.grade_rank(previous)
    if not now:
        return "none"
    if not before or before[0] != now[0]:
        return "first"
    if now[1] < before[1]:
        return "improved"
    if now[1] > before[1]:
        return "declined"
    return "same"


def group_events(events: list[dict], limit: int | None = None,
                 present=None) -> list[dict]:
    """Events by report, newest first: what a person reads as one piece of news. ``limit``:
    the first (newest) so many groups only; ``present``: applied to the events of those
    groups (and only those) before they are grouped (``words.present_event`` for events read
    with ``Store.events(..., present=False)``)."""
    members: dict[str, list] = {}
    for event in events:
        found = members.get(event["report_id"])
        if found is None:
            if limit is not None and len(members) == limit:
                continue
            found = members[event["report_id"]] = []
        found.append(event)
    groups = []
    for report_events in members.values():
        if present is not None:
            report_events = [present(e) for e in report_events]
        group = {**report_events[0], "events": report_events}
        groups.append(group)
        group["events"].sort(key=lambda e: (e["kind"] == "published", e["kind"] == "enforcement",
                                            e["area"] != "overall", e["id"]))
        group["headline"] = words.headline(group["events"])
        group["first_id"] = min(e["id"] for e in group["events"])   # the feed entry's id
        group["detected_at"] = max(e["detected_at"] or "" for e in group["events"])
        group["serious"] = any(e["serious"] for e in group["events"])
        # "a new report came out" says nothing more beside what the report changed
        changes = [e for e in group["events"] if e["kind"] != "published"]
        group["events"] = changes or group["events"]
    return groups


__all__ = ["Store", "EventFilters", "Directory", "Group", "EVENT_COLUMNS", "group_events",
           "direction", "load_extraction"]
