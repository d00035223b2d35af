"""Retries that wait: Scrapy's RetryMiddleware, plus exponential backoff and Retry-After."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


async def _sleep(seconds: float) -> None:
    if seconds <= 0:
        return
    from twisted.internet import reactor
    from twisted.internet.task import deferLater
    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class RetryAfterMiddleware(RetryMiddleware):
    """Like RetryMiddleware (same settings, same give-up logging), but before each retry waits
    the server's Retry-After (capped by RETRY_AFTER_MAX) or else RETRY_BACKOFF_BASE × 2^n
    (capped by RETRY_BACKOFF_MAX). The wait holds the request's download slot, so the site sees
    fewer requests while it is unhappy."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 600.0)

    def backoff(self, request) -> float:
        attempts = request.meta.get("retry_times", 0)
        return min(self.backoff_max, self.backoff_base * (2 ** max(0, attempts - 1)))

    async def process_response(self, request, response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None:
            self.crawler.stats.inc_value("retry/retry_after")
            wait = min(wait, self.retry_after_max)
        else:
            wait = self.backoff(retry)
        await _sleep(wait)
        return retry

    async def process_exception(self, request, exception):
        if request.meta.get("dont_retry", False) or not isinstance(exception,
                                                                   self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await _sleep(self.backoff(retry))
        return retry
