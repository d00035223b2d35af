"""``mi check`` and the official timeline: reports read from PDFs against the statistics."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import extract
from monitor.cli import main
from monitor.schema import open_db
from monitor.statistics import (
    disagreements_for,
    import_files,
    official_timeline,
    run_check,
)
from monitor.statistics.timeline import previous_official

FIXTURES = Path(__file__).parent / "fixtures"
MI = sorted((FIXTURES / "mi").glob("*/*.csv"))
PDFS = FIXTURES / "reports"


def _extraction(pdf: str, urn: str, first: str, last: str) -> dict:
    """The real extractor's reading of a fixture PDF, re-pointed at a real URN and dates."""
    report = extract.extract_file(PDFS / pdf)
    data = report if isinstance(report, dict) else report.to_dict()
    data.update(urn=urn, inspection_date=first, inspection_end_date=last)
    return data


def _store(db, file_id: str, data: dict) -> None:
    db["reports"].insert({
        "file_id": file_id, "urn": data["urn"], "url": f"https://files.ofsted.gov.uk/v1/file/"
        f"{file_id}", "inspection_date": data["inspection_date"],
        "report_type": data.get("report_type"), "inspection_kind": data.get("inspection_kind"),
        "overall": data.get("overall"), "extraction": json.dumps(data)}, replace=True)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "check.db")
    _done, failed = import_files(database, MI)
    assert not failed
    # SC392492's full inspection last day 2019-07-02: statistics say inadequate throughout; the
    # PDF (read by the real extractor) says help and protection requires improvement — planted
    _store(database, "9001", _extraction("childrens-home_2741585_2020-02-04_full.pdf",
                                         "SC392492", "2019-07-01", "2019-07-02"))
    # SC038719's interim of 2019-02-26: sustained effectiveness on both sides
    _store(database, "9002", _extraction("childrens-home_SC446930_2019-11-19_interim.pdf",
                                         "SC038719", "2019-02-26", "2019-02-26"))
    # SC035409's full inspection, last day 2018-07-03 inside the report's first-to-last days
    _store(database, "9003", {
        "urn": "SC035409", "report_type": "secure-childrens-home", "inspection_kind": "full",
        "inspection_date": "2018-07-02", "inspection_end_date": "2018-07-04",
        "overall": "good", "labels": {}, "judgements": {
            "overall_experiences_and_progress": "good", "help_and_protection": "good",
            "leaders_and_managers": "good", "education": "good"}})
    # an inspection the statistics do not hold (2020-21 was never published)
    _store(database, "9004", _extraction("childrens-home_2542024_2020-06-30_monitoring.pdf",
                                         "2542024", "2020-06-30", "2020-06-30"))
    yield database
    database.conn.close()


def test_check_finds_the_planted_disagreement(db):
    result = run_check(db)
    assert (result.reports, result.matched) == (4, 3)
    assert result.disagreements == [{
        "report_id": "9001", "urn": "SC392492",
        "inspection_key": result.disagreements[0]["inspection_key"],
        "inspection_date": "2019-07-02", "family": "childrens-home",
        "field": "help_and_protection", "pdf": "requires_improvement",
        "statistics": "inadequate", "url": "https://files.ofsted.gov.uk/v1/file/9001"}]
    homes = result.families["childrens-home"]
    assert homes["matched"] == 2
    assert homes["fields"]["overall"] == {"agree": 2, "disagree": 0}
    assert homes["fields"]["event_type"] == {"agree": 2, "disagree": 0}
    assert homes["fields"]["help_and_protection"] == {"agree": 0, "disagree": 1}
    secure = result.families["secure-childrens-home"]["fields"]
    assert secure["education"] == {"agree": 1, "disagree": 0}
    assert secure["leaders_and_managers"] == {"agree": 1, "disagree": 0}
    assert (result.agreed, result.compared) == (result.compared - 1, result.compared)


def test_disagreements_are_recorded_for_the_monitor_and_replaced_each_run(db):
    run_check(db)
    assert disagreements_for(db, "9001") == [{
        "field": "help_and_protection", "pdf": "requires_improvement",
        "statistics": "inadequate", "urn": "SC392492", "inspection_date": "2019-07-02",
        "inspection_key": disagreements_for(db, "9001")[0]["inspection_key"]}]
    assert disagreements_for(db, "9002") == []
    run_check(db)
    assert db["official_disagreements"].count == 1
    # the extraction is corrected: the next check holds nothing against it
    data = json.loads(db["reports"].get("9001")["extraction"])
    data["judgements"]["help_and_protection"] = "inadequate"
    _store(db, "9001", data)
    run_check(db)
    assert disagreements_for(db, "9001") == []
    assert db["official_disagreements"].count == 0


def test_a_missing_judgement_is_a_disagreement(db):
    data = json.loads(db["reports"].get("9003")["extraction"])
    del data["judgements"]["education"]
    data["judgements"]["health"] = "good"  # the statistics have none for this inspection
    _store(db, "9003", data)
    found = {(d["field"], d["pdf"], d["statistics"]) for d in run_check(db).disagreements
             if d["report_id"] == "9003"}
    assert found == {("education", None, "good"), ("health", "good", None)}


def test_check_cli_text_and_json(db, tmp_path):
    path = db.conn.execute("pragma database_list").fetchone()[2]
    runner = CliRunner()
    text = runner.invoke(main, ["mi", "check", "--db", path])
    assert text.exit_code == 0, text.output
    assert "4 reports read from PDFs: 3 are inspections the statistics hold, 1 is not" \
        in text.output
    assert "agreement: " in text.output
    line = [row for row in text.output.splitlines() if row.startswith("SC392492")]
    assert line == [("SC392492  2019-07-02  help_and_protection  requires_improvement  "
                     "inadequate  https://files.ofsted.gov.uk/v1/file/9001")]
    data = json.loads(runner.invoke(main, ["mi", "check", "--json", "--db", path]).output)
    assert data["matched"] == 3 and data["unmatched"] == 1
    assert [d["field"] for d in data["disagreements"]] == ["help_and_protection"]
    empty = runner.invoke(main, ["mi", "check", "--db", str(tmp_path / "empty.db")])
    assert empty.exit_code == 1 and "no official statistics imported yet" in empty.output


def test_a_real_urns_ten_year_history(db):
    timeline = official_timeline(db, "SC392492")
    dates = [item["inspection_date"] for item in timeline]
    assert dates == sorted(dates)
    assert dates[0] == "2014-03-19" and dates[-1] == "2023-01-17"
    assert {d[:4] for d in dates} == {"2014", "2015", "2016", "2017", "2018", "2019", "2021",
                                      "2023"}  # nothing in 2020 (paused) or 2022
    assert len(timeline) >= 14
    first = timeline[0]
    assert (first["event_type"], first["overall"], first["source"]) == (
        "interim", "sustained_effectiveness", "statistics")
    kinds = {item["event_type"] for item in timeline}
    assert {"full", "interim", "monitoring"} <= kinds
    matched = [item for item in timeline if item["report_id"]]
    assert [(m["inspection_date"], m["report_id"], m["report_url"]) for m in matched] == [
        ("2019-07-02", "9001", "https://files.ofsted.gov.uk/v1/file/9001")]
    full_2019 = next(item for item in timeline if item["inspection_date"] == "2019-07-02")
    assert full_2019["judgements"]["overall"]["grade"] == "inadequate"
    assert full_2019["judgements"]["overall"]["scale"] == "four_point"
    assert official_timeline(db, "SC999999") == []


def test_previous_official_grade(db):
    previous = previous_official(db, "SC392492", "2021-07-01")
    assert (previous["inspection_date"], previous["overall"]) == ("2019-10-21",
                                                                   "requires_improvement")
    assert previous["judgements"]["help_and_protection"] == "requires_improvement"
    # an interim outcome is no previous grade on the four-point scale
    assert previous_official(db, "SC392492", "2018-03-01")["overall"] == "declined_effectiveness"
    four_point = previous_official(db, "SC392492", "2018-03-01", scale="four_point")
    assert (four_point["inspection_date"], four_point["overall"]) == ("2017-06-30", "good")
    assert previous_official(db, "SC392492", "2014-01-01") is None


def test_the_reports_own_last_day_is_used(db):
    """A report whose extraction gives only the first day is matched by the stored last day."""
    data = {"urn": "SC465257", "report_type": "childrens-home", "inspection_kind": "interim",
            "inspection_date": "2015-01-10", "overall": "sustained_effectiveness", "labels": {},
            "judgements": {"overall_experiences_and_progress": "sustained_effectiveness"}}
    _store(db, "9005", data)
    assert run_check(db).matched == 3  # the official day (12 January) is not the first day
    db["reports"].update("9005", {"inspection_end_date": "2015-01-12"})
    result = run_check(db)
    assert result.matched == 4
    assert disagreements_for(db, "9005") == []


def test_official_grades_for_detection(db):
    from monitor.statistics.timeline import official_grades
    grades = official_grades(db, ["SC392492", "sc038719", "SC999999"])
    assert set(grades) == {"SC392492", "SC038719"}
    dates = [item["inspection_date"] for item in grades["SC392492"]]
    assert dates == sorted(dates) and "2015-12-31" not in dates  # a monitoring visit: no grade
    latest = grades["SC392492"][-1]
    assert latest["inspection_date"] == "2023-01-17"
    assert latest["grades"]["overall"] == ("good", "four_point")
    assert latest["grades"]["help_and_protection"] == ("good", "four_point")


def test_history_shows_ten_years_from_the_statistics(db):
    path = db.conn.execute("pragma database_list").fetchone()[2]
    result = CliRunner().invoke(main, ["history", "SC392492", "--db", path])
    assert result.exit_code == 0, result.output
    assert "Registered provider: DMR Services Ltd" in result.output
    assert "Official statistics (15 inspections, last day inspected):" in result.output
    lines = result.output.split("Official statistics", 1)[1].splitlines()
    assert lines[1].split()[:3] == ["2014-03-19", "interim", "sustained"]
    assert any(line.split()[:2] == ["2019-07-02", "full"] and line.endswith("= report 9001")
               for line in lines)
    data = json.loads(CliRunner().invoke(main, ["history", "SC392492", "--db", path,
                                                "--json"]).output)
    assert [o["inspection_date"][:4] for o in data["official"]][-1] == "2023"
    assert data["official"][0]["source"] == "statistics"
