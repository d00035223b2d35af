"""Spider callbacks called directly with saved pages: no reactor, no network."""
import asyncio
import re
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler import markup
from crawler.items import FailureItem, ProviderItem, ReportItem
from crawler.middlewares import retry_after_seconds
from extract.places import la_code, region_code, region_for
from crawler.scope import BadScope, parse_scope
from crawler.replica.pages import TEMPLATE
from crawler.spiders.reports import ReportsSpider, fetched_after_day, is_current

FILES = Path(__file__).parent / "files"
#: the real saved results page: one copy, the replica's template (crawler/replica/)
REAL_PAGE = TEMPLATE
PDFS = Path(__file__).parent / "fixtures" / "reports"
REAL_URL = ("https://reports.ofsted.gov.uk/search?q=&location=Folkestone%2C+UK&lat=51.081397"
            "&lon=1.169456&radius=10&level_1_types=1&level_2_types%5B0%5D=1"
            "&local_authority%5B0%5D=886&status%5B0%5D=1&start=0&rows=1000")
PROVIDER_URL = "https://reports.ofsted.gov.uk/provider/2/2519823"


def html_response(name: str, url: str, body: str | None = None, *, request=None):
    path = REAL_PAGE if name == REAL_PAGE.name else FILES / name
    body = body if body is not None else path.read_text(encoding="utf-8")
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", request=request)


def run(output):
    """A callback's output as a list: the page callbacks are async generators (their lookups may
    answer later), the others plain ones."""
    if not hasattr(output, "__aiter__"):
        return list(output)

    async def drain():
        return [o async for o in output]
    return asyncio.run(drain())


def split(output):
    output = run(output)
    items = [o for o in output if not isinstance(o, Request)]
    requests = [o for o in output if isinstance(o, Request)]
    return items, requests


# ---- the real saved results page -----------------------------------------------------------
def test_real_results_page_gives_every_provider_with_its_fields():
    spider = ReportsSpider(backfill=True)
    output = run(spider.parse_results(html_response("search-results-2023-11.html", REAL_URL)))
    items, requests = split(output)
    assert items == []
    assert len(requests) == 61            # the count on the page, each a provider page request
    first = requests[0]
    assert first.url == "https://reports.ofsted.gov.uk/provider/21/139309"
    assert first.callback == spider.parse_provider
    listing = first.cb_kwargs["listing"]
    assert listing == {"urn": "139309", "name": "Christ Church Cep Academy, Folkestone",
                       "category": "Primary", "rating": "Good",
                       "latest_report_date": "2023-01-23", "page_url": first.url,
                       "address": "Brockman Road, Folkestone, Kent, CT20 1DJ"}
    names = [r.cb_kwargs["listing"]["name"] for r in requests]
    assert "St Eanswythe's Church of England Primary School" in names      # &#039; unescaped
    assert "Folkestone Primary" in names                                   # trailing space gone
    unrated = next(r.cb_kwargs["listing"] for r in requests
                   if r.cb_kwargs["listing"]["urn"] == "141629")
    assert unrated["rating"] is None and unrated["latest_report_date"] == "2023-09-15"


def test_incremental_listing_skips_providers_already_up_to_date():
    # listed: 139309 latest 2023-01-23, 141629 latest 2023-09-15, 135510 newer than 2020
    known = {"139309": ("2023-01-23", "2023-01-25T09:00:00+00:00"),   # fetched days after
             "141629": ("2023-09-15", "2023-09-15T16:00:00+00:00"),   # fetched that same day
             "135510": ("2020-01-01", "2020-01-02T09:00:00+00:00")}
    asked = []

    def known_latest(urns):
        asked.append(list(urns))
        return known
    spider = ReportsSpider(since="2023-01-01", known_latest=known_latest)
    _, requests = split(spider.parse_results(
        html_response("search-results-2023-11.html", REAL_URL)))
    urns = {r.cb_kwargs["listing"]["urn"] for r in requests}
    assert "139309" not in urns           # stored latest report is the one listed, page seen after
    assert "141629" in urns               # same day, but a second report that day lists the same
    assert "135510" in urns               # listed report is newer than the stored one
    assert len(urns) == 60
    assert len(asked) == 1 and len(asked[0]) == 61      # asked once for the whole page


def test_lookups_may_answer_later_and_are_not_asked_in_a_backfill():
    asked = []

    async def known_latest(urns):
        asked.append(list(urns))
        await asyncio.sleep(0)
        return {"139309": ("2023-01-23", "2023-02-01T00:00:00+00:00")}
    spider = ReportsSpider(since="2023-01-01", known_latest=known_latest)
    _, requests = split(spider.parse_results(
        html_response("search-results-2023-11.html", REAL_URL)))
    assert len(requests) == 60 and len(asked) == 1
    spider = ReportsSpider(backfill=True, known_latest=known_latest)
    _, requests = split(spider.parse_results(
        html_response("search-results-2023-11.html", REAL_URL)))
    assert len(requests) == 61 and len(asked) == 1       # a backfill fetches every page anyway


@pytest.mark.parametrize("fetched_at, after", [
    # 2024-07-01 is in summer time: the UK day ends at 23:00 UTC, settled an hour later
    ("2024-07-01T22:59:59+00:00", False),
    ("2024-07-01T23:30:00+00:00", False),        # already 2 July in the UK, but not settled
    ("2024-07-02T00:00:00+00:00", True),
    ("2024-07-02T00:30:00+01:00", False),        # the same instant as 23:30 UTC
    ("2024-07-02T00:00:00", True),               # no offset: UTC
    ("2024-07-03T09:00:00+00:00", True),
    ("2024-06-30T12:00:00+00:00", False),
    (None, False), ("yesterday", False),
])
def test_a_page_counts_as_fetched_after_a_uk_day_only_once_it_had_settled(fetched_at, after):
    assert fetched_after_day(fetched_at, "2024-07-01") is after


def test_when_a_stored_provider_is_current():
    winter_day = "2024-12-02"                     # GMT: the day ends at midnight UTC
    assert not fetched_after_day("2024-12-03T00:30:00+00:00", winter_day)
    assert fetched_after_day("2024-12-03T01:00:00+00:00", winter_day)
    assert is_current("2024-12-02", ("2024-12-05", "2024-12-05T09:00:00+00:00"))   # later kept
    assert is_current("2024-12-02", ("2024-12-02", "2024-12-04T09:00:00+00:00"))
    assert not is_current("2024-12-02", ("2024-12-02", "2024-12-02T15:00:00+00:00"))
    assert not is_current("2024-12-02", ("2024-12-01", "2024-12-04T09:00:00+00:00"))
    assert not is_current("2024-12-02", "2024-12-02")      # fetched when: unknown
    assert is_current("2024-12-02", "2024-12-03")
    assert not is_current("2024-12-02", None) and not is_current(None, ("2024-12-02", None))
    assert not is_current("2024-12-02", (None, "2024-12-04T09:00:00+00:00"))


def test_work_owed_asks_for_its_files_once():
    owed = [{"kind": "file", "urn": "1", "data": {"file_id": "7", "url": "http://x/v1/file/7"}},
            {"kind": "file", "urn": "1", "data": {"file_id": "8", "url": "http://x/v1/file/8"}},
            {"kind": "provider", "urn": "2", "data": {"listing": dict(LISTING, urn="2")}}]
    asked = []

    def have_file(file_ids):
        asked.append(list(file_ids))
        return {"7"}
    spider = ReportsSpider("http://x", pending=owed, have_file=have_file)
    requests = run(spider.start())
    assert [r.url for r in requests] == ["http://x/v1/file/8", PROVIDER_URL, spider.search_url(0)]
    assert asked == [["7", "8"]]


def test_search_url_carries_scope_dates_sort_and_paging():
    _, params = parse_scope("childrens-homes,la:Kent,region:south-east")
    spider = ReportsSpider("http://127.0.0.1:9", since="2025-04-25", until="2025-04-28",
                           scope_params=params)
    url = spider.search_url(200)
    assert url.startswith("http://127.0.0.1:9/search?q=&level_1_types=3&level_2_types=11")
    for part in ("local_authority%5B%5D=886", "region%5B%5D=E12000008",
                 "latest_report_date_start=25-04-2025", "latest_report_date_end=28-04-2025",
                 "sort=date", "order=desc", "start=200", "rows=100"):
        assert part in url


def test_full_page_asks_for_the_next_one():
    real = REAL_PAGE.read_text(encoding="utf-8")
    page = real.replace('js-results-count">61<', 'js-results-count">250<')
    spider = ReportsSpider()
    _, requests = split(spider.parse_results(html_response("", REAL_URL, page), start=100))
    nxt = [r for r in requests if r.callback == spider.parse_results]
    assert len(nxt) == 1 and nxt[0].cb_kwargs == {"start": 200}


def test_results_page_without_the_count_fails_loudly():
    real = REAL_PAGE.read_text(encoding="utf-8")
    changed = real.replace("results-count js-results-count", "result-total")
    with pytest.raises(CloseSpider) as stopped:
        run(ReportsSpider().parse_results(html_response("", REAL_URL, changed)))
    assert re.search("markup changed.*results count", stopped.value.reason)


def test_results_count_without_items_fails_loudly():
    real = REAL_PAGE.read_text(encoding="utf-8")
    changed = real.replace('class="search-result"', 'class="result-card"')
    with pytest.raises(CloseSpider) as stopped:
        run(ReportsSpider().parse_results(html_response("", REAL_URL, changed)))
    assert re.search("61 results but no", stopped.value.reason)


def test_no_results_in_a_full_walk_fails_loudly():
    real = REAL_PAGE.read_text(encoding="utf-8")
    start, end = real.index('<ul class="results-list'), real.index('<div class="results-map">')
    empty = (real[:start] + '<ul class="results-list list-unstyled">\n  </ul>\n          '
             + real[end:]).replace('js-results-count">61<', 'js-results-count">0<')
    with pytest.raises(CloseSpider) as stopped:
        run(ReportsSpider().parse_results(html_response("", REAL_URL, empty)))
    assert re.search("no results where there must be some", stopped.value.reason)
    # an incremental window with nothing new is normal
    assert run(ReportsSpider(since="2026-01-01").parse_results(
        html_response("", REAL_URL, empty))) == []


# ---- provider page ---------------------------------------------------------------------------
LISTING = {"urn": "2519823", "name": "2519823", "category": "Children's home", "rating": None,
           "latest_report_date": "2024-11-12", "page_url": PROVIDER_URL, "address": None}


def test_provider_page_gives_provider_and_only_unstored_pdfs():
    spider = ReportsSpider(have_file=lambda file_ids: {"50190011"})
    items, requests = split(spider.parse_provider(
        html_response("provider-childrens-home.html", PROVIDER_URL), listing=LISTING))
    assert len(items) == 1 and isinstance(items[0], ProviderItem)
    provider = items[0]
    assert provider.urn == "2519823" and provider.provider_type == "Children's home"
    assert provider.local_authority == "Bristol, City of"
    assert provider.region == "E12000009"           # South West, from the LA table
    assert provider.status == "Open" and provider.latest_report_date == "2024-11-12"
    # listed twice on the page, requested once; the stored one not requested
    assert [r.url for r in requests] == ["https://files.ofsted.gov.uk/v1/file/50273419",
                                         "https://files.ofsted.gov.uk/v1/file/50223346"]
    assert all(r.meta.get("dont_cache") for r in requests)     # PDFs bypass the HTTP cache
    report = requests[0].cb_kwargs["report"]
    assert report == {"file_id": "50273419", "url": requests[0].url, "title": "Full inspection",
                      "inspection_date": "2024-10-08", "publication_date": "2024-11-12"}
    assert [m["file_id"] for m in provider.missing] == ["50273419", "50223346"]


def test_undated_report_and_status_events():
    info = markup.parse_provider((FILES / "provider-childrens-home.html").read_text(),
                                 PROVIDER_URL)
    assert [r["file_id"] for r in info["reports"]] == ["50273419", "50223346", "50190011"]
    assert info["reports"][2]["publication_date"] is None        # "Interim inspection, pdf"
    assert info["reports"][2]["title"] == "Interim inspection"


def test_provider_with_no_reports_is_fine():
    items, requests = split(ReportsSpider().parse_provider(
        html_response("provider-no-reports.html", "https://reports.ofsted.gov.uk/provider/2/1"),
        listing=dict(LISTING, urn="2790999", latest_report_date=None)))
    assert requests == [] and items[0].missing == [] and items[0].region == "E12000003"


def test_provider_page_without_timeline_fails_loudly():
    page = (FILES / "provider-childrens-home.html").read_text().replace(
        '<ol class="timeline">', '<ol class="history">')
    with pytest.raises(CloseSpider) as stopped:
        run(ReportsSpider().parse_provider(html_response("", PROVIDER_URL, page),
                                           listing=LISTING))
    assert re.search("neither a report timeline", stopped.value.reason)


# ---- PDFs and failures -----------------------------------------------------------------------
REPORT = {"file_id": "7", "url": "https://files.ofsted.gov.uk/v1/file/7", "title": "Full",
          "inspection_date": "2024-10-08", "publication_date": "2024-11-12"}


def pdf_response(body: bytes, content_type=b"application/pdf"):
    request = Request(REPORT["url"])
    return Response(REPORT["url"], body=body, headers={"Content-Type": content_type},
                    request=request)


def test_whole_pdf_becomes_a_report_item():
    data = (PDFS / "childrens-home_2519823_2024-10-08_full.pdf").read_bytes()
    (item,) = ReportsSpider().parse_pdf(pdf_response(data), urn="2519823", report=REPORT)
    assert isinstance(item, ReportItem) and item.body == data and item.file_id == "7"


@pytest.mark.parametrize("body, reason", [
    (b"<!DOCTYPE html><html><body>Page not found</body></html>", "not a PDF"),
    (None, "truncated PDF"),
])
def test_html_or_truncated_pdf_is_retried_once_then_recorded(body, reason):
    if body is None:
        data = (PDFS / "childrens-home_2519823_2024-10-08_full.pdf").read_bytes()
        body = data[: len(data) // 2]
    spider = ReportsSpider.from_crawler(get_crawler(ReportsSpider))
    (retry,) = spider.parse_pdf(pdf_response(body), urn="2519823", report=REPORT)
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    again = Response(REPORT["url"], body=body, request=retry)
    (failure,) = spider.parse_pdf(again, urn="2519823", report=REPORT)
    assert isinstance(failure, FailureItem) and reason in failure.reason
    assert failure.kind == "file" and failure.data == REPORT


def test_errback_records_url_reason_and_what_to_retry():
    spider = ReportsSpider()
    request = spider.provider_request(LISTING)
    response = HtmlResponse(PROVIDER_URL, status=404, body=b"<h1>Page not found</h1>",
                            request=request)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request
    (item,) = spider.failed(failure)
    assert item == FailureItem(url=PROVIDER_URL, reason="HTTP 404", kind="provider",
                               urn="2519823", data={"listing": LISTING})


def test_failed_search_page_stops_the_run():
    spider = ReportsSpider()
    request = spider.listing_request(0)
    response = HtmlResponse(request.url, status=503, body=b"", request=request)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request
    out = spider.failed(failure)
    assert next(out).kind == "listing"
    with pytest.raises(CloseSpider) as stopped:
        next(out)
    assert re.search("search page failed", stopped.value.reason)


# ---- small pieces ----------------------------------------------------------------------------
def test_scope_parsing():
    assert parse_scope(None) == ("social-care", [("level_1_types", "3")])
    assert parse_scope("schools,region:London,la:Camden")[0] == "schools,la:202,region:E12000007"
    assert parse_scope("all")[1] == []
    for bad in ("hospitals", "la:Atlantis", "region:Wales", "schools,early-years", "x:y"):
        with pytest.raises(BadScope):
            parse_scope(bad)


def test_regions_are_right_or_empty():
    assert region_for("Kent") == "E12000008"
    assert region_for("Bristol, City of") == "E12000009"
    assert region_for("County Durham") == "E12000001"
    assert region_for("Barking and Dagenham") == "E12000007"
    assert region_for("Cumbria") == "E12000002"
    assert region_for("Isle of Man") is None and region_for(None) is None
    assert la_code("kent") == "886" and region_code("Yorkshire and The Humber") == "E12000003"


def test_retry_after_header_forms():
    assert retry_after_seconds(b"3") == 3.0
    assert retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT") == 0.0     # in the past
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None


def test_provider_page_behind_its_listing_is_not_marked_current():
    ahead = dict(LISTING, latest_report_date="2024-12-01")   # the page does not show it yet
    items, _ = split(ReportsSpider().parse_provider(
        html_response("provider-childrens-home.html", PROVIDER_URL), listing=ahead))
    assert items[0].latest_report_date == "2024-11-12"
    # so the next run looks again, however long after the page was fetched
    assert not is_current(ahead["latest_report_date"], ("2024-11-12", "2024-12-20T09:00:00+00:00"))


def test_when_an_empty_search_is_an_error():
    from datetime import date, timedelta

    from monitor.crawl import expects_results
    long_ago = (date.today() - timedelta(days=30)).isoformat()
    recent = (date.today() - timedelta(days=3)).isoformat()
    assert expects_results("social-care", None)                 # a full walk
    assert expects_results("social-care", long_ago)             # a month with nothing: wrong
    assert not expects_results("social-care", recent)           # a quiet weekend is normal
    assert not expects_results("childrens-homes,la:886", long_ago)   # narrow scopes go quiet
    assert ReportsSpider(since=recent).expect_results is False
    assert ReportsSpider(since=recent, expect_results=True).expect_results is True
