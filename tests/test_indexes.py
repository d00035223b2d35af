"""The hot paths' queries use their indexes (migration m204): checked with SQLite's own
``EXPLAIN QUERY PLAN`` on the real statements, on a fresh database, on a filled and analysed
one, and on a database made before m204 existed (opening it adds the indexes)."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from conftest import store_provider, store_report

from monitor.schema import open_db
from monitor.web.queries import SUMMARY_REPORTS_SQL, Store

ROOT = Path(__file__).resolve().parent.parent
#: The statement ``store.save_provider`` runs for every provider page it stores.
PENDING_DELETE = "delete from crawl_pending where kind = 'provider' and urn = ?"
M204_INDEXES = {"idx_crawl_pending_urn_kind", "idx_reports_urn_history_order"}


def plan(conn, sql: str, params) -> list[str]:
    return [row[3] for row in conn.execute("explain query plan " + sql, params)]


def summary_sql(n: int) -> str:
    return SUMMARY_REPORTS_SQL.format(marks=",".join("?" * n))


def fill(db, providers: int = 40, reports_each: int = 4) -> list[str]:
    urns = [f"SC{200000 + p}" for p in range(providers)]
    grades = ["outstanding", "good", "requires_improvement", "inadequate"]
    for p, urn in enumerate(urns):
        store_provider(db, urn, local_authority="Staffordshire")
        for r in range(reports_each):
            store_report(db, f"{p}{r:02d}", urn, inspection_date=f"20{15 + r}-0{1 + p % 9}-1{r}",
                         overall=grades[(p + r) % 4])
    with db.atomic():
        db.execute("insert into crawl_pending (url, kind, urn, data, attempts, updated_at) "
                   "select 'https://reports.example/provider/' || urn, 'provider', urn, '{}', "
                   "0, '2025-01-01' from providers")
        db.execute("insert into crawl_pending (url, kind, urn, data, attempts, updated_at) "
                   "select 'https://files.example/' || file_id, 'file', urn, '{}', 0, "
                   "'2025-01-01' from reports")
    return urns


def assert_pending_delete_uses_the_index(conn):
    steps = plan(conn, PENDING_DELETE, ["SC200001"])
    text = " | ".join(steps)
    assert any("crawl_pending" in s and "USING" in s and "INDEX idx_crawl_pending_urn_kind" in s
               and "urn=?" in s for s in steps), text
    assert not any(re.fullmatch(r"SCAN crawl_pending", s) for s in steps), text


def assert_summaries_read_the_covering_index_in_order(conn, n: int):
    steps = plan(conn, summary_sql(n), [f"SC{200000 + i}" for i in range(n)])
    text = " | ".join(steps)
    assert any("SEARCH reports USING COVERING INDEX idx_reports_urn_history_order (urn=?)" in s
               for s in steps), text
    assert not any("TEMP B-TREE" in s for s in steps), text      # no sort: index order
    assert not any(s.startswith("SCAN reports") for s in steps), text


def test_save_provider_still_runs_the_statement_explained_here():
    """The plan below is of the statement store.save_provider really runs."""
    assert PENDING_DELETE in (ROOT / "monitor" / "store.py").read_text()


def test_deleting_a_providers_owed_page_is_an_index_search(db):
    assert_pending_delete_uses_the_index(db.conn)


def test_deleting_a_providers_owed_page_uses_the_index_on_a_filled_analysed_table(db):
    fill(db)
    db.execute("analyze")
    assert_pending_delete_uses_the_index(db.conn)
    before = db.execute("select count(*) from crawl_pending").fetchone()[0]
    with db.atomic():
        db.execute(PENDING_DELETE, ["SC200001"])
    # the provider's own page goes; the report files it owes stay
    assert db.execute("select count(*) from crawl_pending").fetchone()[0] == before - 1
    assert db.execute("select count(*) from crawl_pending where urn = 'SC200001'"
                      ).fetchone()[0] == 4


@pytest.mark.parametrize("n", [1, 129, 900])
def test_the_group_pages_reports_come_from_the_covering_index_in_order(db, n):
    assert_summaries_read_the_covering_index_in_order(db.conn, n)


def test_the_group_pages_reports_use_the_index_on_a_filled_analysed_table(db_path):
    db = open_db(db_path)
    urns = fill(db)
    db.execute("analyze")
    db.conn.close()
    store = Store(db_path)                          # the site's read-only connection
    assert_summaries_read_the_covering_index_in_order(store.db().conn, len(urns))
    summaries = {p["urn"]: p for p in store.provider_summaries(urns)}
    # the rows come in history order: the latest report's grade is current, the one before
    # it previous (fill: provider 0 goes outstanding, good, requires improvement, inadequate)
    assert summaries["SC200000"]["current_grade"] == "inadequate"
    assert summaries["SC200000"]["previous_grade"] == "requires_improvement"
    assert summaries["SC200000"]["last_inspection"] == "2018-01-13"
    assert summaries["SC200000"]["direction"] == "declined"
    assert summaries["SC200000"]["reports"] == 4


def test_reports_without_an_inspection_date_keep_the_history_order(db_path):
    """The index orders by the same expressions as history.report_sort_key: a report with no
    inspection date sorts by its publication date."""
    db = open_db(db_path)
    store_provider(db, "SC300001")
    store_report(db, "1", "SC300001", inspection_date="2020-05-01", overall="good")
    store_report(db, "2", "SC300001", inspection_date=None, overall="inadequate",
                 publication_date="2021-01-10")
    store_report(db, "3", "SC300001", inspection_date="2019-03-01", overall="outstanding")
    db.conn.close()
    [summary] = Store(db_path).provider_summaries(["SC300001"])
    assert (summary["current_grade"], summary["previous_grade"]) == ("inadequate", "good")


def test_a_database_made_before_m204_gets_the_indexes_when_opened(db_path):
    db = open_db(db_path)
    fill(db, providers=5)
    # as it was before this migration shipped: without its indexes and its record
    for name in M204_INDEXES:
        db.execute(f"drop index {name}")
    db.execute("delete from _sqlite_migrations where name = 'm204_hot_path_indexes'")
    db.conn.commit()
    assert "SCAN crawl_pending" in plan(db.conn, PENDING_DELETE, ["SC200001"])  # what m204 fixes
    db.conn.close()

    db = open_db(db_path)                           # sqlite-migrate applies what is pending
    names = {row[0] for row in db.execute("select name from sqlite_master where type = 'index'")}
    assert M204_INDEXES <= names
    assert_pending_delete_uses_the_index(db.conn)
    assert_summaries_read_the_covering_index_in_order(db.conn, 5)
    assert db.execute("select count(*) from _sqlite_migrations "
                      "where name = 'm204_hot_path_indexes'").fetchone()[0] == 1
    db.conn.close()
    # and the site, which only reads, opens it migrated too
    reader = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    assert_summaries_read_the_covering_index_in_order(reader, 5)
    reader.close()
