"""Backtesting a rule: run the rule query language over the stored articles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crawler.rules import Match, Matcher, parse_query
from crawler.store import Store


def search_articles(
    store: Store, query: str, limit: int | None = None, **only: str | None
) -> Iterator[tuple[dict[str, Any], Match]]:
    """Stored articles matching ``query`` (the rule language), newest first, with the match
    (``only``: ``Store.articles``' since, lang and source)."""
    matcher = Matcher([("query", parse_query(query))])
    found = 0
    for article in store.articles(**only):
        fields = [article["title"] or "", article["summary"] or "", article["text"] or ""]
        for match in matcher.match(fields):
            yield article, match
            found += 1
        if limit is not None and found >= limit:
            return
