"""The public web site through Starlette's TestClient, over a real SQLite file filled by the
project's own write path (tests/web_data.py): pages, search, errors, headers, feeds, CSV/JSON."""
from __future__ import annotations

import csv
import io
import re
import sqlite3
from html import unescape
from html.parser import HTMLParser
from xml.etree import ElementTree

import feedparser
import pytest
import web_data
from starlette.testclient import TestClient

from monitor.web import words
from monitor.web.app import create_app

PUBLIC = "https://watch.example.org"


@pytest.fixture(scope="module")
def site_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "ofsted-watch.db"
    web_data.fill(path)
    return path


@pytest.fixture(scope="module")
def client(site_db):
    app = create_app(site_db, public_url=PUBLIC, datasette=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def text_of(html: str) -> str:
    """The page as a reader hears it: tags out, whitespace folded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


# ---- words and slugs -------------------------------------------------------------------
@pytest.mark.parametrize("raw, urn", [("sc 123456", "SC123456"), ("SC123456", "SC123456"),
                                      (" 2650001 ", "2650001"), ("sc-123456", "SC123456"),
                                      ("staffordshire", None), ("12", None)])
def test_urns_are_normalised(raw, urn):
    assert words.normalise_urn(raw) == urn


def test_slugs_are_stable_lowercase_hyphen():
    assert words.slugify("St. Helens") == "st-helens"
    assert words.slugify("Harmony Childcare Ltd") == "harmony-childcare-ltd"
    assert words.slugify("Brighton & Hove") == "brighton-and-hove"
    assert words.slugify("Children's Homes (UK) Ltd") == "childrens-homes-uk-ltd"
    assert words.slugify(words.slugify("Kingston upon Hull, City of")) == \
        words.slugify("Kingston upon Hull, City of")


# ---- the provider page -----------------------------------------------------------------
def test_provider_page_has_details_grades_timeline_and_chart(client):
    r = client.get("/provider/SC100001")
    assert r.status_code == 200
    html, text = r.text, text_of(r.text)
    assert re.search(r"<h1>Children(&#39;|')s home SC100001</h1>", html)
    assert "West Midlands" in text                               # region code → name
    assert "Harmony Childcare Ltd" in text and 'href="/owner/harmony-childcare-ltd"' in html
    assert 'href="/local-authority/staffordshire"' in html
    assert "Active, registered 1 April 2015" in text and "Places 4" in text
    current = text[text.index("Current grades"):text.index("Every inspection")]
    assert "inadequate" in current and "compliance notice" in current
    timeline = text[text.index("Every inspection"):]
    # newest first, each inspection with its date and grades written out
    assert timeline.index("22 July 2025") < timeline.index("7 March 2023") \
        < timeline.index("14 September 2021")
    assert "outstanding" in timeline and "good" in timeline
    # the arrow is seen; "to" is what a screen reader says
    assert "Downgrade" in timeline and "outstanding → to good" in timeline
    assert "good → to inadequate" in timeline
    assert 'href="https://files.ofsted.gov.uk/v1/file/5006"' in html     # the report PDF
    assert 'href="https://reports.ofsted.gov.uk/provider/44/SC100001"' in html
    # the chart: server-side SVG with words, a shape per grade, a text summary
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "<title" in svg and "requires improvement" in svg
    assert "circle" in svg and "polygon" in svg                   # outstanding ≠ inadequate
    assert "14 September 2021: outstanding; 7 March 2023: good; 22 July 2025: inadequate" in html


def test_provider_urn_is_normalised_and_unknown_one_is_a_helpful_404(client):
    r = client.get("/provider/sc100001", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/provider/SC100001"
    r = client.get("/provider/SC999999")
    assert r.status_code == 404
    assert "SC999999" in r.text and 'action="/search"' in r.text
    assert "Traceback" not in r.text


def test_a_javascript_link_from_the_site_is_never_a_link(client):
    r = client.get("/provider/SC100002")
    assert r.status_code == 200
    assert "javascript:" not in r.text


# ---- search ----------------------------------------------------------------------------
def test_search_a_urn_in_any_spelling_goes_to_its_page(client):
    for q in ("sc 100001", "SC100001", " sc100001 "):
        r = client.get("/search", params={"q": q}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/provider/SC100001"


def test_search_by_local_authority_owner_and_name(client):
    r = client.get("/search", params={"q": "derby"})
    assert 'href="/local-authority/derbyshire"' in r.text
    r = client.get("/search", params={"q": "harmony"})
    assert 'href="/owner/harmony-childcare-ltd"' in r.text
    assert 'href="/provider/SC100001"' in r.text and 'href="/provider/SC100003"' in r.text
    r = client.get("/search", params={"q": "peak care"})
    assert 'href="/owner/peak-care-ltd"' in r.text
    r = client.get("/search", params={"q": "SC123456"})
    assert r.status_code == 200 and "No provider with the URN SC123456" in r.text
    r = client.get("/search", params={"q": "zzzz nothing"})
    assert "0 results" in r.text


# ---- the front page --------------------------------------------------------------------
def test_home_explains_searches_and_lists_serious_news_newest_first(client):
    r = client.get("/")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "Families" in text and "Councils" in text and "Newsrooms" in text
    assert 'action="/search"' in r.text and 'for="q-home"' in r.text
    latest = text[text.index("Latest downgrades"):]
    # newest first: the 2025 stage (SC100001 downgraded, SC100002 straight in) before 2023
    assert latest.index("SC100001") < latest.index("SC100004")
    assert "Downgraded to inadequate, with enforcement" in latest
    assert "Rated inadequate" in latest                           # straight-in inadequate
    assert "SC100003" not in latest                               # an upgrade is not news here
    assert 'href="/subscribe"' in r.text                          # where alerts will be offered


# ---- local authority and owner ---------------------------------------------------------
def test_local_authority_page_lists_providers_counts_and_direction(client):
    r = client.get("/local-authority/derbyshire")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "<h1>Derbyshire</h1>" in r.text
    assert "Children's home SC100003" in text and "Children's home SC100004" in text
    row3 = text[text.index("SC100003"):text.index("SC100003") + 160]
    assert "outstanding" in row3 and "improved" in row3 and "10 June 2025" in row3
    row4 = text[text.index("SC100004"):text.index("SC100004") + 160]
    assert "inadequate" in row4 and "no change" in row4
    counts = dict(re.findall(r'<th scope="row">.*?>([a-z ]+)</span></th><td class="num">(\d+)',
                             r.text))
    assert counts["outstanding"] == "1" and counts["inadequate"] == "1"
    assert "<svg" in r.text and "Providers by current headline grade" in r.text
    assert client.get("/local-authority/DERBYSHIRE").status_code == 200


def test_owner_page_spans_local_authorities(client):
    r = client.get("/owner/harmony-childcare-ltd")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "SC100001" in text and "SC100003" in text and "SC100004" not in text
    assert "Staffordshire" in text and "Derbyshire" in text
    assert "declined" in text                                     # SC100001: good → inadequate


def test_unknown_slug_is_a_helpful_404_with_the_search_box(client):
    for path in ("/local-authority/atlantis", "/owner/nobody-ltd", "/no/such/page"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert 'action="/search"' in r.text and "Traceback" not in r.text


def test_group_indexes_list_every_name(client):
    r = client.get("/local-authority")
    assert 'href="/local-authority/staffordshire"' in r.text
    assert 'href="/local-authority/derbyshire"' in r.text
    assert 'href="/owner/peak-care-ltd"' in client.get("/owner").text


# ---- events ----------------------------------------------------------------------------
def test_events_filter_by_kind_place_owner_type_and_date(client):
    def urns(**params):
        data = client.get("/events.json", params=params).json()["events"]
        return sorted({(e["urn"], e["kind"]) for e in data})

    assert urns(kind="enforcement") == [("SC100001", "enforcement")]
    assert ("SC100003", "upgrade") in urns(local_authority="derbyshire")
    assert all(u == "SC100003" or u == "SC100004"
               for u, _ in urns(local_authority="derbyshire"))
    assert {u for u, _ in urns(owner="Harmony Childcare Ltd")} == {"SC100001", "SC100003"}
    assert urns(type="childrens-home") == urns()
    assert urns(type="fostering-agency") == []
    assert {u for u, _ in urns(since="2025-08-21")} == {"SC100001"}
    assert {u for u, _ in urns(until="2023-12-31")} == {"SC100001", "SC100003", "SC100004"}
    assert {u for u, k in urns(until="2023-12-31") if k != "published"} == {"SC100001",
                                                                             "SC100004"}
    assert urns(kind="published", since="2025-08-01") == [
        ("SC100001", "published"), ("SC100002", "published"), ("SC100003", "published")]
    assert urns(kind=["downgrade", "inadequate"], since="2025-01-01") == [
        ("SC100001", "downgrade"), ("SC100002", "inadequate")]


def test_events_page_shows_filters_and_explains_bad_ones(client):
    r = client.get("/events", params={"kind": ["downgrade", "nonsense"], "since": "31/12/2024"})
    assert r.status_code == 200
    assert "“nonsense” is not a kind of event" in r.text
    assert "“31/12/2024” is not a date" in r.text
    assert '<label for="f-la">Local authority</label>' in r.text
    assert 'value="downgrade" checked' in r.text
    table = r.text[r.text.index("<table"):]
    assert "kind-tag kind-downgrade" in table and "kind-tag kind-enforcement" not in table


def test_events_pages_older_events_by_id(site_db, monkeypatch):
    from monitor.web.views import events
    monkeypatch.setattr(events, "PAGE_SIZE", 3)
    client = TestClient(create_app(site_db, datasette=False, page_cache=False))
    first = client.get("/events")
    older = re.search(r'href="/events\?before=(\d+)"', first.text)
    assert older, "an 'Older events' link"
    ids_first = [e["id"] for e in client.get("/events.json").json()["events"]][:3]
    second = client.get(f"/events?before={older.group(1)}")
    assert second.status_code == 200
    assert int(older.group(1)) == ids_first[-1]


# ---- feeds, CSV and JSON ---------------------------------------------------------------
FEED_PAGES = ["/", "/provider/SC100001", "/local-authority/staffordshire",
              "/owner/harmony-childcare-ltd", "/events", "/events?kind=downgrade"]


@pytest.mark.parametrize("page", FEED_PAGES)
def test_every_list_page_offers_a_valid_atom_feed_csv_and_json(client, page):
    html = client.get(page).text
    found = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" '
                      r'href="([^"]+)">', html)
    assert found, f"{page} has no discoverable feed"
    href = found.group(1).replace("&amp;", "&")
    r = client.get(href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title
    for kind in ("csv", "json"):
        link = re.search(rf'<a href="([^"]+)" type="[^"]*{kind}"', html)
        assert link, f"{page}: no {kind} link"
        assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200


def test_feed_entries_have_stable_ids_and_dates_from_the_data(client):
    a = feedparser.parse(client.get("/events.atom").content)
    b = feedparser.parse(client.get("/events.atom").content)
    assert [e.id for e in a.entries] == [e.id for e in b.entries]
    assert all(re.fullmatch(r"tag:watch\.example\.org,2026:event/\d+", e.id) for e in a.entries)
    assert a.feed.updated == "2025-09-01T13:00:00+00:00"          # latest detected_at
    first = a.entries[0]
    assert first.updated in (web_data.T2, web_data.T2.replace("+00:00", "Z"))
    assert first.link.startswith(PUBLIC + "/provider/")
    # the same report's entry keeps its id in every feed it appears in
    provider = feedparser.parse(client.get("/provider/SC100001.atom").content)
    downgrade = next(e for e in provider.entries if "inadequate" in e.title)
    assert downgrade.id in {e.id for e in a.entries}
    assert downgrade.published.startswith("2025-08-28")


def test_csv_and_json_hold_the_same_rows(client):
    for path in ("/events", "/latest", "/local-authority/derbyshire"):
        rows = list(csv.DictReader(io.StringIO(client.get(f"{path}.csv").text)))
        data = client.get(f"{path}.json").json()
        items = data["providers"] if "providers" in data else data["events"]
        assert len(rows) == len(items) > 0, path
        for row, item in zip(rows, items):
            assert set(row) <= set(item)
            for key, value in row.items():
                expected = item[key]
                if isinstance(expected, bool):
                    expected = str(expected)
                assert value == ("" if expected is None else str(expected)), (path, key)
    rows = list(csv.DictReader(io.StringIO(client.get("/provider/SC100001.csv").text)))
    history = client.get("/provider/SC100001.json").json()
    assert sorted(r["file_id"] for r in rows) == sorted(r["file_id"] for r in history["reports"])


# ---- untrusted text --------------------------------------------------------------------
def test_a_name_with_markup_is_text_everywhere(client):
    pages = ["/", "/provider/SC100002", "/local-authority/staffordshire", "/events",
             "/search?q=bold", "/owner", f"/owner/{words.slugify(web_data.NASTY)}"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        assert "<script>" not in r.text and "<b>Bold</b>" not in r.text, path
    r = client.get(f"/owner/{words.slugify(web_data.NASTY)}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt;" in r.text
    feed = client.get("/events.atom")
    assert b"<script>" not in feed.content
    assert not feedparser.parse(feed.content).bozo
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(feed.content)
    entry = next(e for e in root.iter(f"{atom}entry") if "SC100002" in e.findtext(f"{atom}title"))
    body = entry.findtext(f"{atom}content")          # the HTML a feed reader renders
    assert "<script>" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Bold" in body
    data = client.get("/events.json", params={"owner": web_data.NASTY}).json()["events"]
    assert data and data[0]["owner"] == web_data.NASTY            # data keeps the text as is


def test_the_providers_table_escapes_as_jinja_does(client):
    """The long providers table is built in Python (views/groups.py) for speed: its escaping
    is MarkupSafe's, character for character, and a hostile owner is text in it."""
    from markupsafe import escape

    from monitor.web.render import escape_text
    for text in (web_data.NASTY, "a & b", "<>\"'&amp;", "plain", "", "–é✓", "&#39;"):
        assert escape_text(text) == str(escape(text)), text
    r = client.get("/local-authority/staffordshire")
    row = next(tr for tr in r.text.split("<tr>") if "SC100002" in tr)
    assert "<script>" not in row and "<b>" not in row
    assert (f'<a href="/owner/{words.slugify(web_data.NASTY)}">'
            f'{escape(web_data.NASTY)}</a>') in row


def test_csv_cells_that_a_spreadsheet_would_run_are_defused():
    from monitor.web.exports import csv_response
    body = csv_response([{"a": "=HYPERLINK(\"x\")", "b": "fine"}], ("a", "b"), "x.csv").body
    assert b"'=HYPERLINK" in body


# ---- headers and errors ----------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/provider/SC100001", "/events.atom", "/nope",
                                  "/static/site.css", "/provider/SC100001.json"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]


def test_a_fault_is_a_friendly_500_page_with_headers(tmp_path):
    path = tmp_path / "broken.db"
    web_data.fill(path)
    app = create_app(path, datasette=False)
    with sqlite3.connect(path) as conn:  # a table the events query needs disappears
        conn.execute("alter table events rename to events_gone")
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/events")
    assert r.status_code == 500
    assert "Sorry, something went wrong" in r.text and "Traceback" not in r.text
    assert "events_gone" not in r.text and "OperationalError" not in r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_page_markup_is_accessible_basics(client):
    for path in ("/", "/provider/SC100001", "/local-authority/derbyshire", "/events"):
        html = client.get(path).text
        assert '<html lang="en-GB">' in html and 'name="viewport"' in html
        assert html.count("<h1") == 1, path
        assert 'href="#main"' in html and '<main id="main"' in html
        for field_id in re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', html):
            assert f'for="{field_id}"' in html, f"{path}: #{field_id} has no label"


# ---- the page cache --------------------------------------------------------------------
def test_pages_are_cached_until_the_data_changes_and_answer_if_none_match(tmp_path):
    from conftest import store_provider

    from monitor.schema import open_db
    path = tmp_path / "ofsted-watch.db"
    web_data.fill(path)
    app = create_app(path, datasette=False)
    with TestClient(app) as c:
        first = c.get("/local-authority/derbyshire")
        etag = first.headers["etag"]
        again = c.get("/local-authority/derbyshire", headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["x-frame-options"] == "DENY"
        db = open_db(path)
        store_provider(db, "SC100077", local_authority="Derbyshire")   # the service writes
        db.conn.close()
        fresh = c.get("/local-authority/derbyshire", headers={"if-none-match": etag})
        assert fresh.status_code == 200 and "SC100077" in fresh.text
        assert fresh.headers["etag"] != etag
        assert c.get("/provider/SC100077").status_code == 200
        assert c.get("/provider/SC999999").status_code == 404      # errors are never cached


def test_markup_typed_into_urls_and_search_comes_back_as_text(client):
    for path in ("/provider/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/owner/%3Cb%3Ex",
                 "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
                 "/events?owner=%3Cscript%3E&since=%3Cb%3E"):
        r = client.get(path)
        assert r.status_code in (200, 404), path
        assert "<script>alert" not in r.text and "<b>" not in r.text, path


def test_an_empty_database_gives_pages_that_say_so(tmp_path):
    app = create_app(tmp_path / "new.db", datasette=False)
    with TestClient(app) as c:
        home = c.get("/")
        assert home.status_code == 200 and "Nothing yet" in home.text
        assert c.get("/events").status_code == 200
        assert "None on record yet" in c.get("/local-authority").text
        feed = feedparser.parse(c.get("/events.atom").content)
        assert not feed.bozo and feed.entries == []
        assert feed.feed.updated == "2026-01-01T00:00:00+00:00"      # fixed, not the clock
        assert c.get("/events.json").json()["events"] == []
        assert c.get("/search", params={"q": "anything"}).status_code == 200


class _Structure(HTMLParser):
    """Every element closed in order, no id used twice."""
    VOID = {"meta", "link", "input", "br", "img", "hr", "rect", "circle", "polygon", "line",
            "polyline", "path"}

    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.errors = [], set(), []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs).get("id")
        if found and found in self.ids:
            self.errors.append(f"id {found} twice")
        self.ids.add(found)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


@pytest.mark.parametrize("path", ["/", "/provider/SC100001", "/provider/SC100002",
                                  "/local-authority/derbyshire", "/owner/harmony-childcare-ltd",
                                  "/events", "/events?kind=zzz&since=x", "/search?q=harm",
                                  "/local-authority", "/subscribe?urn=SC100001", "/nope"])
def test_pages_are_well_formed(client, path):
    parser = _Structure()
    parser.feed(client.get(path).text)
    parser.close()
    assert parser.errors == [] and parser.stack == []


def test_cached_pages_travel_gzipped_to_clients_that_accept_it(client):
    plain = client.get("/local-authority/staffordshire", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = client.get("/local-authority/staffordshire", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.text == plain.text                       # httpx unzipped it: same page
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert zipped.headers["etag"] != plain.headers["etag"]
    again = client.get("/local-authority/staffordshire", headers={
        "accept-encoding": "gzip", "if-none-match": zipped.headers["etag"]})
    assert again.status_code == 304


def test_a_response_for_one_visitor_is_never_cached():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from monitor.web.cache import PageCache

    class Version:
        def stamp(self):
            return 1

    served = []

    def form(request):
        served.append(1)
        response = PlainTextResponse(f"token {len(served)}")
        response.set_cookie("csrf", f"c{len(served)}")
        return response

    def private(request):
        served.append(1)
        return PlainTextResponse(f"yours {len(served)}", headers={"cache-control": "no-store"})

    def public(request):
        served.append(1)
        return PlainTextResponse(f"public {len(served)}")

    app = PageCache(Starlette(routes=[Route("/form", form), Route("/private", private),
                                      Route("/public", public)]), Version())
    with TestClient(app) as c:
        assert c.get("/form").text != c.get("/form").text          # a fresh token each time
        assert c.get("/private").text != c.get("/private").text
        assert c.get("/public").text == c.get("/public").text       # kept: rendered once
