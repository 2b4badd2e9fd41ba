"""Item pipelines: analyse (in a process pool), then admit and store."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.admission import Outcome
from crawler.context import CrawlContext
from crawler.errors import StoreError
from crawler.items import ArticleItem
from crawler.urls import normalize_url

logger = logging.getLogger(__name__)


class _CrawlPipeline:
    """A pipeline of a tradewatch crawl: its context is the spider's, taken when the spider opens."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context: CrawlContext

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def open_spider(self) -> None:
        self.context = self.crawler.spider.context  # type: ignore[union-attr]


class AnalysePipeline(_CrawlPipeline):
    """Extracts and matches each page in the crawl's worker pool, off the event loop."""

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        context = self.context
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


class StorePipeline(_CrawlPipeline):
    """Stores a new article with its aliases, matches and alerts, as the admission decides."""

    def process_item(self, item: ArticleItem) -> ArticleItem:
        context = self.context
        analysis, entry = item.analysis, item.entry
        assert analysis is not None and entry.url is not None
        counts = context.report.of(entry.source)
        page_url = normalize_url(item.page.url) if item.page is not None else None
        try:
            verdict, keys = context.admission.at_store(entry, analysis, page_url)
            if verdict.outcome is Outcome.KNOWN:
                counts.duplicate += 1
            elif verdict.outcome is Outcome.TOO_OLD:
                counts.old += 1
            else:
                _, matches = context.ingest.store(
                    context.store,
                    analysis.row(entry.source, item.fetch_error),
                    keys,
                    analysis.matches,
                    analysis.lang,
                    analysis.signature,
                )
                counts.new += 1
                counts.flagged += bool(matches)
            counts.errors += item.fetch_error is not None and not item.refused
            counts.refused += item.refused
        except StoreError as error:
            logger.error("source %s: %s", entry.source, error)
            counts.errors += 1
            context.report.run(entry.source).incomplete = True
        context.report.changed()
        return item
