"""The Scrapy item pipeline that stores what the spider finds: providers, report PDFs
(content-addressed), extractions and failures. It is the monitor's: ``monitor/crawl.py`` hands it
to the crawl through the ``ITEM_PIPELINES`` setting, so the crawler knows nothing of the database.
PDFs are read by ``extract/`` in a worker thread so the crawl keeps moving."""
from __future__ import annotations

from pathlib import Path

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, threads

from crawler.items import FailureItem, ProviderItem, ReportItem

from . import extraction, store
from .files import store_pdf


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("OFSTED_DB")
        self.pdf_dir = Path(settings.get("OFSTED_PDF_DIR"))
        self.extract = settings.getbool("OFSTED_EXTRACT", True)
        self.version = extraction.extractor_version()
        self.run_id = settings.getint("OFSTED_RUN_ID") or None
        self.db = None
        # pdfplumber is CPU-bound: one or two at a time is plenty
        self.slots = defer.DeferredSemaphore(settings.getint("OFSTED_EXTRACT_THREADS", 1))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self.db = store.open_db(self.db_path)
        # WAL + NORMAL: a killed process loses nothing committed; only a power cut could
        # drop the last transactions, which the next crawl fetches again
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.watching = store.watching_since(self.db, self.run_id)

    async def close_spider(self):
        if self.extract:
            # reports whose bytes or extractor version changed, or a run killed mid-extraction
            for row in extraction.stale_extractions(self.db, self.version):
                if Path(row["path"]).exists():
                    await self._extract(row["file_id"], row["urn"], row["sha256"], row["path"])
        self.db.close()

    def _stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"ofsted/{key}", count)

    async def process_item(self, item):
        if isinstance(item, ProviderItem):
            store.save_provider(self.db, item)
            self._stat("providers")
        elif isinstance(item, ReportItem):
            sha, path, size = store_pdf(self.pdf_dir, item.body)
            item.body = None                      # the bytes are on disk now
            news = store.is_news(self.watching, item.publication_date)
            if store.save_report(self.db, item, sha256=sha, path=str(path), size=size,
                                 news=news):
                self._stat("new_reports")
                if self.extract:
                    await self._extract(item.file_id, item.urn, sha, str(path))
        elif isinstance(item, FailureItem):
            store.save_failure(self.db, self.run_id, item)
            self._stat("errors")
            self.crawler.spider.logger.warning("failed %s: %s", item.url, item.reason)
        return item

    async def _extract(self, file_id: str, urn: str, sha: str, path: str) -> None:
        # look for an extraction of the same bytes only once holding a slot, so reports that
        # share a PDF wait for the first extraction instead of repeating it
        await maybe_deferred_to_future(self.slots.acquire())
        try:
            cached = extraction.cached_extraction(self.db, sha, self.version)
            if cached is None:
                cached = await maybe_deferred_to_future(
                    threads.deferToThread(extraction.extract_pdf, path))
                self._stat("extracted")
            report, error = cached
            extraction.record(self.db, file_id, urn, sha, self.version, report, error)
        finally:
            self.slots.release()
