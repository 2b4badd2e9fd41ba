"""The write path: how a read article is stored, top to bottom, as the one transaction it is.

The crawl's ``StorePipeline`` asks ``Ingest.store`` once the admission has said the article is new:

1. ``Ingest.applicable``: the matches of the rules that apply to the article's final language (a
   rule's ``lang:``), decided once; what is stored, signed and alerted is that.
2. The story signature of those same matches: the worker's, computed from every match, unless a
   ``lang:`` rule was left out (then computed again here, from the applicable ones).
3. ``save_article``, one transaction: the story decided (``crawler.stories.Grouper.decide``), the
   article inserted with its story, its URLs, its matches, the story's look-up keys and signature
   (``Grouper.record``), and the alerts owed (``Ingest.alerts_owed``, then
   ``crawler.outbox.enqueue``: one per story and hook).

The writer's state (the fact counts it has read, when it last pruned the look-ups) lives with the
store's connection (``Writer``), across crawls: the daemon keeps one store for all of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crawler.config import Hook, Rule
from crawler.errors import StoreError
from crawler.outbox import Owed, enqueue
from crawler.rules import Match
from crawler.sqlite import json_list, utcnow
from crawler.store import INSERT_ALIAS, Store
from crawler.stories import Frequencies, Grouper, Signature, signature

PRUNE_EVERY = 2048  # saves between two prunings of the story look-up tables (Grouper.prune)
_ARTICLE_COLUMNS = (
    "url", "title", "summary", "text", "author", "published_at", "published_from", "updated_at",
    "keywords", "source", "lang", "content_hash", "fetch_error", "fetched_at",
)  # fmt: skip
_INSERT_ARTICLE = (
    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}, story_id)"
    f" VALUES ({', '.join('?' * (len(_ARTICLE_COLUMNS) + 1))})"
)
_INSERT_MATCH = (
    "INSERT INTO matches (article_id, rule, terms, hits, snippet, matched_at) VALUES (?, ?, ?, ?, ?, ?)"
)


@dataclass
class Writer:
    """What the writer of one store connection keeps between saves."""

    frequencies: Frequencies | None = None  # the fact counts it has read, at its first save
    saves: int = 0


def _writer(store: Store) -> Writer:
    if store.writer is None:
        store.writer = Writer()
    return store.writer


def save_article(
    store: Store,
    article: dict[str, Any],
    aliases: Sequence[str],
    matches: Sequence[Match],
    alerts: Sequence[Owed | tuple[str, Sequence[str]]] = (),
    sig: Signature | None = None,
    *,
    window: float | None,
) -> int:
    """Insert a new article with its aliases, matches, story and owed alerts in one transaction.

    ``alerts`` holds what each hook following a matched rule is owed (``Owed``, or (hook, rules));
    the article's story decides which it gets (``crawler.outbox.story_alerts``). ``sig`` is the
    article's story signature (computed here when not given); ``window`` the story window in
    seconds, None for no grouping: given by every caller (the config's ``stories:``), so that no
    caller groups by default. Returns the article's id.
    """
    # Plain prepared statements: this runs once per article, and sqlite-utils' insert()
    # re-reads the table's schema on every call.
    now = utcnow()
    values = [article.get(c) for c in _ARTICLE_COLUMNS[:-1]] + [now]
    if sig is None and window is not None:
        sig = signature(article.get("title"), article.get("summary"), article.get("text"),
                        [(m.rule, m.terms) for m in matches])  # fmt: skip
    owed = [a if isinstance(a, Owed) else Owed(*a) for a in alerts]
    writer = _writer(store)
    try:
        with store.db.atomic():
            conn = store.db.conn
            # The story is decided first, so that the article is inserted with it (an UPDATE
            # would re-index its text in the full-text index).
            if writer.frequencies is None:
                writer.frequencies = Frequencies(conn)
            grouper = Grouper(conn, window, writer.frequencies)
            if writer.saves % PRUNE_EVERY == 0:
                grouper.prune(now)  # a scan of the look-up tables, at the first save and now and then
            writer.saves += 1
            row = {**article, "fetched_at": now}
            decision = grouper.decide(row, sig, now)
            article_id = int(conn.execute(_INSERT_ARTICLE, [*values, decision.link.story_id]).lastrowid)
            urls = [u for u in dict.fromkeys([article["url"], *aliases]) if u]
            conn.executemany(INSERT_ALIAS, [(u, article_id) for u in urls])
            # A URL marked as a sitemap's archive may turn up dated, and new, in another sitemap.
            conn.executemany("DELETE FROM skipped WHERE url = ?", [(u,) for u in urls])
            conn.executemany(
                _INSERT_MATCH,
                [(article_id, m.rule, json_list(m.terms), m.hits, m.snippet, now) for m in matches],
            )
            link = grouper.record(article_id, row, sig, decision, now)
            enqueue(conn, article_id, article["url"], link.story_id, owed, now)
    except BaseException as error:
        writer.frequencies = None  # it may count an article the rollback took back: read it again
        if isinstance(error, sqlite3.Error):
            raise StoreError(f"cannot save article {article.get('url')}: {error}") from None
        raise
    return article_id


@dataclass
class Ingest:
    """The write path of one crawl: which rules apply, what each hook is owed, and the save."""

    rules: tuple[Rule, ...]
    hooks: tuple[Hook, ...]
    window: float | None  # the config's stories: window, None for no grouping
    _by_lang: dict[str, Rule] = field(init=False)  # rules with a lang: list, by name

    def __post_init__(self) -> None:
        self._by_lang = {rule.name: rule for rule in self.rules if rule.langs is not None}

    def applicable(self, matches: tuple[Match, ...], lang: str | None) -> tuple[Match, ...]:
        """The matches of rules that apply to an article in ``lang`` (a rule's ``lang:`` list)."""
        if not self._by_lang:
            return matches
        return tuple(
            m for m in matches if m.rule not in self._by_lang or self._by_lang[m.rule].applies_to(lang)
        )

    def alerts_owed(self, matches: Sequence[Match]) -> list[Owed]:
        """What each hook following at least one matched rule is owed; the story decides the rest."""
        owed = []
        for hook in self.hooks:
            rules = [m.rule for m in matches if hook.follows(m.rule)]
            if rules:
                owed.append(Owed(hook.name, rules, hook.updates))
        return owed

    def store(
        self,
        store: Store,
        article: dict[str, Any],
        aliases: Sequence[str],
        matches: tuple[Match, ...],
        lang: str | None,
        sig: Signature | None,
    ) -> tuple[int, tuple[Match, ...]]:
        """Store a new article: its id, and the matches stored (those of the rules that apply)."""
        applicable = self.applicable(matches, lang)
        if applicable != matches and self.window is not None:
            sig = None  # signed from every match in the worker: sign what is stored instead
        owed = self.alerts_owed(applicable)
        return save_article(store, article, aliases, applicable, owed, sig, window=self.window), applicable
