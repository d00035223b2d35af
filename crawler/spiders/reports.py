"""search results → provider pages → report PDFs (SITE.md).

Incremental by default: the search asks only for providers whose latest report was published
since ``since`` (newest first, 100 a page), a provider page is fetched unless what is stored is
certainly current (``is_current``: a later report stored, or one of the same day with the page
fetched after that UK day ended, since a second report of the same day lists the same date), and
a PDF only when its file id is not stored. ``since=None`` walks every provider in scope;
``backfill=True`` also fetches every provider page.

Callbacks are pure: they read the response and two lookups and yield items and requests, so
tests call them with saved pages. Each lookup is asked once per page, for the whole page:

- ``known_latest(urns)`` → a mapping urn → ``(latest_report_date, fetched_at)`` for the providers
  stored (``fetched_at``: when the provider page was last stored, ISO, UTC); a bare date means
  "fetched at an unknown time";
- ``have_file(file_ids)`` → the ones among ``file_ids`` already stored (any container).

A lookup may answer at once (a plain function, as tests pass) or with an awaitable (the monitor's,
answered in a thread that owns its own SQLite connection, so the reactor never waits on the
database).
"""
from __future__ import annotations

import inspect
import re
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from extract import places

from .. import markup
from ..pdfcheck import looks_like_pdf
from ..items import FailureItem, ProviderItem, ReportItem

ROWS = 100                    # the live site caps rows at 100
FILE_HOSTS = ["files.ofsted.gov.uk", "files.api.ofsted.gov.uk"]
#: publication dates are UK dates
UK = ZoneInfo("Europe/London")
#: a provider page stored this long after a UK day ended shows every report published that day
#: (the stamp is taken when the page is stored, a moment after it was fetched; the site's own
#: caches may lag a little)
SETTLE = timedelta(hours=1)


def _dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d-%m-%Y")


def fetched_after_day(fetched_at: str | None, day: str) -> bool:
    """Whether a page stored at ``fetched_at`` (ISO; UTC unless it says otherwise) was fetched
    after the UK day ``day`` (ISO date) had ended, with ``SETTLE`` to spare: only then can no
    report published that day be missing from it."""
    if not fetched_at or not day:
        return False
    try:
        stamp = datetime.fromisoformat(fetched_at)
        ended = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), UK)
    except ValueError:
        return False
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp >= ended + SETTLE


def is_current(listed: str | None, known) -> bool:
    """Whether a provider whose listing shows its latest report published ``listed`` can be left
    alone: ``known`` (``(latest_report_date, fetched_at)`` or a bare date, or None) is what is
    stored. Only when nothing new can be listed: the stored latest report is later than the
    listed one, or the same day and the page was fetched after that day ended — a second report
    published the same day as the one stored has the same date in the listing."""
    if not listed or not known:
        return False
    latest, fetched_at = (known, None) if isinstance(known, str) else known
    if not latest:
        return False
    return latest > listed or (latest == listed and fetched_after_day(fetched_at, listed))


async def _answer(lookup, arg):
    """A lookup's answer, whether it gives it at once or as an awaitable."""
    answer = lookup(arg)
    if inspect.isawaitable(answer):
        answer = await answer
    return answer


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, base_url: str = "https://reports.ofsted.gov.uk", *,
                 since: str | None = None, until: str | None = None, backfill: bool = False,
                 scope_params: list | None = None, known_latest=None, have_file=None,
                 pending=(), expect_results: bool | None = None, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.since = since
        self.until = until
        self.backfill = bool(backfill)
        self.scope_params = list(scope_params if scope_params is not None
                                 else [("level_1_types", "3")])
        self.known_latest = known_latest or (lambda urns: {})
        self.have_file = have_file or (lambda file_ids: ())
        self.pending = pending
        #: an empty listing is an error (default: when walking everything)
        self.expect_results = (not since) if expect_results is None else expect_results
        self.allowed_domains = [urlsplit(self.base_url).hostname] + FILE_HOSTS

    # ---- requests ----------------------------------------------------------------------------
    def search_url(self, start: int) -> str:
        params = [("q", "")] + self.scope_params
        if self.since:
            params.append(("latest_report_date_start", _dmy(self.since)))
            params.append(("latest_report_date_end",
                           _dmy(self.until or date.today().isoformat())))
        params += [("sort", "date"), ("order", "desc"), ("start", str(start)),
                   ("rows", str(ROWS))]
        return f"{self.base_url}/search?{urlencode(params)}"

    def listing_request(self, start: int) -> scrapy.Request:
        return scrapy.Request(self.search_url(start), callback=self.parse_results,
                              errback=self.failed, cb_kwargs={"start": start})

    def provider_request(self, listing: dict) -> scrapy.Request:
        return scrapy.Request(listing["page_url"], callback=self.parse_provider,
                              errback=self.failed, cb_kwargs={"listing": listing}, priority=10)

    def pdf_request(self, urn: str, report: dict) -> scrapy.Request:
        # PDFs never go through the HTTP cache (dont_cache is Scrapy's own switch)
        return scrapy.Request(report["url"], callback=self.parse_pdf, errback=self.failed,
                              cb_kwargs={"urn": urn, "report": report}, priority=20,
                              meta={"dont_cache": True})

    async def start(self):
        owed = list(self.pending)             # work owed by earlier runs
        files = [row["data"].get("file_id", "") for row in owed if row["kind"] == "file"]
        stored = await _answer(self.have_file, files) if files else ()
        for row in owed:
            if row["kind"] == "file" and row["data"].get("file_id", "") not in stored:
                yield self.pdf_request(row["urn"], row["data"])
            elif row["kind"] == "provider" and row["data"].get("listing"):
                yield self.provider_request(row["data"]["listing"])
        yield self.listing_request(0)

    # ---- callbacks ---------------------------------------------------------------------------
    def _stat(self, key: str, count: int = 1) -> None:
        if getattr(self, "crawler", None):
            self.crawler.stats.inc_value(f"ofsted/{key}", count)

    async def parse_results(self, response, start: int = 0):
        try:
            total, results = markup.parse_results(response.text, response.url,
                                                  first_page=start == 0)
        except (markup.MarkupChanged, AttributeError) as exc:
            raise CloseSpider(f"markup changed: {exc}")
        self._stat("pages")
        self._stat("listed", len(results))
        if start == 0:
            self.logger.info("search lists %d providers since %s", total, self.since or "ever")
            if total == 0 and self.expect_results:
                raise CloseSpider(f"no results where there must be some: {response.url}")
        known = {}
        if not self.backfill and results:
            known = await _answer(self.known_latest, [listing["urn"] for listing in results])
        for listing in results:
            if not self.backfill and is_current(listing.get("latest_report_date"),
                                                known.get(listing["urn"])):
                self._stat("skipped")
                continue
            yield self.provider_request(listing)
        if results and start + ROWS < total:
            yield self.listing_request(start + ROWS)

    async def parse_provider(self, response, listing: dict):
        try:
            info = markup.parse_provider(response.text, response.url)
        except (markup.MarkupChanged, AttributeError) as exc:
            raise CloseSpider(f"markup changed: {exc}")
        self._stat("pages")
        urn = listing["urn"]
        # the page's own dates only: if the listing already shows a report the page does not
        # (the site updating), the provider stays behind and is fetched again next run
        dates = [r["publication_date"] for r in info["reports"] if r["publication_date"]]
        listed = [r["file_id"] for r in info["reports"]]
        stored = await _answer(self.have_file, listed) if listed else ()
        missing = [r for r in info["reports"] if r["file_id"] not in stored]
        la = info["local_authority"]
        yield ProviderItem(
            urn=urn, name=listing.get("name") or info["name"], category=listing.get("category"),
            provider_type=info["provider_type"], local_authority=la,
            region=places.region_for(la), status=info["status"], page_url=response.url,
            latest_report_date=max(dates) if dates else None, missing=missing)
        for report in missing:
            yield self.pdf_request(urn, report)

    def parse_pdf(self, response, urn: str, report: dict):
        problem = looks_like_pdf(response.body)
        if problem:
            retry = get_retry_request(response.request, spider=self, reason=problem,
                                      max_retry_times=1)
            if retry is not None:
                yield retry
                return
            yield FailureItem(url=response.url, reason=problem, kind="file", urn=urn,
                              data=report)
            return
        yield ReportItem(urn=urn, file_id=report["file_id"], url=report["url"],
                         title=report.get("title"), inspection_date=report.get("inspection_date"),
                         publication_date=report.get("publication_date"), body=response.body)

    def failed(self, failure):
        request = failure.request
        settings = getattr(getattr(self, "crawler", None), "settings", None)
        cap = request.meta.get("download_maxsize",
                               settings.getint("DOWNLOAD_MAXSIZE") if settings else 0)
        reason = describe_failure(failure, cap)
        kind = {self.parse_results: "listing", self.parse_provider: "provider"}.get(
            request.callback, "file")
        kwargs = request.cb_kwargs
        urn = kwargs.get("urn") or (kwargs.get("listing") or {}).get("urn")
        data = kwargs.get("report") if kind == "file" else (
            {"listing": kwargs["listing"]} if kind == "provider" else {})
        yield FailureItem(url=request.url, reason=reason, kind=kind, urn=urn, data=data or {})
        if kind == "listing":
            raise CloseSpider(f"search page failed ({reason}): {request.url}")


_TOO_BIG = re.compile(r"(Expected to receive|Received) (\d+) bytes which is larger than download "
                      r"max size \((\d+)\)")


def describe_failure(failure, maxsize: int = 0) -> str:
    """One line for a failed request. ``maxsize``: the download cap in force (DOWNLOAD_MAXSIZE),
    for a download Scrapy cancelled when more than that arrived (its error says nothing)."""
    exc = failure.value
    if isinstance(exc, DownloadCancelledError):
        too_big = _TOO_BIG.search(str(exc))
        if too_big:
            said, size, cap = too_big.groups()
            how = "declares" if said.startswith("Expected") else "sent more than"
            return (f"refused: larger than the {int(cap) / 2**20:g} MB download cap "
                    f"(the server {how} {int(size):,} bytes)")
        if maxsize and not str(exc):
            return (f"refused: larger than the {maxsize / 2**20:g} MB download cap (the server "
                    f"sent more than {maxsize:,} bytes)")
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        return f"not fetched: {exc}" if str(exc) else "not fetched (forbidden by robots.txt?)"
    if isinstance(exc, (TimeoutError, TCPTimedOutError)):
        return "timed out"
    if isinstance(exc, DNSLookupError):
        return "DNS lookup failed"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
