"""Find a site's feeds and sitemaps: the library behind ``tradewatch discover``."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from crawler.config import FetchConfig
from crawler.egress import EgressPolicy
from crawler.settings import crawler_process, scrapy_settings
from crawler.spiders.discover import HOW, DiscoverSpider, Found


def discover(
    url: str, fetch: FetchConfig, log_level: str = "WARNING", progress: Callable[[str], None] | None = None
) -> list[Found]:
    """The feeds and sitemaps found from the page at ``url``, each read and counted, best first
    (``progress``, if given, is told one line per probe)."""
    found: list[Found] = []
    # The URL given is the operator's; what the site links to elsewhere is checked as a crawl's links are.
    egress = EgressPolicy.of([url], fetch.allow_hosts, fetch.allow_private)
    settings = scrapy_settings(fetch, egress, log_level)
    settings["ITEM_PIPELINES"] = {}
    settings["EXTENSIONS"] = {**settings["EXTENSIONS"], "crawler.extensions.SaveSourceState": None}
    settings["RETRY_TIMES"] = min(fetch.retries, 1)
    settings["ROBOTSTXT_OBEY"] = fetch.robots  # the crawl decides per request; discovery here
    process = crawler_process(settings, log_level)
    process.crawl(DiscoverSpider, url=url, found=found, max_size=fetch.max_page_size, progress=progress)
    process.start()
    return sorted(found, key=lambda f: (f.kind != "page", f.kind != "feed", HOW.index(f.how), f.url))


def source_name(url: str, taken: set[str]) -> str:
    """A short, unique source name from a URL: ``ledger-feeds-news`` for ledger.example/feeds/news.xml."""
    parts = urlsplit(url)
    host = (parts.hostname or "site").removeprefix("www.")
    host = "site" if host.replace(".", "").isdigit() or ":" in host else host.split(".")[0]
    path = re.sub(r"\.(xml|rss|atom|json|gz)$", "", parts.path.strip("/"))
    words = [w for w in re.split(r"[^a-z0-9]+", f"{host} {path}".lower()) if w]
    base = "-".join(words)[:48].strip("-") or "source"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def suggested_sources(found: list[Found]) -> list[dict[str, str]]:
    """Ready-to-paste ``sources:`` entries for what was found (a sitemap index stands for its children)."""
    taken: set[str] = set()
    sources = []
    for item in found:
        if item.error or item.kind == "page":
            continue
        sources.append({"name": source_name(item.url, taken), item.kind: item.url})
    return sources
