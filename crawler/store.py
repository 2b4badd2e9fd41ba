"""The SQLite store: the connection, the small tables (aliases, sources, skipped entries, sitemaps)
and the queries the read models are built on.

SQLite is the seam between crawling and alerting. The schema is a user interface (people query
it with sqlite3, sqlite-utils and datasette) and changes only through ``crawler.migrations``. WAL
mode and a busy timeout let readers and the writer work at once. The write path of an article is
``crawler.ingest``; the ``alerts`` table is ``crawler.outbox``'s.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawler.dates import utc_in
from crawler.errors import StoreError
from crawler.migrations import migrate, migrations
from crawler.sqlite import guarded, read_json_list, utcnow

BUSY_TIMEOUT_MS = 10_000
WAL_CHECKPOINT_PAGES = 10_000  # WAL pages (4 KB) between automatic checkpoints: about 40 MB
INSERT_ALIAS = "INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)"


# Mentions per rule and day: ``Store.mentions``, ``tradewatch trends`` and the desk's canned query.
MENTIONS_SQL = """
SELECT substr(articles.published_at, 1, 10) AS day, matches.rule,
       count(DISTINCT articles.story_id) AS stories, count(*) AS articles
FROM matches JOIN articles ON articles.id = matches.article_id
WHERE articles.published_at >= :since
GROUP BY day, matches.rule
ORDER BY day, matches.rule
"""


@dataclass(frozen=True)
class SourceState:
    """What the store remembers about a source between runs."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    last_run_at: str | None = None
    retry_at: str | None = None  # the server asked us (Retry-After) not to come back before this
    last_ok_at: str | None = None


class Store:
    """The tradewatch database: open once, then look up and save articles.

    ``readonly``: for the commands that only read (``search``, ``stories``, ``status``...): the
    file is opened read-only and never migrated; a store older than the code is an error naming
    the command that brings it up to date.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.writer: Any = None  # crawler.ingest's state for this connection (its fact counts)
        self.migrated = 0  # migrations this open applied
        try:
            if readonly:
                self.db = self._open_readonly()
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = Database(self.path)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            # Each article writes ~75 pages to the WAL (its text, the search index, the story
            # look-ups); copying them into the database every 40 MB of WAL instead of SQLite's
            # 4 MB copies a page rewritten meanwhile once: 6-9% less CPU per saved article.
            self.db.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.migrated = migrate(self.db)
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open database {self.path}: {error}") from None

    def _open_readonly(self) -> Database:
        if not self.path.is_file():
            raise StoreError(f"no store at {self.path}: run tradewatch crawl (or tradewatch demo) first")
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if migrations.pending(db):
            conn.close()
            raise StoreError(
                f"{self.path} was written by an older tradewatch: "
                "run 'tradewatch migrate' to bring it up to date"
            )
        return db

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # -- articles ------------------------------------------------------------

    @guarded("look up articles")
    def find_article(self, urls: Iterable[str]) -> int | None:
        """The id of the article known by any of ``urls`` (canonical URLs, aliases, feed ids)."""
        return next(iter(self._known(urls).values()), None)

    @guarded("look up articles")
    def remember(self, urls: Iterable[str]) -> int | None:
        """The article known by any of ``urls``, recording the others as its aliases; None if unknown.

        Writes only when there is a new alias: a feed re-listing known items costs reads alone.
        """
        keys = list(dict.fromkeys(u for u in urls if u))
        known = self._known(keys)
        if not known:
            return None
        article_id = next(iter(known.values()))
        if len(known) < len(keys):
            self.add_aliases(article_id, [k for k in keys if k not in known])
        return article_id

    def _known(self, urls: Iterable[str]) -> dict[str, int]:
        keys = list(dict.fromkeys(u for u in urls if u))
        if not keys:
            return {}
        marks = ", ".join("?" * len(keys))
        rows = self.db.execute(f"SELECT url, article_id FROM article_urls WHERE url IN ({marks})", keys)
        return dict(rows.fetchall())

    @guarded("record aliases")
    def add_aliases(self, article_id: int, urls: Iterable[str]) -> None:
        """Record more URLs or feed ids by which an article is reached."""
        rows = [(u, article_id) for u in dict.fromkeys(urls) if u]
        with self.db.atomic():
            self.db.conn.executemany(INSERT_ALIAS, rows)

    def skip(self, urls: Sequence[str], source: str, published_at: str | None, reason: str) -> int:
        """Remember entries not kept (too old, bad links), so that they are never fetched again.

        Returns how many of ``urls`` were not recorded before.
        """
        if not urls:
            return 0
        now = utcnow()
        rows = [(u, source, published_at, reason, now) for u in dict.fromkeys(urls) if u]
        try:
            with self.db.atomic():
                return self.db.conn.executemany(
                    "INSERT OR IGNORE INTO skipped (url, source, published_at, reason, seen_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    rows,
                ).rowcount
        except sqlite3.Error as error:
            raise StoreError(f"cannot record skipped {urls[0]}: {error}") from None

    @guarded("look up skipped entries")
    def skipped(self, urls: Iterable[str]) -> set[str]:
        """Why each of ``urls`` that was skipped before was skipped (empty when none was)."""
        keys = list(dict.fromkeys(u for u in urls if u))
        if not keys:
            return set()
        marks = ", ".join("?" * len(keys))
        return {r[0] for r in self.db.execute(f"SELECT reason FROM skipped WHERE url IN ({marks})", keys)}

    @guarded("read articles")
    def articles(
        self, since: str | None = None, lang: str | None = None, source: str | None = None
    ) -> Iterable[dict[str, Any]]:
        """Every stored article, newest first; or only those published ``since``, in ``lang``,
        from ``source``."""
        where, params = ["1"], []
        for column, op, value in (
            ("published_at", ">=", since),
            ("lang", "=", lang),
            ("source", "=", source),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        sql = f"SELECT * FROM articles WHERE {' AND '.join(where)} ORDER BY published_at DESC, id DESC"
        yield from self.db.query(sql, params)

    @guarded("read matches")
    def flagged(self, rule: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """Flagged articles with each matching rule, newest match first."""
        where, params = ["1"], []
        if rule:
            where.append("matches.rule = ?")
            params.append(rule)
        if since:
            where.append("matches.matched_at >= ?")
            params.append(since)
        sql = f"""
            SELECT articles.id, articles.url, articles.title, articles.published_at,
                   articles.source, articles.story_id, matches.rule, matches.terms, matches.hits,
                   matches.snippet, matches.matched_at
            FROM matches JOIN articles ON articles.id = matches.article_id
            WHERE {" AND ".join(where)}
            ORDER BY matches.matched_at DESC, articles.id DESC, matches.rule
        """
        return [{**row, "terms": json.loads(row["terms"] or "[]")} for row in self.db.query(sql, params)]

    # -- stories -------------------------------------------------------------

    @guarded("read stories")
    def stories(
        self,
        since: str | None = None,
        rule: str | None = None,
        lang: str | None = None,
        ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Stories, newest first, each with the rules its copies matched (``rules``, a list).

        ``since``: only stories with a copy seen since then; ``rule``: only stories a copy of which
        matched it; ``lang``: only stories with a copy in that language; ``ids``: only these.
        """
        where, params = ["1"], []
        if since:
            where.append("stories.last_seen_at >= ?")
            params.append(since)
        if rule:
            where.append(
                "EXISTS (SELECT 1 FROM articles a JOIN matches m ON m.article_id = a.id"
                " WHERE a.story_id = stories.id AND m.rule = ?)"
            )
            params.append(rule)
        if lang:
            where.append(  # json_valid: a cell edited by hand into something else matches no language
                "json_valid(stories.languages)"
                " AND EXISTS (SELECT 1 FROM json_each(stories.languages) WHERE value = ?)"
            )
            params.append(lang)
        if ids is not None:
            where.append(f"stories.id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        sql = f"""
            SELECT stories.*, (
                SELECT json_group_array(DISTINCT m.rule) FROM articles a
                JOIN matches m ON m.article_id = a.id WHERE a.story_id = stories.id
            ) AS rules
            FROM stories WHERE {" AND ".join(where)}
            ORDER BY stories.first_seen_at DESC, stories.id DESC
        """
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            {
                **row,
                "languages": read_json_list(row["languages"]),
                "rules": sorted(json.loads(row["rules"])),
            }
            for row in self.db.query(sql, params)
        ]

    @guarded("count mentions")
    def mentions(self, since: str) -> list[dict[str, Any]]:
        """Mentions per rule and day (of publication) since ``since``: {day, rule, stories,
        articles}, by day then rule. A story counts once a day however many copies name it."""
        return list(self.db.query(MENTIONS_SQL, {"since": since}))

    @guarded("read a story")
    def copies(self, story_id: int) -> list[dict[str, Any]]:
        """The articles of a story in first-seen order, with the evidence that joined each."""
        sql = """
            SELECT articles.id, articles.url, articles.title, articles.source, articles.lang,
                   articles.published_at, articles.fetched_at, story_links.evidence,
                   story_links.score, story_links.reason, story_links.joined_article_id
            FROM articles LEFT JOIN story_links ON story_links.article_id = articles.id
            WHERE articles.story_id = ? ORDER BY articles.fetched_at, articles.id
        """
        return list(self.db.query(sql, [story_id]))

    # -- sources -------------------------------------------------------------

    @guarded("read sitemap validators")
    def sitemap_validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) kept for the sitemap at ``url``; (None, None) when none."""
        row = self.db.execute("SELECT etag, last_modified FROM sitemaps WHERE url = ?", [url]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    @guarded("keep sitemap validators")
    def keep_sitemap_validators(
        self, source: str, validators: dict[str, tuple[str | None, str | None]]
    ) -> None:
        """Record the validators of the sitemaps a finished crawl of ``source`` read in full."""
        now = utcnow()
        rows = [(url, source, etag, modified, now) for url, (etag, modified) in validators.items()]
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO sitemaps (url, source, etag, last_modified, checked_at)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    @guarded("read source state")
    def source_state(self, name: str) -> SourceState:
        """What was kept about source ``name`` (empty for a new source)."""
        rows = list(self.db["sources"].rows_where("name = ?", [name]))
        if not rows:
            return SourceState(name)
        row = rows[0]
        return SourceState(
            name=name,
            etag=row["etag"],
            last_modified=row["last_modified"],
            consecutive_failures=row["consecutive_failures"] or 0,
            last_run_at=row["last_run_at"],
            retry_at=row["retry_at"],
            last_ok_at=row["last_ok_at"],
        )

    @guarded("record source state")
    def record_source(
        self,
        name: str,
        kind: str,
        url: str,
        *,
        status: str,
        error: str | None = None,
        validators: tuple[str | None, str | None] | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Record how a source's run went.

        ``validators`` (ETag, Last-Modified) are given when they are safe to keep; ``retry_after``
        (seconds) when the server asked us to wait before the next run.
        """
        previous = self.source_state(name)
        now = utcnow()
        row: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "url": url,
            "last_run_at": now,
            "last_status": status,
            "last_error": error,
            "consecutive_failures": previous.consecutive_failures + 1 if error else 0,
            "retry_at": utc_in(retry_after) if retry_after else None,
        }
        if not error:
            row["last_ok_at"] = now
        if validators is not None:
            row["etag"], row["last_modified"] = validators
        with self.db.atomic():
            self.db["sources"].upsert(row, pk="name")

    @guarded("read source states")
    def source_rows(self) -> dict[str, dict[str, Any]]:
        """Every ``sources`` row, by name."""
        return {row["name"]: row for row in self.db.query("SELECT * FROM sources")}

    @guarded("count articles")
    def articles_since(self, since: str) -> dict[str, int]:
        """source -> articles stored since ``since`` (ISO 8601 UTC)."""
        sql = "SELECT source, count(*) FROM articles WHERE fetched_at >= ? GROUP BY 1"
        return dict(self.db.execute(sql, [since]).fetchall())
