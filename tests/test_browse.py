"""`ofsted-watch providers` and `ofsted-watch events`: find before you follow, on a real file."""
import csv
import io
import json

from click.testing import CliRunner

from monitor import detect
from monitor.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def seed(db, put_report, put_provider):
    put_provider("SC100001", owner="Harmony Childcare Ltd")
    put_report("1", "SC100001", inspection_date="2022-01-10", overall="good")
    put_provider("SC100002", name="=HYPERLINK(\"http://evil\")", local_authority="Derbyshire",
                 owner="Peak Care Ltd")
    put_report("2", "SC100002", inspection_date="2023-05-01", overall="requires_improvement",
               owner="Peak Care Ltd", local_authority="Derbyshire")
    put_provider("SC100003", local_authority="Cumberland", owner="Fell Homes Ltd")
    put_report("3", "SC100003", inspection_date="2023-06-01", overall="outstanding",
               owner="Fell Homes Ltd", local_authority="Cumberland")
    put_provider("100004", name="Moor School", provider_type="Secondary", category="Secondary",
                 local_authority="Staffordshire", owner=None)
    detect.detect(db, baseline=True, now="2025-01-01T09:00:00+00:00")
    # news later: a downgrade in Staffordshire
    put_report("4", "SC100001", inspection_date="2025-01-20", overall="inadequate",
               enforcement=["compliance_notice"])
    db.execute("update reports set baseline = 0 where file_id = '4'")
    db.conn.commit()
    detect.detect(db, now="2025-02-01T09:00:00+00:00")


def test_providers_by_council_owner_type_grade_and_text(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    urns = lambda *args: [r["urn"] for r in json.loads(  # noqa: E731
        run("providers", "--db", db_path, "--json", *args).output)]
    assert urns() == ["100004", "SC100001", "SC100002", "SC100003"]
    assert urns("--local-authority", "Staffs") == ["100004", "SC100001"]
    assert urns("--local-authority", "Cumbria") == ["SC100003"]       # the retired name
    assert urns("--local-authority", "Staffs", "--type", "childrens-home") == ["SC100001"]
    assert urns("--type", "secondary") == ["100004"]
    assert urns("--owner", "peak care limited") == ["SC100002"]
    assert urns("--grade", "requires improvement") == ["SC100002"]
    assert urns("--grade", "inadequate") == ["SC100001"]            # the latest graded report
    assert urns("--search", "fell") == ["SC100003"]
    rows = json.loads(run("providers", "--db", db_path, "--json", "--urn", "sc100001").output)
    assert rows[0]["latest_grade"] == "inadequate" and rows[0]["latest_inspection"] == \
        "2025-01-20"
    assert rows[0]["region"] == "West Midlands" and rows[0]["reports"] == 2
    assert not any("address" in key for key in rows[0])


def test_providers_text_and_csv(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    text = run("providers", "--db", db_path, "--local-authority", "860")
    assert text.exit_code == 0
    assert text.output.splitlines()[0] == "2 providers."
    one = run("providers", "--db", db_path, "--urn", "SC100003")
    assert one.output.splitlines()[0] == "1 provider."
    table = list(csv.DictReader(io.StringIO(run("providers", "--db", db_path, "--csv").output)))
    assert [r["urn"] for r in table] == ["100004", "SC100001", "SC100002", "SC100003"]
    # a name from the site never becomes a spreadsheet formula
    assert table[2]["name"].startswith("'=HYPERLINK")


def test_providers_refuse_what_matches_nothing(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    for args, says in ((["--local-authority", "Stafordshire"], "did you mean 'Staffordshire'"),
                       (["--owner", "Hollybank"], "no provider in the history has this owner"),
                       (["--type", "school"], "not a type Ofsted lists"),
                       (["--grade", "brilliant"], "not a grade Ofsted gives"),
                       (["--json", "--csv"], "choose one of --json and --csv")):
        result = run("providers", "--db", db_path, *args)
        assert result.exit_code in (1, 2) and says in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_events_across_providers(db, db_path, put_report, put_provider):
    seed(db, put_report, put_provider)
    every = json.loads(run("events", "--db", db_path, "--json").output)
    news = [e for e in every if e["alerted"]]
    assert {(e["urn"], e["kind"]) for e in news} >= {("SC100001", "downgrade"),
                                                     ("SC100001", "enforcement")}
    assert all(e["detected_at"].startswith("2025-02-01") for e in news)
    assert every == sorted(every, key=lambda e: (e["detected_at"], e["id"]), reverse=True)
    since = json.loads(run("events", "--db", db_path, "--json", "--since", "2025-01-15").output)
    assert {e["id"] for e in since} == {e["id"] for e in news}
    kinds = json.loads(run("events", "--db", db_path, "--json", "--kind",
                           "downgrade").output)
    assert {(e["urn"], e["area"], e["old_grade"], e["new_grade"]) for e in kinds} == {
        ("SC100001", "overall", "good", "inadequate")}
    derby = json.loads(run("events", "--db", db_path, "--json", "--local-authority",
                           "Derbyshire").output)
    assert {e["urn"] for e in derby} == {"SC100002"}
    only_news = json.loads(run("events", "--db", db_path, "--json", "--news").output)
    assert {e["id"] for e in only_news} == {e["id"] for e in news}
    table = list(csv.DictReader(io.StringIO(
        run("events", "--db", db_path, "--csv", "--kind", "downgrade").output)))
    assert table[0]["urn"] == "SC100001" and table[0]["alerted"] == "True"
    text = run("events", "--db", db_path, "--kind", "downgrade")
    assert text.output.splitlines()[0] == "1 event."
    assert "overall: good → inadequate  (serious)" in text.output
