"""The public web site under a large history: how long a page takes beside a static file.

    python benchmarks/web.py                    # 100,000 stored reports
    python benchmarks/web.py --reports 10000    # quicker

A SQLite file is filled quickly with sqlite-utils ``insert_all`` in the service's own schema
(``monitor.schema.open_db``): 20,000 children's homes in every English local authority, owned by
2,000 companies, 5 reports each (100,000), each with its headline and two area judgements, and
the events a history like that raises (one ``published`` per report, downgrades, straight-in
inadequate, enforcement, upgrades). The site (``monitor.web.app.create_app``) runs on a real uvicorn server on 127.0.0.1
in this process; one keep-alive HTTP client asks for each page many times, round-robin over
different providers / local authorities, and the median time of each is set beside the median
time of a static file (``/static/site.css``) from the same server in the same run. Target:
every page within 5x of the static file.

Two runs: every request rendering its page (the page cache off), then as served (the page
cache on: a page is rendered once per database change, see ``monitor/web/cache.py``).
Also measured: writing the public snapshot Datasette serves (``monitor.web.public``).
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path
               if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from extract.places import LOCAL_AUTHORITIES  # noqa: E402
from monitor.schema import open_db  # noqa: E402
from monitor.web.app import create_app  # noqa: E402
from monitor.web.public import write_snapshot  # noqa: E402
from monitor.web.words import slugify  # noqa: E402

GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
AREAS = ["help_and_protection", "leaders_and_managers"]
ENFORCEMENT = ["compliance_notice", "restriction_of_accommodation", "suspension"]


def fill(db_path: Path, n_reports: int, per_provider: int = 5, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    db = open_db(db_path)
    n_providers = max(1, n_reports // per_provider)
    owners = [f"Owner {i:04d} Care Ltd" for i in range(max(1, n_providers // 10))]
    providers, reports, judgements, events = [], [], [], []
    start = date(2012, 1, 1)
    detected = "2025-11-0{}T07:00:00+00:00"
    file_id = 10_000_000
    for p in range(n_providers):
        urn = f"SC{100000 + p}"
        code, la, region = LOCAL_AUTHORITIES[p % len(LOCAL_AUTHORITIES)]
        owner = owners[rnd.randrange(len(owners))]
        providers.append({"urn": urn, "name": owner, "category": "Children's home",
                          "provider_type": "Children's home", "local_authority": la,
                          "region": region, "owner": owner, "status": "Open",
                          "page_url": f"https://reports.ofsted.gov.uk/provider/2/{urn}"})
        day = start + timedelta(days=rnd.randrange(600))
        rank = rnd.randrange(4)
        previous = None
        for r in range(per_provider):
            file_id += 1
            rank = max(0, min(3, rank + rnd.choice((-1, 0, 0, 1))))
            grade = GRADES[rank]
            inspected = day.isoformat()
            published = (day + timedelta(days=35)).isoformat()
            enforcement = [rnd.choice(ENFORCEMENT)] if rnd.random() < 0.04 else []
            extraction = {"report_type": "childrens-home", "inspection_kind": "full",
                          "urn": urn, "overall": grade, "owner": owner, "local_authority": la,
                          "judgements": {a: grade for a in AREAS}, "enforcement": enforcement,
                          "inspection_date": inspected}
            reports.append({
                "file_id": str(file_id), "urn": urn,
                "url": f"https://files.ofsted.gov.uk/v1/file/{file_id}",
                "title": "Full inspection", "inspection_date": inspected,
                "publication_date": published, "report_type": "childrens-home",
                "inspection_kind": "full", "overall": grade,
                "extraction": json.dumps(extraction), "needs_review": 0,
                "owner": owner, "local_authority": la, "provider_name": owner,
                "enforcement": json.dumps(enforcement)})
            for area in ["overall"] + AREAS:
                judgements.append({"report_id": str(file_id), "urn": urn, "area": area,
                                   "grade": grade, "scale": "four_point", "label": None})
            when = detected.format(1 + r % 9)
            found = [("published", "report", None, grade, False)]   # every new report
            if previous is not None and rank > previous:
                found.append(("downgrade", "overall", GRADES[previous], grade, rank == 3))
            elif previous is not None and rank < previous:
                found.append(("upgrade", "overall", GRADES[previous], grade, False))
            elif previous is None and rank == 3:
                found.append(("inadequate", "overall", None, grade, True))
            for token in enforcement:
                found.append(("enforcement", token, None, token, token != "compliance_notice"))
            for kind, area, old, new, serious in found:
                events.append({"report_id": str(file_id), "urn": urn, "kind": kind,
                               "area": area, "old_grade": old, "new_grade": new,
                               "serious": int(serious), "baseline": 0, "detected_at": when,
                               "detail": "{}", "enqueued_at": when})
            previous = rank
            day += timedelta(days=300 + rnd.randrange(400))
    with db.atomic():
        db["providers"].insert_all(providers, batch_size=5000)
        db["reports"].insert_all(reports, batch_size=5000)
        db["judgements"].insert_all(judgements, batch_size=10000)
        db["events"].insert_all(events, batch_size=10000)
    db.conn.close()
    by_la: dict[str, int] = {}
    for p in providers:
        by_la[p["local_authority"]] = by_la.get(p["local_authority"], 0) + 1
    return {"providers": len(providers), "reports": len(reports),
            "judgements": len(judgements), "events": len(events),
            "urns": [p["urn"] for p in providers],
            "authorities": [slugify(la) for la in by_la],
            "per_authority": statistics.median(by_la.values()),
            "owners": [slugify(o) for o in owners]}


class Server:
    def __init__(self, app):
        import socket

        import uvicorn
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                   log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


def timed(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return time.perf_counter() - start, response.status, len(body)


def measure(port: int, paths: dict[str, list[str]], rounds: int) -> dict[str, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for name, options in paths.items():          # warm up: templates, caches, connections
        for path in options[:3]:
            timed(conn, path)
    times: dict[str, list[float]] = {name: [] for name in paths}
    sizes: dict[str, list[int]] = {name: [] for name in paths}
    for i in range(rounds):                      # interleaved, so load drifts hit all alike
        for name, options in paths.items():
            seconds, status, size = timed(conn, options[i % len(options)])
            if status != 200:
                raise SystemExit(f"{options[i % len(options)]}: HTTP {status}")
            times[name].append(seconds)
            sizes[name].append(size)
    conn.close()
    return {name: {"median_ms": statistics.median(t) * 1000,
                   "p90_ms": sorted(t)[int(len(t) * 0.9)] * 1000,
                   "bytes": int(statistics.median(sizes[name]))} for name, t in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ofsted-watch-web-bench-") as tmp:
        db_path = Path(tmp) / "ofsted-watch.db"
        t0 = time.perf_counter()
        data = fill(db_path, args.reports)
        fill_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_snapshot(db_path, Path(tmp) / "public.db")
        snapshot_s = time.perf_counter() - t0
        rnd = random.Random(3)
        paths = {
            "static file /static/site.css": ["/static/site.css"],
            "/provider/{urn}": [f"/provider/{u}" for u in rnd.sample(data["urns"], 50)],
            "/local-authority/{slug}": [f"/local-authority/{s}"
                                        for s in rnd.sample(data["authorities"], 30)],
            "/owner/{slug}": [f"/owner/{s}" for s in rnd.sample(data["owners"], 30)],
            "/events": ["/events"],
            "/events.atom (feed)": ["/events.atom"],
            "/": ["/"],
        }
        runs = {}
        for mode in ("rendered", "cached"):
            # rendered: every request renders its page; cached: the page cache on (as served),
            # so a page is rendered once per database change
            app = create_app(db_path, datasette=False, page_cache=mode == "cached")
            with Server(app) as server:
                runs[mode] = measure(server.port, paths, args.rounds)
    if args.json:
        print(json.dumps({"reports": data["reports"], "figures": runs}, indent=2))
        return 0
    print(f"History: {data['reports']:,} reports, {data['providers']:,} providers "
          f"({data['per_authority']:.0f} in a median local authority, ~10 per owner), "
          f"{data['judgements']:,} judgements, {data['events']:,} events; "
          f"filled in {fill_s:.1f} s; public snapshot written in {snapshot_s:.1f} s.")
    print(f"{args.rounds} requests per page on one keep-alive connection, uvicorn on 127.0.0.1, "
          f"pages interleaved.")
    worst = {}
    for mode, figures in runs.items():
        static = figures["static file /static/site.css"]["median_ms"]
        print()
        print(f"{mode}: " + ("every request renders its page" if mode == "rendered" else
                             "page cache on, as served (rendered once per database change)"))
        print(f"{'page':32} {'median':>9} {'p90':>9} {'size':>9}  {'vs static':>9}")
        worst[mode] = 0.0
        for name, f in figures.items():
            ratio = f["median_ms"] / static
            if not name.startswith("static"):
                worst[mode] = max(worst[mode], ratio)
            print(f"{name:32} {f['median_ms']:7.2f}ms {f['p90_ms']:7.2f}ms {f['bytes']:8,}B  "
                  f"{ratio:8.1f}x")
    print()
    print(f"Slowest page against the static file: {worst['rendered']:.1f}x rendered, "
          f"{worst['cached']:.1f}x cached (target: within 5x).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
