"""Change detection on a real SQLite file: scales, once-per-report, amendments, baseline."""
import json
from pathlib import Path

import pytest

from monitor import detect, history, outbox, subscriptions

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
T0 = "2025-01-01T09:00:00+00:00"
T1 = "2025-02-01T09:00:00+00:00"
T2 = "2025-03-01T09:00:00+00:00"


def events(db, urn=None, published=False):
    """The events detected (``published`` ones, one per new report, only when asked)."""
    where = ["kind != 'published'"] if not published else []
    if urn:
        where.append("urn = ?")
    return [dict(r) for r in db.query(
        f"select report_id, kind, area, old_grade, new_grade, serious, baseline from events "
        f"{'where ' + ' and '.join(where) if where else ''} order by id", [urn] if urn else [])]


def graded(db, ids):
    """Of the event ids ``detect`` returned, those that are not a report's ``published``."""
    published = {r[0] for r in db.execute("select id from events where kind = 'published'")}
    return [i for i in ids if i not in published]


def kinds(db, urn=None):
    return sorted((e["kind"], e["area"]) for e in events(db, urn))


def test_downgrade_per_area_headline_first_and_serious(db, put_report):
    put_report("1", "SC100001", inspection_date="2022-05-10", overall="good",
               judgements={"help_and_protection": "good", "leaders_and_managers": "outstanding"})
    put_report("2", "SC100001", inspection_date="2024-06-11", overall="inadequate",
               judgements={"help_and_protection": "inadequate",
                           "leaders_and_managers": "requires_improvement"})
    ids = detect.detect(db, now=T1)
    found = events(db)
    assert [e["area"] for e in found] == ["overall", "help_and_protection",
                                          "leaders_and_managers"]
    assert {e["kind"] for e in found} == {"downgrade"}
    assert [e["serious"] for e in found] == [1, 1, 0]
    assert found[0]["old_grade"] == "good" and found[0]["new_grade"] == "inadequate"
    assert len(graded(db, ids)) == 3 and all(e["report_id"] == "2" for e in found)


def test_adequate_satisfactory_and_requires_improvement_rank_alike(db, put_report):
    put_report("1", "SC100002", inspection_date="2011-03-01", overall="satisfactory")
    put_report("2", "SC100002", inspection_date="2013-03-01", overall="adequate")
    put_report("3", "SC100002", inspection_date="2016-03-01", overall="requires_improvement")
    put_report("4", "SC100002", inspection_date="2018-03-01", overall="inadequate")
    detect.detect(db, now=T1)
    assert kinds(db) == [("downgrade", "overall")]
    assert events(db)[0]["old_grade"] == "requires_improvement"


def test_incomparable_scales_are_never_compared(db, put_report):
    # a school's four-point grade, then report cards: needs attention is not a "downgrade"
    # from good; urgent improvement is reported as the worst band instead.
    put_report("1", "140001", inspection_date="2019-01-10", overall="good",
               report_type="school-s5")
    put_report("2", "140001", inspection_date="2025-12-01", overall="needs_attention",
               report_type="school-s5")
    put_report("3", "140002", inspection_date="2019-01-10", overall="outstanding",
               report_type="school-s5")
    put_report("4", "140002", inspection_date="2025-12-02", overall="urgent_improvement",
               report_type="school-s5")
    detect.detect(db, now=T1)
    assert events(db, "140001") == []
    (event,) = events(db, "140002")
    assert (event["kind"], event["new_grade"], event["serious"]) == (
        "inadequate", "urgent_improvement", 1)
    assert event["old_grade"] == "outstanding"  # shown for context, not compared
    # and within the report-card scale, a later drop is a downgrade again
    put_report("5", "140001", inspection_date="2027-01-05", overall="urgent_improvement",
               report_type="school-s5")
    detect.detect(db, now=T2)
    assert kinds(db, "140001") == [("downgrade", "overall")]


def test_interim_declined_and_interim_never_compared_with_grades(db, put_report):
    put_report("1", "SC100003", inspection_date="2018-01-10", overall="outstanding")
    put_report("2", "SC100003", inspection_date="2019-01-10", overall="sustained_effectiveness",
               kind="interim")
    put_report("3", "SC100003", inspection_date="2020-01-10", overall="declined_effectiveness",
               kind="interim")
    put_report("4", "SC100003", inspection_date="2021-01-10", overall="good")
    detect.detect(db, now=T1)
    # declined at the interim; the full inspection compares with the last full one (outstanding)
    assert kinds(db) == [("declined", "overall"), ("downgrade", "overall")]
    downgrade = next(e for e in events(db) if e["kind"] == "downgrade")
    assert (downgrade["report_id"], downgrade["old_grade"]) == ("4", "outstanding")


def test_monitoring_visit_has_no_grade_but_its_enforcement_counts(db, put_report):
    put_report("1", "SC100004", inspection_date="2022-01-10", overall="requires_improvement")
    put_report("2", "SC100004", inspection_date="2022-06-10", kind="monitoring",
               enforcement=["compliance_notice", "restriction_of_accommodation"])
    put_report("3", "SC100004", inspection_date="2023-01-10", overall="good")
    detect.detect(db, now=T1)
    assert kinds(db) == [("enforcement", "compliance_notice"),
                         ("enforcement", "restriction_of_accommodation"),
                         ("upgrade", "overall")]
    serious = {e["area"]: e["serious"] for e in events(db)}
    assert serious["restriction_of_accommodation"] == 1 and serious["compliance_notice"] == 0


def test_new_home_straight_in_at_inadequate(db, put_report):
    put_report("1", "2900001", inspection_date="2024-04-23", overall="inadequate",
               judgements={"help_and_protection": "requires_improvement"})
    put_report("2", "2900002", inspection_date="2024-04-24", overall="good")
    detect.detect(db, now=T1)
    assert events(db) == [{"report_id": "1", "kind": "inadequate", "area": "overall",
                           "old_grade": None, "new_grade": "inadequate", "serious": 1,
                           "baseline": 0}]


def test_once_per_report_rerun_recrawl_and_reextract(db, put_report):
    put_report("1", "SC100005", inspection_date="2022-01-10", overall="good")
    put_report("2", "SC100005", inspection_date="2024-01-10", overall="requires_improvement")
    assert len(graded(db, detect.detect(db, now=T1))) == 1
    assert detect.detect(db, now=T1) == []                       # re-run
    put_report("2", "SC100005", inspection_date="2024-01-10", overall="requires_improvement")
    assert detect.detect(db, now=T2) == []                       # re-crawl, same row again
    # extractor upgrade reads the report differently: judgements follow, events do not repeat
    put_report("2", "SC100005", inspection_date="2024-01-10", overall="inadequate",
               enforcement=["compliance_notice"])
    assert detect.detect(db, now=T2) == []
    grade = db.execute("select grade from judgements where report_id = '2' and area = "
                       "'overall'").fetchone()[0]
    assert grade == "inadequate"
    assert kinds(db) == [("downgrade", "overall")]


def test_amended_report_raises_only_what_is_new_for_the_inspection(db, put_report):
    put_report("1", "SC100006", inspection_date="2022-01-10", overall="good")
    put_report("2", "SC100006", inspection_date="2024-01-10", overall="inadequate")
    detect.detect(db, now=T1)
    # Ofsted republishes the report (new file, same inspection) naming a compliance notice
    put_report("3", "SC100006", inspection_date="2024-01-10", overall="inadequate",
               enforcement=["compliance_notice"], publication_date="2024-03-01")
    new = detect.detect(db, now=T2)
    assert len(new) == 1
    assert kinds(db) == [("downgrade", "overall"), ("enforcement", "compliance_notice")]


def test_needs_review_waits_for_a_readable_grade(db, put_report):
    put_report("1", "SC100007", inspection_date="2022-01-10", overall="outstanding")
    put_report("2", "SC100007", inspection_date="2024-01-10", overall="inadequate",
               needs_review=True, enforcement=["suspension"])
    detect.detect(db, now=T1)
    assert kinds(db) == [("enforcement", "suspension")]     # no downgrade from an unread grade
    # a later report compares with the last report that was read
    put_report("2", "SC100007", inspection_date="2024-01-10", overall="requires_improvement")
    detect.detect(db, now=T2)
    assert kinds(db) == [("downgrade", "overall"), ("enforcement", "suspension")]
    assert detect.detect(db, now=T2) == []


def test_baseline_is_stored_never_delivered(db, put_report, put_provider):
    put_provider("SC100008")
    put_report("1", "SC100008", inspection_date="2020-01-10", overall="good")
    put_report("2", "SC100008", inspection_date="2023-01-10", overall="inadequate")
    subscriptions.add(db, "json://127.0.0.1:9/", all=True, now=T0)
    assert len(graded(db, detect.detect(db, baseline=True, now=T1))) == 1
    assert events(db)[0]["baseline"] == 1
    assert outbox.enqueue(db, now=T1) == 0
    assert db["deliveries"].count == 0


def test_report_older_than_one_known_is_history_not_news(db, put_report):
    put_report("2", "SC100009", inspection_date="2023-01-10", overall="good")
    detect.detect(db, baseline=True, now=T0)
    # a back-crawl finds the provider's older reports later
    put_report("0", "SC100009", inspection_date="2018-01-10", overall="outstanding")
    put_report("1", "SC100009", inspection_date="2020-01-10", overall="inadequate")
    detect.detect(db, now=T1)
    assert {e["baseline"] for e in events(db)} == {1}
    assert ("downgrade", "overall") in kinds(db)


def test_an_extraction_is_recorded_once_as_rows(db, put_report):
    def grades():
        return {r["area"]: r["grade"] for r in db["judgements"].rows_where("report_id = '1'")}

    put_report("1", "SC100010", inspection_date="2022-01-10", overall="good",
               enforcement=["compliance_notice"])
    assert grades() == {"overall": "good"}
    row = db["reports"].get("1")
    assert (row["overall"], row["owner"], row["enforcement"]) == (
        "good", "Harmony Childcare Ltd", '["compliance_notice"]')
    assert detect.detect(db, baseline=True, now=T1)
    assert detect.detect(db, now=T1) == []                   # examined once: nothing to do
    put_report("1", "SC100010", inspection_date="2022-01-10", overall="outstanding")
    assert grades() == {"overall": "outstanding"}            # a re-extraction replaces its rows
    assert db.execute("select count(*) from monitor_reports").fetchone()[0] == 1


def test_databases_from_before_recorded_extractions_are_recorded_on_open(db_path, put_report,
                                                                          db):
    put_report("1", "SC100010", inspection_date="2022-01-10", overall="good")
    # as a database made before migration m202 would be: extraction JSON, no rows
    db.execute("delete from judgements")
    db.execute("delete from monitor_reports")
    db.execute("update reports set overall = null, owner = null")
    db.conn.commit()
    assert history.record_stored_extractions(db) == 1
    assert db["reports"].get("1")["overall"] == "good"
    assert [r["grade"] for r in db["judgements"].rows] == ["good"]


@pytest.fixture
def real(db):
    """Store fixture PDFs, read by the real extractor, as one provider's reports."""
    import extract

    def put(name, file_id, urn):
        report = extract.extract_file(FIXTURES / name).to_dict()
        from conftest import store_report
        store_report(db, file_id, urn, inspection_date=report["inspection_date"],
                     extraction=report)
        return report
    return put


def test_real_reports_good_to_inadequate_with_enforcement(db, real):
    real("childrens-home_SC465103_2015-11-17_full.pdf", "9001", "SC900001")
    real("childrens-home_2741585_2020-02-04_full.pdf", "9002", "SC900001")
    real("childrens-home_2429077_2021-09-21_interim.pdf", "9003", "SC900001")
    detect.detect(db, now=T1)
    assert kinds(db) == [("declined", "overall"),
                         ("downgrade", "help_and_protection"),
                         ("downgrade", "leaders_and_managers"),
                         ("downgrade", "overall"),
                         ("enforcement", "restriction_of_accommodation")]
    overall = next(e for e in events(db) if e["area"] == "overall" and e["kind"] == "downgrade")
    assert (overall["old_grade"], overall["new_grade"], overall["serious"]) == (
        "good", "inadequate", 1)


def test_detail_names_the_previous_report(db, put_report):
    put_report("1", "SC100011", inspection_date="2022-01-10", overall="good")
    put_report("2", "SC100011", inspection_date="2024-01-10", overall="requires_improvement")
    detect.detect(db, now=T1)
    detail = json.loads(db.execute("select detail from events where kind != 'published'"
                                   ).fetchone()[0])
    assert detail == {"previous_date": "2022-01-10", "previous_report": "1",
                      "scale": "four_point"}


def test_every_new_report_is_published_once_whatever_it_says(db, put_report):
    put_report("1", "SC100020", inspection_date="2022-01-10", overall="good")
    detect.detect(db, baseline=True, now=T1)
    put_report("2", "SC100020", inspection_date="2023-01-10", overall="good")       # steady
    detect.detect(db, now=T2)
    put_report("3", "SC100020", inspection_date="2023-06-10", kind="monitoring")    # no grade
    detect.detect(db, now=T2)
    put_report("4", "SC100020", inspection_date="2024-01-10", overall="good",
               needs_review=True)                                                 # unreadable
    detect.detect(db, now=T2)
    published = [e for e in events(db, published=True) if e["kind"] == "published"]
    assert [(e["report_id"], e["baseline"], e["new_grade"]) for e in published] == [
        ("1", 1, "good"), ("2", 0, "good"), ("3", 0, None), ("4", 0, "good")]
    put_report("2", "SC100020", inspection_date="2023-01-10", overall="good")       # re-read
    assert detect.detect(db, now=T2) == []                                          # once


def test_an_unread_previous_inspection_holds_the_next_one_instead_of_skipping_back(db,
                                                                                   put_report):
    """good (2019) → inadequate, unreadable (2021) → requires improvement (2023): comparing the
    last with 2019 would alert "good → requires improvement" — a false alarm. The grade events
    wait, with the reason, until the 2021 report is read."""
    put_report("1", "SC100030", inspection_date="2019-01-10", overall="good")
    put_report("2", "SC100030", inspection_date="2021-01-10", overall="inadequate",
               needs_review=True)
    detect.detect(db, baseline=True, now=T1)
    put_report("3", "SC100030", inspection_date="2023-01-10", overall="requires_improvement",
               enforcement=["compliance_notice"])
    detect.detect(db, now=T2)
    assert kinds(db) == [("enforcement", "compliance_notice")]      # enforcement is not held
    held = db["monitor_reports"].get("3")
    assert held["detected"] == detect.HELD and "could not be read" in held["held_reason"]
    assert detect.detect(db, now=T2) == []                           # stays held, cheaply
    put_report("2", "SC100030", inspection_date="2021-01-10", overall="inadequate")  # now read
    detect.detect(db, now=T2)
    third = [(e["kind"], e["area"], e["old_grade"]) for e in events(db) if e["report_id"] == "3"]
    assert sorted(third) == [("enforcement", "compliance_notice", None),
                             ("upgrade", "overall", "inadequate")]  # compared with 2021, not 2019
    assert db["monitor_reports"].get("3")["detected"] == detect.DONE


def official(db, urn, key, day, grades):
    """An inspection as ``ofsted-watch mi import`` stores it from Ofsted's statistics."""
    db["official_inspections"].insert({"urn": urn, "inspection_key": key, "event_type": "full",
                                       "inspection_date": day, "overall": grades["overall"]})
    db["official_judgements"].insert_all(
        [{"urn": urn, "inspection_key": key, "area": area, "grade": grade,
          "scale": "four_point"} for area, grade in grades.items()])


def test_an_imported_official_inspection_is_the_previous_grade(db, put_report):
    """Ten years of history imported from the statistics: the first PDF the crawler reads is
    compared with the real previous grade, not treated as straight-in."""
    official(db, "SC100040", "2019-1", "2019-03-01", {"overall": "outstanding"})
    official(db, "SC100040", "2021-1", "2021-05-20", {"overall": "good"})
    put_report("1", "SC100040", inspection_date="2023-02-01", overall="inadequate")
    detect.detect(db, now=T1)
    assert events(db) == [{"report_id": "1", "kind": "downgrade", "area": "overall",
                           "old_grade": "good", "new_grade": "inadequate", "serious": 1,
                           "baseline": 0}]
    detail = json.loads(db.execute("select detail from events where kind = 'downgrade'"
                                   ).fetchone()[0])
    assert detail["previous_report"] == "official:2021-1"
    assert db.execute("select count(*) from events where report_id like 'official:%'"
                      ).fetchone()[0] == 0                   # history alerts nobody


def test_the_statistics_and_the_report_of_one_inspection_are_one_inspection(db, put_report):
    official(db, "SC100041", "2021-1", "2021-05-20", {"overall": "good"})
    official(db, "SC100041", "2023-1", "2023-02-02", {"overall": "inadequate"})
    # the 2023 inspection's own report (1–2 February): compared with 2021, not with itself
    put_report("1", "SC100041", inspection_date="2023-02-01", overall="inadequate")
    db["reports"].update("1", {"inspection_end_date": "2023-02-02"})
    detect.detect(db, now=T1)
    assert kinds(db) == [("downgrade", "overall")]


def test_grades_the_statistics_contradict_are_held(db, put_report):
    put_report("1", "SC100042", inspection_date="2021-05-20", overall="good")
    detect.detect(db, baseline=True, now=T1)
    put_report("2", "SC100042", inspection_date="2023-02-01", overall="inadequate")
    db["official_disagreements"].insert({"report_id": "2", "urn": "SC100042", "field": "overall",
                                         "pdf": "inadequate", "statistics": "good"})
    detect.detect(db, now=T2)
    assert ("downgrade", "overall") not in kinds(db)
    assert "statistics good" in db["monitor_reports"].get("2")["held_reason"]


def test_safeguarding_not_met_and_standards_that_may_have_declined_are_events(db, put_report):
    """Report cards and ungraded school letters (their own scales, never compared with
    four-point grades): safeguarding not met, and 'standards may have declined'."""
    put_report("1", "140010", inspection_date="2023-01-10", overall="good",
               report_type="school-s5")
    detect.detect(db, baseline=True, now=T1)
    put_report("2", "140010", inspection_date="2024-03-10", overall=None,
               report_type="school-s8", judgements={"outcome": "standards_may_have_declined"})
    put_report("3", "140010", inspection_date="2026-01-10", overall="expected_standard",
               report_type="school-report-card", judgements={"safeguarding": "not_met"})
    detect.detect(db, now=T2)
    assert [(e["report_id"], e["kind"], e["serious"]) for e in events(db)] == [
        ("2", "standards", 0), ("3", "safeguarding", 1)]


def test_the_official_owner_stands_against_older_reports(db, put_report, put_provider):
    put_provider("SC100050", owner=None)
    db.execute("update providers set owner = 'Official Care Ltd', owner_source = 'statistics', "
               "statistics_as_at = '2023-03-31' where urn = 'SC100050'")
    db.conn.commit()
    put_report("1", "SC100050", inspection_date="2022-05-10", owner="Pdf Spelling Ltd")
    assert db["providers"].get("SC100050")["owner"] == "Official Care Ltd"
    put_report("2", "SC100050", inspection_date="2024-05-10", owner="New Owner Ltd")
    assert db["providers"].get("SC100050")["owner"] == "New Owner Ltd"   # changed hands since


def test_detect_returns_exactly_the_events_it_stored(db, put_report):
    """Events are written a chunk at a time: the ids returned are those rows, no more, no fewer,
    in the order they were stored — also when earlier events exist and a chunk adds nothing."""
    put_report("1", "SC100090", inspection_date="2022-01-10", overall="good")
    put_report("2", "SC100090", inspection_date="2024-01-10", overall="inadequate",
               enforcement=["compliance_notice"])
    put_report("3", "SC100091", inspection_date="2023-05-01", overall="outstanding")
    for now in (T0, T1, T2):
        ids = detect.detect(db, now=now)
        stored = [r[0] for r in db.execute("select id from events where detected_at = ? "
                                           "order by id", [now])]
        assert ids == stored
        put_report(f"{now[:7]}", "SC100091", inspection_date=f"{now[:10]}",
                   overall="requires_improvement", publication_date=f"{now[:10]}")
    assert db.execute("select count(*) from events where kind = 'downgrade'").fetchone()[0] == 2


def test_what_is_left_to_examine_is_an_index_search(db, put_report):
    """The cycle's first question (which providers have a report not examined yet) searches the
    (detected, report_id) index: its cost is the new reports, not the history."""
    put_report("1", "SC100092", inspection_date="2022-01-10", overall="good")
    plan = " ".join(row[3] for row in db.execute(
        "explain query plan " + detect.TODO_SQL).fetchall())
    assert "USING COVERING INDEX idx_monitor_reports_detected_report_id (detected=?)" in plan
    indexes = {row[1] for row in db.execute("pragma index_list('monitor_reports')")}
    assert "idx_monitor_reports_detected" not in indexes        # m205: the redundant one went


def test_a_first_run_recording_more_events_than_sqlite_binds_at_once(db, db_path):
    """A new installation's first `detect --baseline` over a large history records more events
    than one SQL statement may name (32,766 by default): they are read back in chunks, and the
    command reports their count in one line, exit 0, without listing each past event."""
    from click.testing import CliRunner

    from monitor.cli import main
    grades = ["outstanding", "good", "requires_improvement", "inadequate"]
    reports, judgements, marks = [], [], []
    for n in range(34_000):
        urn, file_id, grade = f"SC{n // 2:07d}", f"f{n}", grades[n % 4]
        reports.append({"file_id": file_id, "urn": urn, "inspection_date": f"{2018 + n % 2}-05-01",
                        "publication_date": f"{2018 + n % 2}-06-01", "inspection_kind": "full",
                        "report_type": "childrens-home", "overall": grade, "extraction": "{}",
                        "enforcement": "[]", "needs_review": 0})
        judgements.append({"report_id": file_id, "urn": urn, "area": "overall", "grade": grade,
                           "scale": "four_point"})
        marks.append({"report_id": file_id, "dirty": 0, "detected": 0})
    with db.atomic():
        db["reports"].insert_all(reports, batch_size=2000)
        db["judgements"].insert_all(judgements, batch_size=2000)
        db["monitor_reports"].insert_all(marks, batch_size=2000)
    db.conn.close()
    result = CliRunner().invoke(main, ["detect", "--baseline", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    from monitor.schema import open_db
    again = open_db(db_path)
    stored = again.execute("select count(*) from events where baseline = 1").fetchone()[0]
    assert stored > 34_000                              # a published event each, and downgrades
    assert result.output.strip().splitlines() == [
        f"Recorded {stored} past events from reports published before watching began: "
        f"nobody is alerted about them."]
    assert again.execute("select count(*) from monitor_reports where detected = 0"
                         ).fetchone()[0] == 0
    again.conn.close()
