"""Item pipelines: analyse (in a process pool), then deduplicate and store."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.context import CrawlContext
from crawler.errors import StoreError
from crawler.items import ArticleItem
from crawler.urls import normalize_url

logger = logging.getLogger(__name__)


class AnalysePipeline:
    """Extracts and matches each page in the crawl's worker pool, off the event loop."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AnalysePipeline:
        return cls(crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        if item.page is not None:
            try:
                analysis = await context.pool.analyse(item.entry, item.page)
                item.analysis = context.analyser.with_detected_lang(analysis, item.entry)
                return item
            except Exception as error:  # one bad page must not stop the crawl
                logger.exception("extraction failed on %s", item.page.url)
                item.fetch_error = f"extraction failed: {error}"[:300]
        item.analysis = context.analyser.analyse(item.entry)
        return item


def _too_old(item: ArticleItem) -> bool:
    """True for an article whose own date (not merely first-seen) lies before its source's cutoff."""
    analysis = item.analysis
    assert analysis is not None
    return (
        bool(item.cutoff) and analysis.published_from != "first-seen" and analysis.published_at < item.cutoff
    )


class StorePipeline:
    """Stores a new article with its aliases and matches, or adds aliases to the known one."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> Any:
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        analysis, entry = item.analysis, item.entry
        assert analysis is not None and entry.url is not None
        report = context.report.of(entry.source)
        keys = [*entry.keys, *context.release(entry.url)]
        if item.page is not None:
            keys.append(normalize_url(item.page.url))
        store = context.store
        try:
            if store.remember([analysis.url, *keys]) is not None:
                report.duplicate += 1
            elif _too_old(item):
                store.skip([analysis.url, *keys], entry.source, analysis.published_at, "older than max_age")
                report.old += 1
            else:
                matches = context.applicable(analysis.matches, analysis.lang)
                store.save_article(
                    analysis.row(entry.source, item.fetch_error),
                    keys,
                    matches,
                    context.alerts_owed(matches),
                )
                report.new += 1
                report.flagged += bool(matches)
            report.errors += item.fetch_error is not None and not item.refused
            report.refused += item.refused
        except StoreError as error:
            logger.error("source %s: %s", entry.source, error)
            report.errors += 1
            report.incomplete = True
        context.report.changed()
        return item
