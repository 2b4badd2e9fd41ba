"""The analysis pool: worker processes that read pages and match rules, off the event loop."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.config import Config, rule_nodes
from crawler.extract import Analysis, Page, analyse_in_worker, start_worker
from crawler.rules import Node
from crawler.sources import Entry

logger = logging.getLogger(__name__)


class AnalysisPool:
    """A process pool started on the first page (a crawl with nothing new starts none).

    One pool can serve many crawls: the daemon keeps it for as long as the rules, the fetch
    settings and story grouping (on or off) stay the same.
    ``signatures``: whether the workers compute story signatures (grouping is on).
    """

    def __init__(self, rules: Sequence[tuple[str, Node]], workers: int, signatures: bool = True) -> None:
        self.rules = list(rules)
        self.workers = workers
        self.signatures = signatures
        self._pool: ProcessPoolExecutor | None = None

    @staticmethod
    def settings(config: Config) -> tuple[object, ...]:
        """What of a config the pool depends on: a reload that changes it needs new workers."""
        return config.rules, config.fetch, config.stories.grouping

    @classmethod
    def for_config(cls, config: Config) -> AnalysisPool:
        """The pool a config asks for: its rules, its ``fetch.workers``, signatures if it groups stories."""
        return cls(rule_nodes(config.rules), config.fetch.workers, config.stories.grouping)

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # A fresh server process imports trafilatura once and forks the workers from it:
            # no worker inherits the crawler's threads and event loop, none imports twice.
            # The fork server checks it is still this process's child (see crawler.lifeline).
            os.environ["TRADEWATCH_PARENT_PID"] = str(os.getpid())
            context = multiprocessing.get_context("forkserver")
            preload = ["crawler.forkserver_init", "crawler.extract", "trafilatura"]
            if self.signatures:
                preload.append("crawler.stories.preload")  # the places table, shared by the workers
            context.set_forkserver_preload(preload)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=start_worker,
                initargs=(self.rules, self.signatures),
            )
        return self._pool

    async def analyse(self, entry: Entry, page: Page) -> Analysis:
        """Analyse one page in a worker; a worker that dies is replaced and the page tried once more."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._start(), analyse_in_worker, entry, page)
        except BrokenProcessPool:
            logger.warning("extraction worker died on %s; starting new workers", page.url)
            self._pool = None
            return await loop.run_in_executor(self._start(), analyse_in_worker, entry, page)

    def close(self) -> None:
        """Stop the workers (waiting for running pages, dropping queued ones)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
