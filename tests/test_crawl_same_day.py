"""A second report published for a provider on the day of the one already stored is found by the
next incremental crawl, while providers whose page was fetched after their listed day are still
left alone. The real crawl (``monitor.crawl.crawl``: the spider, its lookups in their own
thread, the monitor's pipeline) against the replica over HTTP, each in a forked child
(conftest ``forked_crawl``)."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import forked_crawl
from crawler.replica import Replica
from crawler.replica.sample import sample_data
from monitor import store
from monitor.schema import open_db

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
HOME_PDFS = sorted(FIXTURES.glob("childrens-home_*.pdf"))[:4]


@pytest.fixture
def site():
    replica = Replica.from_file(sample_data(12, 16, HOME_PDFS))
    replica.start()
    yield replica
    replica.stop()


def provider_pages(requests) -> list[str]:
    return [path for method, path in requests if path.startswith("/provider/")]


def record_threads(monkeypatch, log: Path) -> None:
    """Every lookup the crawl makes writes which thread ran it (the forked child inherits the
    patch): the main thread is the reactor's."""
    for name in ("known_latest_many", "stored_files"):
        real = getattr(store, name)

        def recorded(db, keys, real=real, name=name):
            where = "reactor" if threading.current_thread() is threading.main_thread() else (
                threading.current_thread().name)
            with open(log, "a") as out:
                out.write(f"{name} {where}\n")
            return real(db, keys)
        monkeypatch.setattr(store, name, recorded)


def test_second_report_of_the_same_day_is_found_and_settled_providers_are_skipped(
        site, tmp_path, monkeypatch):
    db_path = tmp_path / "ow.db"
    lookups = tmp_path / "lookups.log"
    record_threads(monkeypatch, lookups)

    def crawl(**kwargs) -> tuple[dict, list[str]]:
        before = len(site.requests)
        row = forked_crawl(db_path, base_url=site.base_url, pdf_dir=tmp_path / "pdfs",
                           fast=True, extract=False, **kwargs)
        assert row["status"] == "ok", row
        return row, provider_pages(site.requests[before:])

    row, pages = crawl(backfill=True)
    assert row["providers"] == len(pages) == 12 and row["new_reports"] == 16

    # ---- the same day: one report on one home; another home's report of two days ago ------
    today = date.today()
    home, other = site.providers()[3], site.providers()[7]
    home_page, other_page = (f"/provider/2/{home['urn']}", f"/provider/2/{other['urn']}")
    site.publish(home["urn"], {"file_id": "99000001", "title": "Full inspection",
                               "inspection_date": (today - timedelta(days=30)).isoformat(),
                               "publication_date": today.isoformat(), "pdf": str(HOME_PDFS[0])})
    site.publish(other["urn"], {"file_id": "99000002", "title": "Monitoring visit",
                                "inspection_date": (today - timedelta(days=9)).isoformat(),
                                "publication_date": (today - timedelta(days=2)).isoformat(),
                                "pdf": str(HOME_PDFS[1])})
    row, pages = crawl()
    assert row["mode"] == "incremental" and row["new_reports"] == 2
    assert sorted(pages) == sorted([home_page, other_page])
    assert (row["providers"], row["pages"]) == (2, 1 + 2)          # one listing page, two homes

    # ---- later that day, a second report for the home, published the same day -------------
    site.publish(home["urn"], {"file_id": "99000003", "title": "Monitoring visit",
                               "inspection_date": (today - timedelta(days=5)).isoformat(),
                               "publication_date": today.isoformat(), "pdf": str(HOME_PDFS[2])})
    row, pages = crawl()
    db = open_db(db_path)
    second = db["reports"].get("99000003")
    assert second["urn"] == home["urn"] and second["publication_date"] == today.isoformat()
    assert row["new_reports"] == 1
    # the other home's page was fetched after its listed day had ended: not asked again
    assert pages == [home_page]
    assert (row["providers"], row["pages"]) == (1, 1 + 1)

    # ---- nothing new: the home is looked at again until its day has ended -------------------
    row, pages = crawl()
    assert row["new_reports"] == 0 and pages == [home_page]
    assert (row["providers"], row["pages"]) == (1, 1 + 1)

    # ---- once its page has been fetched after its day ended, it is skipped as well ----------
    settled = datetime.combine(today + timedelta(days=2), datetime.min.time(), timezone.utc)
    db.execute("update providers set updated_at = ? where urn = ?",
               [settled.isoformat(timespec="seconds"), home["urn"]])
    db.conn.commit()
    row, pages = crawl()
    assert row["new_reports"] == 0 and pages == []
    assert (row["providers"], row["pages"]) == (0, 1)               # the listing page only
    assert db["reports"].count == 19
    db.conn.close()

    # ---- every lookup ran in the lookup thread, a page at a time --------------------------
    asked = lookups.read_text().splitlines()
    assert {line.split()[1] for line in asked} == {"store-lookups_0"}       # never the reactor
    # one known_latest per incremental listing page (4 crawls); stored_files per provider page
    assert sum(line.startswith("known_latest_many") for line in asked) == 4
    assert sum(line.startswith("stored_files") for line in asked) == 12 + 2 + 1 + 1


def test_lookups_answer_for_a_whole_page_at_once(db, put_provider, put_report):
    put_provider("SC100001", latest_report_date="2026-11-30")
    put_provider("SC100002")
    put_report("50000001", "SC100001", inspection_date="2026-10-30",
               publication_date="2026-11-30")
    urns = ["SC100001", "SC100002", "SC999999"] + [f"X{i}" for i in range(1200)]
    known = store.known_latest_many(db, urns)
    assert set(known) == {"SC100001", "SC100002"}
    assert known["SC100001"].latest_report_date == "2026-11-30"
    assert known["SC100001"].fetched_at == db["providers"].get("SC100001")["updated_at"]
    assert known["SC100002"] == (None, db["providers"].get("SC100002")["updated_at"])
    assert store.known_latest(db, "SC100001") == known["SC100001"]
    assert store.known_latest(db, "SC999999") is None
    ids = ["50000001", "50000002"] + [str(i) for i in range(1200)]
    assert store.stored_files(db, ids) == {"50000001"}
    assert store.stored_files(db, []) == set() and store.known_latest_many(db, []) == {}
