"""`ofsted-watch history URN`, `detect` and `deliver` on a real SQLite file."""
import json

from click.testing import CliRunner

from monitor.cli import main
from servers import MailSink


def seed(db, put_report, put_provider):
    put_provider("SC123456")
    put_report("11", "SC123456", inspection_date="2021-03-02", overall="good",
               judgements={"help_and_protection": "good"})
    put_report("12", "SC123456", inspection_date="2022-09-14", kind="monitoring",
               enforcement=["compliance_notice"])
    put_report("13", "SC123456", inspection_date="2024-01-09", overall="inadequate",
               judgements={"help_and_protection": "requires_improvement"})


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def test_history_text_and_json(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    assert run("detect", "--db", db_path).exit_code == 0
    text = run("history", "SC123456", "--db", db_path)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith("SC123456  Harmony House — Children's home, Staffordshire")
    reports = [l for l in lines if l.startswith("  20")]
    assert [l.split()[0] for l in reports[:3]] == ["2021-03-02", "2022-09-14", "2024-01-09"]
    assert "enforcement: compliance notice" in reports[1]
    assert "downgrade   overall: good → inadequate  (serious)" in text.output

    data = json.loads(run("history", "SC123456", "--db", db_path, "--json").output)
    assert data["provider"]["owner"] == "Harmony Childcare Ltd"
    assert [r["file_id"] for r in data["reports"]] == ["11", "12", "13"]
    assert data["reports"][2]["judgements"]["overall"] == {
        "grade": "inadequate", "scale": "four_point", "label": None}
    assert sorted((e["kind"], e["area"]) for e in data["events"]
                  if e["kind"] != "published") == [
        ("downgrade", "help_and_protection"), ("downgrade", "overall"),
        ("enforcement", "compliance_notice")]


def test_history_names_the_region_the_crawler_stores_as_a_code(db, db_path, put_report,
                                                                put_provider):
    seed(db, put_report, put_provider)
    put_provider("SC123456", region="E12000005")
    text = run("history", "SC123456", "--db", db_path)
    assert text.output.splitlines()[0] == (
        "SC123456  Harmony House — Children's home, Staffordshire, West Midlands")


def test_history_unknown_urn_is_one_line(db_path, db):
    result = run("history", "SC000000", "--db", db_path)
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: URN SC000000: no provider or report with this URN "
                                     f"in {db_path}")


def test_database_path_under_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("")
    db_path = tmp_path / "afile" / "x.db"
    for args in (["detect"], ["deliver"]):                  # writers: they would create it
        result = run(*args, "--db", db_path)
        assert result.exit_code == 1, result.output
        assert result.output.strip() == (f"Error: database {db_path}: "
                                          f"Not a directory: {tmp_path / 'afile'}")
    for args in (["history", "SC000000"], ["subscriptions"], ["unsubscribe", "1"],
                 ["detect", "--dry-run"]):                  # readers: never create one
        result = run(*args, "--db", db_path)
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"Error: database {db_path}: no such file")
        assert len(result.output.strip().splitlines()) == 1


def test_detect_baseline_then_deliver(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    with MailSink() as sink:
        assert run("subscribe", "--db", db_path, "--notify", sink.url("f@example.org"),
                   "--urn", "SC123456").exit_code == 0
        first = run("detect", "--db", db_path, "--baseline")
        # three grade/enforcement events, and each of the three reports published
        # the words `run` uses for the baseline
        assert first.output.startswith("Recorded 6 past events from reports published before "
                                       "watching began: nobody is alerted about them.")
        sent = run("deliver", "--db", db_path)
        assert sent.exit_code == 0 and sent.output.startswith("Queued 0;")
        put_report("14", "SC123456", inspection_date="2025-01-09", overall="inadequate",
                   enforcement=["suspension"])
        second = run("detect", "--db", db_path, "--json")
        assert [e["kind"] for e in json.loads(second.output)] == ["enforcement", "published"]
        sent = run("deliver", "--db", db_path)
        # the enforcement and the report's publication, to a URN subscription: one message
        assert sent.output.startswith("Queued 2; 2 sent"), sent.output
        assert sink.wait_for(1)
        assert sink.messages[0]["Subject"] == (
            "Enforcement — suspension of registration: children's home SC123456 "
            "(Harmony Childcare Ltd, Staffordshire)")
