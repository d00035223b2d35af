"""``/data``: Datasette over the public snapshot. Subscriber data must be unreachable from every
public URL, Datasette's SQL included; the snapshot holds the public history only."""
from __future__ import annotations

import re
import sqlite3
from urllib.parse import quote

import pytest
import web_data
from starlette.testclient import TestClient

from monitor.web.app import create_app
from monitor.web.public import write_snapshot

SECRETS = (web_data.SECRET_PASSWORD, web_data.SECRET_ADDRESS, "smtp.example.org", "mailtos://")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    db_path = folder / "ofsted-watch.db"
    web_data.fill(db_path)
    app = create_app(db_path, public_url="https://watch.example.org", snapshot_interval=0,
                     snapshot_background=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, db_path, folder / "ofsted-watch.public.db"


def sql(client, query: str):
    return client.get(f"/data/ofsted.json?sql={quote(query)}&_shape=array")


def assert_no_secret(response, where: str):
    body = response.content.decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in body, f"{where} shows {secret!r}"


def test_the_snapshot_holds_public_tables_and_columns_only(site):
    _, db_path, snapshot = site
    conn = sqlite3.connect(snapshot)
    tables = {row[0] for row in conn.execute(
        "select name from sqlite_master where type in ('table', 'view') "
        "and name not like 'sqlite_%'")}
    assert tables == {"providers", "reports", "judgements", "events"}
    assert "path" not in {row[1] for row in conn.execute("pragma table_info(reports)")}
    assert "enqueued_at" not in {row[1] for row in conn.execute("pragma table_info(events)")}
    assert conn.execute("select count(*) from events").fetchone()[0] == \
        sqlite3.connect(db_path).execute("select count(*) from events").fetchone()[0]
    data = snapshot.read_bytes()
    for secret in SECRETS:
        assert secret.encode() not in data
    conn.close()


def test_datasette_serves_labelled_tables_facets_and_canned_queries(site):
    client, _, _ = site
    r = client.get("/data/ofsted/providers")
    assert r.status_code == 200
    assert "Registered provider: the company, council or charity" in r.text   # labelled column
    assert "local_authority" in r.text and "facet" in r.text.lower()
    rows = client.get("/data/ofsted/providers.json?_shape=array").json()
    assert {p["urn"] for p in rows} == {"SC100001", "SC100002", "SC100003", "SC100004"}
    assert {p["region_name"] for p in rows} == {"West Midlands", "East Midlands"}
    twice = client.get("/data/ofsted/homes_inadequate_twice_in_a_row.json?_shape=array").json()
    assert [row["urn"] for row in twice] == ["SC100004"]
    owners = client.get("/data/ofsted/owners_by_inadequate_homes.json?_shape=array").json()
    assert {row["owner"]: row["homes_rated_inadequate"] for row in owners} == {
        "Harmony Childcare Ltd": 1, "Peak Care Ltd": 1, web_data.NASTY: 1}
    week = client.get("/data/ofsted/downgrades_this_week.json?_shape=array")
    assert week.status_code == 200 and week.json() == []          # 2025 is not this week
    assert client.get("/data/ofsted/downgrades_this_week").status_code == 200


@pytest.mark.parametrize("query, refusal", [
    ("select * from subscriptions", "no such table: subscriptions"),
    ("select * from deliveries", "no such table: deliveries"),
    ("select * from main.subscriptions", "no such table: main.subscriptions"),
    ("select notify_url from subscriptions union select 1", "no such table: subscriptions"),
    ("select * from crawl_runs", "no such table: crawl_runs"),
    ("attach database 'ofsted-watch.db' as private", "Statement must be a SELECT"),
    ("select * from pragma_database_list", None),
    ("select name, sql from sqlite_master", None),
])
def test_sql_cannot_reach_subscriber_data(site, query, refusal):
    client, _, _ = site
    r = sql(client, query)
    assert_no_secret(r, query)
    if refusal:
        assert r.status_code == 400 and refusal in r.text
    else:  # what the SQL can see: the snapshot, and only public tables
        assert r.status_code == 200
        assert "subscriptions" not in r.text and "deliveries" not in r.text
        assert "ofsted-watch.db" not in r.text.replace("ofsted-watch.public.db", "")


def test_no_public_url_shows_a_secret(site):
    client, _, _ = site
    urls = ["/", "/events", "/events.json", "/events.csv", "/events.atom", "/latest.json",
            "/provider/SC100001", "/provider/SC100001.json", "/provider/SC100001.csv",
            "/provider/SC100001.atom", "/local-authority/staffordshire.json", "/owner",
            "/owner/harmony-childcare-ltd.json", "/subscribe?urn=SC100001",
            "/search?q=private", "/search?q=example.net", "/data/", "/data/ofsted",
            "/data/ofsted.json", "/data/-/databases.json", "/data/-/metadata.json",
            "/data/-/settings.json", "/data/-/versions.json", "/data/-/plugins.json",
            "/data/ofsted/events.json", "/data/ofsted/reports.json",
            "/data/ofsted/subscriptions", "/data/ofsted/deliveries.json",
            "/data/_internal", "/data/_internal.json?sql=select+*+from+tables",
            "/data/_memory.json?sql=select+1", "/data/ofsted.db", "/static/../ofsted-watch.db",
            "/data/-/static/../../ofsted-watch.db"]
    for url in urls:
        r = client.get(url)
        assert_no_secret(r, url)
        assert r.status_code < 500, url
    assert client.get("/data/ofsted/subscriptions").status_code == 404
    assert client.get("/data/_internal").status_code in (403, 404)
    assert client.get("/data/ofsted.db").status_code in (403, 404)      # no file download
    databases = client.get("/data/-/databases.json").json()
    assert [d["name"] for d in databases] == ["ofsted"]
    assert all(d["path"] is None for d in databases)      # no server path: see below


def test_no_public_url_shows_where_the_snapshot_lives(site):
    """Neither the snapshot's absolute path nor its folder appears under /data: not in
    Datasette's JSON (/-/databases.json used to carry the path), not in its pages, not through
    the pragma_database_list SQL Datasette allows."""
    client, db_path, snapshot = site
    assert snapshot.exists()
    folders = {str(snapshot.parent), str(snapshot.parent.resolve()), str(snapshot.resolve())}
    where = quote("select * from pragma_database_list")
    urls = ["/data/", "/data/.json", "/data/-/databases.json", "/data/-/databases",
            "/data/-/metadata.json", "/data/-/metadata", "/data/-/settings.json",
            "/data/-/versions.json", "/data/-/plugins.json?all=1", "/data/-/threads.json",
            "/data/-/actor.json", "/data/ofsted", "/data/ofsted.json", "/data/ofsted/providers",
            "/data/ofsted/providers.json", "/data/ofsted/reports.json?_shape=array",
            "/data/ofsted/downgrades_this_week", "/data/ofsted/downgrades_this_week.json",
            f"/data/ofsted.json?sql={where}", f"/data/ofsted?sql={where}",
            f"/data/ofsted.json?sql={where}&_shape=array",
            "/data/ofsted.json?sql=" + quote("select file from pragma_database_list()"),
            "/data/ofsted.json?sql=" + quote(
                "with d as (select * from pragma_database_list) select file || '' as f from d"),
            "/data/ofsted.json?sql=" + quote("select * from no_such_table"),
            "/data/_internal.json?sql=" + quote("select * from databases"),
            "/data/_internal/databases.json", "/data/ofsted.db", "/data/no-such-database"]
    for url in urls:
        r = client.get(url)
        assert r.status_code < 500, url
        body = r.content.decode("utf-8", "replace")
        for folder in folders:
            assert folder not in body, f"{url} shows {folder}"
            assert quote(folder) not in body and folder.replace("/", "\\/") not in body, url
    databases = client.get("/data/-/databases.json").json()
    assert [(d["name"], d["path"]) for d in databases] == [("ofsted", None)]
    rows = sql(client, "select seq, name, file from pragma_database_list").json()
    assert rows == [{"seq": 0, "name": "main", "file": None}]
    # the data itself is still there
    assert sql(client, "select count(*) as n from providers").json()[0]["n"] >= 4


def test_data_pages_carry_security_headers(site):
    client, _, _ = site
    r = client.get("/data/ofsted/events")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/data", follow_redirects=False).headers["location"] == "/data/"


def test_the_snapshot_follows_the_source_database(site):
    client, db_path, _ = site
    before = sql(client, "select count(*) as n from providers").json()[0]["n"]
    from conftest import store_provider

    from monitor.schema import open_db
    db = open_db(db_path)
    store_provider(db, "SC100099", local_authority="Cumbria")
    db.conn.close()
    after = sql(client, "select count(*) as n from providers").json()[0]["n"]
    assert after == before + 1


def test_write_snapshot_replaces_an_existing_file_consistently(tmp_path):
    source = tmp_path / "src.db"
    web_data.fill(source)
    out = tmp_path / "public.db"
    write_snapshot(source, out)
    reader = sqlite3.connect(out)            # a reader holding the old snapshot open
    assert reader.execute("select count(*) from providers").fetchone()[0] == 4
    with sqlite3.connect(source) as conn:
        conn.execute("delete from events")
    write_snapshot(source, out)
    assert reader.execute("select count(*) from events").fetchone()[0] == 0
    assert reader.execute("select count(*) from providers").fetchone()[0] == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".public-")]
    reader.close()
    with pytest.raises(FileNotFoundError):
        write_snapshot(tmp_path / "missing.db", out)


def test_datasette_escapes_untrusted_names(site):
    client, _, _ = site
    r = client.get("/data/ofsted/providers/SC100002")
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text
    assert not re.search(r"<b>Bold</b>", r.text)


def test_datasette_alone_serves_the_snapshot_with_the_same_headers(tmp_path):
    from monitor.web.data import standalone_app
    db_path = tmp_path / "ofsted-watch.db"
    web_data.fill(db_path)
    app, keeper = standalone_app(db_path, tmp_path / "public.db")
    assert keeper.out_path == tmp_path / "public.db"
    with TestClient(app) as client:
        r = client.get("/ofsted/providers.json?_shape=array")
        assert r.status_code == 200 and len(r.json()) == 4
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        r = client.get(f"/ofsted.json?sql={quote('select * from subscriptions')}")
        assert r.status_code == 400
        assert_no_secret(r, "standalone SQL")
        for url in ("/-/databases.json", "/", "/ofsted",
                    f"/ofsted.json?sql={quote('select * from pragma_database_list')}"):
            assert str(tmp_path) not in client.get(url).text, url


def test_a_stale_snapshot_is_rewritten_in_the_background(tmp_path):
    import time

    from conftest import store_provider

    from monitor.schema import open_db
    from monitor.web.public import SnapshotKeeper
    db_path = tmp_path / "ofsted-watch.db"
    web_data.fill(db_path)
    keeper = SnapshotKeeper(db_path, tmp_path / "public.db", interval=0)
    keeper.refresh_soon()                       # no snapshot yet: written there and then
    count = "select count(*) from providers"
    assert sqlite3.connect(keeper.out_path).execute(count).fetchone()[0] == 4
    db = open_db(db_path)
    store_provider(db, "SC100098")
    db.conn.close()
    keeper.refresh_soon()                       # returns at once; a thread rewrites it
    deadline = time.monotonic() + 20
    while sqlite3.connect(keeper.out_path).execute(count).fetchone()[0] != 5:
        assert time.monotonic() < deadline, "the snapshot was not refreshed"
        time.sleep(0.05)
