"""The spider: fetch each source's listing, then every new article it names, once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import Source
from crawler.context import CrawlContext
from crawler.dates import iso
from crawler.egress import RefusedRequest
from crawler.errors import FetchError
from crawler.extract import Page, decode_html
from crawler.items import ArticleItem
from crawler.middlewares import WAIT_STATUSES, retry_after
from crawler.sources import Entry, FeedSource, PageSource, Sitemap, SitemapSource
from crawler.store import SourceState

logger = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")
ARCHIVE = "undated, listed at the first crawl"  # the skipped reason of a sitemap's baseline
MAX_SITEMAP_DEPTH = 3  # robots.txt -> index -> sitemap, and one more level for odd sites


def describe_failure(failure: Failure) -> str:
    """A short, human message for a failed request."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}"
    message = str(error) or type(error).__name__
    return message.splitlines()[0][:300]


def response_headers(response: Response) -> dict[str, str]:
    """A response's headers as a plain dict, names in lower case."""
    headers = {}
    for key in response.headers:
        value = response.headers.get(key)
        if value is not None:
            headers[key.decode("latin-1").lower()] = value.decode("latin-1")
    return headers


def _conditional(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The headers of a conditional GET with the validators kept from an earlier response."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class SourcesSpider(Spider):
    """Crawls the given sources: listings (with conditional GET), then new article pages."""

    name = "tradewatch"

    def __init__(self, context: CrawlContext, sources: Sequence[Source], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.sources = list(sources)
        now = datetime.now(UTC)
        # Entries dated before their source's cutoff are ignored (max_age).
        self.cutoffs = {
            s.name: iso(now - timedelta(seconds=s.max_age)) if s.max_age else None for s in self.sources
        }
        self._sitemaps_seen: set[str] = set()
        # Sitemap sources that never finished a crawl: their undated entries are a baseline.
        self.baseline: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources:
            state = self.context.store.source_state(source.name)
            if source.kind == "sitemap" and state.last_ok_at is None:
                self.baseline.add(source.name)
            yield self._listing_request(source, state)

    def _meta(self, source: Source, **meta: Any) -> dict[str, Any]:
        robots = self.context.fetch.robots if source.robots is None else source.robots
        return {**meta, "dont_obey_robotstxt": not robots}

    def _listing_request(self, source: Source, state: SourceState) -> Request:
        return Request(
            source.url,
            headers=_conditional(state.etag, state.last_modified),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"source": source},
            meta=self._meta(source, handle_httpstatus_list=[304]),
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
        headers = response_headers(response)
        try:
            if source.kind == "sitemap":
                self._sitemaps_seen.add(response.url)
                sitemap = self._parse_sitemap(response, source, headers)
                entries = sitemap.entries
            elif source.kind == "feed":
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
        if source.kind == "sitemap":
            if sitemap.sitemaps:
                # A robots.txt or an index that has not changed says nothing of the sitemaps it
                # names: it is read in full every time, so that they are.
                report.validators = (None, None)
            yield from self._sitemap_requests(sitemap, source, depth=1)
        yield from self._follow_all(entries, source)
        self.context.report.changed()

    # -- sitemaps ----------------------------------------------------------------

    def _parse_sitemap(self, response: Response, source: Source, headers: dict[str, str]) -> Sitemap:
        max_size = self.context.fetch.max_page_size
        return SitemapSource.parse(source.name, response.body, headers, response.url, max_size=max_size)

    def _sitemap_requests(self, sitemap: Sitemap, source: Source, depth: int) -> Iterator[Request]:
        """Requests for the child sitemaps that may hold entries younger than the source's cutoff."""
        cutoff = self.cutoffs[source.name]
        for url, lastmod in sitemap.sitemaps:
            if url in self._sitemaps_seen or (cutoff and lastmod and lastmod < cutoff):
                continue
            if depth > MAX_SITEMAP_DEPTH:
                logger.warning("source %s: sitemaps nested too deep, %s not read", source.name, url)
                continue
            self._sitemaps_seen.add(url)
            yield Request(
                url,
                headers=_conditional(*self.context.store.sitemap_validators(url)),
                callback=self.parse_sitemap,
                errback=self.sitemap_failed,
                cb_kwargs={"source": source, "depth": depth, "url": url},
                meta=self._meta(source, handle_httpstatus_list=[304]),
                priority=10,
            )

    def parse_sitemap(self, response: Response, source: Source, depth: int, url: str) -> Iterator[Any]:
        """Read a child sitemap (of an index or a robots.txt): more sitemaps, or entries to follow."""
        if response.status == 304:  # every entry it lists was dealt with by a finished crawl
            return
        headers = response_headers(response)
        try:
            sitemap = self._parse_sitemap(response, source, headers)
        except FetchError as error:
            self._sitemap_lost(source, f"{response.url}: {error}")
            return
        if not sitemap.sitemaps and (headers.get("etag") or headers.get("last-modified")):
            # A leaf sitemap: kept for a conditional request next time, if this crawl finishes
            # with nothing lost. (An index must be read each time: its sitemaps may change.)
            report = self.context.report.of(source.name)
            report.sitemap_validators[url] = (
                headers.get("etag"),
                headers.get("last-modified"),
            )
        yield from self._sitemap_requests(sitemap, source, depth + 1)
        yield from self._follow_all(sitemap.entries, source)
        self.context.report.changed()

    def sitemap_failed(self, failure: Failure) -> None:
        """A child sitemap that cannot be fetched: the source is incomplete, the others go on.

        One the egress policy refuses is counted, and nothing else: it will be refused again.
        """
        source = failure.request.cb_kwargs["source"]
        if isinstance(failure.value, RefusedRequest):
            self.context.report.of(source.name).refused += 1
            logger.warning("source %s: sitemap %s %s", source.name, failure.request.url, failure.value)
            self.context.report.changed()
            return
        self._sitemap_lost(
            failure.request.cb_kwargs["source"], f"{failure.request.url}: {describe_failure(failure)}"
        )

    def _sitemap_lost(self, source: Source, message: str) -> None:
        report = self.context.report.of(source.name)
        report.errors += 1
        report.incomplete = True  # keep no validators: the next run reads the index again
        logger.warning("source %s: sitemap %s", source.name, message)
        self.context.report.changed()

    def listing_failed(self, failure: Failure) -> None:
        """Record a source whose listing could not be fetched; the others go on."""
        source = failure.request.cb_kwargs["source"]
        message = describe_failure(failure)
        status = str(failure.value.response.status) if isinstance(failure.value, HttpError) else "error"
        report = self.context.report.of(source.name)
        report.fail(message, status)
        if isinstance(failure.value, HttpError) and failure.value.response.status in WAIT_STATUSES:
            report.retry_after = retry_after(failure.value.response.headers.get("Retry-After"))
        logger.warning("source %s: %s", source.name, message)
        self.context.report.changed()

    def _follow_all(self, entries: list[Entry], source: Source) -> Iterator[Any]:
        if source.name in self.baseline:
            # A sitemap's first crawl: what it lists without any date is its archive, not news.
            # Remember it (never fetched); an undated URL that appears later is new, and followed.
            store = self.context.store
            undated = [
                e for e in entries if e.listed_date is None and e.url and store.find_article(e.keys) is None
            ]
            keys = [k for e in undated for k in e.keys]
            self.context.store.skip(keys, source.name, None, ARCHIVE)
            self.context.report.of(source.name).old += len(undated)
            entries = [e for e in entries if e.listed_date is not None]
        for entry in entries:
            yield from self._follow(entry, source)

    def _follow(self, entry: Entry, source: Source) -> Iterator[Any]:
        keys = entry.keys
        if not entry.url:
            logger.debug("source %s: entry without a link skipped: %r", source.name, entry.title)
            return
        report = self.context.report.of(source.name)
        cutoff = self.cutoffs[source.name]
        if cutoff and entry.listed_date and entry.listed_date < cutoff:
            report.old += 1  # judged by the listing's date: never fetched, nothing written
            return
        store = self.context.store
        if store.remember(keys) is not None:
            report.duplicate += 1
            return
        skipped = store.skipped(keys)
        if skipped and (skipped != ARCHIVE or entry.listed_date is None):
            # An archive mark holds undated listings only: the same URL with a recent date
            # (a news sitemap beside the plain one) is news.
            report.old += 1
            return
        if not self.context.claim(entry.url, keys):
            report.duplicate += 1
            return
        if not source.follow:
            yield ArticleItem(entry, cutoff=cutoff)
            return
        yield Request(
            entry.link,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry, "cutoff": cutoff},
            meta=self._meta(source),
        )

    def parse_article(self, response: Response, entry: Entry, cutoff: str | None) -> Iterator[ArticleItem]:
        """Hand an article page to the pipelines."""
        content_type = response_headers(response).get("content-type")
        if content_type and not content_type.lower().startswith(HTML_TYPES):
            fetch_error = f"not an HTML page ({content_type.split(';')[0]})"
            yield ArticleItem(entry, fetch_error=fetch_error, cutoff=cutoff)
            return
        yield ArticleItem(entry, Page(response.url, response.body, content_type), cutoff=cutoff)

    def article_failed(self, failure: Failure) -> Iterator[ArticleItem]:
        """Keep an article whose page cannot be fetched, from the listing's own words."""
        engine = self.crawler.engine
        entry, cutoff = failure.request.cb_kwargs["entry"], failure.request.cb_kwargs["cutoff"]
        if engine is not None and not engine.running:
            self.context.release(entry.url)
            return  # cancelled by a shutdown: not stored, so fetched again on the next run
        error = failure.value
        if isinstance(error, HttpError) and error.response.status in WAIT_STATUSES:
            # The site asks us to come back later: leave the item for the next run (which the
            # source's saved validators must not hide), no sooner than it asks.
            report = self.context.report.of(entry.source)
            report.deferred += 1
            report.incomplete = True
            wait = retry_after(error.response.headers.get("Retry-After"))
            report.retry_after = max(report.retry_after or 0.0, wait or 0.0) or None
            self.context.release(entry.url)
            logger.info("source %s: %s deferred (HTTP %d)", entry.source, entry.link, error.response.status)
            self.context.report.changed()
            return
        refused = isinstance(error, RefusedRequest)
        if refused:
            logger.warning("source %s: %s %s", entry.source, entry.link, error)
        yield ArticleItem(entry, fetch_error=describe_failure(failure), cutoff=cutoff, refused=refused)

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
                retry_after=report.retry_after,
            )
            if safe and report.sitemap_validators:
                self.context.store.keep_sitemap_validators(source.name, report.sitemap_validators)
