"""Bad input and faults on a replica: the crawl goes on, records each failure with its URL and
reason, retries the transient ones, stores nothing half-written, and owes the rest to the next
run. A crawl killed with SIGKILL and run again completes with no duplicates and nothing missing."""
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from crawler.replica import Replica
from crawler.replica.sample import sample_data
from monitor.schema import open_db

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
HOME_PDFS = sorted(FIXTURES.glob("childrens-home_*.pdf"))


def crawl_command(site, tmp_path, *args):
    return [sys.executable, "-m", "monitor", "crawl", "--base-url", site.base_url,
            "--db", str(tmp_path / "ow.db"), "--pdf-dir", str(tmp_path / "pdfs"), "--json",
            *args]


def run(site, tmp_path, *args):
    result = subprocess.run(crawl_command(site, tmp_path, *args), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_whole(db, tmp_path):
    """Every stored report points at its complete PDF; no partial file anywhere."""
    for row in db["reports"].rows:
        data = Path(row["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and len(data) == row["size"]
    assert not list((tmp_path / "pdfs").rglob(".part-*"))


@pytest.fixture
def faulty(tmp_path):
    data = sample_data(8, 8, HOME_PDFS[:4])
    homes = data["providers"]
    urns = [p["urn"] for p in homes]
    ids = {p["urn"]: p["reports"][0]["file_id"] for p in homes}
    homes[3]["reports"][0]["pdf"] = None                 # D: its file id answers 404
    homes[6]["reports"].append(dict(homes[6]["reports"][0]))   # G: listed twice
    site = Replica.from_file(data, timeout_seconds=3.5)
    site.start()
    site.inject("/search", "403", "403", "403")                         # a burst of 403s
    site.inject(f"/provider/2/{urns[0]}", "404", forever=True)          # A: provider 404
    site.inject(f"/provider/2/{urns[1]}", "500")                        # B: 500 then fine
    site.inject(f"/provider/2/{urns[2]}", "429:1")                      # C: Retry-After
    site.inject(f"/v1/file/{ids[urns[4]]}", "timeout")                  # E: one timeout
    site.inject(f"/v1/file/{ids[urns[5]]}", "html", forever=True)       # F: HTML, not PDF
    site.inject(f"/v1/file/{ids[urns[7]]}", "truncated")                # H: cut short once
    yield site, urns, ids
    site.stop()


def test_faults_are_retried_or_recorded_and_owed_to_the_next_run(faulty, tmp_path):
    site, urns, ids = faulty
    summary = run(site, tmp_path, "--fast", "--backfill", "--no-extract",
                  "-s", "DOWNLOAD_TIMEOUT=2")
    assert summary["status"] == "ok"
    db = open_db(tmp_path / "ow.db")
    errors = {row["url"].replace(site.base_url, ""): row["reason"]
              for row in db["crawl_errors"].rows}
    assert set(errors) == {f"/provider/2/{urns[0]}", f"/v1/file/{ids[urns[3]]}",
                           f"/v1/file/{ids[urns[5]]}"}
    assert errors[f"/provider/2/{urns[0]}"] == "HTTP 404"
    assert errors[f"/v1/file/{ids[urns[3]]}"] == "HTTP 404"
    assert errors[f"/v1/file/{ids[urns[5]]}"].startswith("not a PDF (starts '<!DOCTYPE html>")
    assert summary["errors"] == 3
    stored = {row["file_id"] for row in db["reports"].rows}
    assert stored == {ids[u] for u in urns[1:3] + urns[4:5] + urns[6:]}
    assert_whole(db, tmp_path)
    served = Counter(path.split("?")[0] for _, path in site.requests)
    assert served["/search"] == 4                                   # 3 × 403, then the page
    assert served[f"/provider/2/{urns[1]}"] == 2 and served[f"/provider/2/{urns[2]}"] == 2
    assert served[f"/v1/file/{ids[urns[4]]}"] == 2                  # timed out, then fine
    assert served[f"/v1/file/{ids[urns[7]]}"] == 2                  # truncated, then whole
    assert served[f"/v1/file/{ids[urns[6]]}"] == 1                  # listed twice, fetched once
    assert served[f"/provider/2/{urns[0]}"] == 1                    # 404 is not retried
    owed = {row["url"].replace(site.base_url, ""): row["attempts"]
            for row in db["crawl_pending"].rows}
    assert owed == {f"/provider/2/{urns[0]}": 1, f"/v1/file/{ids[urns[3]]}": 1,
                    f"/v1/file/{ids[urns[5]]}": 1}

    # the site recovers (except the id that is gone for good): the next run collects the rest
    site.clear_faults()
    summary = run(site, tmp_path, "--fast", "--no-extract")
    assert summary["status"] == "ok" and summary["new_reports"] == 2
    stored = {row["file_id"] for row in db["reports"].rows}
    assert stored == {ids[u] for u in urns} - {ids[urns[3]]}
    assert_whole(db, tmp_path)
    owed = {row["url"].replace(site.base_url, ""): row["attempts"]
            for row in db["crawl_pending"].rows}
    assert owed == {f"/v1/file/{ids[urns[3]]}": 2}
    assert db["providers"].get(urns[0])["local_authority"]


def test_sigkill_half_way_then_run_again(tmp_path):
    data = sample_data(40, 60, HOME_PDFS[:6])
    site = Replica.from_file(data)
    site.start()
    try:
        expected = {r["file_id"] for p in data["providers"] for r in p["reports"]}
        args = crawl_command(site, tmp_path, "--backfill", "-s", "DOWNLOAD_DELAY=0.05",
                             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=2",
                             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db_path = tmp_path / "ow.db"
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and child.poll() is None:
            if db_path.exists():
                try:   # read-only: the crawler owns the schema while it runs
                    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
                        stored = conn.execute("select count(*) from reports").fetchone()[0]
                except sqlite3.Error:
                    stored = 0
                if stored >= 12:
                    break
            time.sleep(0.05)
        assert child.poll() is None, "the crawl finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        db = open_db(db_path)
        assert 12 <= db["reports"].count < len(expected)
        assert db["crawl_runs"].get(1)["status"] == "running"     # it never got to say

        summary = run(site, tmp_path, "--fast", "--backfill")
        assert summary["status"] == "ok"
        file_ids = [row["file_id"] for row in db["reports"].rows]
        assert len(file_ids) == len(set(file_ids)) and set(file_ids) == expected
        assert db["providers"].count == 40
        assert_whole(db, tmp_path)
        assert all(row["extractor_version"] for row in db["reports"].rows)   # none left behind
        assert db["crawl_pending"].count == 0
        assert db["crawl_runs"].get(1)["status"] == "failed"
        assert db["crawl_runs"].get(1)["reason"].startswith("interrupted")
    finally:
        site.stop()
