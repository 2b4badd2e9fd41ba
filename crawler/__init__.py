"""tradewatch's crawler: turns feeds, sitemaps and pages into stored, deduplicated, flagged articles."""

__version__ = "0.1.0"  # the one home of the version: pyproject.toml reads it (setuptools' attr:)


def version() -> str:
    """The tradewatch version (read from here, not from the installed metadata: that look-up cost
    25 ms in every crawl)."""
    return __version__
