"""What one crawl did, per source: the counts people read, kept apart from the state the store keeps.

``SourceCounts`` is what ``tradewatch crawl`` and the daemon's log print. ``SourceRun`` is what the
store remembers of the run (status, error, validators, Retry-After), saved once, when the crawl
closes (``crawler.extensions.SaveSourceState``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from crawler.config import Source

Validators = tuple[str | None, str | None]  # (ETag, Last-Modified)


@dataclass
class SourceCounts:
    """How many entries of one source went each way in one crawl."""

    name: str
    new: int = 0
    duplicate: int = 0
    flagged: int = 0
    errors: int = 0
    old: int = 0  # older than the source's max_age, or a sitemap's archive: not kept
    deferred: int = 0  # the site said "later" (429/503): left for the next run
    refused: int = 0  # links to private addresses not named in config (crawler.egress): not fetched
    bad: int = 0  # links that cannot be fetched, items that cannot be read: set aside in ``skipped``


@dataclass
class SourceRun:
    """How one source's run went, as the store will remember it."""

    source: Source
    status: str = "not run"
    error: str | None = None
    validators: Validators | None = None
    # sitemap URL -> validators of the child sitemaps read in full
    sitemap_validators: dict[str, Validators] = field(default_factory=dict)
    incomplete: bool = False  # an entry of this source was not stored: keep no validators
    retry_after: float | None = None  # seconds the server asked us to wait (429/503)

    def fail(self, message: str, status: str = "error") -> None:
        """Mark the source's listing as failed."""
        self.error, self.status = message, status

    def wait(self, seconds: float | None) -> None:
        """The site asked for a pause (Retry-After): keep the longest asked."""
        self.retry_after = max(self.retry_after or 0.0, seconds or 0.0) or None

    def safe(self, finished: bool) -> bool:
        """True when the validators may be kept: the crawl finished and nothing of this source was lost."""
        return finished and not self.incomplete and self.error is None


@dataclass
class CrawlReport:
    """Per-source counts and runs of one crawl, with a callback on every change of a count."""

    counts: dict[str, SourceCounts] = field(default_factory=dict)
    runs: dict[str, SourceRun] = field(default_factory=dict)
    on_change: Callable[[CrawlReport], None] | None = None

    @classmethod
    def for_sources(
        cls, sources: Sequence[Source], on_change: Callable[[CrawlReport], None] | None = None
    ) -> CrawlReport:
        counts = {s.name: SourceCounts(s.name) for s in sources}
        return cls(counts, {s.name: SourceRun(s) for s in sources}, on_change)

    def of(self, name: str) -> SourceCounts:
        """The counts of source ``name``."""
        return self.counts[name]

    def run(self, name: str) -> SourceRun:
        """The run of source ``name``."""
        return self.runs[name]

    def changed(self) -> None:
        """Tell the listener that a count moved."""
        if self.on_change is not None:
            self.on_change(self)

    def total(self, counter: str) -> int:
        """The sum of one counter over all sources."""
        return sum(getattr(c, counter) for c in self.counts.values())

    def done(self) -> int:
        """How many sources have been listed (or failed) so far."""
        return sum(r.status != "not run" for r in self.runs.values())
