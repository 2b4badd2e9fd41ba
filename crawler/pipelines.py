"""Item pipelines: analyse (in a process pool), then deduplicate and store."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler

from crawler.context import CrawlContext
from crawler.errors import StoreError
from crawler.extract import analyse_in_worker, start_worker
from crawler.items import ArticleItem
from crawler.urls import normalize_url

logger = logging.getLogger(__name__)


class AnalysePipeline:
    """Extracts and matches each page in a pool of worker processes, off the event loop."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AnalysePipeline:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        return self.crawler.spider.context  # type: ignore[union-attr]

    def _start_pool(self) -> ProcessPoolExecutor:
        # Started on the first page, so a crawl with nothing new starts no worker.
        if self._pool is None:
            # A fresh server process imports trafilatura once and forks the workers from it:
            # no worker inherits the crawler's threads and event loop, none imports twice.
            mp_context = multiprocessing.get_context("forkserver")
            mp_context.set_forkserver_preload(["crawler.extract", "trafilatura"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.context.fetch.workers,
                mp_context=mp_context,
                initializer=start_worker,
                initargs=(self.context.rule_nodes,),
            )
        return self._pool

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        context = self.context
        if item.page is None:
            item.analysis = context.analyser.analyse(item.entry)
            return item
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            try:
                pool = self._start_pool()
                item.analysis = await loop.run_in_executor(pool, analyse_in_worker, item.entry, item.page)
                return item
            except BrokenProcessPool:
                # A worker died (killed, out of memory): start a new pool and try once more.
                logger.warning("extraction worker died on %s (attempt %d)", item.page.url, attempt)
                self._pool = None
            except Exception as error:  # one bad page must not stop the crawl
                logger.exception("extraction failed on %s", item.page.url)
                item.fetch_error = f"extraction failed: {error}"[:300]
                break
        else:
            item.fetch_error = "extraction failed: worker process died"
        item.analysis = context.analyser.analyse(item.entry)
        return item

    def close_spider(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


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
            known = store.find_article([analysis.url, *keys])
            if known is not None:
                store.add_aliases(known, keys)
                report.duplicate += 1
            else:
                store.save_article(
                    analysis.row(entry.source, item.fetch_error),
                    keys,
                    analysis.matches,
                    context.alerts_owed(analysis.matches),
                )
                report.new += 1
                report.flagged += bool(analysis.matches)
            report.errors += item.fetch_error is not None
        except StoreError as error:
            logger.error("source %s: %s", entry.source, error)
            report.errors += 1
            report.incomplete = True
        context.report.changed()
        return item
