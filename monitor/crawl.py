"""One crawl of the site (or a replica), run in this process and recorded in ``crawl_runs``.

``crawl(...)`` decides what to ask for (a backfill, or an incremental crawl from the last
successful one of the same scope), opens the run's row, hands the crawler what it needs to know
(the last crawl date, lookups of what is stored, the work owed by earlier runs) as spider
arguments, adds the monitor's item pipeline (``monitor.pipeline.StorePipeline``) through the
settings, runs Scrapy, and closes the row with the outcome. It is the one writer of a run's row;
``monitor/crawl_process.py`` runs it in a child process and only marks the row failed when the
child dies before it could.

Twisted's reactor cannot restart: ``crawl`` runs once per process (the ``ofsted-watch crawl``
command, or the child that ``crawl_in_subprocess`` starts).

No SQLite on the reactor thread (issue 14): the spider's lookups are answered by ``Lookups``, one
thread that owns one read-only connection, a page's keys at a time; the writes go through the
pipeline's writer thread.
"""
from __future__ import annotations

import ipaddress
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawler.scope import parse_scope

from . import store
from .schema import BUSY_TIMEOUT_MS

#: Ofsted publishes social-care reports almost every working day: a wide scope over this many
#: days with nothing published means the crawl is not seeing the site
QUIET_DAYS_LIMIT = 14


class BadCrawlOption(ValueError):
    """One line naming the option and what is wrong with it."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


def parse_since(value: str | None) -> str | None:
    """``--since`` as an ISO date (YYYY-MM-DD or DD-MM-YYYY); BadCrawlOption otherwise."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            day = datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        if day > date.today():
            raise BadCrawlOption("--since", f"{value} is in the future")
        return day.isoformat()
    raise BadCrawlOption("--since", f"{value!r} is not a date (use YYYY-MM-DD)")


def check_base_url(url: str) -> None:
    """BadCrawlOption unless ``url`` is an http(s) URL with a host (and a valid port, if any)."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port                                  # ValueError: not a number, out of range
    except ValueError:
        ok = False
    if not ok:
        raise BadCrawlOption("--base-url", f"{url!r} is not an http(s) URL")


def is_loopback(url: str) -> bool:
    """True for a site on this machine (localhost, 127.0.0.0/8, ::1): the only place
    politeness may be turned off."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_fast(fast: bool, base_url: str) -> None:
    check_base_url(base_url)
    if fast and not is_loopback(base_url):
        raise BadCrawlOption("--fast", "--fast is only for a replica on loopback; the real "
                                       "site gets the polite settings")


def parse_overrides(overrides) -> list[tuple[str, str]]:
    """``-s NAME=VALUE`` pairs; BadCrawlOption for one that is not."""
    pairs = []
    for pair in overrides:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadCrawlOption("-s/--set", f"{pair!r} is not NAME=VALUE")
        pairs.append((name.strip(), value))
    return pairs


def build_settings(*, db_path: str, pdf_dir: str, run_id: int, extract: bool, fast: bool,
                   overrides=(), verbose: int = 0):
    """The crawler's own settings, the monitor's pipeline, and the caller's overrides."""
    from scrapy.settings import Settings

    from crawler import settings as defaults

    settings = Settings()
    settings.setmodule(defaults, priority="project")
    if fast:
        settings.update(defaults.FAST, priority="cmdline")
    settings.update({
        "ITEM_PIPELINES": {"monitor.pipeline.StorePipeline": 300},
        "OFSTED_DB": str(db_path), "OFSTED_PDF_DIR": str(pdf_dir), "OFSTED_RUN_ID": run_id,
        "OFSTED_EXTRACT": extract,
    }, priority="cmdline")
    if not Path(settings.get("HTTPCACHE_DIR")).is_absolute():
        settings.set("HTTPCACHE_DIR", str(Path(db_path).resolve().with_suffix(".httpcache")),
                     priority="cmdline")
    if not verbose:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    elif verbose > 1:
        settings.set("LOG_LEVEL", "DEBUG", priority="cmdline")
    for name, value in parse_overrides(overrides):
        settings.set(name, value, priority="cmdline")
    return settings


class _NoTraceback(logging.Filter):
    """Scrapy logs a robots.txt that cannot be fetched with a traceback: the reason will do."""

    def filter(self, record):
        record.exc_info = record.exc_text = None
        return True


class Lookups:
    """The spider's two lookups (``known_latest(urns)``, ``have_file(file_ids)``), answered off
    the reactor thread: one thread owns one read-only connection (SQLite connections stay in the
    thread that opened them), and each call gives an awaitable that the reactor resumes with the
    answer. ``close()`` closes the connection and ends the thread."""

    def __init__(self, db_path: str | Path):
        self.uri = Path(db_path).resolve().as_uri() + "?mode=ro"
        self.db: sqlite3.Connection | None = None          # the thread's own
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="store-lookups",
                                         initializer=self._open)

    def _open(self) -> None:
        self.db = sqlite3.connect(self.uri, uri=True)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def _ask(self, fn, keys):
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import defer, reactor

        answered = defer.Deferred()

        def done(future):
            error = future.exception()
            reactor.callFromThread(answered.errback if error else answered.callback,
                                   error if error else future.result())

        self.thread.submit(lambda: fn(self.db, keys)).add_done_callback(done)
        return maybe_deferred_to_future(answered)

    def known_latest(self, urns):
        return self._ask(store.known_latest_many, list(urns))

    def have_file(self, file_ids):
        return self._ask(store.stored_files, list(file_ids))

    def close(self) -> None:
        try:
            self.thread.submit(self._close)
        except RuntimeError:                   # the connection never opened: nothing to close
            pass
        self.thread.shutdown(wait=True)


def expects_results(scope_text: str, since: str | None) -> bool:
    """Whether an empty search means something is wrong rather than a quiet spell."""
    if not since:
        return True
    narrowed = any(part.startswith(("la:", "region:")) for part in scope_text.split(","))
    kind = scope_text.split(",")[0]
    days = (date.today() - date.fromisoformat(since)).days
    return not narrowed and kind != "la-childrens-services" and days >= QUIET_DAYS_LIMIT


def outcome(stats) -> tuple[str, str | None]:
    """(status, reason) from Scrapy's stats once the spider has closed. A run fails when the
    spider closed for any reason but "finished" (markup changed, no results, a search page that
    could not be fetched, shutdown) or when something logged an unexpected ERROR."""
    reason = stats.get_value("finish_reason")
    errors = stats.get_value("log_count/ERROR", 0)
    if reason is None:
        return "failed", "crawl stopped before it finished"
    if reason != "finished":
        return "failed", str(reason)
    if errors:
        return "failed", f"{errors} unexpected error(s) logged; see the log"
    return "ok", None


def crawl(db_path: str | Path, *, base_url: str, pdf_dir: str | Path, scope=None,
          since: str | None = None, backfill: bool = False, extract: bool = True,
          fast: bool = False, overrides=(), verbose: int = 0, run_id: int | None = None
          ) -> dict:
    """Run one crawl here and return its ``crawl_runs`` row (``status`` "ok" or "failed").

    Raises BadCrawlOption (or crawler.scope.BadScope) for options that are wrong, before
    anything is written."""
    scope_text, scope_params = parse_scope(scope)
    since = parse_since(since)
    parse_overrides(overrides)
    check_fast(fast, base_url)
    held = store.hold_crawl_lock(db_path)  # noqa: F841 one crawl per database (CrawlBusy); kept till return
    db = store.open_db(db_path)
    Path(pdf_dir).mkdir(parents=True, exist_ok=True)

    if backfill:
        mode, since = "backfill", None
    elif since:
        mode = "incremental"
    else:
        since = store.default_since(db, scope_text)
        mode = "incremental" if since else "full"
    store.close_interrupted(db, keep=run_id)
    if run_id:
        store.describe_run(db, run_id, mode=mode, scope=scope_text, since=since)
    else:
        run_id = store.start_run(db, mode=mode, scope=scope_text, since=since)
    owed = list(store.pending(db))

    settings = build_settings(db_path=db_path, pdf_dir=pdf_dir, run_id=run_id,
                              extract=extract, fast=fast, overrides=overrides, verbose=verbose)
    from scrapy.crawler import CrawlerProcess

    from crawler.extensions import counts
    from crawler.spiders.reports import ReportsSpider

    lookups = Lookups(db_path)
    process = CrawlerProcess(settings)
    if verbose < 2:
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_NoTraceback())
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, base_url=base_url, since=since, backfill=backfill,
                  scope_params=scope_params,
                  expect_results=expects_results(scope_text, since),
                  known_latest=lookups.known_latest, have_file=lookups.have_file,
                  pending=owed)
    try:
        process.start()
    finally:
        lookups.close()
    status, reason = outcome(crawler.stats)
    store.finish_run(db, run_id, status=status, reason=reason, **counts(crawler.stats))
    row = store.run_summary(db, run_id)
    db.close()
    return row


def summary_line(row: dict) -> str:
    since = f" since {row['since']}" if row.get("since") else ""
    head = f"crawl {row['status']} (run {row['run_id']}, {row['mode']}{since}, {row['scope']})"
    figures = ", ".join(f"{row[key]} {word if row[key] == 1 else word + 's'}" for key, word in (
        ("pages", "page"), ("providers", "provider"), ("new_reports", "new report"),
        ("errors", "error"), ("requests", "request")))
    tail = f" — {row['reason']}" if row.get("reason") else ""
    return f"{head}: {figures}{tail}"
