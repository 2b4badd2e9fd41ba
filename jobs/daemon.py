"""``tradewatch run``: the long-lived daemon.

One asyncio loop (Twisted's asyncio reactor) carries Scrapy's AsyncCrawlerRunner and an
APScheduler AsyncIOScheduler: each source crawls on its own interval or cron schedule,
failing sources back off, and a dispatcher delivers the outbox's due alerts. Extraction
stays in the analysis pool's worker processes; alert delivery (blocking I/O) runs in a
thread with its own database connection. systemd is told READY, WATCHDOG, STATUS and
STOPPING; SIGTERM/SIGINT stop cleanly, SIGHUP reloads config.yaml.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from crawler.config import Config, Source, doubling, load_config
from crawler.dates import from_iso
from crawler.errors import ConfigError, TradewatchError
from crawler.store import Store
from crawler.urls import url_host
from jobs.dispatch import Lanes
from jobs.hooks import HOOKS

if TYPE_CHECKING:
    from crawler.pool import AnalysisPool

logger = logging.getLogger("tradewatch.daemon")

BACKOFF_CAP = 6 * 3600.0  # a failing source is still tried at least this often
DISPATCH_EVERY = 1.0  # seconds between looks at the outbox
STOP_GRACE = 6.0  # seconds a running crawl gets to finish on SIGTERM...
STOP_CANCEL = 2.0  # ...then to close once Scrapy is told to stop, before its task is cancelled


def backoff_delay(source: Source, failures: int, retry_after: float | None) -> float:
    """How long a source that failed ``failures`` times in a row waits before its next try."""
    return max(doubling(source.every, failures, max(BACKOFF_CAP, source.every)), retry_after or 0.0)


class Daemon:
    """Schedules crawls and alert delivery until told to stop."""

    def __init__(self, config_path: Path, database: str | None = None) -> None:
        from jobs.systemd import Notifier

        self.config_path = config_path
        self.database = database  # the command line's --database, kept across reloads
        self.config: Config = load_config(config_path, HOOKS, database)
        self.notifier = Notifier()
        self.exit_code = 0
        self.lanes = Lanes(self.config.database)
        self.start_error: TradewatchError | None = None
        self.store: Store | None = None
        self.pool: AnalysisPool | None = None
        self._crawls: set[asyncio.Task] = set()
        self._hosts: dict[str, asyncio.Lock] = {}
        self._last = "starting"
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM or SIGINT; return the exit code.

        Raises what stopped the start (a store that cannot be opened, say) as a TradewatchError,
        which the CLI prints as one ``Error:`` line with a non-zero exit, for systemd to act on.
        """
        from scrapy.utils.reactor import install_reactor

        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        from twisted.internet import reactor

        self.loop = asyncio.get_event_loop()
        self.loop.call_soon(lambda: asyncio.ensure_future(self._start()))
        reactor.run(installSignalHandlers=False)  # type: ignore[attr-defined]
        if self.start_error is not None:
            raise self.start_error
        return self.exit_code

    async def _start(self) -> None:
        """Start, or stop the reactor at once with the reason kept for ``run`` to raise."""
        try:
            await self._begin()
        except Exception as error:
            logger.debug("start failed", exc_info=True)
            self.start_error = (
                error if isinstance(error, TradewatchError) else TradewatchError(f"cannot start: {error!r}")
            )
            await self._release()
            from twisted.internet import reactor

            reactor.stop()  # type: ignore[attr-defined]

    async def _release(self) -> None:
        """Close what a failed start had opened."""
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)
        if self.store is not None:
            self.store.close()

    async def _begin(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from scrapy.crawler import AsyncCrawlerRunner
        from twisted.internet import reactor

        from crawler.egress import EgressPolicy, GuardedResolver
        from crawler.pool import AnalysisPool
        from crawler.settings import scrapy_settings

        self.store = Store(self.config.database)
        self.pool = AnalysisPool.for_config(self.config)
        egress = EgressPolicy.for_sources(self.config.sources, self.config.fetch)
        self.runner = AsyncCrawlerRunner(scrapy_settings(self.config.fetch, egress, "WARNING"))
        # A runner installs no resolver of its own (a CrawlerProcess would): the guard is ours to set.
        self.resolver = GuardedResolver.from_crawler(self.runner, reactor)  # type: ignore[arg-type]
        self.resolver.install_on_reactor()
        self.scheduler = AsyncIOScheduler(event_loop=self.loop, timezone=UTC)
        self._schedule_sources()
        self.scheduler.add_job(
            self._dispatch, "interval", seconds=DISPATCH_EVERY, id="dispatch", max_instances=1, coalesce=True
        )
        self.scheduler.start()
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(signum, lambda: asyncio.ensure_future(self.stop()))
        self.loop.add_signal_handler(signal.SIGHUP, self.reload)
        if self.notifier.watchdog_interval:
            self._watchdog()
        status = f"{len(self.config.sources)} sources scheduled, {len(self.config.hooks)} hooks"
        logger.info("started: %s", status, extra={"event": "started"})
        self.notifier.ready(status)

    def _watchdog(self) -> None:
        # Sent from the loop itself: a stuck loop stops the pings and systemd restarts us.
        self.notifier.watchdog()
        self.loop.call_later(self.notifier.watchdog_interval, self._watchdog)

    async def stop(self) -> None:
        """Stop scheduling, let running crawls finish (or cancel them), flush, exit 0."""
        if self._stopping:
            return
        self._stopping = True
        self.notifier.stopping()
        logger.info("stopping", extra={"event": "stopping"})
        # Pause, not shut down: shutting down APScheduler's asyncio executor cancels the
        # running crawl tasks outright, skipping Scrapy's orderly close.
        self.scheduler.pause()
        if self._crawls:
            _, running = await asyncio.wait(self._crawls, timeout=STOP_GRACE)
            if running:
                # Safe to cut short: each article commits alone, and a source's ETag is kept
                # only after a finished crawl, so what was not stored is fetched next time.
                logger.info("cancelling %d running crawls", len(running), extra={"event": "stopping"})
                stopping = asyncio.ensure_future(self.runner.stop())
                _, running = await asyncio.wait(running, timeout=STOP_CANCEL)
                for task in running:
                    task.cancel()
                await asyncio.wait([stopping, *running], timeout=1.0)
        self.scheduler.shutdown(wait=False)
        await asyncio.to_thread(self.lanes.stop)  # a delivery under way gets STOP_GRACE, no more
        await asyncio.to_thread(self.pool.close)
        self.store.close()
        logger.info("stopped", extra={"event": "stopped"})
        from twisted.internet import reactor

        reactor.stop()  # type: ignore[attr-defined]

    def reload(self) -> None:
        """SIGHUP: load config.yaml again; a bad one is logged and the running one kept."""
        try:
            config = load_config(self.config_path, HOOKS, self.database)
        except ConfigError as error:
            logger.error("reload refused, keeping the running config: %s", error, extra={"event": "reload"})
            return
        if config.database != self.config.database:
            logger.error("reload refused: database cannot change while running", extra={"event": "reload"})
            return
        from crawler.pool import AnalysisPool

        if AnalysisPool.settings(config) != AnalysisPool.settings(self.config):
            old, self.pool = self.pool, AnalysisPool.for_config(config)
            self.loop.run_in_executor(None, old.close)
        self.config = config
        from crawler.egress import EgressPolicy

        self.resolver.policy = EgressPolicy.for_sources(config.sources, config.fetch)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("source:"):
                job.remove()
        self._schedule_sources()
        logger.info("reloaded: %d sources", len(config.sources), extra={"event": "reload"})
        self.notifier.status(f"reloaded: {len(config.sources)} sources scheduled")

    # -- crawling --------------------------------------------------------------

    def _trigger(self, source: Source):
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        zone = ZoneInfo(self.config.timezone)
        if source.cron:
            return CronTrigger.from_crontab(source.cron, timezone=zone)
        return IntervalTrigger(seconds=source.every, jitter=min(source.every * 0.1, 60), timezone=zone)

    def _schedule_sources(self) -> None:
        now = datetime.now(UTC)
        for index, source in enumerate(self.config.sources):
            state = self.store.source_state(source.name)
            first = now + timedelta(seconds=0.2 * index)  # stagger the first crawls a little
            if state.last_run_at and not source.cron:
                first = max(first, from_iso(state.last_run_at) + timedelta(seconds=source.every))
            if state.retry_at:
                first = max(first, from_iso(state.retry_at))
            self.scheduler.add_job(
                self._crawl,
                self._trigger(source),
                args=[source.name],
                id=f"source:{source.name}",
                name=source.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(int(source.every), 60),
                next_run_time=None if source.cron else first,
                replace_existing=True,
            )

    async def _crawl(self, name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._crawls.add(task)
        try:
            source = self.config.source(name)
            # One crawl at a time per site: each crawl keeps fetch.per_host and fetch.delay
            # within itself, so two sources of one host must not crawl side by side.
            async with self._hosts.setdefault(url_host(source.url), asyncio.Lock()):
                if not self._stopping:
                    await self._crawl_source(source)
        except Exception:
            logger.exception("crawl of %s failed", name, extra={"event": "crawl", "source": name})
        finally:
            self._crawls.discard(task)

    async def _crawl_source(self, source: Source) -> None:
        from crawler.run import launch_crawl

        report, running = launch_crawl(lambda: self.runner, self.store, self.pool, self.config, [source])
        run = report.run(source.name)
        if running is None:  # a cron schedule may come round before the site's pause ends
            retry_at = self.store.source_state(source.name).retry_at
            logger.info(
                "source %s: %s", source.name, run.status,
                extra={"event": "waiting", "source": source.name, "until": retry_at},
            )  # fmt: skip
            return
        await running
        r = report.of(source.name)
        self._last = f"{source.name}: {r.new} new, {r.flagged} flagged"
        logger.info(
            "crawl %s: %d new, %d duplicate, %d flagged, %d bad links, %d errors, status %s%s",
            source.name, r.new, r.duplicate, r.flagged, r.bad, r.errors, run.status,
            f" ({run.error})" if run.error else "",
            extra={"event": "crawl", "source": source.name, "new": r.new, "duplicate": r.duplicate,
                   "flagged": r.flagged, "bad": r.bad, "errors": r.errors, "status": run.status,
                   "error": run.error},
        )  # fmt: skip
        if run.error is not None or run.retry_after:
            self._back_off(source, run.retry_after)
        self.notifier.status(f"last crawl {self._last}")
        if r.flagged and not self._stopping:
            await self._dispatch()

    def _back_off(self, source: Source, retry_after: float | None) -> None:
        failures = self.store.source_state(source.name).consecutive_failures
        delay = backoff_delay(source, failures, retry_after)
        job = self.scheduler.get_job(f"source:{source.name}")
        if job is not None and not source.cron:
            job.modify(next_run_time=datetime.now(UTC) + timedelta(seconds=delay))
        why = f"failed {failures} times in a row" if failures else "asked to wait (Retry-After)"
        logger.info(
            "source %s %s: next try in %.0f s", source.name, why, delay,
            extra={"event": "backoff", "source": source.name, "failures": failures, "delay": delay},
        )  # fmt: skip

    # -- alerts ------------------------------------------------------------------

    async def _dispatch(self) -> None:
        """Ask each hook's lane for a pass (jobs.dispatch.Lanes): each delivers on its own thread."""
        if self.config.hooks and not self._stopping:
            self.lanes.kick(self.config.hooks)
