"""Run a crawl: the one way a crawl of given sources is put together, for the CLI and the daemon."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from crawler.config import Config, Source
from crawler.context import CrawlContext
from crawler.pool import AnalysisPool
from crawler.report import CrawlReport
from crawler.sqlite import utcnow
from crawler.store import SourceState, Store


def launch_crawl(
    runner: Callable[[], Any],
    store: Store,
    pool: AnalysisPool,
    config: Config,
    sources: Sequence[Source],
    *,
    forced: bool = False,
    on_change: Callable[[CrawlReport], None] | None = None,
) -> tuple[CrawlReport, Awaitable[Any] | None]:
    """Start a crawl of ``sources`` on the Scrapy runner ``runner()`` returns (asked only when needed).

    Returns the report the crawl fills and what to await for its end; None when no source may be
    crawled now (each one's site asked, with Retry-After, for a pause still running), unless
    ``forced`` (sources named by the user).
    """
    from crawler.spiders.sources import SourcesSpider

    report = CrawlReport.for_sources(sources, on_change)
    states = {s.name: store.source_state(s.name) for s in sources}  # read once for the whole crawl
    ready = sources if forced else _not_waiting(sources, states, report)
    if not ready:
        return report, None
    context = CrawlContext(
        store, config.rules, config.hooks, config.fetch, report, pool, ready, states, config.stories
    )
    return report, runner().crawl(SourcesSpider, context=context, sources=ready)


def _not_waiting(
    sources: Sequence[Source], states: Mapping[str, SourceState], report: CrawlReport
) -> list[Source]:
    """The sources whose site has not asked (Retry-After) for a pause still running."""
    now = utcnow()
    ready = []
    for source in sources:
        retry_at = states[source.name].retry_at
        if retry_at and retry_at > now:
            report.run(source.name).status = f"waiting until {retry_at} (Retry-After)"
        else:
            ready.append(source)
    return ready


def crawl(
    config: Config,
    names: Sequence[str] = (),
    *,
    on_change: Callable[[CrawlReport], None] | None = None,
    log_level: str = "WARNING",
    before_start: Callable[[str], None] | None = None,
) -> CrawlReport:
    """Crawl the named sources (all when none are named) once, in this process; return what each did.

    ``before_start(log_level)`` is called once Scrapy is set up, just before the crawl starts: where
    the command sets what is the process's (its garbage collector, its loggers).
    """
    from crawler.egress import EgressPolicy
    from crawler.settings import crawler_process, scrapy_settings

    sources = [config.source(name) for name in names] if names else list(config.sources)
    processes = []

    def process() -> Any:
        egress = EgressPolicy.for_sources(config.sources, config.fetch)
        processes.append(crawler_process(scrapy_settings(config.fetch, egress, log_level), log_level))
        return processes[0]

    store = Store(config.database)
    pool = AnalysisPool.for_config(config)
    try:
        report, running = launch_crawl(
            process, store, pool, config, sources, forced=bool(names), on_change=on_change
        )
        if running is not None:
            if before_start is not None:
                before_start(log_level)  # the command's own process settings (jobs.process)
            processes[0].start()
    finally:
        pool.close()
        store.close()
    return report
