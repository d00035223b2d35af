"""Benchmark: import Ofsted's official statistics, beside a plain ``sqlite-utils insert --csv``.

    python benchmarks/mi.py [MI_DIR] [--reports N]

MI_DIR defaults to ../shared/mi beside the repository (every ``*/*.csv`` under it is read).
Three phases, each in a fresh Python process so its peak memory (ru_maxrss) is its own; the
times exclude interpreter start-up:

1. baseline: ``sqlite-utils insert DB TABLE FILE --csv`` (the real click command, run in-process)
   of the very same rows — each file's header and data rows, written beforehand as plain CSV
   without the preamble lines a plain insert cannot skip — one table per file; and the same
   ``insert_all`` with ``PRAGMA synchronous=OFF`` (the CLI commits, and so fsyncs, every 100
   rows: on a busy disk that dominates its time);
2. import: ``mi import`` of the original files into a fresh database (header finding, column
   matching, grade mapping, merging, providers);
3. check: N synthetic "reports read from PDFs" made from official children's-home inspections
   (1 in 100 with one grade changed) are stored, then ``mi check`` compares them all; the
   planted disagreements must be exactly what it finds.

Measure speed as the ratio of phase 2 to phase 1 in the same run; absolute times move with load.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mib() -> float:
    """Peak resident memory of this process so far (each phase loads the same modules, so the
    phases' peaks compare). Linux's VmHWM, which starts afresh at exec; ``ru_maxrss`` would
    carry the parent's peak over the fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_baseline(db_path: str, csv_dir: str, unsynced: str = "") -> dict:
    """The sqlite-utils CLI as a user runs it; with ``unsynced``, the same ``insert_all`` on a
    database with ``PRAGMA synchronous=OFF``, which leaves out the cost of its commit per
    batch of 100 rows (an fsync each), to show its CPU work alone."""
    import sqlite_utils
    from click.testing import CliRunner
    from sqlite_utils.cli import cli

    import monitor.statistics  # noqa: F401 - the same modules loaded in every phase
    runner = CliRunner()
    files = sorted(Path(csv_dir).glob("*.csv"))
    db = sqlite_utils.Database(db_path)
    if unsynced:
        db.execute("PRAGMA synchronous=OFF")
    before = _peak_mib()
    start = time.perf_counter()
    for index, path in enumerate(files):
        if unsynced:
            with open(path, newline="", encoding="utf-8") as handle:
                db[f"t{index}"].insert_all(csv.DictReader(handle))
            continue
        result = runner.invoke(cli, ["insert", db_path, f"t{index}", str(path), "--csv"])
        if result.exit_code != 0:
            raise SystemExit(f"sqlite-utils insert failed on {path}: {result.output}")
    seconds = time.perf_counter() - start
    rows = sum(db[name].count for name in db.table_names())
    return {"seconds": seconds, "rows": rows, "peak_mib": _peak_mib(), "start_mib": before}


def phase_import(db_path: str, files: list[str]) -> dict:
    from click.testing import CliRunner  # noqa: F401 - the same modules loaded in every phase
    from sqlite_utils.cli import cli  # noqa: F401

    from monitor.schema import open_db
    from monitor.statistics import import_files

    db = open_db(db_path)
    before = _peak_mib()
    start = time.perf_counter()
    done, failed = import_files(db, files)
    seconds = time.perf_counter() - start
    if failed:
        raise SystemExit(f"import failed: {failed}")
    return {"seconds": seconds, "rows": sum(r.rows for r in done), "peak_mib": _peak_mib(),
            "start_mib": before,
            "inspections": db["official_inspections"].count,
            "judgements": db["official_judgements"].count,
            "providers": db.execute("select count(*) from providers where statistics_as_at "
                                    "is not null").fetchone()[0]}


def phase_check(db_path: str, reports: int) -> dict:
    from monitor.schema import open_db
    from monitor.statistics import run_check

    db = open_db(db_path)
    planted = plant_reports(db, reports)
    start = time.perf_counter()
    result = run_check(db)
    seconds = time.perf_counter() - start
    found = {(d["report_id"], d["field"]) for d in result.disagreements}
    return {"seconds": seconds, "reports": result.reports, "matched": result.matched,
            "fields": result.compared, "planted": len(planted), "found": len(found),
            "exact": found == planted, "peak_mib": _peak_mib()}


def plant_reports(db, count: int) -> set:
    """Store ``count`` reports whose extraction is an official children's-home inspection as the
    extractor would write it (first day two days before the official last day); every 100th has
    one grade changed. Returns the planted (report_id, field) pairs."""
    official = db.query(
        "select i.urn, i.inspection_key, i.event_type, i.inspection_date, "
        "json_group_object(j.area, j.grade) as grades from official_inspections i "
        "join official_judgements j using (urn, inspection_key) "
        "where i.provision_type = 'Children''s home' and i.event_type in ('full', 'interim') "
        "and i.inspection_date >= '2017-04-01' group by i.urn, i.inspection_key "
        "order by i.urn, i.inspection_key limit ?", [count])
    import datetime as dt
    rows, planted = [], set()
    for index, row in enumerate(official):
        grades = json.loads(row["grades"])
        overall = grades.pop("overall", None)
        judgements = dict(grades)
        if overall:
            judgements["overall_experiences_and_progress"] = overall
        file_id = f"bench{index}"
        if index % 100 == 0 and overall in ("good", "outstanding"):
            overall = judgements["overall_experiences_and_progress"] = "inadequate"
            planted.add((file_id, "overall"))
        last = row["inspection_date"]
        first = (dt.date.fromisoformat(last) - dt.timedelta(days=2)).isoformat()
        extraction = {"report_type": "childrens-home", "inspection_kind": row["event_type"],
                      "urn": row["urn"], "inspection_date": first, "inspection_end_date": last,
                      "overall": overall, "judgements": judgements, "labels": {}}
        rows.append({"file_id": file_id, "urn": row["urn"], "url": f"https://example/{file_id}",
                     "inspection_date": first, "extraction": json.dumps(extraction)})
    db["reports"].insert_all(rows, batch_size=1000)
    return planted


def clean_copies(files: list[str], out_dir: Path) -> None:
    """Each file's header and data rows as plain UTF-8 CSV (what a plain insert can read)."""
    from monitor.statistics.read import read_table

    for index, path in enumerate(files):
        table = read_table(path)
        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        rows = list(csv.reader(io.StringIO(text, newline="")))[table.columns.header_row:]
        header = [cell or f"column_{i}" for i, cell in enumerate(rows[0])]
        seen = {}
        for i, name in enumerate(header):  # a plain insert needs distinct column names
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                header[i] = f"{name}_{seen[name]}"
        with open(out_dir / f"{index:02d}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(row for row in rows[1:] if any(cell.strip() for cell in row))


def _child(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True,
                         text=True, cwd=ROOT, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr or out.stdout)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mi_dir", nargs="?", default=str(ROOT.parent / "shared" / "mi"))
    parser.add_argument("--reports", type=int, default=10000)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "baseline":
            result = phase_baseline(*rest)
        elif name == "import":
            result = phase_import(rest[0], rest[1:])
        else:
            result = phase_check(rest[0], int(rest[1]))
        print(json.dumps(result))
        return
    files = sorted(str(p) for p in Path(args.mi_dir).glob("*/*.csv"))
    if not files:
        raise SystemExit(f"no statistics files under {args.mi_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "plain").mkdir()
        clean_copies(files, tmp / "plain")
        base = _child("baseline", str(tmp / "plain.db"), str(tmp / "plain"))
        fast = _child("baseline", str(tmp / "unsynced.db"), str(tmp / "plain"), "unsynced")
        imp = _child("import", str(tmp / "mi.db"), *files)
        chk = _child("check", str(tmp / "mi.db"), str(args.reports))
    print(f"files: {len(files)}, rows: {imp['rows']} "
          f"({imp['inspections']} inspections, {imp['judgements']} judgements, "
          f"{imp['providers']} providers)")
    for label, run in (("plain sqlite-utils insert --csv", base),
                       ("the same insert_all, no fsync", fast), ("mi import", imp)):
        print(f"{label + ':':<33} {run['rows']} rows in {run['seconds']:.2f} s = "
              f"{run['rows'] / run['seconds']:,.0f} rows/s, peak {run['peak_mib']:.1f} MiB "
              f"(+{run['peak_mib'] - run['start_mib']:.1f} MiB over the modules loaded)")
    print(f"mi import time / plain insert time: {imp['seconds'] / base['seconds']:.2f}; "
          f"/ no-fsync insert time: {imp['seconds'] / fast['seconds']:.2f}")
    print(f"mi check: {chk['reports']} reports, {chk['matched']} matched, {chk['fields']} fields "
          f"compared in {chk['seconds']:.2f} s ({chk['reports'] / chk['seconds']:,.0f} reports/s), "
          f"peak {chk['peak_mib']:.1f} MiB; planted disagreements {chk['planted']}, found "
          f"{chk['found']}, exact: {chk['exact']}")
    if base["rows"] != imp["rows"] or not chk["exact"]:
        raise SystemExit("row counts differ or the planted disagreements were not found exactly")


if __name__ == "__main__":
    main()
