"""The CLI behaves like the tools its users know (issue 8): filters that cannot silently match
nothing, read-only commands that create nothing, one line for every error, documented exit
codes, Ctrl-C, one cycle at a time, and undelivered alerts that are not reported as success."""
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import cli, detect, subscriptions
from monitor.cli import main

HOOK = "json://127.0.0.1:9/"
ROOT = Path(__file__).parent.parent


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def one_line_error(result, code=1):
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def seed(db, put_report, put_provider):
    put_provider("SC123456", owner="Harmony Childcare Ltd")
    put_report("11", "SC123456", inspection_date="2021-03-02", overall="good")


# ---- filters that cannot silently match nothing --------------------------------------------

@pytest.mark.parametrize("args, says", [
    (["--local-authority", "Stafordshire"], "did you mean 'Staffordshire'"),
    (["--urn", "abc"], "URN 'abc': not a URN"),
    (["--owner", "hollybank childcare"], "no provider in the history has this owner"),
    (["--provider-type", "school"], "provider type 'school': not a type Ofsted lists"),
    (["--region", "Narnia"], "unknown region 'Narnia'"),
])
def test_subscribe_refuses_a_filter_that_matches_nothing(db, db_path, put_report, put_provider,
                                                        args, says):
    seed(db, put_report, put_provider)
    line = one_line_error(run("subscribe", "--db", db_path, "--notify", HOOK, *args))
    assert says in line
    assert db["subscriptions"].count == 0


def test_subscribe_stores_the_canonical_values(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    for n, args in enumerate((["--local-authority", "Staffs"], ["--local-authority", "860"],
                              ["--urn", "sc 123456"], ["--owner", "HARMONY CHILDCARE LIMITED"],
                              ["--provider-type", "Children's home"])):
        result = run("subscribe", "--db", db_path, "--notify", f"{HOOK}{n}", *args, "--json")
        assert result.exit_code == 0, result.output
    stored = [json.loads(r[0]) for r in db.execute("select filters from subscriptions "
                                                   "order by id")]
    assert stored == [{"local_authority": "Staffordshire"}, {"local_authority": "Staffordshire"},
                      {"urns": ["SC123456"]}, {"owner": "Harmony Childcare Ltd"},
                      {"provider_type": "childrens-home"}]


def test_a_new_owner_only_when_the_user_says_so(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    result = run("subscribe", "--db", db_path, "--notify", HOOK, "--owner", "Hollybank Care Ltd",
                 "--new-owner")
    assert result.exit_code == 0, result.output
    assert "owner Hollybank Care Ltd" in result.output


def test_an_unknown_urn_is_accepted_with_a_warning(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    result = CliRunner().invoke(main, ["subscribe", "--db", str(db_path), "--notify", HOOK,
                                       "--urn", "SC123456,SC999999"])
    assert result.exit_code == 0, result.output
    assert "Warning: URN SC999999: not in the history yet" in result.output
    warning = next(l for l in result.output.splitlines() if l.startswith("Warning:"))
    assert "SC123456" not in warning                      # that one is known


def test_several_urns_and_a_urn_file_make_one_subscription(db, db_path, tmp_path):
    homes = tmp_path / "homes.csv"
    homes.write_text("Home,URN\nA,SC100001\nB,sc 100002\n")
    result = run("subscribe", "--db", db_path, "--notify", HOOK, "--urn", "SC100003,EY100004",
                 "--urn-file", homes)
    assert result.exit_code == 0, result.output
    rows = list(db["subscriptions"].rows)
    assert len(rows) == 1
    assert json.loads(rows[0]["filters"]) == {
        "urns": ["EY100004", "SC100001", "SC100002", "SC100003"]}


def test_a_urn_subscription_gets_every_new_report_by_default(db, db_path):
    result = run("subscribe", "--db", db_path, "--notify", HOOK, "--urn", "SC100001")
    assert result.exit_code == 0, result.output
    kinds = db.execute("select events from subscriptions").fetchone()[0].split(",")
    expected = list(detect.DEFAULT_KINDS) + (["published"] if "published" in detect.KINDS
                                             else [])
    assert sorted(kinds) == sorted(expected)
    area = run("subscribe", "--db", db_path, "--notify", HOOK, "--all")
    assert area.exit_code == 0
    kinds = db.execute("select events from subscriptions where id = 2").fetchone()[0]
    assert kinds.split(",") == list(detect.DEFAULT_KINDS)


def test_the_same_subscription_is_not_made_twice(db, db_path):
    args = ["subscribe", "--db", db_path, "--notify", HOOK, "--local-authority", "Staffs"]
    assert run(*args).exit_code == 0
    line = one_line_error(run("subscribe", "--db", db_path, "--notify", HOOK,
                              "--local-authority", "Staffordshire County Council"))
    assert "subscription 1 already sends the same alerts" in line
    assert db["subscriptions"].count == 1
    # another destination, another digest or other events: a different subscription
    assert run(*args, "--digest", "daily").exit_code == 0
    assert run(*args, "--events", "downgrade").exit_code == 0
    assert run("subscribe", "--db", db_path, "--notify", HOOK + "x", "--local-authority",
               "860").exit_code == 0
    assert db["subscriptions"].count == 4


def test_help_lists_the_types_the_kinds_and_the_environment():
    text = run("subscribe", "--help").output
    for slug in ("childrens-home", "fostering-agency", "la-childrens-services"):
        assert slug in text
    for kind in detect.KINDS:
        assert kind in text
    assert "OFSTED_WATCH_NOTIFY" in text
    top = run("--help").output
    for name, _ in cli.ENVIRONMENT:
        assert name in top
    for code, _ in cli.EXIT_CODES:
        assert f"  {code} " in top


def test_the_exit_code_table_is_the_same_in_the_docs():
    docs = (ROOT / "docs" / "alerts.md").read_text()
    for code, _ in cli.EXIT_CODES:
        assert f"| {code} |" in docs, code


# ---- read-only commands never create anything ------------------------------------------------

@pytest.mark.parametrize("args", [["subscriptions"], ["history", "SC123456"], ["providers"],
                                  ["events"], ["detect", "--dry-run"], ["unsubscribe", "1"],
                                  ["detect"], ["deliver"]])
def test_read_only_commands_never_create_a_database(tmp_path, args):
    """Nor do detect and deliver, which have nothing to do in a new database: a mistyped --db
    is one line and exit 1, not "No new events" and an empty database somewhere."""
    path = tmp_path / "nowhere" / "watch.db"
    line = one_line_error(run(*args, "--db", path))
    assert f"database {path}: no such file" in line
    assert not (tmp_path / "nowhere").exists()


def test_dry_run_detects_in_memory_and_changes_nothing(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    put_report("12", "SC123456", inspection_date="2024-03-02", overall="inadequate")
    before = db.execute("select count(*) from events").fetchone()[0]
    dry = run("detect", "--db", db_path, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert "downgrade" in {e["kind"] for e in json.loads(dry.output)}
    assert db.execute("select count(*) from events").fetchone()[0] == before
    real = run("detect", "--db", db_path, "--json")
    assert {e["kind"] for e in json.loads(real.output)} == {e["kind"] for e in
                                                            json.loads(dry.output)}


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not SQLite " * 100)
    for args in (["subscriptions"], ["providers"], ["events"], ["history", "SC123456"],
                 ["subscribe", "--notify", HOOK, "--all"], ["deliver"]):
        line = one_line_error(run(*args, "--db", path))
        assert "not an ofsted-watch database" in line or "not a database" in line, line


def test_a_locked_database_is_one_line(db, db_path, monkeypatch):
    from monitor import schema
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(db_path)
    other.execute("BEGIN EXCLUSIVE")                      # another process writing
    try:
        line = one_line_error(run("subscribe", "--db", db_path, "--notify", HOOK, "--all"))
        assert "database is locked" in line
        assert run("subscriptions", "--db", db_path).exit_code in (0, 1)   # never a traceback
    finally:
        other.rollback()
        other.close()


@pytest.mark.parametrize("since", ["01/02/2024", "yesterday", "2024-13-01"])
def test_a_since_in_another_format_is_one_line(db, db_path, since):
    line = one_line_error(run("events", "--db", db_path, "--since", since))
    assert f"--since {since!r}: not a date in the form YYYY-MM-DD" in line


@pytest.mark.parametrize("setting, says", [
    ("DOWNLOAD_DELAY=abc", "DOWNLOAD_DELAY takes a number"),
    ("CONCURRENT_REQUESTS=x", "CONCURRENT_REQUESTS takes a whole number"),
    ("AUTOTHROTTLE_ENABLED=maybe", "AUTOTHROTTLE_ENABLED takes true or false"),
    ("DOWNLOD_DELAY=1", "did you mean DOWNLOAD_DELAY?"),
    ("NOEQUALS", "is not NAME=VALUE")])
def test_a_bad_scrapy_setting_is_one_line_before_anything_runs(tmp_path, setting, says):
    result = run("crawl", "--db", tmp_path / "w.db", "--base-url", "http://127.0.0.1:9",
                 "-s", setting)
    line = one_line_error(result, code=2)
    assert says in line
    assert not (tmp_path / "w.db").exists()


def test_crawl_since_in_another_format_is_one_line(tmp_path):
    result = run("crawl", "--db", tmp_path / "w.db", "--base-url", "http://127.0.0.1:9",
                 "--since", "01/02/2024")
    assert "is not a date" in one_line_error(result, code=2)


# ---- Ctrl-C, one cycle at a time, undelivered alerts -----------------------------------------

def test_ctrl_c_says_interrupted_and_exits_130(db, db_path, monkeypatch):
    from monitor import outbox

    def pressed(*_a, **_k):
        raise KeyboardInterrupt
    monkeypatch.setattr(outbox, "enqueue", pressed)
    result = CliRunner().invoke(main, ["deliver", "--db", str(db_path)])
    assert result.exit_code == 130
    assert result.output.strip() == "interrupted"


@pytest.mark.parametrize("holder", ["ofsted-watch serve", "ofsted-watch run"])
def test_run_while_another_cycle_holds_the_database_is_refused(db_path, holder, monkeypatch):
    from monitor import crawl_process, service
    crawls = []
    monkeypatch.setattr(crawl_process, "crawl_in_subprocess",
                        lambda *a, **k: crawls.append(a) or {"status": "ok"})
    lock = service.hold_lock(str(db_path), holder=holder)
    try:
        result = run("run", "--db", db_path, "--base-url", "http://127.0.0.1:9")
    finally:
        lock.close()
    line = one_line_error(result, code=cli.EXIT_BUSY)
    assert f"`{holder}` (pid " in line and "is already running" in line
    assert crawls == []                                   # never a second crawl


def _quiet_crawl(*_args, **_kwargs):
    return {"status": "ok", "pages": 1, "providers": 1, "new_reports": 0, "errors": 0,
            "requests": 1, "reason": None}


def test_run_exits_3_and_says_which_alerts_could_not_be_delivered(db, db_path, put_report,
                                                                  put_provider, monkeypatch):
    from monitor import crawl_process
    monkeypatch.setattr(crawl_process, "crawl_in_subprocess", _quiet_crawl)
    seed(db, put_report, put_provider)
    detect.detect(db)
    subscriptions.add(db, "json://nobody:s3cretpass@127.0.0.1:9/hook", all=True)
    put_report("12", "SC123456", inspection_date="2024-03-02", overall="inadequate")
    db.execute("update reports set baseline = 0 where file_id = '12'")
    db.conn.commit()
    result = CliRunner().invoke(main, ["run", "--db", str(db_path)])
    assert result.exit_code == cli.EXIT_UNDELIVERED, result.output
    assert "s3cretpass" not in result.output
    assert "to subscription 1 (json://" in result.output
    assert "not delivered" in result.output and "next try 20" in result.output
    listed = run("subscriptions", "--db", db_path)
    assert "last error:" in listed.output and "next try:" in listed.output
    assert "s3cretpass" not in listed.output
    data = json.loads(run("subscriptions", "--db", db_path, "--json").output)
    assert data[0]["last_error"] and data[0]["next_try"]
    again = run("deliver", "--db", db_path, "--json")         # nothing due yet: no failure now
    assert again.exit_code == 0, again.output


def test_deliver_exits_3_when_alerts_could_not_be_delivered(db, db_path, put_report,
                                                            put_provider):
    seed(db, put_report, put_provider)
    detect.detect(db)
    subscriptions.add(db, HOOK, all=True)
    put_report("12", "SC123456", inspection_date="2024-03-02", overall="inadequate")
    db.execute("update reports set baseline = 0 where file_id = '12'")
    db.conn.commit()
    detect.detect(db)
    result = CliRunner().invoke(main, ["deliver", "--db", str(db_path)])
    assert result.exit_code == cli.EXIT_UNDELIVERED, result.output
    assert "not delivered" in result.output


# ---- small defects ---------------------------------------------------------------------------

def test_counts_are_singular_for_one():
    from monitor.crawl import summary_line
    line = summary_line({"status": "ok", "run_id": 1, "mode": "full", "scope": "social-care",
                         "pages": 1, "providers": 1, "new_reports": 1, "errors": 0,
                         "requests": 1})
    assert "1 page, 1 provider, 1 new report, 0 errors, 1 request" in line


def test_history_json_says_which_headline_it_printed(db, db_path, put_report, put_provider):
    put_provider("SC123456")
    extraction = {"report_type": "childrens-home", "inspection_kind": "full", "urn": "SC123456",
                  "inspection_date": "2024-01-09", "overall": "good",
                  "judgements": {"overall_experiences_and_progress": "good",
                                 "help_and_protection": "good"},
                  "labels": {"overall_experiences_and_progress":
                             "Overall experiences and progress of children and young people"},
                  "enforcement": [], "needs_review": False, "review_reasons": [],
                  "extractor_version": "test"}
    put_report("11", "SC123456", inspection_date="2024-01-09", extraction=extraction)
    data = json.loads(run("history", "SC123456", "--db", db_path, "--json").output)
    report = data["reports"][0]
    assert report["overall"] == "good"
    assert report["headline"] == {
        "monitor_key": "overall", "extract_key": "overall_experiences_and_progress",
        "label": "Overall experiences and progress of children and young people"}


@pytest.mark.parametrize("name", ["subscriptions", "history", "providers", "events", "detect",
                                  "deliver", "run", "crawl", "subscribe", "unsubscribe",
                                  "notify-test"])
def test_every_command_that_reports_has_json(name):
    assert "--json" in run(name, "--help").output


def test_ctrl_c_during_a_run_stops_the_crawl_and_exits_130(tmp_path):
    """A real Ctrl-C (SIGINT to the terminal's process group) while `run` waits for its crawl,
    against a site that accepts connections and never answers."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(server.accept()) for _ in range(16)],
                     daemon=True).start()
    db_path = tmp_path / "w.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--db", str(db_path), "--base-url",
         f"http://127.0.0.1:{server.getsockname()[1]}", "--fast", "--crawl-timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        log = Path(f"{db_path}.crawl.log")               # written as the crawl child starts
        while not log.exists() and not held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert log.exists() or held, "the crawl never started"
        time.sleep(0.3)
        os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        server.close()
    assert child.returncode == 130, (out, err)
    assert err.strip() == "interrupted" and "Traceback" not in out + err


def test_detect_and_run_say_baseline_in_the_same_words(db, db_path, put_report, put_provider):
    from monitor.cycle import CycleResult, summarise
    seed(db, put_report, put_provider)
    said = run("detect", "--db", db_path, "--baseline").output.splitlines()[0]
    past = db.execute("select count(*) from events where baseline = 1").fetchone()[0]
    assert past >= 1
    by_run = summarise(CycleResult(crawl={"status": "ok"}, baseline_events=past))
    assert said in by_run, (said, by_run)
    put_report("12", "SC123456", inspection_date="2024-03-02", overall="inadequate")
    db.execute("update reports set baseline = 0 where file_id = '12'")
    db.conn.commit()
    said = run("detect", "--db", db_path).output.splitlines()[0]
    kinds = dict(db.execute("select kind, count(*) from events where baseline = 0 "
                            "group by kind order by kind").fetchall())
    by_run = summarise(CycleResult(crawl={"status": "ok"}, events=list(range(sum(kinds.values()))),
                                   event_kinds=kinds))
    assert said in by_run, (said, by_run)
