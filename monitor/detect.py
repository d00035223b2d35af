"""Change detection: events from a provider's reports, knowing Ofsted's scales.

Kinds (``KINDS``):
  downgrade    a graded area (the headline first) below the same area of the provider's previous
               graded report on the same scale; adequate, satisfactory and requires improvement
               rank alike. ``serious`` when the new grade is the worst band of its scale.
  declined     "declined in effectiveness" at an interim inspection (its own scale, never
               compared with a four-point grade).
  enforcement  compliance notice, restriction of accommodation, suspension, notice of proposal,
               cancellation, warning letter, areas for priority action — named in the report.
  inadequate   the worst band of a scale with nothing comparable before it: a new home straight in
               at inadequate, or a first report card at urgent improvement after four-point grades
               (scales Ofsted calls incomparable are never compared; the move is reported as this).
  upgrade      the opposite of a downgrade: recorded for feeds, not alerted by default.
  safeguarding safeguarding standards not met (report cards; schools under the 2019–2025
               framework): serious, whatever came before.
  standards    an ungraded inspection letter saying standards may have declined (a graded
               inspection will follow): a signal a parent wants, on its own scale.
  published    every new report, whatever it says (even one that could not be read): a family
               following one home wants to hear of every inspection. Offered to everyone; the
               default for subscriptions to single URNs.

Once per report: each report is examined once (``monitor_reports.detected``); re-running,
re-crawling or re-extracting never examines it again. An amended report (a new file for the same
inspection: same URN and inspection date) raises only what was not already raised for that
inspection. A report that needs review raises its enforcement only; its grades wait until an
extraction reads them. A report older than another report already known for the provider is
history, not news: its events are recorded with ``baseline = 1`` (never delivered), as are all
events found while building the baseline (``detect(db, baseline=True)``, see monitor/cycle.py).
"""
from __future__ import annotations

import json
from collections import defaultdict

from extract.grades import SCALES, WORST

from . import history
from .sql import chunks, rows_in
from .statistics.timeline import official_grades

KINDS = ("downgrade", "declined", "enforcement", "inadequate", "safeguarding", "standards",
         "upgrade", "published")
#: Kinds a subscription receives unless it chooses (upgrades are for feeds).
DEFAULT_KINDS = ("downgrade", "declined", "enforcement", "inadequate", "safeguarding",
                 "standards")
#: Enforcement that stops or limits a setting.
SERIOUS_ENFORCEMENT = {"suspension", "cancellation", "restriction_of_accommodation",
                       "notice_of_proposal"}
#: Scales on which a grade can be ranked against the previous one.
_COMPARABLE = {scale for scale, _ in SCALES.values()} - {
    "interim", "none", "unknown", "safeguarding", "ungraded_outcome"}
#: Scales whose worst band is an event of its own kind, whatever came before.
_SIGNALS = {"interim": ("declined", False), "safeguarding": ("safeguarding", True),
            "ungraded_outcome": ("standards", False)}

#: ``monitor_reports.detected``: 0 to be examined; 1 examined, waiting for its own grades to
#: be read (needs review); 2 done for good; 3 held: its grade events wait for the previous
#: inspection to be read. ``history.record_extraction`` sets 1 and 3 back to 0 when reading a
#: report anew may change the answer.
WAITING, DONE, HELD = 1, 2, 3


def _load(db, urns: list[str]) -> tuple[dict[str, list[dict]], dict[tuple, set]]:
    """Every recorded report of the given providers, with its judgements, oldest first; and the
    events already raised for each inspection ((urn, inspection date) → {(kind, area)})."""
    reports: dict[str, list[dict]] = defaultdict(list)
    raised: dict[tuple, set] = defaultdict(set)
    by_id: dict[str, dict] = {}
    json_list = history.json_list
    for chunk in chunks(urns):
        marks = ",".join("?" * len(chunk))
        # +r.urn: look reports up by the urn index; monitor_reports by its primary key
        for row in db.execute(
                f"select r.file_id, r.urn, r.inspection_date, r.publication_date, "
                f"r.enforcement, r.extraction is not null, r.needs_review, r.extract_error, "
                f"m.detected, r.baseline, r.inspection_kind, r.overall, r.inspection_end_date "
                f"from reports r "
                f"join monitor_reports m on m.report_id = r.file_id "
                f"where r.urn in ({marks})", chunk):
            (file_id, urn, inspected, published, enforcement, read, review, error, detected,
             known_before, kind, overall, end_date) = row
            report = {"file_id": file_id, "urn": urn, "inspection_date": inspected,
                      "publication_date": published, "read": bool(read),
                      "baseline": known_before, "kind": kind, "overall": overall,
                      "end_date": end_date,
                      # most reports name no enforcement: skip the JSON parser for them
                      "enforcement": [] if enforcement in _EMPTY else json_list(enforcement),
                      "review": bool(review or error or not read),
                      "detected": detected, "grades": {},
                      "sort_key": (inspected or published or "", published or "",
                                   file_id)}
            reports[urn].append(report)
            by_id[file_id] = report
        for report_id, area, grade, scale in db.execute(
                f"select report_id, area, grade, scale from judgements where urn in ({marks})",
                chunk):
            report = by_id.get(report_id)
            if report is not None:
                report["grades"][area] = (grade, scale)
        for urn, inspected, kind, area in db.execute(
                f"select e.urn, coalesce(r.inspection_date, ''), e.kind, e.area from events e "
                f"join reports r on r.file_id = e.report_id where e.urn in ({marks})", chunk):
            raised[(urn, inspected)].add((kind, area))
        _add_official(reports, official_grades(db, [u for u in chunk if u in reports]))
    ids = [r for r in by_id]
    for report_id, field, pdf, official in rows_in(
            db, "select report_id, field, pdf, statistics from official_disagreements "
                "where report_id in ({marks})", ids):
        by_id[report_id].setdefault("contradicted", []).append(
            f"{field}: the report says {pdf or 'nothing'}, Ofsted's statistics {official or 'nothing'}")
    for items in reports.values():
        items.sort(key=_sort_key)
    return reports, raised


_EMPTY = (None, "", "[]")


def _sort_key(report: dict) -> tuple:
    return report["sort_key"]


def _add_official(reports: dict[str, list[dict]], official: dict[str, list[dict]]) -> None:
    """Inspections known from Ofsted's statistics (``mi import``) join each provider's history as
    earlier graded inspections — never examined themselves (history alerts nobody), but what the
    first report read after an import is compared with. An official row and a stored report of
    the same inspection (its last day within the report's dates) are one inspection: the report
    stands."""
    for urn, items in official.items():
        spans = [(r["inspection_date"] or "", r.get("end_date") or r["inspection_date"] or "")
                 for r in reports[urn]]
        for item in items:
            day = item["inspection_date"] or ""
            if any(first <= day <= last for first, last in spans):
                continue
            reports[urn].append({
                "file_id": f"official:{item['inspection_key']}", "urn": urn,
                "inspection_date": day, "publication_date": None, "read": True,
                "review": False, "detected": DONE, "baseline": 1, "kind": item["event_type"],
                "overall": None, "enforcement": [], "grades": dict(item["grades"]),
                "official": True,
                "sort_key": (day, "", f"official:{item['inspection_key']}")})


def _date(report: dict) -> str:
    return report["sort_key"][0]


def _ordered_areas(grades: dict) -> list[str]:
    return sorted(grades, key=lambda area: (area != history.OVERALL, area))


class Unread(Exception):
    """The inspection before this one could not be read: comparing with an older one would
    send a wrong "from" grade, so the new report's grade events wait for it."""


#: inspection kinds that carry four-point grades (None: the report could not be read at all)
_GRADED_KINDS = {None, "full", "sif", "sif-reinspection", "ilacs-standard", "ilacs-short",
                 "section-5"}


def _previous_graded(reports: list[dict], report: dict, scale: str) -> dict | None:
    """The provider's immediately previous inspection with a grade on ``scale`` (by inspection
    date). Raises Unread when an inspection in between that would carry such a grade could not
    be read."""
    when = _date(report)
    for other in reversed(reports):
        if _date(other) >= when:
            continue
        if other["review"]:
            if other["kind"] in _GRADED_KINDS:
                raise Unread(f"the previous inspection ({_date(other) or 'date unknown'}, "
                             f"report {other['file_id']}) could not be read")
            continue
        if any(s == scale for _, s in other["grades"].values()):
            return other
    return None


def _latest_other_scale(reports: list[dict], report: dict, area: str, scale: str):
    when = _date(report)
    for other in reversed(reports):
        if _date(other) >= when or other["review"]:
            continue
        grade = other["grades"].get(area)
        if grade and grade[1] != scale and grade[1] in _COMPARABLE:
            return other, grade
    return None, None


def changes(reports: list[dict], report: dict) -> list[dict]:
    """The events one report raises against the provider's earlier reports (not yet stored)."""
    published = {"kind": "published", "area": "report", "new_grade": report.get("overall"),
                 "serious": False, "detail": {"inspection_kind": report.get("kind")}}
    if not report["read"]:
        return [published]
    found = _grade_changes(reports, report)
    found.append(published)
    return found


def _grade_changes(reports: list[dict], report: dict) -> list[dict]:
    found = []
    for token in report["enforcement"]:
        found.append({"kind": "enforcement", "area": token, "new_grade": token,
                      "serious": token in SERIOUS_ENFORCEMENT, "detail": {}})
    if report["review"]:
        return found
    if report.get("contradicted"):       # `mi check`: the statistics say other grades
        report["held"] = "; ".join(report["contradicted"])
        return found
    for area in _ordered_areas(report["grades"]):
        grade, scale = report["grades"][area]
        if scale in _SIGNALS:
            if grade == WORST[scale]:
                kind, serious = _SIGNALS[scale]
                found.append({"kind": kind, "area": area, "new_grade": grade,
                              "serious": serious, "detail": {"scale": scale}})
            continue
        if scale not in _COMPARABLE:
            continue
        try:
            previous = _previous_graded(reports, report, scale)
        except Unread as exc:
            report["held"] = str(exc)
            return [f for f in found if f["kind"] == "enforcement"]
        old = previous["grades"].get(area) if previous else None
        if old and old[1] == scale:
            detail = {"scale": scale, "previous_report": previous["file_id"],
                      "previous_date": _date(previous)}
            old_rank, new_rank = SCALES[old[0]][1], SCALES[grade][1]
            if new_rank > old_rank:
                found.append({"kind": "downgrade", "area": area, "old_grade": old[0],
                              "new_grade": grade, "serious": grade == WORST.get(scale),
                              "detail": detail})
            elif new_rank < old_rank:
                found.append({"kind": "upgrade", "area": area, "old_grade": old[0],
                              "new_grade": grade, "serious": False, "detail": detail})
        elif previous is None and grade == WORST.get(scale):
            detail = {"scale": scale}
            before, other = _latest_other_scale(reports, report, area, scale)
            if before:
                detail.update({"previous_report": before["file_id"],
                               "previous_date": _date(before), "previous_scale": other[1],
                               "note": "previous grade is on a scale Ofsted does not compare"})
            found.append({"kind": "inadequate", "area": area,
                          "old_grade": other[0] if before else None, "new_grade": grade,
                          "serious": True, "detail": detail})
    return found


#: the providers with a report not examined yet (an index search of the few new rows)
TODO_SQL = ("select distinct r.urn from monitor_reports m join reports r on r.file_id = m.report_id "
            "where m.detected = 0")


def detect(db, *, baseline: bool = False, now: str | None = None) -> list[int]:
    """Examine every report not examined yet; store and return the ids of new events.

    ``baseline=True`` (the first backfill) stores the events for history and feeds but marks them
    so that nobody is ever alerted about them.
    """
    now = now or history.utcnow()
    # what is left to examine is exactly the reports marked 0: recording an extraction marks a
    # report 0 again when it has become readable (history.record_extraction), so this is an
    # index lookup of the few new rows, whatever the size of the history
    todo = db.execute(TODO_SQL).fetchall()
    urns = [urn for (urn,) in todo]
    if not urns:
        return []
    new_ids: list[int] = []
    details = _Details()
    # one transaction a chunk of providers: its reports are read, their events stored and the
    # reports marked examined together (exactly once, whatever stops the run). One transaction
    # for everything would grow the write-ahead log with the history, and SQLite looks every
    # page read up in that log: a first run over a million reports would slow as it went.
    for chunk in chunks(urns):
        with db.atomic():
            loaded, raised = _load(db, chunk)
            marks: list[tuple] = []
            rows: list[tuple] = []
            for reports in loaded.values():
                _detect_provider(reports, raised, marks, rows, details, baseline=baseline,
                                 now=now)
            new_ids.extend(_insert_events(db, rows))
            db.conn.executemany("update monitor_reports set detected = ?, detected_at = ?, "
                                "held_reason = ? where report_id = ?", marks)
    return new_ids


def _insert_events(db, rows: list[tuple]) -> list[int]:
    """Store a chunk's events in one statement; return the ids of those stored. Inside the
    write transaction (BEGIN IMMEDIATE) nobody else inserts, and SQLite numbers new rows of an
    INTEGER PRIMARY KEY table upwards from the largest id, so the new events are exactly the ids
    above the largest before (an event already stored is ignored and takes no id)."""
    if not rows:
        return []
    before = db.execute("select coalesce(max(id), 0) from events").fetchone()[0]
    db.conn.executemany(
        "insert or ignore into events (report_id, urn, kind, area, old_grade, new_grade, "
        "serious, baseline, detected_at, detail, enqueued_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return [id_ for (id_,) in db.execute("select id from events where id > ? order by id",
                                         [before])]


class _Details(dict):
    """An event's detail as stored JSON, encoded once per distinct detail (most events share a
    handful: a published report's inspection kind, a grade's scale)."""

    def encode(self, detail: dict) -> str:
        try:
            key = tuple(sorted(detail.items()))
            text = self.get(key)
        except TypeError:                  # an unhashable value: encode it each time
            return json.dumps(detail, sort_keys=True)
        if text is None:
            text = self[key] = json.dumps(detail, sort_keys=True)
            if len(self) > 4096:           # details naming previous reports rarely repeat
                self.clear()
        return text


def _detect_provider(reports: list[dict], raised: dict, marks: list, rows: list,
                     details: _Details, *, baseline: bool, now: str) -> None:
    latest = max((_date(r) for r in reports), default="")
    for report in reports:
        if report["detected"] in (DONE, HELD) or (report["detected"] == WAITING
                                                  and report["review"]):
            continue
        when = _date(report)
        done = raised[(report["urn"], report["inspection_date"] or "")]
        historical = when < latest
        # the rule (monitor/store.py is_news): a report found before watching began never alerts;
        # one first found after is news, even an older inspection published late. Reports stored
        # without that knowledge (tests, imports) fall back to the caller's baseline flag.
        quiet = bool(report["baseline"]) if report["baseline"] is not None \
            else (baseline or historical)
        for change in changes(reports, report):
            key = (change["kind"], change["area"])
            if key in done:
                continue
            detail = change["detail"]
            if historical:
                detail = dict(detail, historical=True)
            rows.append((report["file_id"], report["urn"], change["kind"], change["area"],
                         change.get("old_grade"), change.get("new_grade"),
                         int(change["serious"]), int(quiet), now, details.encode(detail),
                         # a baseline event is never fanned out: mark it done so enqueue
                         # skips it cheaply
                         now if quiet else None))
            done.add(key)
        held = report.get("held")
        state = HELD if held else WAITING if report["review"] else DONE
        marks.append((state, now, held, report["file_id"]))
