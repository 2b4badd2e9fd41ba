"""The item that flows from the spider through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.extract import Analysis, Page
from crawler.sources import Entry


@dataclass
class ArticleItem:
    """A new entry, its page if one was fetched, and (after analysis) the article to store."""

    entry: Entry
    page: Page | None = None
    fetch_error: str | None = None
    refused: bool = False  # not fetched: its address is private and not named in config
    analysis: Analysis | None = None
