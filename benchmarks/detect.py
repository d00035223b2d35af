"""Detection cost against the size of the history (issue 14), beside the code it replaced.

    python benchmarks/detect.py [--sizes 10000,100000,1000000] [--new 100] [--rounds 5]
                                [--repeat 3] [--reference 7cee661] [--json F]

For each size N it builds a database of N stored reports (about five a provider, four-point
grades drifting up and down, some enforcement, the odd unreadable report) written in bulk with
sqlite-utils — the rows ``history.record_extraction`` writes —, then times, on fresh copies of
that database:

  * the first detection over all N (the baseline a new installation runs): for sizes up to
    100k the median of ``--repeat`` runs before the largest size and as many after it (so that a
    spell of load on the shared machine weighs on both sides of the ratio), one run above; wall
    time and the process's CPU time;
  * a routine cycle, ``--rounds`` times: k new reports (one each for k providers), detected —
    the median round (at sizes up to 100k, rounds before and after the largest size too).

Targets: first-run ratio 1M/100k ≤ 11 (linear); the k-report cycle at the largest size within 2×
of the same cycle at 10k.

Proof of sameness: ``--reference REV`` loads ``monitor/detect.py`` as it was at git revision REV
(default: the last commit before detection batched its writes) and runs it on another copy of the
same database, first run and every cycle: every event row (report, kind, area, grades, serious,
baseline, detail, when) must be identical. It also checks that detecting everything at once and
detecting the same reports as they arrive give the same events. ``--reference none`` skips it.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor import detect  # noqa: E402
from monitor.schema import open_db  # noqa: E402

GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
NOW = "2026-12-01T07:00:00+00:00"


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


def add_new(db, urns: list[str], k: int, seed: int = 11, tag: str = "new") -> None:
    """One new report for each of ``k`` providers (published today, news)."""
    rng = random.Random(seed)
    chosen = rng.sample(urns, k)
    with db.atomic():
        for urn in chosen:
            file_id = f"{urn}-{tag}"
            grade = rng.choice(GRADES)
            db["reports"].insert({"file_id": file_id, "urn": urn, "inspection_date": "2026-11-30",
                                  "publication_date": "2026-12-01", "report_type": "childrens-home",
                                  "inspection_kind": "full", "overall": grade, "extraction": "{}",
                                  "enforcement": "[]", "needs_review": 0, "baseline": 0})
            db["judgements"].insert({"report_id": file_id, "urn": urn, "area": "overall",
                                     "grade": grade, "scale": "four_point"})
            db["monitor_reports"].insert({"report_id": file_id, "dirty": 0, "detected": 0})


def event_set(db, columns: str = "report_id, kind, area, old_grade, new_grade, serious, "
                                  "baseline, detected_at, detail, enqueued_at") -> set:
    return {tuple(r) for r in db.execute(f"select {columns} from events")}


#: what an event says, apart from when it was found (and so whether it was news then)
WHAT = "report_id, kind, area, old_grade, new_grade, serious"


def reference_module(rev: str):
    """``monitor/detect.py`` as it was at git revision ``rev``, importable beside today's."""
    source = subprocess.run(["git", "show", f"{rev}:monitor/detect.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("monitor._detect_reference", loader=None))
    module.__package__ = "monitor"
    exec(compile(source, f"{rev}:monitor/detect.py", "exec"), module.__dict__)
    return module


def copy_db(base: Path, dest: Path):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, dest)
    db = open_db(dest)
    db.execute("PRAGMA synchronous = OFF")
    return db


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure(size: int, args, tmp: Path, reference) -> dict:
    base = tmp / f"detect-{size}.db"
    db = open_db(base)
    (urns, built_s, _) = timed(lambda: build(db, size))
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    repeat = args.repeat if size <= 100_000 else 1
    runs = []
    for _ in range(repeat):
        if runs:
            db.close()
        db, first, wall, cpu = first_run(base, tmp)
        runs.append((wall, cpu))
    cycles = run_cycles(db, urns, args)
    idle, idle_s, _ = timed(lambda: detect.detect(db, now="2026-12-01T14:00:00+00:00"))
    row = {"size": size, "build_s": round(built_s, 1), "runs": runs,
           "first_events": len(first), "cycles": cycles,
           "cycle_events": [n for _, n in cycles], "idle_s": round(idle_s, 5),
           "idle_events": len(idle), "_urns": urns}
    if reference is not None:
        ref = copy_db(base, tmp / "reference.db")
        _, ref_wall, ref_cpu = timed(lambda: reference.detect(ref, baseline=True, now=NOW))
        for r in range(args.rounds):
            add_new(ref, urns, args.new, seed=11 + r, tag=f"new{r}")
            reference.detect(ref, now=f"2026-12-01T13:{r:02d}:00+00:00")
        reference.detect(ref, now="2026-12-01T14:00:00+00:00")
        mine, theirs = event_set(db), event_set(ref)
        row.update(reference_first_s=round(ref_wall, 3), reference_first_cpu_s=round(ref_cpu, 3),
                   identical_to_reference=mine == theirs, events_compared=len(theirs))
        ref.close()
    db.close()
    for path in tmp.glob("*.db*"):
        if not path.name.startswith("detect-"):      # each size's database is kept for reruns
            path.unlink()
    return summarise(row)


def run_cycles(db, urns: list[str], args) -> list[tuple[float, int]]:
    """``--rounds`` routine cycles: ``--new`` reports arrive, then detection runs on a connection
    of its own, as the service's cycle opens one (monitor/cycle.py), so no size starts with the
    history already in SQLite's page cache; (wall s, events) each."""
    cycles = []
    path = db.execute("pragma database_list").fetchone()[2]
    for r in range(args.rounds):
        add_new(db, urns, args.new, seed=11 + r, tag=f"new{r}")
        fresh = open_db(path)
        fresh.execute("PRAGMA synchronous = OFF")
        found, wall, _ = timed(lambda: detect.detect(fresh, now=f"2026-12-01T13:{r:02d}:00+00:00"))
        fresh.close()
        cycles.append((wall, len(found)))
    return cycles


def first_run(base: Path, tmp: Path):
    """The first detection on a fresh copy of ``base``: (db, event ids, wall s, CPU s)."""
    db = copy_db(base, tmp / "run.db")
    found, wall, cpu = timed(lambda: detect.detect(db, baseline=True, now=NOW))
    return db, found, wall, cpu


def summarise(row: dict) -> dict:
    """First-run figures: the median of the runs (at small sizes, runs before and after the
    largest size, so that a machine busier or quieter for a while does not make the ratio)."""
    row["cycle_s"] = round(statistics.median(w for w, _ in row["cycles"]), 4)
    row["first_s"] = round(statistics.median(w for w, _ in row["runs"]), 3)
    row["first_cpu_s"] = round(statistics.median(c for _, c in row["runs"]), 3)
    row["first_runs"] = len(row["runs"])
    row["first_spread_s"] = [round(min(w for w, _ in row["runs"]), 3),
                             round(max(w for w, _ in row["runs"]), 3)]
    return row


def same_events_at_once_and_as_they_arrive(tmp: Path, size: int = 2000) -> bool:
    """Detect all reports at once, and the same reports provider by provider in date order in
    small batches: what the events say must be identical (when each was found apart)."""
    at_once = open_db(tmp / "once.db")
    build(at_once, size)
    detect.detect(at_once, now=NOW)
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
        detect.detect(stepwise, now=NOW)
    same = event_set(at_once, WHAT) == event_set(stepwise, WHAT)
    at_once.close()
    stepwise.close()
    return same


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7, help="cycles of --new reports")
    parser.add_argument("--repeat", type=int, default=3,
                        help="first runs at sizes up to 100k (the fastest counts)")
    parser.add_argument("--reference", default="7cee661",
                        help="git revision whose monitor/detect.py must give the same events "
                             "('none' to skip)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    reference = None if args.reference == "none" else reference_module(args.reference)
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="ofsted-watch-detect-") as tmp:
        tmp = Path(tmp)
        figures["at_once_equals_as_they_arrive"] = same_events_at_once_and_as_they_arrive(tmp)
        print(f"events identical, all at once vs as they arrive: "
              f"{figures['at_once_equals_as_they_arrive']}", flush=True)
        results = []
        for size in sizes:
            row = measure(size, args, tmp, reference)
            results.append(row)
            print(f"  ({size:,} reports measured: first detection {row['first_s']:.2f} s)",
                  flush=True)
            if size == max(sizes):
                for again in results[:-1]:           # the smaller sizes once more, after it
                    if again["size"] > 100_000:
                        continue
                    for n in range(args.repeat):
                        db, _, wall, cpu = first_run(tmp / f"detect-{again['size']}.db", tmp)
                        again["runs"].append((wall, cpu))
                        if n == args.repeat - 1:     # and its cycles, after the largest too
                            again["cycles"] += run_cycles(db, again["_urns"], args)
                        db.close()
                    summarise(again)
        for row in results:
            size = row["size"]
            line = (f"{size:>9,} reports: first detection {row['first_s']:7.2f} s "
                    f"(median of {row['first_runs']}, {row['first_spread_s'][0]:.2f}–"
                    f"{row['first_spread_s'][1]:.2f} s; CPU {row['first_cpu_s']:.2f} s; "
                    f"{row['first_events']:,} events); "
                    f"cycle with {args.new} new reports {row['cycle_s'] * 1000:6.1f} ms "
                    f"(median of {len(row['cycles'])}); nothing new "
                    f"{row['idle_s'] * 1000:5.1f} ms")
            if "identical_to_reference" in row:
                line += (f"; {args.reference}'s code {row['reference_first_s']:.2f} s, events "
                         f"identical: {row['identical_to_reference']} "
                         f"({row['events_compared']:,})")
            print(line, flush=True)
    for row in results:
        row.pop("_urns", None)
    figures["sizes"] = results
    by = {r["size"]: r for r in results}
    if 100_000 in by and 1_000_000 in by:
        big, small = by[1_000_000], by[100_000]
        figures["first_ratio"] = round(big["first_s"] / small["first_s"], 2)
        figures["first_cpu_ratio"] = round(big["first_cpu_s"] / small["first_cpu_s"], 2)
        print(f"first-run ratio 1M/100k: ×{figures['first_ratio']} wall, "
              f"×{figures['first_cpu_ratio']} CPU (target ≤ 11)")
    if 10_000 in by and max(by) > 10_000:
        figures["cycle_ratio"] = round(by[max(by)]["cycle_s"] / by[10_000]["cycle_s"], 2)
        print(f"cycle ratio {max(by):,}/10k: ×{figures['cycle_ratio']} (target ≤ 2)")
    if "first_ratio" in figures and "cycle_ratio" in figures:
        figures["targets_met"] = figures["first_ratio"] <= 11 and figures["cycle_ratio"] <= 2
    if reference is not None:
        figures["identical_to_reference"] = all(r["identical_to_reference"] for r in results)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
