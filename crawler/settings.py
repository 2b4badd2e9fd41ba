"""Scrapy settings built from the ``fetch:`` config: one place for every crawl default."""

from __future__ import annotations

from typing import Any

from crawler.config import FetchConfig


def scrapy_settings(fetch: FetchConfig, log_level: str = "WARNING") -> dict[str, Any]:
    """Scrapy settings for a tradewatch crawl."""
    return {
        "BOT_NAME": "tradewatch",
        "USER_AGENT": fetch.user_agent,
        "ROBOTSTXT_OBEY": fetch.robots,
        "CONCURRENT_REQUESTS": fetch.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": fetch.per_host,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_TIMEOUT": fetch.timeout,
        "DNS_TIMEOUT": min(fetch.timeout, 60),
        "DOWNLOAD_MAXSIZE": fetch.max_page_size,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": fetch.retries > 0,
        "RETRY_TIMES": fetch.retries,
        "REDIRECT_MAX_TIMES": 10,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "%(levelname)s %(name)s: %(message)s",
        "LOGSTATS_INTERVAL": 0,
        "ITEM_PIPELINES": {
            "crawler.pipelines.AnalysePipeline": 100,
            "crawler.pipelines.StorePipeline": 200,
        },
    }
