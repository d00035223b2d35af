"""``mi import``: every header shape of Ofsted's official statistics (real extracts, 2013-14 to
2022-23, CSV, XLSX and ODS), idempotence, providers, bad files, and no alert on import."""
from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.schema import open_db
from monitor.statistics import MIError, import_file, import_files
from monitor.statistics.read import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "mi"
CSV_FILES = sorted(FIXTURES.glob("*/*.csv"))
WORKBOOKS = sorted((FIXTURES / "workbooks").iterdir())

#: file -> (0-based header row, as-at date)
SHAPES = {
    "Carehomes_inspec_14_1.csv": (0, "2014-03-31"),
    "Carehomes_inspec_14_2.csv": (0, "2015-03-31"),
    "All_SocCare_exccarehomes_inspec_1314.csv": (0, "2014-03-31"),
    "All_SocCare_inspec_1415.csv": (0, "2015-03-31"),      # BOM
    "All_SocCare_inspec_1516.csv": (0, "2016-03-31"),
    "All_SocCare_inspec_1617.csv": (0, "2017-03-31"),      # Windows-1252 dash
    "All_SocCare_inspec_1718.csv": (0, "2018-03-31"),
    "All_SocCare_inspec_1819.csv": (0, "2019-03-31"),
    "All_SocCare_inspec_1920.csv": (0, "2020-03-31"),
    "All_SocCare_inspec_2122_fin.csv": (0, "2022-03-31"),  # "Inspection …" prefixes
    "All_SocCare_inspec_2223.csv": (3, "2023-03-31"),      # three preamble lines
    "provider_at_march_2015.csv": (0, "2015-03-31"),
    "provider_at_march_2016.csv": (1, "2016-03-31"),       # group row above the header
    "provider_at_march_2017.csv": (1, "2017-03-31"),
    "provider_at_march_2018.csv": (1, "2018-03-31"),
    "provider_at_march_2019.csv": (1, "2019-03-31"),
    "provider_at_march_2020.csv": (1, "2020-03-31"),
    "provider_at_march_2021.csv": (1, "2021-03-31"),
    "provider_at_march_2022.csv": (4, "2022-03-31"),       # "Latest full inspection …"
    "provider_at_march_2023.csv": (3, "2023-03-31"),
    "in_year_2223.xlsx": (3, "2023-03-31"),
    "at_march_2023.ods": (3, "2023-03-31"),
}


def _data_lines(path: Path) -> int:
    header_row = SHAPES[path.name][0]
    return len(path.read_bytes().splitlines()) - header_row - 1


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """Every fixture CSV imported once into a real SQLite file (read-only for the tests)."""
    db = open_db(tmp_path_factory.mktemp("mi") / "mi.db")
    _done, failed = import_files(db, CSV_FILES)
    assert not failed
    yield db
    db.conn.close()


def _grades(db, urn, date):
    rows = db.execute(
        "select j.area, j.grade from official_inspections i join official_judgements j "
        "using (urn, inspection_key) where i.urn = ? and i.inspection_date = ?", [urn, date])
    return dict(rows.fetchall())


def _inspection(db, urn, date):
    row = db.execute("select event_type, event_type_printed, overall, publication_date, "
                     "event_number from official_inspections where urn = ? and "
                     "inspection_date = ?", [urn, date]).fetchone()
    assert row is not None, (urn, date)
    return dict(zip(("event_type", "printed", "overall", "published", "number"), row))


def test_fixtures_cover_every_source_file():
    assert {p.name for p in CSV_FILES} | {p.name for p in WORKBOOKS} == set(SHAPES)


@pytest.mark.parametrize("path", CSV_FILES + WORKBOOKS, ids=lambda p: p.name)
def test_every_header_shape_is_read(tmp_path, path):
    header_row, as_at = SHAPES[path.name]
    table = read_table(path)
    assert table.columns.header_row == header_row
    assert {"urn", "inspection_date", "event_type"} <= set(table.columns.fields)
    assert table.columns.judgements, "no judgement column matched"
    db = open_db(tmp_path / "one.db")
    result = import_file(db, path)
    assert result.as_at == as_at
    if path.suffix == ".csv":
        assert result.rows == _data_lines(path)
    assert result.inspections >= result.rows - 2  # at-March rows without an inspection: few
    dated = db.execute("select count(*) from official_inspections where inspection_date "
                       "glob '[12][09][0-9][0-9]-[01][0-9]-[0-3][0-9]'").fetchone()[0]
    assert dated == db["official_inspections"].count
    assert db.execute("select count(*) from official_judgements where scale = 'unknown'"
                      ).fetchone()[0] == 0


def test_grade_wordings_of_every_year_map_to_the_extractors_tokens(imported):
    db = imported
    # 2013-14 codes: interim 3 = sustained effectiveness; full 1-4
    assert _grades(db, "SC392492", "2014-03-19") == {"overall": "sustained_effectiveness"}
    assert _grades(db, "SC038719", "2014-01-22")["safety"] == "inadequate"
    assert _grades(db, "SC038719", "2014-01-22")["quality_of_care"] == "adequate"
    # 2014-15 capitalised, "SC Interim", "Declined in Effectiveness"
    assert _inspection(db, "SC392492", "2015-02-11") == {
        "event_type": "interim", "printed": "SC Interim", "overall": "declined_effectiveness",
        "published": None, "number": _inspection(db, "SC392492", "2015-02-11")["number"]}
    assert _grades(db, "SC465257", "2015-01-12") == {"overall": "sustained_effectiveness"}
    # 2018-19 on: "Declined effectiveness"; "Requires improvement to be good"
    assert _grades(db, "SC038719", "2018-02-14") == {"overall": "declined_effectiveness"}
    assert _grades(db, "SC392492", "2019-10-21")["overall"] == "requires_improvement"
    # not judged interim: kept as the interim outcome, no headline grade
    row = db.execute("select overall from official_inspections where event_type = 'interim' "
                     "and urn = 'SC032468'").fetchone()
    assert row == (None,)
    assert db.execute("select grade, scale from official_judgements where urn = 'SC032468'"
                      ).fetchall() == [("not_judged", "none")]
    scales = dict(db.execute("select grade, scale from official_judgements group by grade"
                             ).fetchall())
    assert scales["improved_effectiveness"] == "interim"
    assert scales["requires_improvement"] == scales["adequate"] == "four_point"


def test_judgement_columns_map_to_the_extractors_areas(imported):
    db = imported
    # SCCIF (secure children's home: education and health too)
    assert _grades(db, "SC035409", "2022-11-01") == {
        "overall": "outstanding", "help_and_protection": "outstanding",
        "leaders_and_managers": "outstanding", "education": "outstanding",
        "health": "outstanding"}
    # 2022 prints "Latest full inspectio health services"
    assert _grades(db, "SC038719", "2021-07-06")["health"] == "requires_improvement"
    # the April 2015 framework, printed under the old column names
    assert _grades(db, "SC392492", "2015-11-10") == {
        "overall": "inadequate", "help_and_protection": "inadequate",
        "leaders_and_managers": "inadequate"}
    # … and a secure children's home's "Outcomes for children and young people" is education
    assert _grades(db, "SC038719", "2016-05-25") == {
        "overall": "good", "help_and_protection": "requires_improvement",
        "leaders_and_managers": "good", "education": "good"}
    # before April 2015: the old framework's five judgements
    assert set(_grades(db, "SC392492", "2014-09-11")) == {
        "overall", "outcomes", "quality_of_care", "safety", "leadership_and_management"}


def test_an_inspection_is_what_its_first_publication_says(imported):
    """Event 702881 (a 2011 inspection) as at March 2017: satisfactory, dated 25/02/2011; the
    2018 file adds a not-judged row; 2019 restates it under the new columns as "requires
    improvement to be good", dated 24/02/2011. The first publication stands, whole."""
    row = imported.execute("select inspection_date, overall, source_file from "
                           "official_inspections where urn = 'SC023644' and "
                           "inspection_key = '702881'").fetchone()
    assert row == ("2011-02-25", "satisfactory", "provider_at_march_2017.csv")
    assert _grades(imported, "SC023644", "2011-02-25") == {
        "overall": "satisfactory", "safety": "not_judged",
        "leadership_and_management": "not_judged"}


def test_event_types_are_normalised(imported):
    kinds = dict(imported.execute(
        "select event_type_printed, event_type from official_inspections group by 1").fetchall())
    assert kinds["SC Interim"] == kinds["Interim inspection"] == "interim"
    assert kinds["SC Monitoring Inspection"] == kinds["Monitoring inspection"] == "monitoring"
    assert kinds["Assurance visit"] == "assurance"
    assert kinds["Emergency visit"] == kinds["SC – Emergency inspection"] == "emergency"
    assert kinds["Full Inspection"] == kinds["Full inspection"] == "full"
    # the last day inspected (the report's "31 October to 1 November 2016"), ISO
    assert _inspection(imported, "SC392492", "2016-05-05")["event_type"] == "full"


def test_providers_are_filled_from_the_newest_file(imported):
    rows = {row["urn"]: row for row in imported["providers"].rows}
    home = rows["SC392492"]
    assert home["name"] is None  # REDACTED is never stored
    assert home["provider_type"] == "Children's home"
    assert home["local_authority"] == "Birmingham"
    assert home["region"] == "E12000005"
    assert home["owner"] == "DMR Services Ltd"  # 2017-18 printed "Dmr Services Limited"
    assert home["owner_source"] == "statistics"
    assert home["status"] == "Active"
    assert home["registration_date"] == "2009-04-24"
    assert home["places"] == 4
    assert home["statistics_as_at"] == "2023-03-31"
    agency = rows["SC042759"]
    assert agency["name"] == "Barnardos Fostering North East"
    assert agency["owner"] == "Barnardo's"
    assert agency["provider_type"] == "Independent fostering agency"
    assert rows["1027077"]["provider_type"] == "Secure training centre"
    owners = imported.execute("select owner from official_providers where urn = 'SC392492' "
                              "and owner is not null group by owner").fetchall()
    assert len(owners) == 3  # the owner's spellings through the years stay visible


def test_no_redacted_name_and_no_address_is_stored(imported):
    assert not imported.execute("select count(*) from providers where lower(name) = 'redacted'"
                                ).fetchone()[0]
    for table in ("providers", "official_providers", "official_inspections",
                  "official_judgements"):
        columns = [c.lower() for c in imported[table].columns_dict]
        assert not [c for c in columns if "address" in c or "postcode" in c], table
    dump = "\n".join(imported.iterdump()).lower()
    assert "redacted" not in dump
    assert "sir evelyn road" not in dump and "me1 3yb" not in dump  # a named setting's address


def _dump(db) -> str:
    text = []
    for table, order in (("official_inspections", "urn, inspection_key"),
                         ("official_judgements", "urn, inspection_key, area"),
                         ("official_providers", "urn, source_file"), ("providers", "urn")):
        text.append(repr(db.execute(f"select * from {table} order by {order}").fetchall()))
    return hashlib.sha256("\n".join(text).encode()).hexdigest()


def test_import_is_idempotent_and_order_does_not_matter(tmp_path):
    db = open_db(tmp_path / "again.db")
    import_files(db, CSV_FILES)
    first = _dump(db)
    done, failed = import_files(db, CSV_FILES)
    assert not failed and len(done) == len(CSV_FILES)
    assert _dump(db) == first  # twice: nothing changes
    shuffled = open_db(tmp_path / "reversed.db")
    import_files(shuffled, list(reversed(CSV_FILES)))
    # same contents, whatever the order (first_seen/updated_at stamp the import time)
    strip = "select urn, name, provider_type, local_authority, region, owner, status, " \
            "registration_date, places, owner_source, statistics_as_at from providers order by urn"
    assert db.execute(strip).fetchall() == shuffled.execute(strip).fetchall()
    for table in ("official_inspections", "official_judgements", "official_providers"):
        query = f"select * from {table} order by 1, 2, 3"
        assert db.execute(query).fetchall() == shuffled.execute(query).fetchall(), table


def test_a_corrected_file_of_the_same_name_replaces_its_values(tmp_path):
    source = FIXTURES / "in-year" / "All_SocCare_inspec_1920.csv"
    copy = tmp_path / source.name
    copy.write_bytes(source.read_bytes())
    db = open_db(tmp_path / "corrected.db")
    import_file(db, copy)
    assert _grades(db, "SC392492", "2019-07-02")["overall"] == "inadequate"
    lines = copy.read_bytes().splitlines(keepends=True)
    fixed = [line.replace(b"Inadequate", b"Requires improvement to be good")
             if b"SC392492" in line and b"02/07/2019" in line else line for line in lines]
    assert fixed != lines
    copy.write_bytes(b"".join(fixed))
    import_file(db, copy)
    assert _grades(db, "SC392492", "2019-07-02")["overall"] == "requires_improvement"


def test_official_owner_replaces_a_pdf_owner_and_is_never_blanked(tmp_path):
    db = open_db(tmp_path / "owners.db")
    db["providers"].insert({"urn": "SC392492", "owner": "D M R Services (from a PDF)",
                            "local_authority": "Birmingham", "page_url": "https://x/p"})
    import_file(db, FIXTURES / "at-31-march" / "provider_at_march_2023.csv")
    row = db["providers"].get("SC392492")
    assert (row["owner"], row["owner_source"]) == ("DMR Services Ltd", "statistics")
    assert row["page_url"] == "https://x/p"  # the crawler's columns are left alone
    import_file(db, FIXTURES / "at-31-march" / "provider_at_march_2015.csv")  # no owner column
    row = db["providers"].get("SC392492")
    assert row["owner"] == "DMR Services Ltd"
    assert row["statistics_as_at"] == "2023-03-31"


def test_import_never_creates_events_or_deliveries(tmp_path):
    db = open_db(tmp_path / "quiet.db")
    db["subscriptions"].insert({"name": "everything", "notify_url": "json://127.0.0.1:9/x",
                                "filters": '{"all": true}', "events": '["downgrade"]',
                                "digest": "immediate", "active": 1})
    import_files(db, CSV_FILES)
    assert db["official_inspections"].count > 150
    assert db["events"].count == 0
    assert db["deliveries"].count == 0
    assert db["reports"].count == 0 and db["judgements"].count == 0


# --- bad files ------------------------------------------------------------------------------

def _cli(*args):
    return CliRunner().invoke(main, ["mi", *args])


def test_bad_files_are_named_and_nothing_of_them_is_imported(tmp_path):
    good = FIXTURES / "in-year" / "All_SocCare_inspec_1819.csv"
    impossible = tmp_path / "impossible.csv"
    lines = good.read_bytes().splitlines(keepends=True)
    lines[5] = re.sub(rb"\d\d/\d\d/20\d\d", b"31/02/2018", lines[5], count=1)  # row 6
    impossible.write_bytes(b"".join(lines))
    binary = tmp_path / "picture.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    headless = tmp_path / "notes.csv"
    headless.write_text("Title,Notes\nsomething,else\n")
    zipped = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    db_path = tmp_path / "bad.db"
    result = _cli("import", str(impossible), str(binary), str(good), str(headless),
                  str(zipped), "--db", str(db_path))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, result.output
    assert f"error: {impossible}: row 6: impossible date '31/02/2018'" in errors[0]
    assert "not a CSV, ODS or XLSX file" in errors[1] and str(binary) in errors[1]
    assert "no recognisable header" in errors[2] and str(headless) in errors[2]
    assert "ZIP archive of something else" in errors[3]
    assert "1 of 5 files imported, 4 not" in result.output
    assert "Traceback" not in result.output
    db = open_db(db_path)
    files = [row[0] for row in db.execute("select source_file from official_files")]
    assert files == [good.name]
    assert {r[0] for r in db.execute("select distinct source_file from official_inspections")} \
        == {good.name}


def test_one_transaction_per_file(tmp_path, monkeypatch):
    """A failure while writing leaves nothing of that file."""
    from monitor.statistics import load
    db = open_db(tmp_path / "tx.db")
    real = load.INSERT_JUDGEMENT
    monkeypatch.setattr(load, "INSERT_JUDGEMENT", real.replace("official_judgements (",
                                                               "no_such_table (", 1))
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        import_file(db, FIXTURES / "in-year" / "All_SocCare_inspec_1920.csv")
    assert db["official_inspections"].count == 0
    assert db["providers"].count == 0 and db["official_providers"].count == 0


def test_import_cli_summary(tmp_path):
    result = _cli("import", *map(str, CSV_FILES[:2]), "--db", str(tmp_path / "cli.db"))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"2 files, {sum(map(_data_lines, CSV_FILES[:2]))} "
                                          "rows imported")


def test_a_damaged_workbook_is_one_line(tmp_path):
    fake = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not closed")
    truncated = tmp_path / "truncated.ods"
    truncated.write_bytes((FIXTURES / "workbooks" / "at_march_2023.ods").read_bytes()[:900])
    for path in (fake, truncated):
        with pytest.raises(MIError, match=r"(not a readable XLSX workbook|damaged ZIP)"):
            import_file(open_db(tmp_path / "w.db"), path)


def test_mi_error_names_the_problem(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(MIError, match="empty.csv: no recognisable header"):
        import_file(open_db(tmp_path / "e.db"), empty)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(MIError, match="is a directory"):
        import_file(open_db(tmp_path / "e.db"), folder)
    copy = tmp_path / "only_header.csv"
    shutil.copy(FIXTURES / "in-year" / "All_SocCare_inspec_1920.csv", copy)
    copy.write_bytes(copy.read_bytes().splitlines(keepends=True)[0])
    with pytest.raises(MIError, match="no data rows"):
        import_file(open_db(tmp_path / "e.db"), copy)
