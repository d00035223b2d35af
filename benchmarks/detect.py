"""Detection cost against the size of the history (issue 14).

    python benchmarks/detect.py [--sizes 10000,100000,1000000] [--new 100]

For each size N it builds a database of N stored reports (about five a provider, four-point
grades drifting up and down, some enforcement, the odd unreadable report) written in bulk with
sqlite-utils — the rows ``history.record_extraction`` writes —, then times

  * the first detection over all N (the baseline a new installation runs), and
  * a routine cycle: k new reports (one each for k providers), detected.

Targets: first-run time ratio 1M/100k ≤ 11 (linear); the k-report cycle at 1M within 2× of the
same cycle at 10k. It also checks that detecting everything at once and detecting the same
reports as they arrive give the same events (on the smallest size).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor import detect  # noqa: E402
from monitor.schema import open_db  # noqa: E402

GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]


def build(db, n: int, seed: int = 7, start_provider: int = 0) -> list[str]:
    """Bulk-write ``n`` reports (and their judgements and bookkeeping); return the URNs."""
    rng = random.Random(seed)
    reports, judgements, marks, urns = [], [], [], []
    provider = start_provider
    while len(reports) < n:
        urn = f"SC{provider:07d}"
        urns.append(urn)
        grade = rng.randrange(4)
        for i in range(min(rng.randint(3, 7), n - len(reports))):
            file_id = f"{urn}-{i}"
            grade = min(3, max(0, grade + rng.choice((-1, 0, 0, 1))))
            unreadable = rng.random() < 0.01
            enforcement = ["compliance_notice"] if grade == 3 and rng.random() < 0.5 else []
            day = f"{2014 + i * 2}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            reports.append({
                "file_id": file_id, "urn": urn, "inspection_date": day, "publication_date": day,
                "report_type": "childrens-home", "inspection_kind": "full",
                "overall": None if unreadable else GRADES[grade],
                "extraction": "{}", "enforcement": json.dumps(enforcement),
                "needs_review": int(unreadable), "baseline": None})
            if not unreadable:
                judgements.append({"report_id": file_id, "urn": urn, "area": "overall",
                                   "grade": GRADES[grade], "scale": "four_point"})
            marks.append({"report_id": file_id, "dirty": 0, "detected": 0})
        provider += 1
    with db.atomic():
        db["reports"].insert_all(reports, batch_size=5000)
        db["judgements"].insert_all(judgements, batch_size=5000)
        db["monitor_reports"].insert_all(marks, batch_size=5000)
    return urns


def add_new(db, urns: list[str], k: int, seed: int = 11) -> None:
    """One new report for each of ``k`` providers (published today, news)."""
    rng = random.Random(seed)
    chosen = rng.sample(urns, k)
    with db.atomic():
        for urn in chosen:
            file_id = f"{urn}-new"
            grade = rng.choice(GRADES)
            db["reports"].insert({"file_id": file_id, "urn": urn, "inspection_date": "2026-11-30",
                                  "publication_date": "2026-12-01", "report_type": "childrens-home",
                                  "inspection_kind": "full", "overall": grade, "extraction": "{}",
                                  "enforcement": "[]", "needs_review": 0, "baseline": 0})
            db["judgements"].insert({"report_id": file_id, "urn": urn, "area": "overall",
                                     "grade": grade, "scale": "four_point"})
            db["monitor_reports"].insert({"report_id": file_id, "dirty": 0, "detected": 0})


def event_set(db) -> set:
    return {tuple(r) for r in db.execute(
        "select report_id, kind, area, old_grade, new_grade, serious from events")}


def measure(size: int, new: int, tmp: Path) -> dict:
    db = open_db(tmp / f"detect-{size}.db")
    db.execute("PRAGMA synchronous = OFF")
    started = time.perf_counter()
    urns = build(db, size)
    built = time.perf_counter() - started
    started = time.perf_counter()
    first = detect.detect(db, baseline=True, now="2026-12-01T07:00:00+00:00")
    first_s = time.perf_counter() - started
    add_new(db, urns, new)
    started = time.perf_counter()
    cycle = detect.detect(db, now="2026-12-01T13:00:00+00:00")
    cycle_s = time.perf_counter() - started
    started = time.perf_counter()
    idle = detect.detect(db, now="2026-12-01T13:05:00+00:00")
    idle_s = time.perf_counter() - started
    db.close()
    return {"size": size, "build_s": built, "first_s": first_s, "first_events": len(first),
            "cycle_s": cycle_s, "cycle_events": len(cycle), "idle_s": idle_s,
            "idle_events": len(idle)}


def same_events_at_once_and_as_they_arrive(tmp: Path, size: int = 2000) -> bool:
    """Detect all reports at once, and the same reports provider by provider in date order in
    small batches: the events must be identical."""
    at_once = open_db(tmp / "once.db")
    build(at_once, size)
    detect.detect(at_once, now="2026-12-01T07:00:00+00:00")
    stepwise = open_db(tmp / "steps.db")
    build(stepwise, size)
    rows = stepwise.execute("select file_id from reports order by inspection_date").fetchall()
    stepwise.execute("delete from monitor_reports")      # no report recorded yet
    stepwise.conn.commit()
    for start in range(0, len(rows), 97):               # they arrive in date order, 97 at a time
        with stepwise.atomic():
            stepwise.conn.executemany(
                "insert into monitor_reports (report_id, dirty, detected) values (?, 0, 0)",
                rows[start:start + 97])
        detect.detect(stepwise, now="2026-12-01T07:00:00+00:00")
    return event_set(at_once) == event_set(stepwise)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--new", type=int, default=100)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"events identical, all at once vs as they arrive: "
              f"{same_events_at_once_and_as_they_arrive(tmp)}")
        results = []
        for size in sizes:
            row = measure(size, args.new, tmp)
            results.append(row)
            print(f"{size:>9,} reports: first detection {row['first_s']:7.2f} s "
                  f"({row['first_events']:,} events); cycle with {args.new} new reports "
                  f"{row['cycle_s'] * 1000:7.1f} ms ({row['cycle_events']} events); "
                  f"nothing new {row['idle_s'] * 1000:6.1f} ms  [built in {row['build_s']:.1f} s]",
                  flush=True)
        by = {r["size"]: r for r in results}
        if 100000 in by and 1000000 in by:
            print(f"first-run ratio 1M/100k: {by[1000000]['first_s'] / by[100000]['first_s']:.1f}"
                  f" (target ≤ 11)")
        if 10000 in by and max(by) > 10000:
            big = by[max(by)]
            print(f"cycle ratio {max(by):,}/10k: {big['cycle_s'] / by[10000]['cycle_s']:.2f} "
                  f"(target ≤ 2)")


if __name__ == "__main__":
    main()
