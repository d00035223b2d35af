"""``/data``: the public snapshot in Datasette, read-only, for journalists and programs.

Datasette opens only the public snapshot (``public.py``) — never the service's own database —
so no URL under ``/data``, its SQL box included, can reach subscriptions or deliveries.
Labelled columns, facets and the canned queries a newsroom starts from are declared in
``METADATA``. The snapshot is refreshed (throttled) when ``/data`` is visited after the
source database changed.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio

from .public import SnapshotKeeper

DB_NAME = "ofsted"
FOUR_POINT = "('outstanding', 'good', 'requires_improvement', 'adequate', 'satisfactory', " \
             "'inadequate')"
HOMES = "('childrens-home', 'secure-childrens-home')"

QUERIES = {
    "downgrades_this_week": {
        "title": "Downgrades published in the last seven days",
        "description": "Every graded area lower than at the provider's previous inspection, in "
                       "reports published in the last seven days, newest first.",
        "sql": """select r.publication_date, e.urn, p.provider_type, p.local_authority,
  p.owner, e.area, e.old_grade, e.new_grade, e.serious, r.url as report_pdf,
  e.detected_at, e.id as event_id
from events e
join reports r on r.file_id = e.report_id
left join providers p on p.urn = e.urn
where e.kind = 'downgrade' and r.publication_date >= date('now', '-7 days')
order by r.publication_date desc, e.id desc""",
    },
    "homes_inadequate_twice_in_a_row": {
        "title": "Children's homes rated inadequate twice in a row",
        "description": "Children's homes whose headline grade was inadequate at two graded "
                       "inspections one after the other.",
        "sql": f"""with graded as (
  select urn, file_id, report_type, inspection_date, overall,
    lag(overall) over w as previous_overall,
    lag(inspection_date) over w as previous_inspection_date
  from reports
  where overall in {FOUR_POINT}
  window w as (partition by urn order by inspection_date, publication_date, file_id)
)
select g.urn, p.provider_type, p.local_authority, p.owner,
  g.previous_inspection_date, g.inspection_date as latest_inspection_date,
  r.url as latest_report_pdf
from graded g
join reports r on r.file_id = g.file_id
left join providers p on p.urn = g.urn
where g.overall = 'inadequate' and g.previous_overall = 'inadequate'
  and g.report_type in {HOMES}
order by g.inspection_date desc""",
    },
    "owners_by_inadequate_homes": {
        "title": "Owners by number of children's homes currently rated inadequate",
        "description": "Registered providers (companies, councils, charities), by how many of "
                       "their children's homes have inadequate as their latest headline grade.",
        "sql": f"""with latest as (
  select urn, overall, report_type,
    row_number() over (partition by urn
      order by inspection_date desc, publication_date desc, file_id desc) as n
  from reports
  where overall in {FOUR_POINT}
)
select p.owner, count(*) as homes_rated_inadequate,
  (select count(*) from providers p2 where p2.owner = p.owner) as settings_known
from latest l
join providers p on p.urn = l.urn
where l.n = 1 and l.overall = 'inadequate' and l.report_type in {HOMES}
  and p.owner is not null
group by p.owner
order by homes_rated_inadequate desc, p.owner""",
    },
}

METADATA = {
    "title": "ofsted-watch: public data",
    "description": "The public history ofsted-watch keeps of Ofsted inspection reports: "
                   "providers, reports, graded judgements and the events detected from them "
                   "(downgrades, enforcement, straight-in inadequate). Read-only.",
    "source": "Ofsted, reports.ofsted.gov.uk",
    "source_url": "https://reports.ofsted.gov.uk",
    "license": "Open Government Licence v3.0",
    "license_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "databases": {
        DB_NAME: {
            "description": "Children's homes are anonymised by Ofsted: they appear by URN, "
                           "type, local authority and owner, never by address.",
            "queries": QUERIES,
            "tables": {
                "providers": {
                    "description": "One row per provider (URN), with the latest details shown "
                                   "on its Ofsted page.",
                    "label_column": "urn",
                    "facets": ["provider_type", "local_authority", "region_name", "owner",
                               "status"],
                    "columns": {
                        "urn": "Unique reference number given by Ofsted",
                        "name": "Name as shown by Ofsted (for a children's home, the owner)",
                        "provider_type": "Type of provider",
                        "local_authority": "Local authority the provider is in",
                        "region": "ONS region code",
                        "region_name": "Region",
                        "owner": "Registered provider: the company, council or charity",
                        "status": "Registration status",
                        "page_url": "The provider's page on reports.ofsted.gov.uk",
                        "latest_report_date": "Date of the latest report Ofsted lists",
                        "registration_date": "Date registered with Ofsted (official "
                                             "statistics)",
                        "places": "Number of places (official statistics)",
                    },
                },
                "reports": {
                    "description": "One row per published report file.",
                    "sort_desc": "publication_date",
                    "facets": ["report_type", "inspection_kind", "overall"],
                    "columns": {
                        "file_id": "Ofsted's file number",
                        "url": "The report PDF on files.ofsted.gov.uk",
                        "inspection_date": "First day of the inspection",
                        "publication_date": "Date Ofsted published the report",
                        "report_type": "Kind of report",
                        "inspection_kind": "Full, interim, monitoring, focused visit...",
                        "overall": "Headline grade",
                        "needs_review": "1 if the grades could not be read with certainty",
                        "extraction": "Everything read from the PDF, as JSON",
                    },
                },
                "judgements": {
                    "description": "One row per graded area of a report.",
                    "facets": ["area", "grade", "scale"],
                    "columns": {
                        "area": "Area judged ('overall' is the headline)",
                        "grade": "Grade given",
                        "scale": "Scale of the grade (four_point, interim, report_card, send...)",
                        "label": "The area's name as printed in the report",
                    },
                },
                "events": {
                    "description": "What ofsted-watch detected, once per report and area.",
                    "sort_desc": "id",
                    "facets": ["kind", "area", "new_grade", "serious"],
                    "columns": {
                        "kind": "downgrade, inadequate, declined, enforcement, upgrade, or "
                                "published (every new report)",
                        "area": "Area (or the kind of enforcement)",
                        "old_grade": "Grade at the previous comparable inspection",
                        "new_grade": "Grade at this inspection",
                        "serious": "1 when the new grade is the worst band, or enforcement "
                                   "stops or limits the setting",
                        "baseline": "1 for history found when the service started (never "
                                    "alerted)",
                        "detected_at": "When ofsted-watch detected it (UTC)",
                    },
                },
            },
        },
    },
}

SETTINGS = {
    "base_url": "/data/",
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 5000,
    "default_page_size": 50,
    "allow_download": False,
    "default_allow_sql": True,
    "num_sql_threads": 2,
}


def _hide_file_names(action, arg1, arg2, database, trigger):
    """SQLite authorizer on every Datasette connection: ``pragma_database_list``'s ``file``
    column — the snapshot's absolute path — reads as null from any SQL typed into ``/data``
    (Datasette allows that pragma function in queries); everything else is allowed."""
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() == "pragma_database_list" \
            and (arg2 or "").lower() == "file":
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


def make_datasette(snapshot: str | Path, base_url: str = "/data/"):
    """A Datasette serving only the snapshot file, read-only, as database ``ofsted``.

    No public URL names where the snapshot lives on the server: ``/-/databases.json`` shows
    no ``path`` (null, as for an in-memory database), and SQL reading
    ``pragma_database_list`` gets a null ``file`` (``tests/test_web_data.py`` fetches every
    page and JSON endpoint that used to carry it)."""
    from datasette.app import Datasette
    from datasette.database import Database

    class PublicDatasette(Datasette):
        def _connected_databases(self):       # /-/databases(.json)
            return [{**d, "path": None} for d in super()._connected_databases()]

    class SnapshotDatabase(Database):
        def connect(self, write=False):
            conn = super().connect(write=write)
            conn.set_authorizer(_hide_file_names)
            return conn

    ds = PublicDatasette(files=[str(snapshot)], metadata=METADATA,
                         settings={**SETTINGS, "base_url": base_url})
    for name in [n for n in ds.databases if n != "_internal"]:
        ds.remove_database(name)
    ds.add_database(SnapshotDatabase(ds, path=str(snapshot), is_mutable=True), name=DB_NAME)
    return ds


class DataApp:
    """ASGI: refresh the snapshot if the source changed (throttled, in a thread), then hand
    the request to Datasette."""

    def __init__(self, keeper: SnapshotKeeper, base_url: str = "/data/"):
        self.keeper = keeper
        self.ds = make_datasette(keeper.out_path, base_url)
        self.asgi = self.ds.app()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await anyio.to_thread.run_sync(self.keeper.refresh_soon)
        await self.asgi(scope, receive, send)


def standalone_app(db_path: str | Path, snapshot: str | Path | None = None):
    """Datasette alone at the root of its own address (``ofsted-watch datasette``), over the
    public snapshot of ``db_path``, with the same security headers as the site."""
    from ..schema import open_db
    from .headers import SecurityHeaders
    from .public import default_path
    open_db(db_path).conn.close()
    keeper = SnapshotKeeper(db_path, snapshot or default_path(db_path))
    keeper.refresh(force=True)
    return SecurityHeaders(DataApp(keeper, base_url="/"), data_prefix="/"), keeper
