"""The Scrapy item pipeline that stores what the spider finds: providers, report PDFs
(content-addressed), extractions and failures. It is the monitor's: ``monitor/crawl.py`` hands it
to the crawl through the ``ITEM_PIPELINES`` setting, so the crawler knows nothing of the database.

Nothing slow runs on the reactor (Twisted's thread, which also drives every download):
- SQLite: one writer thread owns the one writing connection and runs the pipeline's writes in
  batches, one transaction per batch (each write still its own savepoint, so a failed write
  undoes only itself); an item waits for its batch to commit before it counts.
- PDF files are written (fsync, rename) by two file threads.
- Extraction runs in the sandboxed process pool (``monitor/sandbox_extract.py``): both cores, a
  memory and a time limit per file. A file that breaks a limit is recorded once, as the report's
  permanent extraction error and as a crawl error of the run, and is not read again until its
  bytes or the extractor version change.
Everything from the site or a PDF is cleaned of control characters on the way in
(``store.clean``)."""
from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import defer, threads

from crawler.items import FailureItem, ProviderItem, ReportItem

from . import extraction, sandbox_extract, store
from .files import remove_partials, store_pdf

#: writes committed together (one transaction) when they queue up
WRITE_BATCH = 500
_STOP = object()


class Writer:
    """One connection in its own thread; ``submit(fn, *args)`` runs ``fn(db, *args)`` there and
    gives a Deferred of its result, fired on the reactor once its transaction has committed."""

    def __init__(self, db_path: str, reactor):
        self.db_path = db_path
        self.reactor = reactor
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self.opened = threading.Event()
        self.error: BaseException | None = None

    def start(self) -> None:
        self.thread.start()
        self.opened.wait()
        if self.error:
            raise self.error

    def submit(self, fn, *args, **kwargs) -> defer.Deferred:
        done = defer.Deferred()
        self.jobs.put((fn, args, kwargs, done))
        return done

    def stop(self) -> defer.Deferred:
        """Run what is queued, close the connection; fires when the thread has ended."""
        self.jobs.put(_STOP)
        return threads.deferToThread(self.thread.join)

    def _run(self) -> None:
        try:
            db = store.open_db(self.db_path)
            # WAL + NORMAL: a killed process loses nothing committed; only a power cut could
            # drop the last transactions, which the next crawl fetches again
            db.execute("PRAGMA synchronous = NORMAL")
        except BaseException as exc:
            self.error = exc
            self.opened.set()
            return
        self.opened.set()
        try:
            stopping = False
            while not stopping:
                batch = [self.jobs.get()]
                while len(batch) < WRITE_BATCH:
                    try:
                        batch.append(self.jobs.get_nowait())
                    except queue.Empty:
                        break
                if _STOP in batch:
                    stopping = True
                    batch = [job for job in batch if job is not _STOP]
                if batch:
                    self._write(db, batch)
        finally:
            db.close()

    def _write(self, db, batch) -> None:
        results = []
        try:
            with db.atomic():
                for fn, args, kwargs, done in batch:
                    try:
                        with db.atomic():              # a savepoint: a failure undoes itself
                            results.append((done, True, fn(db, *args, **kwargs)))
                    except Exception as exc:
                        results.append((done, False, exc))
        except Exception as exc:                       # the commit itself failed
            results = [(done, False, exc) for *_, done in batch]
        for done, ok, value in results:
            self.reactor.callFromThread(done.callback if ok else done.errback, value)


def _deferred(future) -> defer.Deferred:
    """A Deferred fired on the reactor when a concurrent.futures Future completes."""
    from twisted.internet import reactor
    done = defer.Deferred()

    def finished(f):
        error = f.exception()
        reactor.callFromThread(done.errback if error else done.callback,
                               error if error else f.result())

    future.add_done_callback(finished)
    return done


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("OFSTED_DB")
        self.pdf_dir = Path(settings.get("OFSTED_PDF_DIR"))
        self.extract = settings.getbool("OFSTED_EXTRACT", True)
        self.version = extraction.extractor_version()
        self.run_id = settings.getint("OFSTED_RUN_ID") or None
        self.pool_options = {
            "workers": settings.getint("OFSTED_EXTRACT_WORKERS", sandbox_extract.WORKERS),
            "memory_mb": settings.getint("OFSTED_EXTRACT_MEMORY_MB", sandbox_extract.MEMORY_MB),
            "time_limit": settings.getfloat("OFSTED_EXTRACT_TIMEOUT",
                                            sandbox_extract.TIME_LIMIT)}
        self.writer = None
        self.files = None
        self.pool = None
        self.watching = None
        #: sha256 → Deferreds waiting for the extraction of the same bytes under way
        self.inflight: dict[str, list[defer.Deferred]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def open_spider(self):
        from twisted.internet import reactor
        self.writer = Writer(self.db_path, reactor)
        self.writer.start()
        self.files = ThreadPoolExecutor(2, thread_name_prefix="pdf-files")
        # what a crawl killed mid-write left behind
        await maybe_deferred_to_future(_deferred(self.files.submit(remove_partials,
                                                                   self.pdf_dir)))
        self.watching = await self._write(store.watching_since, self.run_id)
        if self.extract:
            self.pool = sandbox_extract.ExtractPool(**self.pool_options)

    async def close_spider(self):
        try:
            if self.extract:
                # reports whose bytes or extractor version changed, or a run killed mid-extraction
                stale = await self._write(extraction.stale_extractions, self.version)
                slots = defer.DeferredSemaphore(2 * self.pool.workers)
                await maybe_deferred_to_future(defer.gatherResults([
                    slots.run(lambda row=row: deferred_from_coro(self._extract(
                        row["file_id"], row["urn"], row["sha256"], row["path"], row["url"])))
                    for row in stale if Path(row["path"]).exists()], consumeErrors=True))
        finally:
            if self.pool is not None:
                await maybe_deferred_to_future(threads.deferToThread(self.pool.close))
            await maybe_deferred_to_future(self.writer.stop())
            self.files.shutdown(wait=False)

    def _write(self, fn, *args, **kwargs):
        return maybe_deferred_to_future(self.writer.submit(fn, *args, **kwargs))

    def _stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"ofsted/{key}", count)

    async def process_item(self, item):
        # the save_* functions clean every field (control characters never reach the database)
        if isinstance(item, ProviderItem):
            await self._write(store.save_provider, item)
            self._stat("providers")
        elif isinstance(item, ReportItem):
            body, item.body = item.body, None
            sha, path, size = await maybe_deferred_to_future(
                _deferred(self.files.submit(store_pdf, self.pdf_dir, body)))
            del body                                   # the bytes are on disk now
            news = store.is_news(self.watching, item.publication_date)
            if await self._write(store.save_report, item, sha256=sha, path=str(path),
                                 size=size, news=news):
                self._stat("new_reports")
                if self.extract:
                    await self._extract(item.file_id, item.urn, sha, str(path), item.url)
        elif isinstance(item, FailureItem):
            await self._write(store.save_failure, self.run_id, item)
            self._stat("errors")
            self.crawler.spider.logger.warning("failed %s: %s", item.url, item.reason)
        return item

    async def _extract(self, file_id: str, urn: str, sha: str, path: str, url: str) -> None:
        report, error = await self._extraction(sha, path, urn, url)
        await self._write(_record, file_id, urn, sha, self.version, report, error)

    async def _extraction(self, sha: str, path: str, urn: str, url: str):
        """(report, error) for these bytes: stored already, under way for another report that
        shares the file, or read now in the sandbox."""
        if sha in self.inflight:
            waiter = defer.Deferred()
            self.inflight[sha].append(waiter)
            return await maybe_deferred_to_future(waiter)
        self.inflight[sha] = []
        try:
            result = await self._write(extraction.cached_extraction, sha, self.version)
            if result is None:
                outcome = await maybe_deferred_to_future(_deferred(self.pool.submit(path, urn)))
                self._stat("extracted")
                result = outcome.pair
                if outcome.kind == "limit":
                    await self._limit_broken(url, urn, outcome.error)
        except BaseException as exc:
            for waiter in self.inflight.pop(sha):
                waiter.errback(exc)
            raise
        for waiter in self.inflight.pop(sha):
            waiter.callback(result)
        return result

    async def _limit_broken(self, url: str, urn: str, error: str) -> None:
        """A file that broke the sandbox's limits: a crawl error of this run, said once."""
        failure = FailureItem(url=url, reason=f"extraction stopped: {error}", kind="extract",
                              urn=urn)
        await self._write(store.save_failure, self.run_id, failure)
        self._stat("errors")
        self._stat("extract_limits")
        self.crawler.spider.logger.warning("extraction stopped for %s: %s", url, error)


def _record(db, file_id, urn, sha, version, report, error) -> None:
    extraction.record(db, file_id, urn, sha, version, report, error)
