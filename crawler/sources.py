"""Source kinds: each turns a downloaded listing (feed, sitemap or HTML page) into entries.

Kinds are registered by their config key in ``KINDS``, all read through one signature,
``read(listing, source, max_size) -> Listed``: the spider does the downloading and dispatches
through ``KINDS``. Each kind's ``parse`` takes just what that kind needs, for direct callers
(``discover``, tests).

One item never costs the others: an item that cannot be read (a JSON Feed item of the wrong
shape, say) is set aside in ``Listed.bad`` with the reason, and a link of any form is kept as
the listing wrote it (resolved against the listing's URL where it can be), for the admission to
judge (``crawler.admission``). Only a body that is no listing at all raises ``FetchError``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import feedparser
from parsel import Selector

from crawler.config import Source
from crawler.dates import iso_from_struct, parse_date
from crawler.errors import FetchError, InvalidURL
from crawler.langs import short_lang
from crawler.text import collapse, decode_html, html_to_text
from crawler.urls import is_http_url, normalize_url, resolve, url_problem

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"


@dataclass(frozen=True)
class Entry:
    """One article as a listing announces it, before its page is fetched."""

    source: str
    link: str | None
    guid: str | None = None
    title: str = ""
    summary: str = ""
    author: str | None = None
    published_at: str | None = None
    date_from: str | None = None  # where published_at came from: "feed" or "news-sitemap"
    updated_at: str | None = None
    lastmod: str | None = None  # a sitemap's <lastmod>: when the page last changed
    lang: str | None = None
    keywords: str | None = None

    @property
    def listed_date(self) -> str | None:
        """The best date the listing gives, to judge an entry's age before fetching it."""
        return self.published_at or self.lastmod

    @cached_property
    def url(self) -> str | None:
        """The entry's link, normalised."""
        return normalize_url(self.link) if self.link else None

    @cached_property
    def guid_key(self) -> str | None:
        """The feed id as stored among the aliases: URL-like ids as URLs, others per source."""
        if not self.guid:
            return None
        if is_http_url(self.guid):
            return normalize_url(self.guid)
        if ":" in self.guid:  # tag:, urn: and other global ids
            return self.guid
        return f"{self.source}:{self.guid}"

    @cached_property
    def keys(self) -> list[str]:
        """Every key by which the store may already know this entry."""
        return [k for k in (self.url, self.guid_key) if k]


@dataclass(frozen=True)
class Listing:
    """A downloaded listing: its final URL, headers (names in lower case) and body."""

    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unread:
    """A listed item that cannot be followed: its link (or its place in the listing) and why."""

    link: str
    reason: str


@dataclass
class Listed:
    """What a listing holds: entries, or (an index, a robots.txt) sitemaps to read with their lastmod,
    and the items it lists that cannot be read."""

    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[tuple[str, str | None]] = field(default_factory=list)
    bad: list[Unread] = field(default_factory=list)

    def sitemap(self, link: str, lastmod: str | None) -> None:
        """Add a child sitemap, or set it aside when its URL cannot be fetched."""
        problem = url_problem(link)
        if problem is None:
            self.sitemaps.append((link, lastmod))
        else:
            self.bad.append(Unread(link, f"sitemap link: {problem}"))


def _read_items(items: Iterable[Any], read: Callable[[Any], Entry], url: str) -> Listed:
    """Entries of ``items`` listed at ``url``, each read alone: one that raises is set aside with the
    reason, and so is one that links to the listing itself (no listing lists itself as news)."""
    listed, itself = Listed(), normalize_url(url)
    for number, item in enumerate(items, 1):
        try:
            entry = read(item)
        except InvalidURL as error:
            listed.bad.append(Unread(_item_name(item, number), str(error)))
        except Exception as error:  # any shape a third party writes: recorded, the rest go on
            listed.bad.append(Unread(_item_name(item, number), f"cannot read item: {error!r}"[:300]))
        else:
            if entry.link and normalize_url(entry.link) == itself:
                listed.bad.append(Unread(entry.link, "links to the listing itself"))
            else:
                listed.entries.append(entry)
    return listed


def _item_name(item: Any, number: int) -> str:
    """How people can find an unreadable item: its link or id as written, else its place."""
    if isinstance(item, Mapping):
        for key in ("link", "url", "id"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    return f"item {number}"


class FeedSource:
    """RSS 0.9x/1.0/2.0, Atom and JSON Feed, parsed with feedparser."""

    @staticmethod
    def read(listing: Listing, source: Source, max_size: int = 0) -> Listed:
        """The entries of a downloaded feed (``KINDS``' one signature)."""
        return FeedSource.parse(source.name, listing.body, listing.headers, listing.url)

    @staticmethod
    def parse(name: str, body: bytes, headers: Mapping[str, str], url: str) -> Listed:
        """Entries of a feed body; FetchError when it is not a feed at all."""
        return _parse_feed(name, body, headers, url)


def _parse_feed(name: str, body: bytes, headers: Mapping[str, str], url: str) -> Listed:
    if _looks_like_json_feed(body, headers):
        return _parse_json_feed(name, body, url)
    # Always a stream: given bytes or a str, feedparser may read a local file or URL.
    # No sanitizing: every title and summary is reduced to plain text (html_to_text),
    # and skipping it makes parsing about 3.5x faster on the corpus of real feeds.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={**headers, "content-location": url},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if parsed.bozo and not parsed.entries and not parsed.get("version"):
        problem = parsed.get("bozo_exception") or "unrecognised format"
        raise FetchError(f"not a feed: {problem}")
    feed_lang = short_lang(parsed.feed.get("language"))

    def read(item: Any) -> Entry:
        link = item.get("link")
        if not link and any(not ln.get("href") for ln in item.get("links") or []):
            # feedparser resolves links itself, and drops one urllib cannot parse (an unclosed
            # bracket): only its empty place is left.
            raise InvalidURL("malformed link (feedparser could not read it)")
        # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed.
        updated = iso_from_struct(dict.get(item, "updated_parsed"))
        published = iso_from_struct(item.get("published_parsed")) or updated
        tags = [t.get("term") for t in item.get("tags") or [] if t.get("term")]
        return Entry(
            source=name,
            link=resolve(url, link) if link else None,
            guid=item.get("id") or None,
            title=html_to_text(item.get("title", "")),
            summary=html_to_text(item.get("summary", "")),
            author=html_to_text(item.get("author", "")) or None,
            published_at=published,
            date_from="feed" if published else None,
            updated_at=updated if updated != published else None,
            lang=feed_lang,
            keywords=", ".join(html_to_text(t) for t in tags) or None,
        )

    return _read_items(parsed.entries, read, url)


def _looks_like_json_feed(body: bytes, headers: Mapping[str, str]) -> bool:
    content_type = headers.get("content-type", "").lower()
    return "json" in content_type or body.lstrip()[:1] == b"{"


def _parse_json_feed(name: str, body: bytes, url: str) -> Listed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise FetchError(f"not a JSON feed: {error}") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(JSON_FEED_PREFIX):
        raise FetchError("not a JSON feed: no jsonfeed.org version")
    feed_lang = short_lang(data.get("language"))

    def read(item: Any) -> Entry:
        if not isinstance(item, dict):
            raise TypeError(f"an item is a JSON object, not {type(item).__name__}")
        link = item.get("url") or item.get("external_url")
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = ", ".join(str(a.get("name") or "") for a in authors if isinstance(a, dict)) or None
        summary = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
        published = parse_date(item.get("date_published") or item.get("date_modified"))
        updated = parse_date(item.get("date_modified"))
        tags = [str(t) for t in item.get("tags") or [] if isinstance(t, str | int | float)]
        return Entry(
            source=name,
            link=resolve(url, link) if isinstance(link, str) and link else None,
            guid=str(item["id"]) if item.get("id") is not None else None,
            title=html_to_text(str(item.get("title") or "")),
            summary=html_to_text(str(summary)),
            author=author,
            published_at=published,
            date_from="feed" if published else None,
            updated_at=updated if updated != published else None,
            lang=short_lang(item.get("language")) or feed_lang,
            keywords=", ".join(tags) or None,
        )

    items = data.get("items") or []
    return _read_items(items if isinstance(items, list) else [items], read, url)


class PageSource:
    """An HTML listing page whose ``links:`` CSS selector picks the article links."""

    @staticmethod
    def read(listing: Listing, source: Source, max_size: int = 0) -> Listed:
        """The entries of a downloaded listing page (``KINDS``' one signature)."""
        text = decode_html(listing.body, listing.headers.get("content-type"))
        return PageSource.parse(
            source.name, listing.body, listing.headers, listing.url, links=source.links or "a", text=text
        )

    @staticmethod
    def parse(
        name: str, body: bytes, headers: Mapping[str, str], url: str, *, links: str, text: str
    ) -> Listed:
        """One entry per distinct link the selector matches (``text``: the decoded body).

        Links to the listing itself (``#top``, ``/`` on a home page) are chrome, not articles: they
        are passed over. Every other link, of any form, is an entry for the admission to judge.
        """
        selector = Selector(text=text, base_url=url)
        entries: dict[str, Entry] = {}
        itself = normalize_url(url)
        for node in selector.css(links):
            anchors = [node] if node.root.tag == "a" else node.css("a[href]")
            for anchor in anchors:
                href = anchor.attrib.get("href", "").strip()
                link = resolve(url, href)
                key = normalize_url(link)
                if href and not href.startswith("#") and key != itself and key not in entries:
                    title = collapse(" ".join(anchor.css("::text").getall()))
                    entries[key] = Entry(source=name, link=link, title=title)
        return Listed(list(entries.values()))


class SitemapSource:
    """Sitemap index files, sitemaps and Google News sitemaps, gzipped or not, or a robots.txt."""

    @staticmethod
    def read(listing: Listing, source: Source, max_size: int = 0) -> Listed:
        """The entries, or the child sitemaps, of a downloaded sitemap (``KINDS``' one signature)."""
        return SitemapSource.parse(source.name, listing.body, listing.headers, listing.url, max_size=max_size)

    @staticmethod
    def parse(name: str, body: bytes, headers: Mapping[str, str], url: str, *, max_size: int = 0) -> Listed:
        """The child sitemaps or the entries of a sitemap body; FetchError when it is neither."""
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file, served as it is (not Content-Encoding)
            from scrapy.utils.gz import gunzip

            try:
                body = gunzip(body, max_size=max_size)
            except (OSError, EOFError) as error:
                raise FetchError(f"not a sitemap: cannot decompress ({error})") from None
            except Exception as error:  # Scrapy's _DecompressionMaxSizeExceeded
                raise FetchError(f"not a sitemap: {error}") from None
        if urlsplit(url).path == "/robots.txt" or headers.get("content-type", "").startswith("text/plain"):
            return _robots_sitemaps(body, url)
        return _parse_sitemap_xml(name, body, url)


def _robots_sitemaps(body: bytes, url: str) -> Listed:
    from protego import Protego

    robots = Protego.parse(body.decode("utf-8", "replace"))
    found = [resolve(url, s.strip()) for s in robots.sitemaps]
    if not found:
        raise FetchError("robots.txt names no sitemap (no Sitemap: line)")
    listed = Listed()
    for link in dict.fromkeys(found):
        listed.sitemap(link, None)
    return listed


def _parse_sitemap_xml(name: str, body: bytes, url: str) -> Listed:
    # parsel's XML parser does not resolve entities: no billion laughs, no local files.
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()  # sitemaps in the wild use the namespaces loosely
    root = selector.xpath("/*")
    tag = root[0].root.tag if root else ""
    if tag == "sitemapindex":
        listed = Listed()
        for node in selector.xpath("/sitemapindex/sitemap"):
            if loc := (node.xpath("loc/text()").get() or "").strip():
                listed.sitemap(resolve(url, loc), parse_date(node.xpath("lastmod/text()").get()))
        return listed
    if tag != "urlset":
        raise FetchError(f"not a sitemap: root element <{tag or 'none'}>")

    def read(node: Selector) -> Entry:
        loc = (node.xpath("loc/text()").get() or "").strip()
        news = node.xpath("news")
        published = parse_date(news.xpath("publication_date/text()").get()) if news else None
        return Entry(
            source=name,
            link=resolve(url, loc) if loc else None,
            title=collapse(news.xpath("title/text()").get() or "") if news else "",
            published_at=published,
            date_from="news-sitemap" if published else None,
            lastmod=parse_date(node.xpath("lastmod/text()").get()),
            lang=short_lang(news.xpath("publication/language/text()").get()) if news else None,
            keywords=collapse(news.xpath("keywords/text()").get() or "") or None if news else None,
        )

    return _read_items(selector.xpath("/urlset/url"), read, url)


KINDS: dict[str, type[FeedSource | PageSource | SitemapSource]] = {
    "feed": FeedSource,
    "page": PageSource,
    "sitemap": SitemapSource,
}
