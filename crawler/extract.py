"""Page analysis: decode, read metadata, extract the article text, match the rules.

This is the CPU-heavy stage. It is pure (data in, data out) so that it can run in a
process pool off the crawler's event loop: ``start_worker`` prepares a worker once,
``analyse_in_worker`` then handles one page at a time.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from crawler import dates
from crawler.langs import article_lang, short_lang
from crawler.rules import Match, Matcher, Node
from crawler.sources import Entry
from crawler.stories import Signature, signature
from crawler.text import collapse, content_hash, decode_html
from crawler.urls import is_http_url, normalize_url, resolve


@dataclass(frozen=True)
class Page:
    """A downloaded article page: its final URL, body and Content-Type."""

    url: str
    body: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class Analysis:
    """An article ready to store: canonical URL, clean fields, hash and matches."""

    url: str
    title: str
    summary: str
    text: str | None
    author: str | None
    published_at: str
    published_from: str
    updated_at: str | None
    lang: str | None
    content_hash: str
    keywords: str | None = None
    matches: tuple[Match, ...] = field(default_factory=tuple)
    page_lang: str | None = None  # the page's own language tag, before any detection
    signature: Signature | None = None  # what story grouping compares (crawler.stories)

    def row(self, source: str, fetch_error: str | None = None) -> dict[str, object]:
        """The ``articles`` row for this analysis."""
        return {
            "url": self.url,
            "title": self.title,
            "summary": self.summary,
            "text": self.text,
            "author": self.author,
            "published_at": self.published_at,
            "published_from": self.published_from,
            "updated_at": self.updated_at,
            "keywords": self.keywords,
            "source": source,
            "lang": self.lang,
            "content_hash": self.content_hash,
            "fetch_error": fetch_error,
        }


def _head_metadata(tree) -> dict[str, str]:
    """Canonical link, title and meta properties of the page's <head>, in one pass."""
    found: dict[str, str] = {}
    head = tree.find("head")
    for element in head.iter("link", "meta", "title") if head is not None else ():
        if element.tag == "title":
            found.setdefault("title", collapse(element.text_content()))
        elif element.tag == "link":
            if "canonical" in (element.get("rel") or "").lower().split():
                found.setdefault("canonical", (element.get("href") or "").strip())
        else:
            key = element.get("property") or element.get("name") or element.get("itemprop")
            if key and element.get("content"):
                found.setdefault(key.lower(), collapse(element.get("content")))
    return {k: v for k, v in found.items() if v}


def _canonical(found: dict[str, str], url: str) -> str:
    """The page's rel=canonical or og:url, unless it is absent, bogus or the site's home."""
    candidate = found.get("canonical") or found.get("og:url")
    if candidate:
        candidate = resolve(url, candidate)
        if is_http_url(candidate) and (
            urlsplit(candidate).path.strip("/") or not urlsplit(url).path.strip("/")
        ):
            return normalize_url(candidate)
    return normalize_url(url)


_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting"}


def _json_ld_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object in a parsed document, @graph members included."""
    if isinstance(value, list):
        for item in value:
            yield from _json_ld_objects(item)
    elif isinstance(value, dict):
        yield value
        yield from _json_ld_objects(value.get("@graph"))


def _json_ld_dates(tree) -> tuple[str | None, str | None]:
    """(datePublished, dateModified) of the page's JSON-LD, article objects first."""
    found: list[tuple[bool, Any, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script, strict=False)
        except ValueError:
            continue
        for item in _json_ld_objects(data):
            if "datePublished" in item or "dateModified" in item:
                types = item.get("@type")
                types = types if isinstance(types, list) else [types]
                is_article = any(str(t).lower() in _ARTICLE_TYPES for t in types)
                found.append((is_article, item.get("datePublished"), item.get("dateModified")))
    found.sort(key=lambda f: not f[0])  # stable: article objects first, else document order
    published = next((d for _, p, _ in found if (d := dates.parse_date(p))), None)
    modified = next((d for _, _, m in found if (d := dates.parse_date(m))), None)
    return published, modified


def _meta_dates(tree, head: dict[str, str]) -> tuple[str | None, str | None]:
    """(published, modified) of the page's meta tags and microdata."""
    published = head.get("article:published_time") or head.get("datepublished")
    if not published:
        found = tree.xpath("(//*[@itemprop='datePublished']/@content | //time[@pubdate]/@datetime)[1]")
        published = str(found[0]) if found else None
    modified = head.get("article:modified_time") or head.get("og:updated_time") or head.get("datemodified")
    return dates.parse_date(published), dates.parse_date(modified)


def _htmldate(tree, url: str) -> str | None:
    """htmldate's reading of the page's original date (markup and URL, no free-text guessing)."""
    from htmldate import find_date

    try:
        found = find_date(
            tree, extensive_search=False, original_date=True, url=url, outputformat="%Y-%m-%dT%H:%M:%S"
        )
    except Exception:  # htmldate is a best-effort fallback: a page it trips on has no date from it
        return None
    return dates.parse_date(found)


@dataclass(frozen=True)
class PageFacts:
    """What a page says of itself: canonical URL, metadata, dates by origin and the article text."""

    url: str
    title: str | None = None
    text: str | None = None
    author: str | None = None
    lang: str | None = None
    published: tuple[tuple[str, str | None], ...] = ()  # (origin, date) candidates
    updated_at: str | None = None


# Extraction, chosen by bench/extract.py on both shared corpora (890 pages, two metrics):
# trafilatura favouring recall, without comments; and where its text is under half the page's
# paragraph text, readability-lxml's reading too, taken when trafilatura's is under half of it.
PARAGRAPH_GATE = 0.5
READABILITY_RATIO = 0.5


def quiet_readability() -> None:
    """Silence readability-lxml, which logs a traceback per page it trips on (for the processes
    that read pages: the workers, bench/extract.py)."""
    logging.getLogger("readability").setLevel(logging.CRITICAL)


def _paragraph_chars(tree: Any) -> int:
    """Characters of text in the page's <p> elements: what an article page is mostly made of."""
    return sum(len(" ".join(p.text_content().split())) for p in tree.iter("p"))


def readability_text(html: str) -> str:
    """readability-lxml's reading of a page, as plain text (a line per block)."""
    from lxml.html import fromstring
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    return "\n".join(t.strip() for t in fromstring(summary).itertext() if t.strip())


def extract_text(tree: Any, html: str, url: str) -> str | None:
    """The article text of a page (``tree``, parsed from ``html``, is trimmed by this call)."""
    import trafilatura

    paragraphs = _paragraph_chars(tree)  # before trafilatura trims the tree
    text = trafilatura.extract(tree, url=url, include_comments=False, favor_recall=True)
    if len(text or "") >= PARAGRAPH_GATE * paragraphs:
        # readability reads the same paragraphs: its text cannot be twice as long. (Measured: the
        # gate changes no choice on the corpora and spares readability on 19 pages of 20.)
        return text
    try:
        other = readability_text(html)
    except Exception:  # a second opinion: a page it trips on keeps trafilatura's text
        return text
    return other if len(text or "") < READABILITY_RATIO * len(other) else text


def read_page(page: Page, *, dated: bool = False) -> PageFacts:
    """Decode a page, read its metadata and extract its article text with trafilatura.

    ``dated``: the listing already gave a believable date, so htmldate need not look.
    """
    from trafilatura.utils import load_html

    html = decode_html(page.body, page.content_type)
    tree = load_html(html)
    if tree is None:
        return PageFacts(url=normalize_url(page.url))
    head = _head_metadata(tree)
    ld_published, ld_modified = _json_ld_dates(tree)
    meta_published, meta_modified = _meta_dates(tree, head)
    published = [("json-ld", ld_published), ("meta", meta_published)]
    if not dated and not any(dates.believable(d) for _, d in published):
        published.append(("htmldate", _htmldate(tree, page.url)))  # before trafilatura trims the tree
    lang = (tree.get("lang") or "").strip() or head.get("og:locale")
    text = extract_text(tree, html, page.url)
    title = head.get("og:title") or head.get("title")
    return PageFacts(
        url=_canonical(head, page.url),
        title=title,
        text=text,
        author=head.get("author"),
        lang=lang,
        published=tuple(published),
        updated_at=ld_modified or meta_modified,
    )


class Analyser:
    """Turns entries and their pages into Analyses with one compiled Matcher.

    ``detect_langs=False`` leaves the language detector out (``with_detected_lang`` adds it
    later): the analysis workers do so, and the crawler process holds the one copy of its
    model instead of every worker. ``signatures=False`` leaves the story signature out
    (``stories: false``: nothing groups the articles).
    """

    def __init__(
        self, rules: Sequence[tuple[str, Node]], detect_langs: bool = True, signatures: bool = True
    ) -> None:
        self.matcher = Matcher(rules)
        self.detect_langs = detect_langs
        self.signatures = signatures

    @staticmethod
    def with_detected_lang(analysis: Analysis, entry: Entry) -> Analysis:
        """``analysis`` with its language checked (or guessed) by the detector."""
        text = " ".join((analysis.title, analysis.summary, analysis.text or ""))
        lang = article_lang(analysis.page_lang, entry.lang, text)
        return analysis if lang == analysis.lang else replace(analysis, lang=lang)

    def analyse(self, entry: Entry, page: Page | None = None) -> Analysis:
        """The Analysis of ``entry``, reading ``page`` when it was fetched."""
        now = datetime.now(UTC)
        dated = dates.believable(entry.published_at, now)
        facts = read_page(page, dated=dated) if page is not None else PageFacts(url=entry.url or "")
        title = entry.title or facts.title or ""
        text = facts.text
        origin, published = dates.choose(
            [(entry.date_from or "feed", entry.published_at), *facts.published], now
        )
        updated = next((d for d in (facts.updated_at, entry.updated_at) if dates.believable(d, now)), None)
        page_lang = short_lang(facts.lang)
        matches = tuple(self.matcher.match([title, entry.summary, text or ""]))
        analysis = Analysis(
            url=facts.url,
            title=title,
            summary=entry.summary,
            text=text,
            author=entry.author or facts.author,
            published_at=published,
            published_from=origin,
            updated_at=updated if updated and updated > published else None,
            lang=page_lang or entry.lang,
            content_hash=content_hash(text or entry.summary or title),
            keywords=entry.keywords,
            matches=matches,
            page_lang=page_lang,
            signature=signature(title, entry.summary, text, [(m.rule, m.terms) for m in matches])
            if self.signatures
            else None,
        )
        return self.with_detected_lang(analysis, entry) if self.detect_langs else analysis


_WORKER: Analyser | None = None


def start_worker(rules: Sequence[tuple[str, Node]], signatures: bool = True) -> None:
    """Process-pool initializer: compile the rules once per worker (``signatures``: see Analyser)."""
    from crawler.lifeline import die_with_parent

    die_with_parent()
    quiet_readability()
    global _WORKER
    _WORKER = Analyser(rules, detect_langs=False, signatures=signatures)
    import trafilatura  # noqa: F401  (import once, not on the first page)

    gc.collect()
    gc.freeze()


def analyse_in_worker(entry: Entry, page: Page) -> Analysis:
    """Analyse one page in a worker prepared by ``start_worker``."""
    assert _WORKER is not None, "start_worker was not run in this process"
    return _WORKER.analyse(entry, page)
