"""The spider: fetch each source's listing, then every entry the admission lets through, once.

Each listed entry, child sitemap and unreadable item is dealt with alone (``_each``): whatever
goes wrong with one is recorded, counted and logged in one line, and the listing goes on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.admission import Outcome
from crawler.config import Source
from crawler.context import CrawlContext
from crawler.egress import RefusedRequest
from crawler.errors import FetchError, StoreError
from crawler.extract import Page
from crawler.items import ArticleItem
from crawler.middlewares import WAIT_STATUSES, retry_after
from crawler.sources import KINDS, Entry, Listed, Listing
from crawler.store import SourceState

logger = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")
MAX_SITEMAP_DEPTH = 3  # robots.txt -> index -> sitemap, and one more level for odd sites


def describe_failure(failure: Failure) -> str:
    """A short, human message for a failed request."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}"
    message = str(error) or type(error).__name__
    return message.splitlines()[0][:300]


def response_headers(response: Response) -> dict[str, str]:
    """A response's headers as a plain dict, names in lower case (several values joined by commas)."""
    return {name.lower(): value for name, value in response.headers.to_unicode_dict().items()}


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
        self._sitemaps_seen: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources:
            yield self._listing_request(source, self.context.states[source.name])

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

    def _read(self, response: Response, source: Source) -> tuple[Listed, dict[str, str]]:
        headers = response_headers(response)
        listing = Listing(response.url, response.body, headers)
        return KINDS[source.kind].read(listing, source, self.context.fetch.max_page_size), headers

    def parse_listing(self, response: Response, source: Source) -> Iterator[Any]:
        """Parse a listing into entries and follow the new ones."""
        run = self.context.report.run(source.name)
        run.status = str(response.status)
        if response.status == 304:
            self.context.report.changed()
            return
        if source.kind == "sitemap":
            self._sitemaps_seen.add(response.url)
        try:
            listed, headers = self._read(response, source)
        except Exception as error:  # a bad source is recorded; the others go on
            message = str(error) if isinstance(error, FetchError) else f"cannot parse: {error!r}"
            if not isinstance(error, FetchError):
                logger.exception("source %s: cannot parse %s", source.name, response.url)
            self._fail(source, message, run.status)
            return
        run.validators = (headers.get("etag"), headers.get("last-modified"))
        if listed.sitemaps:
            # A robots.txt or an index that has not changed says nothing of the sitemaps it
            # names: it is read in full every time, so that they are.
            run.validators = (None, None)
        yield from self._follow_listed(listed, source, depth=1)
        self.context.report.changed()

    def _fail(self, source: Source, message: str, status: str = "error") -> None:
        self.context.report.run(source.name).fail(message, status)
        self.context.report.of(source.name).errors += 1
        self.context.report.changed()

    # -- sitemaps ----------------------------------------------------------------

    def _sitemap_request(
        self, url: str, lastmod: str | None, source: Source, depth: int
    ) -> Iterator[Request]:
        """The request for a child sitemap, if it may hold entries younger than the source's cutoff."""
        cutoff = self.context.admission.cutoffs[source.name]
        if url in self._sitemaps_seen or (cutoff and lastmod and lastmod < cutoff):
            return
        if depth > MAX_SITEMAP_DEPTH:
            logger.warning("source %s: sitemaps nested too deep, %s not read", source.name, url)
            return
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
        try:
            listed, headers = self._read(response, source)
        except FetchError as error:
            self._sitemap_lost(source, f"{response.url}: {error}")
            return
        if not listed.sitemaps and (headers.get("etag") or headers.get("last-modified")):
            # A leaf sitemap: kept for a conditional request next time, if this crawl finishes
            # with nothing lost. (An index must be read each time: its sitemaps may change.)
            run = self.context.report.run(source.name)
            run.sitemap_validators[url] = (headers.get("etag"), headers.get("last-modified"))
        yield from self._follow_listed(listed, source, depth + 1)
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
        self._sitemap_lost(source, f"{failure.request.url}: {describe_failure(failure)}")

    def _sitemap_lost(self, source: Source, message: str) -> None:
        self.context.report.of(source.name).errors += 1
        self.context.report.run(source.name).incomplete = True  # no validators: read it all again
        logger.warning("source %s: sitemap %s", source.name, message)
        self.context.report.changed()

    def listing_failed(self, failure: Failure) -> None:
        """Record a source whose listing could not be fetched; the others go on."""
        source = failure.request.cb_kwargs["source"]
        message = describe_failure(failure)
        status = str(failure.value.response.status) if isinstance(failure.value, HttpError) else "error"
        if isinstance(failure.value, HttpError) and failure.value.response.status in WAIT_STATUSES:
            self.context.report.run(source.name).wait(
                retry_after(failure.value.response.headers.get("Retry-After"))
            )
        logger.warning("source %s: %s", source.name, message)
        self._fail(source, message, status)

    # -- entries -------------------------------------------------------------------

    def _follow_listed(self, listed: Listed, source: Source, depth: int) -> Iterator[Any]:
        """What a listing holds, each alone: its unreadable items, child sitemaps, then entries."""
        for unread in listed.bad:
            self._set_aside(source, unread.link, unread.reason)
        for url, lastmod in listed.sitemaps:
            yield from self._each(source, url, self._sitemap_request(url, lastmod, source, depth))
        try:
            entries, archived = self.context.admission.archive(listed.entries, source)
        except StoreError as error:  # the store, not an entry: the source is read again next run
            self._fail(source, str(error))
            return
        self.context.report.of(source.name).old += archived
        for entry in entries:
            yield from self._each(source, entry.link or "", self._follow(entry, source), entry.url)

    def _each(
        self, source: Source, link: str, requests: Iterator[Any], claim: str | None = None
    ) -> Iterator[Any]:
        """Yield what one listed link gives; whatever goes wrong with it is recorded, and no further.

        A link Scrapy will not request is set aside with its reason; a store error or anything
        unforeseen counts as an error of the source, which keeps no validators, so that the entry
        is listed again next run.
        """
        try:
            yield from requests
        except ValueError as error:  # Scrapy's Request on a URL it will not send
            self.context.admission.release(claim)
            self._set_aside(source, link, str(error) or type(error).__name__)
        except Exception as error:
            self.context.admission.release(claim)
            self.context.report.of(source.name).errors += 1
            self.context.report.run(source.name).incomplete = True
            logger.error("source %s: %s: %s", source.name, link[:300], str(error) or repr(error))
            logger.debug("source %s: %s", source.name, link[:300], exc_info=True)

    def _set_aside(self, source: Source, link: str, reason: str, published_at: str | None = None) -> None:
        """Record a bad link or an unreadable item (``skipped``), count it, say so once."""
        self.context.report.of(source.name).bad += 1
        try:
            new = self.context.admission.set_aside(source.name, link, reason, published_at)
        except StoreError as error:
            self.context.report.run(source.name).incomplete = True
            logger.error("source %s: %s", source.name, error)
            return
        log = logger.warning if new else logger.debug
        log("source %s: %s set aside: %s", source.name, link[:300] or "an entry", reason)

    def _follow(self, entry: Entry, source: Source) -> Iterator[Any]:
        verdict = self.context.admission.at_listing(entry)
        if verdict.outcome is Outcome.NO_LINK:  # nothing to fetch, nor a link to record it by
            self.context.report.of(source.name).bad += 1
            logger.info("source %s: entry without a link passed over: %r", source.name, entry.title[:100])
            return
        if verdict.outcome is Outcome.BAD_LINK:
            self._set_aside(source, entry.link or "", verdict.reason or "", entry.listed_date)
            return
        if not verdict.admitted:
            counts = self.context.report.of(source.name)
            if verdict.outcome in (Outcome.KNOWN, Outcome.IN_FLIGHT):
                counts.duplicate += 1
            else:  # too old, or a sitemap's archive
                counts.old += 1
            return
        if not source.follow:
            yield ArticleItem(entry)
            return
        yield Request(
            entry.link,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry},
            meta=self._meta(source),
        )

    def parse_article(self, response: Response, entry: Entry) -> Iterator[ArticleItem]:
        """Hand an article page to the pipelines."""
        content_type = response_headers(response).get("content-type")
        if content_type and not content_type.lower().startswith(HTML_TYPES):
            yield ArticleItem(entry, fetch_error=f"not an HTML page ({content_type.split(';')[0]})")
            return
        yield ArticleItem(entry, Page(response.url, response.body, content_type))

    def article_failed(self, failure: Failure) -> Iterator[ArticleItem]:
        """Keep an article whose page cannot be fetched, from the listing's own words."""
        engine = self.crawler.engine
        entry = failure.request.cb_kwargs["entry"]
        if engine is not None and not engine.running:
            self.context.admission.release(entry.url)
            return  # cancelled by a shutdown: not stored, so fetched again on the next run
        error = failure.value
        if isinstance(error, HttpError) and error.response.status in WAIT_STATUSES:
            # The site asks us to come back later: leave the item for the next run (which the
            # source's saved validators must not hide), no sooner than it asks.
            run = self.context.report.run(entry.source)
            self.context.report.of(entry.source).deferred += 1
            run.incomplete = True
            run.wait(retry_after(error.response.headers.get("Retry-After")))
            self.context.admission.release(entry.url)
            logger.info("source %s: %s deferred (HTTP %d)", entry.source, entry.link, error.response.status)
            self.context.report.changed()
            return
        refused = isinstance(error, RefusedRequest)
        if refused:
            logger.warning("source %s: %s %s", entry.source, entry.link, error)
        yield ArticleItem(entry, fetch_error=describe_failure(failure), refused=refused)
