"""The spider: fetch each source's listing, then every new article it names, once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import Source
from crawler.context import CrawlContext
from crawler.errors import FetchError
from crawler.extract import Page, decode_html
from crawler.items import ArticleItem
from crawler.sources import Entry, FeedSource, PageSource

logger = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")


def describe_failure(failure: Failure) -> str:
    """A short, human message for a failed request."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}"
    message = str(error) or type(error).__name__
    return message.splitlines()[0][:300]


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


def _headers(response: Response) -> dict[str, str]:
    headers = {}
    for key in response.headers:
        value = response.headers.get(key)
        if value is not None:
            headers[key.decode("latin-1").lower()] = value.decode("latin-1")
    return headers


class SourcesSpider(Spider):
    """Crawls the given sources: listings (with conditional GET), then new article pages."""

    name = "tradewatch"

    def __init__(self, context: CrawlContext, sources: Sequence[Source], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.sources = list(sources)

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources:
            yield self._listing_request(source)

    def _listing_request(self, source: Source) -> Request:
        state = self.context.store.source_state(source.name)
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        return Request(
            source.url,
            headers=headers,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"source": source},
            meta={"handle_httpstatus_list": [304]},
            dont_filter=True,
            priority=10,
        )

    def parse_listing(self, response: Response, source: Source) -> Iterator[Any]:
        """Parse a listing into entries and follow the new ones."""
        report = self.context.report.of(source.name)
        report.status = str(response.status)
        if response.status == 304:
            self.context.report.changed()
            return
        headers = _headers(response)
        try:
            if source.kind == "feed":
                entries = FeedSource.parse(source.name, response.body, headers, response.url)
            else:
                text = decode_html(response.body, headers.get("content-type"))
                entries = PageSource.parse(
                    source.name, response.body, headers, response.url, links=source.links, text=text
                )
        except Exception as error:  # a bad source is recorded; the others go on
            message = str(error) if isinstance(error, FetchError) else f"cannot parse: {error!r}"
            if not isinstance(error, FetchError):
                logger.exception("source %s: cannot parse %s", source.name, response.url)
            report.fail(message, report.status)
            self.context.report.changed()
            return
        report.validators = (headers.get("etag"), headers.get("last-modified"))
        for entry in entries:
            yield from self._follow(entry, source)
        self.context.report.changed()

    def listing_failed(self, failure: Failure) -> None:
        """Record a source whose listing could not be fetched; the others go on."""
        source = failure.request.cb_kwargs["source"]
        message = describe_failure(failure)
        status = str(failure.value.response.status) if isinstance(failure.value, HttpError) else "error"
        report = self.context.report.of(source.name)
        report.fail(message, status)
        if isinstance(failure.value, HttpError) and failure.value.response.status in (429, 503):
            report.retry_after = retry_after(failure.value.response.headers.get("Retry-After"))
        logger.warning("source %s: %s", source.name, message)
        self.context.report.changed()

    def _follow(self, entry: Entry, source: Source) -> Iterator[Any]:
        keys = entry.keys
        if not entry.url:
            logger.debug("source %s: entry without a link skipped: %r", source.name, entry.title)
            return
        report = self.context.report.of(source.name)
        store = self.context.store
        if store.remember(keys) is not None:
            report.duplicate += 1
            return
        if not self.context.claim(entry.url, keys):
            report.duplicate += 1
            return
        if not source.follow:
            yield ArticleItem(entry)
            return
        yield Request(
            entry.link,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry},
        )

    def parse_article(self, response: Response, entry: Entry) -> Iterator[ArticleItem]:
        """Hand an article page to the pipelines."""
        content_type = _headers(response).get("content-type")
        if content_type and not content_type.lower().startswith(HTML_TYPES):
            yield ArticleItem(entry, fetch_error=f"not an HTML page ({content_type.split(';')[0]})")
            return
        yield ArticleItem(entry, Page(response.url, response.body, content_type))

    def article_failed(self, failure: Failure) -> Iterator[ArticleItem]:
        """Keep an article whose page cannot be fetched, from the listing's own words."""
        engine = self.crawler.engine
        if engine is not None and not engine.running:
            return  # cancelled by a shutdown: not stored, so fetched again on the next run
        entry = failure.request.cb_kwargs["entry"]
        yield ArticleItem(entry, fetch_error=describe_failure(failure))

    def closed(self, reason: str) -> None:
        """Record each source's outcome; keep ETag/Last-Modified only when nothing was lost."""
        for source in self.sources:
            report = self.context.report.of(source.name)
            safe = reason == "finished" and not report.incomplete and report.error is None
            self.context.store.record_source(
                source.name,
                source.kind,
                source.url,
                status=report.status,
                error=report.error,
                validators=report.validators if safe else None,
            )
