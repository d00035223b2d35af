"""Run bookkeeping: one crawl_runs row per crawl, and a progress line on a terminal."""
from __future__ import annotations

import sys

from scrapy import signals
from twisted.internet import task

from . import store


def counts(stats) -> dict:
    """The run's figures, from Scrapy's stats."""
    get = stats.get_value
    return {
        "pages": get("ofsted/pages", 0),
        "providers": get("ofsted/providers", 0),
        "new_reports": get("ofsted/new_reports", 0),
        "errors": get("ofsted/errors", 0),
        "requests": get("downloader/request_count", 0),
    }


class RunRecorder:
    """Opens (or adopts, via OFSTED_RUN_ID) a crawl_runs row and closes it with the outcome.

    A run fails when the spider closed for any reason but "finished" (markup changed, no
    results, a search page that could not be fetched, shutdown) or when something logged an
    unexpected ERROR; its reason is recorded either way."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("OFSTED_DB")
        self.run_id = settings.getint("OFSTED_RUN_ID") or None
        self.mode = settings.get("OFSTED_MODE", "incremental")
        self.scope = settings.get("OFSTED_SCOPE", "")
        self.since = settings.get("OFSTED_SINCE")
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        self.db = store.open_db(self.db_path)
        if not self.run_id:
            self.run_id = store.start_run(self.db, mode=self.mode, scope=self.scope,
                                          since=self.since)
        self.crawler.stats.set_value("ofsted/run_id", self.run_id)

    def closed(self, spider, reason):
        stats = self.crawler.stats
        figures = counts(stats)
        logged_errors = stats.get_value("log_count/ERROR", 0)
        if reason != "finished":
            status, why = "failed", str(reason)
        elif logged_errors:
            status, why = "failed", f"{logged_errors} unexpected error(s) logged; see the log"
        else:
            status, why = "ok", None
        store.finish_run(self.db, self.run_id, status=status, reason=why, **figures)
        self.db.close()


class Progress:
    """On a terminal, one self-rewriting line: pages, providers, new reports, errors."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured
        if not crawler.settings.getbool("OFSTED_PROGRESS", True) or not sys.stderr.isatty():
            raise NotConfigured
        return cls(crawler, crawler.settings.getfloat("OFSTED_PROGRESS_INTERVAL", 1.0))

    def show(self, end: str = "") -> None:
        c = counts(self.crawler.stats)
        sys.stderr.write(f"\rcrawling: {c['requests']} requests, {c['pages']} pages, "
                         f"{c['providers']} providers, {c['new_reports']} new reports, "
                         f"{c['errors']} errors   {end}")
        sys.stderr.flush()

    def opened(self, spider):
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval)

    def closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        self.show(end="\n")
