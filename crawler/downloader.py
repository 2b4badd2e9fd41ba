"""Scrapy's downloader, with its per-host concurrency limit made to hold.

Scrapy 2.19 on the asyncio reactor starts each download as a task and counts it as
"transferring" only when that task first runs. A slot whose queue holds several requests
therefore sends them all at once, past ``CONCURRENT_REQUESTS_PER_DOMAIN`` (measured: 6 in
flight to one host with a limit of 2; tests/test_politeness.py). Counting the download when
it is scheduled keeps the limit.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader import Downloader as ScrapyDownloader


class Downloader(ScrapyDownloader):
    """Counts a download against its host's limit as soon as it is scheduled."""

    def _wait_for_download(self, slot: Any, request: Any, queue_dfd: Any) -> Any:  # type: ignore[override]
        slot.transferring.add(request)  # Scrapy adds it again when the download starts: a set
        return super()._wait_for_download(slot, request, queue_dfd)
