"""The service: scheduler configuration, `ofsted-watch run` against the replica, and a real
`ofsted-watch serve` subprocess stopped cleanly by SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner

from monitor.cli import main
from monitor.schema import open_db
from monitor.service import ScheduleError, ServiceOptions, build_scheduler, parse_schedule

LONDON = ZoneInfo("Europe/London")
SANDBOX = Path(__file__).parent.parent / "monitor" / "sandbox"


def fires(trigger, start: datetime, n: int) -> list[datetime]:
    out, previous, now = [], None, start
    for _ in range(n):
        nxt = trigger.get_next_fire_time(previous, now)
        out.append(nxt)
        previous, now = nxt, nxt
    return out


# ---- scheduler configuration ------------------------------------------------------------------

def test_default_jobs_triggers_and_job_defaults(tmp_path):
    scheduler = build_scheduler(ServiceOptions(db_path=str(tmp_path / "w.db")))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"cycle", "outbox", "digest-daily", "digest-weekly"}
    assert str(scheduler.timezone) == "Europe/London"
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == 3600
    assert isinstance(jobs["outbox"].trigger, IntervalTrigger)
    assert jobs["outbox"].trigger.interval.total_seconds() == 300
    for job_id in ("cycle", "digest-daily", "digest-weekly"):
        assert isinstance(jobs[job_id].trigger, CronTrigger)
        assert str(jobs[job_id].trigger.timezone) == "Europe/London"


def test_cycle_runs_twice_each_working_day_in_london_time():
    trigger = parse_schedule("mon-fri 07:00,13:00")
    # Friday 27 March 2026, the weekend the clocks go forward: next runs skip the weekend and
    # stay at 07:00 and 13:00 local time on both sides of the change.
    got = fires(trigger, datetime(2026, 3, 27, 8, 0, tzinfo=LONDON), 4)
    assert [(d.strftime("%a %H:%M"), d.utcoffset().total_seconds()) for d in got] == [
        ("Fri 13:00", 0), ("Mon 07:00", 3600), ("Mon 13:00", 3600), ("Tue 07:00", 3600)]


def test_schedule_with_different_minutes_and_crontab_lines():
    mixed = parse_schedule("mon,wed 06:30,18:00")
    assert isinstance(mixed, OrTrigger)
    got = fires(mixed, datetime(2026, 11, 23, 0, 0, tzinfo=LONDON), 3)  # a Monday
    assert [d.strftime("%a %H:%M") for d in got] == ["Mon 06:30", "Mon 18:00", "Wed 06:30"]
    cron = parse_schedule("15 9 * * 2")
    assert fires(cron, datetime(2026, 11, 23, tzinfo=LONDON), 1)[0].strftime("%a %H:%M") == \
        "Tue 09:15"


@pytest.mark.parametrize("bad", ["sometimes", "mon-fri 25:00", "funday 07:00", "mon-fri 7am"])
def test_bad_schedule_is_one_clear_line(bad, tmp_path):
    with pytest.raises(ScheduleError):
        parse_schedule(bad)
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "w.db"),
                                       "--schedule", bad])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and repr(bad) in lines[0], result.output
    assert not (tmp_path / "w.db").exists()


def test_bad_timezone_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "w.db"),
                                       "--timezone", "Mars/Olympus"])
    assert result.exit_code != 0 and "Mars/Olympus" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["run", "serve"])
@pytest.mark.parametrize("url", ["nonsense", "http://[::1", "http://127.0.0.1:99999"])
def test_bad_base_url_is_refused_before_anything_is_written(command, url, tmp_path):
    result = CliRunner().invoke(main, [command, "--db", str(tmp_path / "w.db"),
                                       "--base-url", url])
    assert result.exit_code == 2 and f"{url!r} is not an http(s) URL" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "w.db").exists()


def test_digests_daily_and_weekly_on_monday():
    scheduler = build_scheduler(ServiceOptions(db_path=":memory:"))
    start = datetime(2026, 11, 24, 9, 0, tzinfo=LONDON)  # Tuesday, after 08:00
    daily = scheduler.get_job("digest-daily").trigger
    weekly = scheduler.get_job("digest-weekly").trigger
    assert fires(daily, start, 1)[0] == datetime(2026, 11, 25, 8, 0, tzinfo=LONDON)
    assert fires(weekly, start, 1)[0] == datetime(2026, 11, 30, 8, 0, tzinfo=LONDON)


# ---- real runs against the sandbox replica ----------------------------------------------------

@pytest.fixture
def replica():
    from crawler.replica import Replica
    site = Replica.from_file(SANDBOX / "site.json")
    site.start()
    yield site
    site.stop()


def test_run_command_against_the_replica(tmp_path, replica):
    db_path = tmp_path / "watch.db"
    args = ["run", "--db", str(db_path), "--base-url", replica.base_url,
            "--pdf-dir", str(tmp_path / "pdfs"), "--crawl-timeout", "120", "--fast"]
    first = CliRunner().invoke(main, args + ["--json"])
    assert first.exit_code == 0, first.output
    outcome = json.loads(first.output)
    assert outcome["crawl"]["status"] == "ok"
    assert outcome["baseline"] is True
    assert outcome["crawl"]["new_reports"] == 5
    db = open_db(db_path)
    assert db["reports"].count == 5
    assert db.execute("select count(*) from job_runs where job = 'cycle'").fetchone()[0] == 1
    assert db.execute("select count(*) from deliveries").fetchone()[0] == 0

    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "No new events" in second.output and "0 new reports" in second.output
    assert db.execute("select count(*) from job_runs where job = 'cycle'").fetchone()[0] == 2


def test_run_command_reports_a_failed_crawl(tmp_path, replica):
    # nothing listens on this port: the crawl fails, the run says so in one paragraph, exit 1
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(main, ["run", "--db", str(tmp_path / "w.db"),
                                       "--base-url", f"http://127.0.0.1:{port}",
                                       "--pdf-dir", str(tmp_path / "pdfs"),
                                       "--crawl-timeout", "60", "--fast"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "Crawl" in result.output and "tried again next cycle" in result.output
    db = open_db(tmp_path / "w.db")
    assert db["job_runs"].count == 1
    assert list(db["job_runs"].rows)[0]["status"] == "crawl-failed"
    # a failed first crawl is not the baseline: the first crawl that succeeds is
    ok = CliRunner().invoke(main, ["run", "--db", str(tmp_path / "w.db"), "--json", "--fast",
                                   "--base-url", replica.base_url,
                                   "--pdf-dir", str(tmp_path / "pdfs")])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["baseline"] is True


def _wait_for(proc, needle: str, lines: list[str], limit: float = 90.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                return False
            continue
        lines.append(line)
        if needle in line:
            return True
    return False


def test_serve_runs_a_cycle_and_stops_cleanly_on_sigterm(tmp_path, replica):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from monitor.cli import main; main()", "serve", "--db", str(tmp_path / "w.db"),
         "--base-url", replica.base_url, "--pdf-dir", str(tmp_path / "pdfs"),
         "--crawl-timeout", "120", "--run-now", "--fast"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    try:
        assert _wait_for(proc, "scheduler started", lines), "".join(lines)
        assert _wait_for(proc, "cycle ok", lines), "".join(lines)
        # one scheduler per database: a second serve is refused in one line
        second = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "w.db")])
        assert second.exit_code == 1 and "already running" in second.output, second.output
        assert len(second.output.strip().splitlines()) == 1
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = "".join(lines) + rest
    assert proc.returncode == 0, log
    assert "received SIGTERM" in log and "scheduler stopped cleanly" in log
    assert "Traceback" not in log
    db = open_db(tmp_path / "w.db")
    assert db.execute("select status from job_runs where job = 'cycle'").fetchall() == [("ok",)]


def test_sigterm_during_a_cycle_lets_it_finish(tmp_path, replica):
    replica.inject("/search", "timeout")      # the first search answers only after 3 s
    proc = subprocess.Popen(
        [sys.executable, "-c", "from monitor.cli import main; main()", "serve",
         "--db", str(tmp_path / "w.db"), "--base-url", replica.base_url,
         "--pdf-dir", str(tmp_path / "pdfs"), "--crawl-timeout", "120", "--run-now", "--fast"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        deadline = time.monotonic() + 60
        while not any(path.startswith("/search") for _, path in list(replica.requests)):
            assert time.monotonic() < deadline and proc.poll() is None, "the crawl never began"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)      # mid-crawl
        err = proc.communicate(timeout=90)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert err.index("received SIGTERM") < err.index("cycle ok") \
        < err.index("scheduler stopped cleanly"), err
    db = open_db(tmp_path / "w.db")
    assert db.execute("select status from crawl_runs").fetchall() == [("ok",)]
    assert db["reports"].count == 5


def test_outbox_and_digest_jobs_record_outcomes_and_survive_errors(tmp_path, caplog):
    from monitor.service import digest_job, outbox_job
    options = ServiceOptions(db_path=str(tmp_path / "w.db"))
    open_db(options.db_path).conn.close()
    outbox_job(options)                       # nothing due: no row, no noise
    digest_job(options, "daily")
    digest_job(options, "weekly")
    db = open_db(options.db_path)
    rows = [(r["job"], r["status"], r["summary"]) for r in db["job_runs"].rows]
    assert rows == [("digest-daily", "ok", "daily digests: 0 sent"),
                    ("digest-weekly", "ok", "weekly digests: 0 sent")]
    # a broken database: the job logs one error and returns (the scheduler keeps running)
    broken = tmp_path / "broken.db"
    broken.write_text("not a database")
    outbox_job(ServiceOptions(db_path=str(broken)))
    digest_job(ServiceOptions(db_path=str(broken)), "daily")
    assert [r.message.split(":")[0] for r in caplog.records if r.levelname == "ERROR"] == \
        ["outbox retry failed", "daily digest failed"]
