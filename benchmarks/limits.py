"""Issue 14's targets, all in one run: delivery, detection, the crawl and extraction, each beside
its baseline in the same run, with a verdict per target.

    python benchmarks/limits.py [--out FIGURES.json] [--quick]

It runs the project's own benchmarks one after another, each in its own process, and reads the
figures they write:

  benchmarks/notify.py   one event to 5,000 email subscriptions vs plain smtplib (≥ 0.8×), and to
                         5,000 json:// webhooks vs a plain requests loop (≥ 0.8×); every
                         subscriber receives exactly one message, identical to Apprise's own
  benchmarks/detect.py   first detection 1M/100k (≤ 11×); a 100-report cycle at 1M vs 10k (≤ 2×);
                         events identical to the code before detection was batched
  benchmarks/crawl.py    backfill of 3,000 homes vs a bare Scrapy spider (≥ 0.7× its pages/s);
                         peak memory from 750 to 12,000 homes (flat: ≤ 1.25×)
  benchmarks/extract.py  extraction vs PDFium's own text of the pages read (≤ 1.5×), when the
                         corpus (../shared/corpus) is there

``--quick`` runs every step at a small size to check the wiring (its ratios prove nothing).
Exit status 0 when every target holds, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"


def run(script: str, *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    print(f"\n$ python benchmarks/{script} {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, str(HERE / script), *args], text=True,
                          stdout=subprocess.PIPE, cwd=HERE.parent)
    print(done.stdout, end="", flush=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"limits.py: benchmarks/{script} failed (exit {done.returncode})")
    return done.stdout, time.perf_counter() - started


def json_lines(text: str) -> dict:
    found: dict = {}
    for line in text.splitlines():
        if line.startswith("{"):
            found.update(json.loads(line))
    return found


def _proven(part: dict) -> bool:
    proof = part.get("proof") or {}
    return bool(proof) and all(value for key, value in proof.items() if key != "sample")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write every figure and verdict to this JSON file")
    parser.add_argument("--quick", action="store_true", help="small sizes: wiring only")
    args = parser.parse_args(argv)
    quick = args.quick
    started = time.time()
    load_before = os.getloadavg()
    targets: list[dict] = []

    def target(name: str, value, limit: float, at_least: bool, baseline: str) -> None:
        met = value is not None and (value >= limit if at_least else value <= limit)
        targets.append({"target": name, "value": value, "limit": limit,
                        "at_least": at_least, "baseline": baseline, "met": met})

    with tempfile.TemporaryDirectory(prefix="ofsted-watch-limits-") as tmp:
        tmp = Path(tmp)
        out, _ = run("notify.py", "--skip-detect",
                     *(["--subscriptions", "300", "--sample", "20"] if quick else []))
        notify = json_lines(out)
        fanout, hooks = notify.get("fanout", {}), notify.get("fanout_webhook", {})
        target("email fan-out, × plain smtplib", fanout.get("speed_vs_smtplib"), 0.8, True,
               f"{fanout.get('smtplib_per_s')} messages/s, a new connection per message")
        target("webhook fan-out, × plain requests", hooks.get("speed_vs_requests"), 0.8, True,
               f"{hooks.get('requests_per_s')} requests/s, a new connection per message")
        target("every subscriber got exactly one message, as Apprise sends it",
               int(all(_proven(part) for part in (fanout, hooks))), 1, True,
               f"{fanout.get('proof', {}).get('sample')} subscribers also sent Apprise's "
               f"unmodified way")

        run("detect.py", "--json", str(tmp / "detect.json"),
            *(["--sizes", "2000,10000,20000", "--rounds", "2", "--repeat", "1"] if quick else []))
        detect = json.loads((tmp / "detect.json").read_text())
        sizes = {row["size"]: row for row in detect["sizes"]}
        small, big = sorted(sizes)[-2], max(sizes)
        target(f"first detection {big:,}/{small:,}, ×", round(
            sizes[big]["first_s"] / sizes[small]["first_s"], 2), 11 * (big / small) / 10, False,
            f"{sizes[small]['first_s']} s at {small:,} reports")
        base = sizes.get(10_000, sizes[min(sizes)])
        target(f"cycle of 100 new reports at {big:,} vs {base['size']:,}, ×",
               detect.get("cycle_ratio"), 2, False,
               f"{base['cycle_s'] * 1000:.1f} ms at {base['size']:,}")
        target("detection events identical to the code before (every size, every cycle)",
               int(bool(detect.get("identical_to_reference"))
                   and detect.get("at_once_equals_as_they_arrive", False)), 1, True, "—")

        run("crawl.py", "--json", str(tmp / "crawl.json"),
            *(["--homes", "200", "--reports", "600", "--extract-homes", "60",
               "--memory-homes", "60,400", "--new", "5"] if quick else []))
        crawl = json.loads((tmp / "crawl.json").read_text())
        backfill = crawl["backfill"][-1]
        target("crawl backfill, × bare Scrapy pages/s", backfill["ratio"], 0.7, True,
               f"{backfill['bare']['pages_per_s']} pages/s")
        target("crawl peak memory, largest/smallest site, ×", crawl.get("memory_ratio"), 1.25,
               False, "peak " + " → ".join(f"{m['peak_mib']} MiB ({m['homes']:,} homes)"
                                           for m in crawl.get("memory", [])))

        if (CORPUS / "truth.json").exists():
            run("extract.py", str(CORPUS), str(CORPUS / "truth.json"), "--no-baseline",
                "--json", str(tmp / "extract.json"))
            extract = json.loads((tmp / "extract.json").read_text())
            target("extraction, × PDFium's own text of the pages read", extract["vs_pdfium"],
                   1.5, False, f"{extract['pdfium_ms_total']} ms for {extract['files']} files")
        else:
            print(f"\n(no corpus at {CORPUS}: extraction not measured)")

    print(f"\nIssue 14's targets, one run ({time.time() - started:.0f} s; load average "
          f"{load_before[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
          f"{os.cpu_count()} CPUs, {platform.python_implementation()} "
          f"{platform.python_version()}){' — QUICK: sizes too small to prove anything' if quick else ''}")
    width = max(len(t["target"]) for t in targets)
    for t in targets:
        sign = "≥" if t["at_least"] else "≤"
        print(f"  {'met ' if t['met'] else 'MISS'}  {t['target']:{width}}  {t['value']!s:>7}  "
              f"(target {sign} {t['limit']:g}; baseline {t['baseline']})")
    if args.out:
        Path(args.out).write_text(json.dumps({
            "targets": targets, "notify": notify, "detect": detect, "crawl": crawl,
            "load_average": [load_before, os.getloadavg()], "quick": quick}, indent=2))
    return 0 if all(t["met"] for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
