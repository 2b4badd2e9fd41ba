"""Downloader middleware: honour ``Retry-After`` on 429 and 503 within a crawl.

Scrapy's RetryMiddleware retries at once; a site that answers 429 or 503 is asking for a
pause. This one pauses the whole host (its downloader slot) for the time the site asks, up to
``fetch.max_retry_wait``, then retries. A longer wait, or one past ``fetch.retries``, lets the
response through: the spider then leaves the item for the next run, no sooner than asked.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

logger = logging.getLogger(__name__)
WAIT_STATUSES = (429, 503)  # "come back later"
DEFAULT_WAIT = 1.0  # seconds, doubling per retry, when the site gives no Retry-After


def retry_after(value: bytes | None) -> float | None:
    """Seconds in a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


class RetryAfterMiddleware:
    """Pauses a host for its ``Retry-After`` (429/503), then retries the request."""

    def __init__(self, crawler: Crawler, retries: int, max_wait: float) -> None:
        self.crawler = crawler
        self.retries = retries
        self.max_wait = max_wait
        self._paused: dict[str, tuple[float, float]] = {}  # slot -> (delay, jitter) to restore

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        retries = crawler.settings.getint("RETRY_TIMES")
        if not crawler.settings.getbool("RETRY_ENABLED") or retries < 1:
            raise NotConfigured
        return cls(crawler, retries, crawler.settings.getfloat("TRADEWATCH_MAX_RETRY_WAIT"))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        key = request.meta.get("download_slot")
        if response.status not in WAIT_STATUSES:
            if key in self._paused:
                self._resume(key)
            return response
        if request.meta.get("dont_retry"):
            return response
        attempts = request.meta.get("retry_times", 0)
        wait = retry_after(response.headers.get("Retry-After"))
        if wait is None:
            wait = DEFAULT_WAIT * 2**attempts
        if wait > self.max_wait or attempts >= self.retries:
            return response
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"HTTP {response.status}",
            max_retry_times=self.retries,
        )
        if retry is None:
            return response
        if key is not None:
            self._pause(key, wait)
        logger.info("%s: HTTP %d, retrying in %.1f s", request.url, response.status, wait)
        return retry

    def _pause(self, key: str, wait: float) -> None:
        # The slot's delay is the knob Scrapy's own AutoThrottle turns: a delay of ``wait``
        # counted from now holds every queued request for this host until then.
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None else None
        if slot is None:
            return
        self._paused.setdefault(key, (slot.delay, slot.jitter))
        slot.delay, slot.jitter = max(wait, self._paused[key][0]), 0.0
        slot.lastseen = monotonic()

    def _resume(self, key: str) -> None:
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None else None
        delay, jitter = self._paused.pop(key)
        if slot is not None:
            slot.delay, slot.jitter = delay, jitter
