"""A small history for the web tests, written through the project's own write path: report and
provider rows as the crawler stores them (conftest helpers), then ``monitor.detect`` for the
judgements and events, and one subscription holding secrets that must never be shown."""
from __future__ import annotations

from conftest import store_provider, store_report

from monitor import detect, subscriptions
from monitor.schema import open_db

T0 = "2025-01-10T07:00:00+00:00"
T1 = "2025-06-02T07:00:00+00:00"
T2 = "2025-09-01T13:00:00+00:00"

#: A provider name full of markup: must show as text everywhere.
NASTY = "<script>alert('x')</script> & <b>Bold</b> \"Care\" Ltd"
SECRET_PASSWORD = "Sup3rSecretPassw0rd"
SECRET_ADDRESS = "private.subscriber@example.net"
SECRET_URL = f"mailtos://alerts:{SECRET_PASSWORD}@smtp.example.org?to={SECRET_ADDRESS}"

AREAS = ("help_and_protection", "leaders_and_managers")


def _areas(grade):
    return {area: grade for area in AREAS}


def fill(db_path) -> None:
    """Three stages, each followed by detection (so events have distinct detected_at)."""
    db = open_db(db_path)
    try:
        store_provider(db, "SC100001", name="Harmony Childcare Ltd", region="E12000005",
                       status="Active")
        # what the official statistics add to a provider (monitor/statistics)
        db["providers"].update("SC100001", {"registration_date": "2015-04-01", "places": 4})
        store_provider(db, "SC100002", name=NASTY, owner=NASTY, region="E12000005",
                       page_url="javascript:alert(1)")
        store_provider(db, "SC100003", name="Harmony Childcare Ltd", local_authority="Derbyshire",
                       region="E12000004")
        store_provider(db, "SC100004", name="Peak Care Ltd", owner="Peak Care Ltd",
                       local_authority="Derbyshire", region="E12000004")
        store_report(db, "5001", "SC100001", inspection_date="2021-09-14", overall="outstanding",
                     judgements=_areas("outstanding"), publication_date="2021-10-19")
        store_report(db, "5003", "SC100003", inspection_date="2022-01-11", overall="good",
                     judgements=_areas("good"), publication_date="2022-02-15",
                     local_authority="Derbyshire")
        store_report(db, "5004", "SC100004", inspection_date="2022-03-01", overall="inadequate",
                     judgements=_areas("inadequate"), publication_date="2022-04-01",
                     owner="Peak Care Ltd", local_authority="Derbyshire")
        detect.detect(db, baseline=True, now=T0)
        subscriptions.add(db, SECRET_URL, urns=["SC100001"])
        store_report(db, "5002", "SC100001", inspection_date="2023-03-07", overall="good",
                     judgements=_areas("good"), publication_date="2023-04-20")
        store_report(db, "5005", "SC100004", inspection_date="2023-02-01", overall="inadequate",
                     judgements=_areas("inadequate"), publication_date="2023-03-01",
                     owner="Peak Care Ltd", local_authority="Derbyshire")
        detect.detect(db, now=T1)
        store_report(db, "5006", "SC100001", inspection_date="2025-07-22", overall="inadequate",
                     judgements=_areas("inadequate"), enforcement=["compliance_notice"],
                     publication_date="2025-08-28")
        store_report(db, "5007", "SC100002", inspection_date="2025-07-01", overall="inadequate",
                     judgements=_areas("inadequate"), publication_date="2025-08-20", owner=NASTY)
        store_report(db, "5008", "SC100003", inspection_date="2025-06-10", overall="outstanding",
                     judgements=_areas("outstanding"), publication_date="2025-08-01",
                     local_authority="Derbyshire")
        detect.detect(db, now=T2)
    finally:
        db.conn.close()
