"""tradewatch's crawler: turns feeds, sitemaps and pages into stored, deduplicated, flagged articles."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tradewatch")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
