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
    """Write one ``reports`` row as the crawler does, its extraction from an
    ``extract.result.Report`` (or the given extraction, e.g. from ``extract.extract_file``)."""
    import json

    from extract.result import Report
    if extraction is None:
        extraction = Report(
            file=f"{file_id}.pdf", sha256=f"sha-{file_id}", report_type=report_type,
            inspection_kind=kind, urn=urn, provider_name=owner, owner=owner,
            local_authority=local_authority, inspection_date=inspection_date, overall=overall,
            judgements=dict(judgements or {}), enforcement=list(enforcement),
            needs_review=needs_review, review_reasons=["test"] if needs_review else [],
            extractor_version="test").to_dict()
    db["reports"].upsert({
        "file_id": str(file_id), "urn": urn,
        "url": f"https://files.ofsted.gov.uk/v1/file/{file_id}",
        "title": f"{kind} inspection", "inspection_date": inspection_date,
        "publication_date": publication_date or inspection_date,
        "report_type": extraction.get("report_type"),
        "inspection_kind": extraction.get("inspection_kind"),
        "overall": extraction.get("overall"), "extraction": json.dumps(extraction),
        "extractor_version": extraction.get("extractor_version"),
        "needs_review": int(bool(extraction.get("needs_review")))}, pk="file_id")


def store_provider(db, urn, **fields):
    row = {"urn": urn, "name": "Harmony House", "provider_type": "Children's home",
           "local_authority": "Staffordshire", "region": "West Midlands",
           "owner": "Harmony Childcare Ltd",
           "page_url": f"https://reports.ofsted.gov.uk/provider/44/{urn}"}
    row.update(fields)
    db["providers"].upsert(row, pk="urn")


@pytest.fixture
def put_report(db):
    return lambda *args, **kwargs: store_report(db, *args, **kwargs)


@pytest.fixture
def put_provider(db):
    return lambda *args, **kwargs: store_provider(db, *args, **kwargs)
