"""Read models: what ``search``, ``matches`` and ``stories`` show, as dataclasses with one ``to_json()``.

The CLI prints these and its ``--json`` is their ``to_json()``: the keys are the library's, so a
script calling tradewatch from Python and one reading ``--json`` see the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.rules import Match
from crawler.search import search_articles
from crawler.store import Store

_STORY_KEYS = ("id", "title", "first_seen_at", "last_seen_at", "first_source", "first_url",
               "first_article_id", "articles", "sources", "languages", "rules")  # fmt: skip
_ARTICLE_KEYS = ("id", "url", "title", "source", "lang", "published_at", "fetched_at")
_MATCH_KEYS = (
    "id",
    "url",
    "title",
    "source",
    "published_at",
    "rule",
    "terms",
    "hits",
    "snippet",
    "matched_at",
)


@dataclass(frozen=True)
class StoryView:
    """A story as people read it: its counts, languages, rules and who reported first."""

    row: dict[str, Any]  # the ``stories`` row, with ``rules`` and ``languages`` as lists

    def __getitem__(self, key: str) -> Any:
        return self.row[key]

    def to_json(self) -> dict[str, Any]:
        return {k: self.row[k] for k in _STORY_KEYS}


@dataclass(frozen=True)
class SearchHit:
    """One story's entry in ``search``: the story, and its copies that the query found."""

    story: StoryView
    articles: list[tuple[dict[str, Any], Match]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        found = [
            {**{k: a[k] for k in _ARTICLE_KEYS}, "terms": list(m.terms), "snippet": m.snippet}
            for a, m in self.articles
        ]
        return {"story": self.story.to_json(), "articles": found}


@dataclass(frozen=True)
class MatchEntry:
    """One story's entry in ``matches``: the story, the rules its copies matched, and the matches."""

    story: StoryView
    matches: list[dict[str, Any]] = field(default_factory=list)  # newest first

    @property
    def rules(self) -> list[str]:
        return list(dict.fromkeys(r["rule"] for r in self.matches))

    def to_json(self) -> dict[str, Any]:
        return {
            "story": self.story.to_json(),
            "rules": self.rules,
            "matches": [{k: r[k] for k in _MATCH_KEYS} for r in self.matches],
        }


@dataclass(frozen=True)
class StoryCopies:
    """A story and its copies in first-seen order, each with the evidence that joined it."""

    story: StoryView
    copies: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {**self.story.to_json(), "copies": self.copies}


def _views(store: Store, ids: list[int]) -> dict[int, StoryView]:
    return {s["id"]: StoryView(s) for s in store.stories(ids=ids)} if ids else {}


def search(
    store: Store, query: str, *, since: str | None, lang: str | None, source: str | None, limit: int
) -> tuple[list[SearchHit], int]:
    """The stories of the articles matching ``query``, newest first, at most ``limit``; and how many
    articles were found in them."""
    found: dict[int, list[tuple[dict[str, Any], Match]]] = {}
    articles = 0
    for article, match in search_articles(store, query, since=since, lang=lang, source=source):
        if article["story_id"] not in found and len(found) >= limit:
            break
        found.setdefault(article["story_id"], []).append((article, match))
        articles += 1
    views = _views(store, list(found))
    return [SearchHit(views[story_id], hits) for story_id, hits in found.items()], articles


def flagged(store: Store, *, rule: str | None, since: str | None, limit: int) -> tuple[list[MatchEntry], int]:
    """Flagged stories, newest match first, at most ``limit``; and how many matches they hold."""
    by_story: dict[int, list[dict[str, Any]]] = {}
    for row in store.flagged(rule, since):
        if row["story_id"] in by_story or len(by_story) < limit:
            by_story.setdefault(row["story_id"], []).append(row)
    views = _views(store, list(by_story))
    entries = [MatchEntry(views[story_id], rows) for story_id, rows in by_story.items()]
    return entries, sum(len(rows) for rows in by_story.values())


def stories(
    store: Store, *, since: str | None, rule: str | None, lang: str | None, limit: int
) -> list[StoryView]:
    """Stories, newest first."""
    return [StoryView(s) for s in store.stories(since, rule, lang, limit=limit)]


def story(store: Store, story_id: int) -> StoryCopies | None:
    """A story with its copies, or None when there is none of that id."""
    found = store.stories(ids=[story_id])
    return StoryCopies(StoryView(found[0]), store.copies(story_id)) if found else None
