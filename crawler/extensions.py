"""Scrapy extensions of a tradewatch crawl."""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.errors import StoreError

logger = logging.getLogger(__name__)


class SaveSourceState:
    """When the crawl closes, saves each source's run: the one place source state is written.

    ETag and Last-Modified (a feed's, each sitemap's) are kept only when the crawl finished and
    nothing of the source was lost, so that a crash never makes an article look already seen.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SaveSourceState:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        context = spider.context  # type: ignore[attr-defined]
        for source in context.sources:
            run = context.report.run(source.name)
            safe = run.safe(reason == "finished")
            try:
                context.store.record_source(
                    source.name,
                    source.kind,
                    source.url,
                    status=run.status,
                    error=run.error,
                    validators=run.validators if safe else None,
                    retry_after=run.retry_after,
                )
                if safe and run.sitemap_validators:
                    context.store.keep_sitemap_validators(source.name, run.sitemap_validators)
            except StoreError as error:  # the next run simply reads everything again
                logger.error("source %s: %s", source.name, error)
