"""Scrapy settings built from the ``fetch:`` config: one place for every crawl default."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.config import ROBOTS_AGENT, FetchConfig
from crawler.egress import EgressPolicy
from crawler.urls import MAX_URL_LENGTH

if TYPE_CHECKING:
    from scrapy.crawler import AsyncCrawlerProcess


def scrapy_settings(fetch: FetchConfig, egress: EgressPolicy, log_level: str = "WARNING") -> dict[str, Any]:
    """Scrapy settings for a tradewatch crawl that may reach what ``egress`` allows."""
    return {
        "BOT_NAME": "tradewatch",
        "USER_AGENT": fetch.identity,
        # Always on: each request says whether its source obeys (dont_obey_robotstxt).
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": ROBOTS_AGENT,
        "CONCURRENT_REQUESTS": fetch.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": fetch.per_host,
        "DOWNLOADER": "crawler.downloader.Downloader",
        "DOWNLOAD_DELAY": fetch.delay,
        "AUTOTHROTTLE_ENABLED": fetch.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(fetch.delay, 0.5),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(fetch.per_host),
        "DOWNLOAD_TIMEOUT": fetch.timeout,
        # Every name is checked against the egress policy as it resolves (crawler/egress.py).
        "TWISTED_DNS_RESOLVER": "crawler.egress.GuardedResolver",
        "TRADEWATCH_EGRESS": egress,
        "DOWNLOAD_MAXSIZE": fetch.max_page_size,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": fetch.retries > 0,
        "RETRY_TIMES": fetch.retries,
        # 429 and 503 are retried by RetryAfterMiddleware, after the wait the site asks for.
        "RETRY_HTTP_CODES": [500, 502, 504, 522, 524, 408],
        "TRADEWATCH_MAX_RETRY_WAIT": fetch.max_retry_wait,
        "REDIRECT_MAX_TIMES": 10,
        # A longer link is set aside by crawler.urls with its reason, not dropped by Scrapy unseen.
        "URLLENGTH_LIMIT": MAX_URL_LENGTH,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "%(levelname)s %(name)s: %(message)s",
        "LOGSTATS_INTERVAL": 0,
        # Each response yields one article (or a listing's requests): Scrapy's default of
        # 100 parallel item workers per response only costs event-loop tasks.
        "CONCURRENT_ITEMS": 4,
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
        },
        # The CLI reports from its own counts; Scrapy's stats cost a lookup on every event.
        "STATS_CLASS": "scrapy.statscollectors.DummyStatsCollector",
        "DOWNLOADER_STATS": False,
        # Components a crawl never uses are left out rather than imported and refused:
        # start-up time is most of a re-poll with nothing new.
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
            "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
            "crawler.middlewares.RetryAfterMiddleware": 555,
            # Above RetryMiddleware (550): a refusal is turned into RefusedRequest before a retry.
            "crawler.egress.EgressMiddleware": 560,
        },
        "EXTENSIONS": {
            "scrapy.extensions.corestats.CoreStats": None,
            "scrapy.extensions.logcount.LogCount": None,
            "scrapy.extensions.telnet.TelnetConsole": None,
            "scrapy.extensions.memdebug.MemoryDebugger": None,
            "scrapy.extensions.closespider.CloseSpider": None,
            "scrapy.extensions.feedexport.FeedExporter": None,
            "scrapy.extensions.logstats.LogStats": None,
            "scrapy.extensions.spiderstate.SpiderState": None,
            "scrapy.extensions.throttle.AutoThrottle": None if not fetch.autothrottle else 0,
            "scrapy.extensions.remote_control.RemoteControl": None,
            "crawler.extensions.SaveSourceState": 0,
        },
        "ITEM_PIPELINES": {
            "crawler.pipelines.AnalysePipeline": 100,
            "crawler.pipelines.StorePipeline": 200,
        },
    }


def crawler_process(settings: dict[str, Any], log_level: str) -> AsyncCrawlerProcess:
    """A Scrapy process for these settings (the loggers are the command's: jobs.process)."""
    from scrapy.crawler import AsyncCrawlerProcess

    return AsyncCrawlerProcess(settings)
