"""Shared fixtures: a migrated SQLite file, and real mail / webhook receivers on 127.0.0.1."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `from servers import MailSink` in any test

from servers import MailSink, WebhookSink  # noqa: E402


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "ofsted-watch.db"


@pytest.fixture
def db(db_path):
    from monitor.schema import open_db
    database = open_db(db_path)
    yield database
    database.conn.close()


@pytest.fixture
def mail_sink():
    with MailSink() as sink:
        yield sink


@pytest.fixture
def webhook_sink():
    with WebhookSink() as sink:
        yield sink


def store_report(db, file_id, urn, *, inspection_date, overall=None, judgements=None,
                 enforcement=(), kind="full", report_type="childrens-home", needs_review=False,
                 publication_date=None, owner="Harmony Childcare Ltd",
                 local_authority="Staffordshire", extraction=None):
    """Store one report as a crawl does (``monitor.store.save_report``, then
    ``history.record_extraction``), its extraction from an ``extract.result.Report`` (or the
    given extraction, e.g. from ``extract.extract_file``). Storing the same file id again is a
    re-extraction of the same file."""
    from crawler.items import ReportItem
    from extract.result import Report
    from monitor import history, store
    if extraction is None:
        extraction = Report(
            file=f"{file_id}.pdf", sha256=f"sha-{file_id}", report_type=report_type,
            inspection_kind=kind, urn=urn, provider_name=owner, owner=owner,
            local_authority=local_authority, inspection_date=inspection_date, overall=overall,
            judgements=dict(judgements or {}), enforcement=list(enforcement),
            needs_review=needs_review, review_reasons=["test"] if needs_review else [],
            extractor_version="test").to_dict()
    item = ReportItem(urn=urn, file_id=str(file_id),
                      url=f"https://files.ofsted.gov.uk/v1/file/{file_id}",
                      title=f"{kind} inspection", inspection_date=inspection_date,
                      publication_date=publication_date or inspection_date)
    store.save_report(db, item, sha256=f"sha-{file_id}", path=None, size=0)
    history.record_extraction(db, str(file_id), sha256=f"sha-{file_id}",
                              version=extraction.get("extractor_version"), report=extraction,
                              error=None)


def store_provider(db, urn, **fields):
    """Store one provider as a crawl does (``monitor.store.save_provider``: the region is the
    ONS code the crawler derives from the local authority). ``owner`` is not on a provider
    page: it is set as a report or the statistics would set it."""
    from crawler.items import ProviderItem
    from extract.places import region_for
    from monitor import store
    row = {"urn": urn, "name": "Harmony House", "provider_type": "Children's home", "local_authority": "Staffordshire",
           "status": "Open", "page_url": f"https://reports.ofsted.gov.uk/provider/44/{urn}",
           "latest_report_date": None, "owner": "Harmony Childcare Ltd"}
    row.update(fields)
    owner = row.pop("owner")
    row.setdefault("category", row["provider_type"])     # the listing shows the type as category
    row.setdefault("region", region_for(row["local_authority"]))
    store.save_provider(db, ProviderItem(**row))
    if owner:
        db.execute("update providers set owner = ? where urn = ?", [owner, urn])
        db.conn.commit()


@pytest.fixture
def put_report(db):
    return lambda *args, **kwargs: store_report(db, *args, **kwargs)


@pytest.fixture
def put_provider(db):
    return lambda *args, **kwargs: store_provider(db, *args, **kwargs)


def forked_crawl(db_path, *, base_url, pdf_dir, since=None, backfill=False, scope=None,
                 timeout=120, fast=False, extract=True, **_):
    """``crawl_in_subprocess``'s stand-in for cycle tests: the same real crawl
    (``monitor.crawl.crawl``: the spider, the monitor's pipeline, the replica over HTTP), in a
    forked child that needs no fresh interpreter, so a cycle costs the crawl and not Python's
    and Scrapy's start-up. Twisted's reactor cannot restart, hence a child per crawl."""
    import multiprocessing

    from monitor import store
    from monitor.crawl_process import finish_unfinished

    ctx = multiprocessing.get_context("fork")
    queue = ctx.SimpleQueue()
    db = store.open_db(db_path)
    run_id = store.start_run(db, mode="backfill" if backfill else "incremental",
                             scope=scope or "social-care", since=since)
    db.close()
    child = ctx.Process(target=_crawl_child, args=(queue, str(db_path), base_url, str(pdf_dir),
                                                   since, backfill, scope, fast, run_id,
                                                   extract))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
    return finish_unfinished(db_path, run_id, None if child.exitcode == 0
                             else f"crawl process exited with code {child.exitcode}")


def _crawl_child(queue, db_path, base_url, pdf_dir, since, backfill, scope, fast, run_id,
                 extract):
    for name in [m for m in sys.modules if m == "twisted.internet.reactor"]:
        del sys.modules[name]                  # a fresh reactor for this child's one crawl
    from monitor.crawl import crawl
    crawl(db_path, base_url=base_url, pdf_dir=pdf_dir, since=since, backfill=backfill,
          scope=scope, fast=fast, run_id=run_id, extract=extract)
