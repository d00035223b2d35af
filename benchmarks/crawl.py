"""Crawl at scale against the replica.

    python benchmarks/crawl.py [--homes 3000] [--reports 10000] [--new 20]

1. A replica with N children's homes and M reports (the fixture PDFs repeat; file ids differ).
2. Backfill with politeness off (``--fast``): pages per second, requests per second, peak memory
   of the crawl process. The same at a quarter of the size first, so "memory flat as the site
   grows" is a ratio measured in the same run, not a number compared with another machine.
3. Publish ``--new`` reports on as many homes, then an incremental crawl: its request count
   against the target (2 × new reports + listing pages; robots.txt shown apart) and wall time.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.replica import Replica  # noqa: E402
from crawler.replica.sample import sample_data  # noqa: E402

PDFS = sorted((ROOT / "tests" / "fixtures" / "reports").glob("childrens-home_*.pdf"))

# runs the crawl as its own child and reports that child's peak RSS (KiB on Linux)
MEASURE = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc, file=sys.stderr)")


def crawl(site, work: Path, *args) -> tuple[dict, float, float]:
    """(summary, wall seconds, peak MiB) of one crawl subprocess."""
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "crawler",
               "--base-url", site.base_url, "--db", str(work / "ow.db"),
               "--pdf-dir", str(work / "pdfs"), "--fast", "--json", *args]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_kib, rc = result.stderr.strip().splitlines()[-1].split()
    if rc != "0":
        raise SystemExit(f"crawl failed (exit {rc}):\n{result.stderr[-2000:]}")
    return json.loads(result.stdout), wall, int(peak_kib) / 1024


def backfill(homes: int, reports: int, work: Path) -> dict:
    site = Replica.from_file(sample_data(homes, reports, PDFS))
    site.start()
    try:
        summary, wall, peak = crawl(site, work, "--backfill")
    except BaseException:
        site.stop()
        raise
    return {"homes": homes, "reports": reports, "wall_s": round(wall, 1),
            "requests": summary["requests"], "pages": summary["pages"],
            "pages_per_s": round(summary["pages"] / wall, 1),
            "requests_per_s": round(summary["requests"] / wall, 1),
            "new_reports": summary["new_reports"], "peak_mib": round(peak, 1), "site": site}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=3000)
    parser.add_argument("--reports", type=int, default=10000)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as big_dir:
        small = backfill(args.homes // 4, args.reports // 4, Path(small_dir))
        big = backfill(args.homes, args.reports, Path(big_dir))
        site = big.pop("site")
        small.pop("site").stop()

        # incremental after new reports
        today = date.today().isoformat()
        homes = site.providers()[: args.new]
        for i, home in enumerate(homes):
            site.publish(home["urn"], {"file_id": str(99_000_000 + i), "title": "Monitoring visit",
                                       "inspection_date": today, "publication_date": today,
                                       "pdf": str(PDFS[i % len(PDFS)])})
        try:
            before = len(site.requests)
            summary, wall, peak = crawl(site, Path(big_dir))
            served = site.requests[before:]
        finally:
            site.stop()
        robots = sum(1 for _, path in served if path == "/robots.txt")
        listing = sum(1 for _, path in served if path.startswith("/search"))
        counted = len(served) - robots
        target = 2 * args.new + max(1, math.ceil(args.new / 100))
        incremental = {"new_reports": summary["new_reports"], "requests": len(served),
                       "robots_txt": robots, "listing_pages": listing,
                       "requests_excluding_robots": counted, "target": target,
                       "within_target": counted <= target, "wall_s": round(wall, 2),
                       "peak_mib": round(peak, 1)}

    figures = {"backfill_quarter": small, "backfill_full": big,
               "memory_ratio_full_vs_quarter": round(big["peak_mib"] / small["peak_mib"], 2),
               "incremental": incremental}
    print(f"backfill {small['homes']} homes / {small['reports']} reports: "
          f"{small['pages_per_s']} pages/s, {small['requests_per_s']} requests/s, "
          f"peak {small['peak_mib']} MiB, {small['wall_s']} s")
    print(f"backfill {big['homes']} homes / {big['reports']} reports: "
          f"{big['pages_per_s']} pages/s, {big['requests_per_s']} requests/s, "
          f"peak {big['peak_mib']} MiB, {big['wall_s']} s")
    print(f"peak memory, 4x the site: x{figures['memory_ratio_full_vs_quarter']}")
    print(f"incremental after {args.new} new reports: {incremental['requests']} requests "
          f"({robots} robots.txt, {listing} listing), target <= {target} "
          f"{'met' if incremental['within_target'] else 'MISSED'}, {incremental['wall_s']} s")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0 if incremental["within_target"] and summary["new_reports"] == args.new else 1


if __name__ == "__main__":
    sys.exit(main())
