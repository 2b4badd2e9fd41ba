"""tradewatch's crawler: turns feeds, sitemaps and pages into stored, deduplicated, flagged articles."""

from functools import cache


@cache
def version() -> str:
    """The installed tradewatch's version (read once, when first asked: the look-up costs ~25 ms)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("tradewatch")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
