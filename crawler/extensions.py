"""A run's figures from Scrapy's stats, and a progress line on a terminal."""
from __future__ import annotations

import sys

from scrapy import signals
from twisted.internet import task



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
