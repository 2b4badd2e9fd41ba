"""What one crawl did, per source: counts the CLI prints and the store's source state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SourceReport:
    """Counts and outcome of one source in one crawl."""

    name: str
    new: int = 0
    duplicate: int = 0
    flagged: int = 0
    errors: int = 0
    old: int = 0  # older than the source's max_age: ignored
    deferred: int = 0  # the site said "later" (429/503): left for the next run
    refused: int = 0  # links to private addresses not named in config (crawler.egress): not fetched
    status: str = "not run"
    error: str | None = None
    validators: tuple[str | None, str | None] | None = None
    # sitemap URL -> (ETag, Last-Modified) of the child sitemaps read in full
    sitemap_validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    incomplete: bool = False  # an item of this source could not be stored
    retry_after: float | None = None  # seconds the server asked us to wait (429/503)

    def fail(self, message: str, status: str = "error") -> None:
        """Mark the source's listing as failed."""
        self.error, self.status = message, status
        self.errors += 1


@dataclass
class CrawlReport:
    """Per-source reports of one crawl, with a callback on every change."""

    sources: dict[str, SourceReport] = field(default_factory=dict)
    on_change: Callable[[CrawlReport], None] | None = None

    @classmethod
    def for_sources(
        cls, names: list[str], on_change: Callable[[CrawlReport], None] | None = None
    ) -> CrawlReport:
        return cls({name: SourceReport(name) for name in names}, on_change)

    def of(self, name: str) -> SourceReport:
        """The report of source ``name``."""
        return self.sources[name]

    def changed(self) -> None:
        """Tell the listener that a count moved."""
        if self.on_change is not None:
            self.on_change(self)

    def total(self, counter: str) -> int:
        """The sum of one counter over all sources."""
        return sum(getattr(r, counter) for r in self.sources.values())
