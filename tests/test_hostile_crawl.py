"""Hostile input and concurrent use against a crawl of the replica (real processes, real SQLite,
loopback HTTP): a decompression bomb among the reports, an oversized download, a provider name
carrying terminal escapes, two crawls on one database, a `run` killed mid-crawl."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from crawler.replica import Replica
from crawler.replica.sample import sample_data
from monitor.cli import EXIT_BUSY
from monitor.crawl_process import crawl_in_subprocess
from monitor.schema import open_db

from crawler.replica.hostile import bomb_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
HOME_PDFS = sorted(FIXTURES.glob("childrens-home_*.pdf"))[:3]
EVIL_NAME = "Evil\x1b[2J\x1b]0;owned\x07 Home\x9b31m"


def crawl(site, tmp_path, *args, env=None, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "crawl", "--base-url", site.base_url, "--db",
         str(tmp_path / "ow.db"), "--pdf-dir", str(tmp_path / "pdfs"), "--fast", "--json",
         *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_bomb_oversize_and_escapes_are_recorded_once_and_the_crawl_goes_on(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(bomb_pdf(1024))
    data = sample_data(6, 6, HOME_PDFS)
    homes = data["providers"]
    homes[0]["reports"][0]["pdf"] = str(bomb)
    homes[1]["name"] = EVIL_NAME
    big, streamed = homes[2]["reports"][0]["file_id"], homes[3]["reports"][0]["file_id"]
    site = Replica.from_file(data)
    site.start()
    try:
        site.inject(f"/v1/file/{big}", "oversize:3000000", forever=True)
        site.inject(f"/v1/file/{streamed}", "oversize-stream:3000000", forever=True)
        env = {"OFSTED_WATCH_MAX_DOWNLOAD_MB": "2"}          # the bomb itself is 1 MB
        summary = json.loads(crawl(site, tmp_path, "--backfill", "-s",
                                   "OFSTED_EXTRACT_MEMORY_MB=256", env=env).stdout)
        assert summary["status"] == "ok" and summary["new_reports"] == 4
        assert summary["errors"] == 3                     # two refusals and the bomb
        db = open_db(tmp_path / "ow.db")
        errors = {row["url"].rsplit("/", 1)[1]: row["reason"] for row in db["crawl_errors"].rows}
        assert errors[big] == ("refused: larger than the 2 MB download cap (the server "
                               "declares 3,000,000 bytes)")
        assert errors[streamed] == ("refused: larger than the 2 MB download cap (the server "
                                    "sent more than 2,097,152 bytes)")
        bombed = homes[0]["reports"][0]["file_id"]
        assert errors[bombed].startswith("extraction stopped: exceeds 256 MB while reading "
                                         "page 2")
        row = db["reports"].get(bombed)
        assert row["extract_error"].startswith("exceeds 256 MB while reading page 2")
        assert row["extracted_sha256"] == row["sha256"] and row["extractor_version"]
        assert not list((tmp_path / "pdfs").rglob(".part-*"))
        assert all(r["size"] <= 2 * 2**20 for r in db["reports"].rows)    # nothing over the cap
        # escapes stripped on the way in
        assert db["providers"].get(homes[1]["urn"])["name"] == "Evil Home"
        history = subprocess.run(
            [sys.executable, "-m", "monitor", "history", homes[0]["urn"], "--db",
             str(tmp_path / "ow.db")], capture_output=True, text=True, timeout=60)
        assert "could not be read: exceeds 256 MB while reading page 2" in history.stdout
        # the next crawl does not read the bomb again (bytes and extractor unchanged)
        summary = json.loads(crawl(site, tmp_path, "--backfill", "-s",
                                   "OFSTED_EXTRACT_MEMORY_MB=256", env=env).stdout)
        assert summary["status"] == "ok"
        assert [r["reason"] for r in db["crawl_errors"].rows].count(errors[bombed]) == 1
    finally:
        site.stop()


def test_the_default_download_cap_is_50_mb():
    from crawler import settings
    assert settings.DOWNLOAD_MAXSIZE == 50 * 2**20


def _wait(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def _running(marker: str, parent: int) -> list[int]:
    """Live (not zombie) processes whose command line has ``marker`` and ``--parent parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in argv]
        if marker in words and "--parent" in words and state != "Z" \
                and words[words.index("--parent") + 1] == str(parent):
            found.append(int(entry.name))
    return found


def _stored(db_path: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            return conn.execute("select count(*) from reports where extractor_version is not "
                                "null").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.fixture
def slow_site():
    """Five homes answer at once; the sixth's provider page hangs, so a crawl stays running."""
    data = sample_data(6, 6, HOME_PDFS)
    site = Replica.from_file(data, timeout_seconds=40)
    site.start()
    site.inject(f"/provider/2/{data['providers'][5]['urn']}", "timeout", forever=True)
    yield site
    site.stop()


def test_killed_run_takes_its_crawl_and_extractors_with_it(slow_site, tmp_path):
    db_path = tmp_path / "ow.db"
    run = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--db", str(db_path), "--base-url",
         slow_site.base_url, "--pdf-dir", str(tmp_path / "pdfs"), "--fast"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child = _wait(lambda: _running("monitor.crawl_process", run.pid), 30)
        assert child, "no crawl child started"
        assert _wait(lambda: _stored(db_path) >= 5, 40), "the crawl did not get going"
        workers = _running("monitor.sandbox_extract", child[0])
        assert workers, "no extraction worker running"
        assert os.getpgid(child[0]) != os.getpgid(run.pid)      # its own process group
    finally:
        run.kill()
        run.wait()
    assert _wait(lambda: not _running("monitor.crawl_process", run.pid), 5), "crawl survived"
    assert _wait(lambda: not _running("monitor.sandbox_extract", child[0]), 5)

    # the next crawl records the killed one as interrupted and names the log, which holds
    # what the killed child wrote
    slow_site.clear_faults()
    summary = crawl_in_subprocess(db_path, base_url=slow_site.base_url,
                                  pdf_dir=tmp_path / "pdfs", fast=True, timeout=60)
    assert summary["status"] == "ok", summary["reason"]
    first = open_db(db_path)["crawl_runs"].get(1)
    log = Path(f"{db_path}.crawl.log")
    assert first["status"] == "failed" and first["reason"].startswith("interrupted")
    assert f"(see {log})" in first["reason"]
    killed_log = Path(f"{log}.1")                # the killed run's log, rotated once
    assert f"crawl child pid {child[0]} " in killed_log.read_text()


def test_a_failed_crawl_names_its_log(tmp_path):
    site = Replica.from_file(sample_data(2, 2, HOME_PDFS))
    site.start()
    try:
        site.inject("/search", "blank", forever=True)
        summary = crawl_in_subprocess(tmp_path / "ow.db", base_url=site.base_url,
                                      pdf_dir=tmp_path / "pdfs", fast=True, timeout=60)
    finally:
        site.stop()
    log = tmp_path / "ow.db.crawl.log"
    assert summary["status"] == "failed"
    assert summary["reason"].startswith("markup changed") and summary["reason"].endswith(
        f"(see {log})")
    text = log.read_text()
    assert "crawl failed: markup changed" in text and "crawl child pid" in text


def test_the_crawl_child_enforces_its_own_hard_limit(slow_site, tmp_path):
    """Started as crawl_in_subprocess starts it, with a 2 s limit and a stuck site, the child
    ends itself even though its parent (this test) never asks it to."""
    slow_site.inject("/search", "timeout", forever=True)
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-m", "monitor.crawl_process", "--parent", str(os.getpid()),
         "--hard-limit", "2", "--", "crawl", "--db", str(tmp_path / "ow.db"), "--pdf-dir",
         str(tmp_path / "pdfs"), "--base-url", slow_site.base_url, "--fast"],
        capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGALRM
    assert time.monotonic() - started < 20


def test_two_crawls_on_one_database_refuse_cleanly(slow_site, tmp_path):
    slow_site.timeout_seconds = 20              # the first crawl runs for about this long
    db_path = tmp_path / "ow.db"
    first = subprocess.Popen(
        [sys.executable, "-m", "monitor", "crawl", "--base-url", slow_site.base_url, "--db",
         str(db_path), "--pdf-dir", str(tmp_path / "pdfs"), "--fast", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait(lambda: _stored(db_path) >= 5, 40), "the first crawl did not get going"
        second = crawl(slow_site, tmp_path, check=False)
        assert second.returncode == EXIT_BUSY
        (line,) = second.stderr.splitlines()
        assert f"another crawl (pid {first.pid}) is running on this database" in line
        assert "Traceback" not in second.stderr
        summary = crawl_in_subprocess(db_path, base_url=slow_site.base_url,
                                      pdf_dir=tmp_path / "pdfs", fast=True, timeout=60)
        assert summary["status"] == "failed"
        assert summary["reason"].startswith(f"not started: another crawl (pid {first.pid})")
        running = open_db(db_path)["crawl_runs"].get(1)
        assert running["status"] == "running"            # the live crawl was left alone
    finally:
        slow_site.clear_faults()
        out, err = first.communicate(timeout=90)
    assert first.returncode == 0, err
    assert json.loads(out)["status"] == "ok"


def test_a_write_cut_short_by_a_kill_is_removed_by_the_next_crawl(tmp_path):
    from monitor.files import remove_partials, store_pdf
    sha, path, _ = store_pdf(tmp_path, b"%PDF-1.4 whole\n%%EOF\n")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    dead = path.parent / f".part-{gone}-abc.pdf"
    mine = path.parent / f".part-{os.getpid()}-def.pdf"
    dead.write_bytes(b"%PDF-1.4 half")
    mine.write_bytes(b"%PDF-1.4 being written")
    assert remove_partials(tmp_path) == 1
    assert not dead.exists() and mine.exists() and path.exists()
