"""Crawl at scale against the replica, beside a minimal Scrapy spider making the same requests.

    python benchmarks/crawl.py [--homes 3000] [--reports 10000] [--extract-homes 750]
                               [--memory-homes 750,12000] [--memory-reports-per-home 1]
                               [--new 20] [--rounds 1] [--json F]

Every report's PDF is distinct (the replica serves each fixture PDF with the report's file id
appended after ``%%EOF``), so every new file is looked up, stored and, with extraction on, read:
a lookup per new file cannot hide behind repeated bytes.

1. Backfill of N homes / M reports, politeness off (``--fast``), storage only (``--no-extract``),
   beside a bare Scrapy spider that makes the same requests (robots.txt, listing pages, provider
   pages, PDFs) and keeps nothing: pages per second of each and their ratio (target >= 0.7).
2. The same with extraction on (every PDF read in the sandboxed pool, two workers) on a smaller
   site, beside the same bare spider, and beside the extraction floor: the time two processes
   need to read that many PDFs with nothing else running (reports x median seconds per file / 2).
3. Peak memory of the crawl process (storage only) from the smallest to the largest
   ``--memory-homes``, the same number of reports per home at each size (target: flat).
4. ``--new`` reports published on as many homes of the site of step 2, then an incremental crawl
   (extraction on): its requests against the target (2 x new reports + listing pages; robots.txt
   apart) and its wall time.
Each crawl is a fresh subprocess; pages/s includes its start-up, for both sides alike.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
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

# runs a command as its own child and reports that child's peak RSS (KiB on Linux); the peak is
# the largest single process among its descendants (the crawl, or one extraction worker)
MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], "
           "stdout=subprocess.PIPE); sys.stdout.buffer.write(r.stdout); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode, "
           "file=sys.stderr)")


class DistinctReplica(Replica):
    """The replica, every report's PDF made distinct by its file id after the end marker."""

    def pdf_bytes(self, file_id: str) -> bytes | None:
        data = super().pdf_bytes(file_id)
        return None if data is None else data + b"% report " + file_id.encode() + b"\n"


def measured(command: list[str]) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak MiB) of one subprocess."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True,
                            text=True)
    wall = time.perf_counter() - started
    peak_kib, rc = result.stderr.strip().splitlines()[-1].split()
    if rc != "0":
        raise SystemExit(f"{command[2:4]} failed (exit {rc}):\n{result.stderr[-3000:]}")
    return result.stdout, wall, int(peak_kib) / 1024


def ours(site, work: Path, *args, tree: str | None = None) -> dict:
    """One crawl of ours; ``tree``: another source tree of the project (an earlier commit)."""
    start = [sys.executable, "-m", "monitor"] if tree is None else [
        sys.executable, "-c", f"import runpy, sys; sys.path.insert(0, {tree!r}); "
                              f"sys.argv[0] = 'ofsted-watch'; "
                              f"runpy.run_module('monitor', run_name='__main__')"]
    out, wall, peak = measured([*start, "crawl",
                                "--base-url", site.base_url, "--db", str(work / "ow.db"),
                                "--pdf-dir", str(work / "pdfs"), "--fast", "--json", *args])
    summary = json.loads(out)
    if summary["status"] != "ok":
        raise SystemExit(f"crawl failed: {summary['reason']}")
    return {"wall_s": round(wall, 1), "requests": summary["requests"], "pages": summary["pages"],
            "pages_per_s": round(summary["pages"] / wall, 1),
            "requests_per_s": round(summary["requests"] / wall, 1),
            "new_reports": summary["new_reports"], "peak_mib": round(peak, 1)}


def bare(site) -> dict:
    out, wall, peak = measured([sys.executable, str(Path(__file__).resolve()), "--bare",
                                first_search_url(site.base_url)])
    counts = json.loads(out.strip().splitlines()[-1])
    return {"wall_s": round(wall, 1), **counts, "pages_per_s": round(counts["pages"] / wall, 1),
            "requests_per_s": round(counts["requests"] / wall, 1), "peak_mib": round(peak, 1)}


def first_search_url(base_url: str) -> str:
    from crawler.scope import parse_scope
    from crawler.spiders.reports import ReportsSpider
    _, params = parse_scope(None)
    return ReportsSpider(base_url, scope_params=params).search_url(0)


def site_of(homes: int, reports: int) -> DistinctReplica:
    site = DistinctReplica.from_file(sample_data(homes, reports, PDFS))
    site.start()
    return site


def extraction_floor(reports: int, workers: int = 2) -> dict:
    """Seconds two processes need to read ``reports`` distinct PDFs like these: the median time
    one in-process extraction of each fixture takes (after one warm-up), × reports / workers."""
    from extract import extract_file
    extract_file(PDFS[0])
    times = []
    for pdf in PDFS:
        started = time.perf_counter()
        extract_file(pdf)
        times.append(time.perf_counter() - started)
    per_file = statistics.median(times)
    return {"seconds_per_file": round(per_file, 4),
            "floor_s": round(reports * per_file / workers, 1)}


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=3000)
    parser.add_argument("--reports", type=int, default=10000)
    parser.add_argument("--extract-homes", type=int, default=750,
                        help="site size for the run with extraction on (and the incremental)")
    parser.add_argument("--memory-homes", default="750,12000")
    parser.add_argument("--memory-reports-per-home", type=float, default=1.0,
                        help="reports per home in the memory runs (same at every size)")
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the backfill pair")
    parser.add_argument("--before", metavar="TREE",
                        help="also crawl with this source tree of the project (an earlier "
                             "commit: git archive COMMIT | tar -x -C TREE), same site, same run")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    per_home = args.reports / args.homes
    figures: dict = {}

    # 1. storage path vs bare Scrapy, same site, same requests
    site = site_of(args.homes, args.reports)
    rounds = []
    with tempfile.TemporaryDirectory() as big_dir:
        for n in range(args.rounds):
            baseline = bare(site)
            work = Path(big_dir) / f"round{n}"
            work.mkdir()
            mine = ours(site, work, "--backfill", "--no-extract")
            rounds.append({"bare": baseline, "ours": mine,
                           "ratio": ratio(mine["pages_per_s"], baseline["pages_per_s"])})
            print(f"backfill {args.homes} homes / {args.reports} reports, storage only: "
                  f"{mine['pages_per_s']} pages/s ({mine['requests']} requests, "
                  f"{mine['wall_s']} s, peak {mine['peak_mib']} MiB) vs bare Scrapy "
                  f"{baseline['pages_per_s']} pages/s ({baseline['requests']} requests, "
                  f"{baseline['wall_s']} s): x{rounds[-1]['ratio']} (target >= 0.7)", flush=True)
            if args.before:
                older = Path(big_dir) / f"before{n}"
                older.mkdir()
                then = ours(site, older, "--backfill", "--no-extract", tree=args.before)
                rounds[-1].update(before=then, before_ratio=ratio(then["pages_per_s"],
                                                                  baseline["pages_per_s"]))
                print(f"  before ({args.before}): {then['pages_per_s']} pages/s, "
                      f"{then['wall_s']} s, peak {then['peak_mib']} MiB: "
                      f"x{rounds[-1]['before_ratio']} of bare Scrapy", flush=True)
        figures["backfill"] = rounds

        site.stop()

    # 2. extraction on, every PDF distinct; then 4. incremental after new reports on that site
    reports = round(args.extract_homes * per_home)
    site = site_of(args.extract_homes, reports)
    with tempfile.TemporaryDirectory() as work:
        baseline = bare(site)
        mine = ours(site, Path(work), "--backfill")
        floor = extraction_floor(mine["new_reports"])
        bound = max(baseline["wall_s"], floor["floor_s"])
        figures["backfill_extracting"] = {
            "homes": args.extract_homes, "reports": reports, "ours": mine, "bare": baseline,
            "extraction": floor, "ratio_to_bare": ratio(mine["pages_per_s"],
                                                        baseline["pages_per_s"]),
            "wall_vs_bound": ratio(mine["wall_s"], bound),
            "wall_vs_sum": ratio(mine["wall_s"], baseline["wall_s"] + floor["floor_s"])}
        print(f"backfill {args.extract_homes} homes / {reports} reports, extraction on: "
              f"{mine['pages_per_s']} pages/s, {mine['wall_s']} s, peak {mine['peak_mib']} MiB "
              f"vs bare Scrapy {baseline['pages_per_s']} pages/s ({baseline['wall_s']} s) and "
              f"the extraction floor {floor['floor_s']} s ({mine['new_reports']} PDFs x "
              f"{floor['seconds_per_file']} s / 2 cores): wall x"
              f"{figures['backfill_extracting']['wall_vs_bound']} of the larger, x"
              f"{figures['backfill_extracting']['wall_vs_sum']} of their sum (the crawl and the "
              f"extractors share the same two cores)", flush=True)

        today = date.today().isoformat()
        for i, home in enumerate(site.providers()[: args.new]):
            site.publish(home["urn"], {"file_id": str(99_000_000 + i), "title": "Monitoring visit",
                                       "inspection_date": today, "publication_date": today,
                                       "pdf": str(PDFS[i % len(PDFS)])})
        before = len(site.requests)
        summary = ours(site, Path(work))
        served = site.requests[before:]
    site.stop()
    robots = sum(1 for _, path in served if path == "/robots.txt")
    listing = sum(1 for _, path in served if path.startswith("/search"))
    target = 2 * args.new + max(1, math.ceil(args.new / 100))
    incremental = {"new_reports": summary["new_reports"], "requests": len(served),
                   "robots_txt": robots, "listing_pages": listing,
                   "requests_excluding_robots": len(served) - robots, "target": target,
                   "within_target": len(served) - robots <= target, "wall_s": summary["wall_s"],
                   "peak_mib": summary["peak_mib"]}
    figures["incremental"] = incremental
    print(f"incremental after {args.new} new reports (extraction on): {len(served)} requests "
          f"({robots} robots.txt, {listing} listing), target <= {target} "
          f"{'met' if incremental['within_target'] else 'MISSED'}, {summary['wall_s']} s",
          flush=True)

    # 3. memory from the smallest to the largest site, storage only
    sizes = [int(h) for h in args.memory_homes.split(",") if h]
    memory = []
    for homes in sizes:
        site = site_of(homes, round(homes * args.memory_reports_per_home))
        with tempfile.TemporaryDirectory() as work:
            mine = ours(site, Path(work), "--backfill", "--no-extract")
        site.stop()
        reports = round(homes * args.memory_reports_per_home)
        memory.append({"homes": homes, "reports": reports, **mine})
        print(f"backfill {homes} homes / {reports} reports, storage only: "
              f"peak {mine['peak_mib']} MiB, {mine['pages_per_s']} pages/s, "
              f"{mine['wall_s']} s", flush=True)
    if len(memory) > 1:
        figures["memory"] = memory
        figures["memory_ratio"] = ratio(memory[-1]["peak_mib"], memory[0]["peak_mib"])
        print(f"peak memory, {sizes[-1] / sizes[0]:g}x the site: x{figures['memory_ratio']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0 if incremental["within_target"] and summary["new_reports"] == args.new else 1


# ---- the baseline: a minimal Scrapy spider that keeps nothing ----------------------------------
def bare_crawl(search_url: str) -> None:
    import re

    import scrapy
    from scrapy.crawler import CrawlerProcess

    provider_link = re.compile(r'href="([^"]*/provider/\d+/[^"]+)"')
    file_link = re.compile(r'href="([^"]*/v1/file/\d+)"')
    next_link = re.compile(r'class="pagination__next" href="([^"]+)"')

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = [search_url]
        pages = 0

        def parse(self, response):
            Bare.pages += 1
            text = response.text
            for url in provider_link.findall(text):
                yield response.follow(url.replace("&amp;", "&"), self.provider)
            found = next_link.search(text)
            if found:
                yield response.follow(found.group(1).replace("&amp;", "&"), self.parse)

        def provider(self, response):
            Bare.pages += 1
            for url in file_link.findall(response.text):
                yield response.follow(url, self.pdf)

        def pdf(self, response):
            pass

    from crawler import settings as ours_settings
    process = CrawlerProcess({
        "USER_AGENT": ours_settings.USER_AGENT, "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 8, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING"})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    print(json.dumps({"pages": Bare.pages,
                      "requests": crawler.stats.get_value("downloader/request_count", 0)}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bare"]:
        bare_crawl(sys.argv[2])
        sys.exit(0)
    sys.exit(main())
