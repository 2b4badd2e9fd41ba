"""The discovery spider: from a site's page to its feeds and sitemaps, each read and counted."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.dates import believable
from crawler.egress import RefusedRequest
from crawler.errors import FetchError
from crawler.extract import decode_html
from crawler.sources import Entry, FeedSource, SitemapSource
from crawler.spiders.sources import describe_failure, response_headers
from crawler.urls import is_http_url, normalize_url, resolve

logger = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
FEED_PATHS = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/?feed=rss2",
)
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-news.xml")
HOW = (
    "the given URL",
    "link rel=alternate",
    "link on the page",
    "robots.txt",
    "common path",
)  # most telling first
MAX_CHILD_SITEMAPS = 20  # of an index, newest first: enough to count and date what it lists


@dataclass
class Found:
    """A feed or sitemap found on a site, with what it lists."""

    kind: str  # "feed" or "sitemap"
    url: str
    how: str  # where it was found: "link rel=alternate", "robots.txt", "common path", ...
    title: str | None = None
    items: int = 0
    newest: str | None = None
    news: bool = False  # a Google News sitemap (its entries carry news: dates and titles)
    sitemaps: int = 0  # child sitemaps read, for an index
    error: str | None = None

    def add(self, entries: list[Entry]) -> None:
        """Count ``entries`` and keep the newest date among them."""
        self.items += len(entries)
        dates = [d for e in entries if believable(d := e.listed_date)]
        if dates:
            self.newest = max([*dates, self.newest or ""])
        self.news = self.news or any(e.date_from == "news-sitemap" for e in entries)


class DiscoverSpider(Spider):
    """Fetches a page, its robots.txt and common paths; reads every feed and sitemap found."""

    name = "tradewatch-discover"

    def __init__(
        self,
        url: str,
        found: list[Found],
        max_size: int,
        progress: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.found = found
        self.max_size = max_size
        self.progress = progress  # told one line per probe: its status and URL
        self._seen: dict[str, Found] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DiscoverSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.probed, signal=signals.response_received)
        return spider

    def probed(self, response: Response, request: Request, spider: Spider) -> None:
        """A probe answered (any status): one line of progress."""
        if self.progress is not None:
            self.progress(_probe_line(str(response.status), request))

    def _failed(self, failure: Failure) -> None:
        """A probe that got no answer (a refused address, a timeout): one line of progress."""
        if self.progress is not None and not isinstance(failure.value, HttpError):
            self.progress(_probe_line("---", failure.request, describe_failure(failure)))

    async def start(self) -> AsyncIterator[Request]:
        root = urljoin(self.url, "/")
        yield Request(self.url, callback=self.parse_page, errback=self.page_failed, priority=10)
        yield Request(urljoin(root, "/robots.txt"), callback=self.parse_robots, errback=self.ignore)
        for path in FEED_PATHS:
            yield self._candidate("feed", urljoin(root, path), "common path")
        for path in SITEMAP_PATHS:
            yield self._candidate("sitemap", urljoin(root, path), "common path")

    def _candidate(self, kind: str, url: str, how: str, title: str | None = None) -> Request:
        return Request(
            url,
            callback=self.parse_candidate,
            errback=self.ignore,
            cb_kwargs={"kind": kind, "how": how, "title": title},
            dont_filter=True,  # one URL may be found several ways; each way is recorded
        )

    def parse_page(self, response: Response) -> Iterator[Request]:
        """Feeds the page names: <link rel=alternate> first, then links that look like feeds."""
        text = decode_html(response.body, response_headers(response).get("content-type"))
        from parsel import Selector

        page = Selector(text=text, base_url=response.url)
        for link in page.xpath("//link[@href]"):
            rel = (link.attrib.get("rel") or "").lower().split()
            kind = (link.attrib.get("type") or "").lower().split(";")[0].strip()
            url = resolve(response.url, link.attrib["href"])
            if "alternate" in rel and kind in FEED_TYPES and is_http_url(url):
                yield self._candidate("feed", url, "link rel=alternate", link.attrib.get("title"))
        for anchor in page.css("a[href]"):
            url = resolve(response.url, anchor.attrib["href"])
            path = urlsplit(url).path.lower() if is_http_url(url) else ""
            if path.endswith((".rss", ".atom", "/rss", "/feed", "rss.xml", "feed.xml", "atom.xml")):
                yield self._candidate("feed", url, "link on the page")

    def page_failed(self, failure: Failure) -> None:
        """The page itself could not be fetched: say so; robots.txt and common paths still count."""
        self._failed(failure)
        self.found.append(
            Found("page", failure.request.url, "the given URL", error=describe_failure(failure))
        )

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """The sitemaps a robots.txt names."""
        try:
            sitemap = SitemapSource.parse(
                "discover", response.body, {"content-type": "text/plain"}, response.url
            )
        except FetchError:
            return
        for url, _ in sitemap.sitemaps:
            yield self._candidate("sitemap", url, "robots.txt")

    def parse_candidate(
        self, response: Response, kind: str, how: str, title: str | None
    ) -> Iterator[Request]:
        """Read a candidate as a feed or a sitemap; keep it when it is one."""
        key = normalize_url(response.url)
        if not is_http_url(response.url):
            return
        if key in self._seen:  # found twice (a common path redirecting to the linked feed, say)
            known = self._seen[key]
            if HOW.index(how) < HOW.index(known.how):
                known.how, known.title = how, title or known.title
            return
        headers = response_headers(response)
        try:
            if kind == "feed":
                entries = FeedSource.parse("discover", response.body, headers, response.url)
                found = Found("feed", response.url, how, title)
                found.add(entries.entries)
            else:
                sitemap = SitemapSource.parse(
                    "discover", response.body, headers, response.url, max_size=self.max_size
                )
                found = Found("sitemap", response.url, how)
                found.add(sitemap.entries)
        except FetchError:
            return  # a common path that is no feed or sitemap: nothing found there
        self._seen[key] = found
        self.found.append(found)
        if kind == "sitemap":
            children = sorted(sitemap.sitemaps, key=lambda c: c[1] or "", reverse=True)
            for url, _ in children[:MAX_CHILD_SITEMAPS]:
                yield Request(url, callback=self.parse_child, errback=self.ignore, cb_kwargs={"found": found})

    def parse_child(self, response: Response, found: Found) -> None:
        """Count a child sitemap's entries into its index."""
        try:
            sitemap = SitemapSource.parse(
                "discover", response.body, response_headers(response), response.url, max_size=self.max_size
            )
        except FetchError:
            return
        found.sitemaps += 1
        found.add(sitemap.entries)

    def ignore(self, failure: Failure) -> None:
        """A path that is not there (404, robots.txt): nothing to report; a private address: said so."""
        self._failed(failure)
        kind = failure.request.cb_kwargs.get("kind")
        if isinstance(failure.value, RefusedRequest) and kind:
            how = failure.request.cb_kwargs["how"]
            self.found.append(Found(kind, failure.request.url, how, error=str(failure.value)))
        logger.debug("discover: %s: %s", failure.request.url, describe_failure(failure))


def _probe_line(status: str, request: Request, error: str | None = None) -> str:
    """``404 https://example.org/rss.xml  (feed, common path)``: a probe and its answer."""
    kind, how = request.cb_kwargs.get("kind"), request.cb_kwargs.get("how")
    what = f"  ({kind}, {how})" if kind else ""
    return f"{status} {request.url}{what}" + (f": {error}" if error else "")
