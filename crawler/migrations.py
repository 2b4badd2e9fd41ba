"""The schema's migrations: schema changes only, each applied once, in order (sqlite-utils).

Data work is not done here on opening: regrouping every stored article is ``tradewatch stories
rebuild`` (``crawler.stories.index.rebuild``), which the migration that introduced stories calls
once. ``migrate`` applies what is pending holding the write lock, so that two processes opening a
new store together both succeed; the commands that only read never call it.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from crawler.sqlite import json_list, utcnow
from crawler.stories import WINDOW, pack, signature
from crawler.stories.index import matched_rules, rebuild, reindex

migrations = Migrations("tradewatch")


@migrations()
def m001_initial(db: Database) -> None:
    """Articles, aliases, matches, sources, full-text search and the flagged view."""
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "title": str,
            "summary": str,
            "text": str,
            "author": str,
            "published_at": str,
            "fetched_at": str,
            "source": str,
            "lang": str,
            "content_hash": str,
            "fetch_error": str,
        },
        pk="id",
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["content_hash"])
    db["article_urls"].create(
        {"url": str, "article_id": int}, pk="url", foreign_keys=[("article_id", "articles", "id")]
    )
    db["article_urls"].create_index(["article_id"])
    db["matches"].create(
        {
            "article_id": int,
            "rule": str,
            "terms": str,
            "hits": int,
            "snippet": str,
            "matched_at": str,
        },
        pk=("article_id", "rule"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["matches"].create_index(["rule"])
    db["sources"].create(
        {
            "name": str,
            "kind": str,
            "url": str,
            "etag": str,
            "last_modified": str,
            "last_run_at": str,
            "last_ok_at": str,
            "last_status": str,
            "last_error": str,
            "consecutive_failures": int,
        },
        pk="name",
        defaults={"consecutive_failures": 0},
    )
    db["articles"].enable_fts(
        ["title", "summary", "text"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
    )
    db.create_view(
        "flagged",
        """
        SELECT articles.id, articles.url, articles.title, articles.published_at,
               articles.fetched_at, articles.source,
               group_concat(matches.rule, ', ') AS rules,
               sum(matches.hits) AS hits
        FROM articles JOIN matches ON matches.article_id = articles.id
        GROUP BY articles.id
        """,
    )


@migrations()
def m002_alerts(db: Database) -> None:
    """The outbox: one alert per flagged article and hook, written with the matches."""
    db["alerts"].create(
        {
            "id": str,
            "hook": str,
            "article_id": int,
            "rules": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        defaults={"status": "pending", "attempts": 0},
    )
    db["alerts"].create_index(["status", "next_attempt_at"])
    db["alerts"].create_index(["hook", "status"])


@migrations()
def m003_dates_and_politeness(db: Database) -> None:
    """Where each date came from, updates and keywords; Retry-After kept; items too old to keep."""
    db["articles"].add_column("published_from", str)
    db["articles"].add_column("updated_at", str)
    db["articles"].add_column("keywords", str)
    # Every article gets a date, so that ordering by published_at never meets a NULL.
    db.execute(
        "UPDATE articles SET published_at = fetched_at, published_from = 'first-seen'"
        " WHERE published_at IS NULL"
    )
    db["sources"].add_column("retry_at", str)
    db["skipped"].create(
        {"url": str, "source": str, "published_at": str, "reason": str, "seen_at": str}, pk="url"
    )


@migrations()
def m004_sitemaps(db: Database) -> None:
    """ETag and Last-Modified of each sitemap a sitemap source reads, for conditional requests."""
    db["sitemaps"].create(
        {"url": str, "source": str, "etag": str, "last_modified": str, "checked_at": str}, pk="url"
    )


@migrations()
def m005_json_lists(db: Database) -> None:
    """``matches.terms`` and ``alerts.rules`` become JSON arrays (they were joined with ", ")."""
    for table, column in (("matches", "terms"), ("alerts", "rules")):
        rows = db.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} NOT LIKE '[%'").fetchall()
        db.conn.executemany(
            f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
            [(json_list(v for v in (value or "").split(", ") if v), rowid) for rowid, value in rows],
        )


@migrations()
def m006_stories(db: Database) -> None:
    """Stories: the ``stories`` table, each article's ``story_id`` and the evidence that put it there.

    The articles already stored are grouped in first-seen order, as if they arrived one by one
    (with the default window), and each alert is tied to its article's story.
    """
    db["stories"].create(
        {
            "id": int,
            "title": str,
            "first_article_id": int,
            "first_seen_at": str,
            "first_source": str,
            "first_url": str,
            "last_seen_at": str,
            "articles": int,
            "sources": int,
            "languages": str,
        },
        pk="id",
    )
    db["stories"].create_index(["last_seen_at"])
    db["articles"].add_column("story_id", int)
    db["articles"].create_index(["story_id", "source"])
    db["story_links"].create(
        {
            "article_id": int,
            "story_id": int,
            "joined_article_id": int,
            "evidence": str,
            "score": float,
            "reason": str,
            "decided_at": str,
        },
        pk="article_id",
        foreign_keys=[
            ("article_id", "articles", "id"),
            ("story_id", "stories", "id"),
            ("joined_article_id", "articles", "id"),
        ],
    )
    db["story_links"].create_index(["story_id"])
    db["story_signatures"].create(
        {
            "article_id": int,
            "facts": str,
            "samples": bytes,
            "contexts": bytes,
            "title_key": str,
            "outlet": str,
            "has_text": int,
        },
        pk="article_id",
    )
    db["story_keys"].create({"key": str, "article_id": int, "seen_at": str})
    db["story_keys"].create_index(["key", "seen_at", "article_id"])
    # Read by primary key on every save: WITHOUT ROWID keeps each look-up to one B-tree.
    db.execute("CREATE TABLE story_facts (fact TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
    db["story_paragraphs"].create(  # m007 keys it as the grouping below already reads it
        {"digest": str, "source": str, "story_id": int, "article_id": int, "seen_at": str, "blocks": int}
    )
    db["story_paragraphs"].create_index(["digest"])
    db.create_view(
        "story_copies",
        """
        SELECT articles.story_id, stories.title AS story, articles.id AS article_id,
               articles.title, articles.source, articles.lang, articles.url, articles.fetched_at,
               story_links.evidence, story_links.score, story_links.joined_article_id,
               story_links.reason
        FROM articles JOIN stories ON stories.id = articles.story_id
        LEFT JOIN story_links ON story_links.article_id = articles.id
        """,
    )
    db["alerts"].add_column("story_id", int)
    db["alerts"].add_column("kind", str)
    db["alerts"].create_index(["hook", "story_id"])
    db.execute("UPDATE alerts SET kind = 'story'")
    rebuild(db.conn, WINDOW, utcnow())  # the data work, called once: tradewatch stories rebuild


@migrations()
def m007_story_lookups(db: Database) -> None:
    """Story look-ups in one B-tree per table (``story_keys`` and ``story_paragraphs`` keyed
    WITHOUT ROWID; ``story_paragraphs.blocks``: how many its article has), and the stored
    contexts of facts ("how a fact is printed") recomputed as the writer now compares them: the
    fact and the two words either side of it in its sentence (unless m006 just grouped the
    store: it wrote them so, and ``story_paragraphs.blocks`` with them)."""
    signed_before = "blocks" not in db["story_paragraphs"].columns_dict
    db.execute(
        "CREATE TABLE story_keys_new (key TEXT, seen_at TEXT, article_id INTEGER,"
        " PRIMARY KEY (key, seen_at, article_id)) WITHOUT ROWID"
    )
    db.execute("INSERT OR IGNORE INTO story_keys_new SELECT key, seen_at, article_id FROM story_keys")
    db.execute(
        "CREATE TABLE story_paragraphs_new (digest TEXT, article_id INTEGER, source TEXT, story_id INTEGER,"
        " seen_at TEXT, blocks INTEGER, PRIMARY KEY (digest, article_id)) WITHOUT ROWID"
    )
    db.execute(
        "INSERT OR IGNORE INTO story_paragraphs_new"
        " SELECT digest, p.article_id, source, story_id, seen_at, n FROM story_paragraphs p"
        " JOIN (SELECT article_id, count(DISTINCT digest) AS n FROM story_paragraphs GROUP BY article_id)"
        " USING (article_id)"
    )
    for name in ("story_keys", "story_paragraphs"):
        db.execute(f"DROP TABLE {name}")
        db.execute(f"ALTER TABLE {name}_new RENAME TO {name}")
    # story_facts counted every article so far (crawler.stories.Frequencies: the '' row)
    db.execute(
        "INSERT OR REPLACE INTO story_facts (fact, n)"
        " SELECT '', coalesce(max(article_id), 0) FROM story_signatures"
    )
    if not signed_before:
        return
    rows = db.execute(
        "SELECT a.id, a.title, a.summary, a.text FROM story_signatures s"
        " JOIN articles a ON a.id = s.article_id"
    ).fetchall()
    for article_id, title, summary, text in rows:
        sig = signature(title, summary, text, matched_rules(db.conn, article_id))
        contexts = {c for block in sig.blocks for _, c in block.contexts}  # boilerplate's too: it only
        # makes more facts look printed alike, so that fewer join
        db.execute(
            "UPDATE story_signatures SET contexts = ? WHERE article_id = ?", [pack(contexts), article_id]
        )


@migrations()
def m008_alert_leases(db: Database) -> None:
    """``alerts.lease_until``: a dispatcher holds an alert it is delivering until then, so that two
    processes on one store (the daemon and a manual crawl) never send it both."""
    db["alerts"].add_column("lease_until", str)


@migrations()
def m009_fact_kinds(db: Database) -> None:
    """Story facts keep their kind (a percentage, an amount, a day, a place by its code, an
    agreement): the signatures later copies can still find are read again in these kinds, with
    their look-up keys and every fact's count, so that the first copies after the upgrade are
    compared like for like. Stories already decided stay as they are."""
    reindex(db.conn)


def migrate(db: Database) -> int:
    """Apply the pending migrations holding the write lock (waiting for it like any write), so that
    two processes opening a new store together both succeed; returns how many were applied."""
    if not migrations.pending(db):
        return 0
    db.execute("BEGIN IMMEDIATE")
    try:
        applied = len(migrations.pending(db))  # read again under the lock: another may have done it
        migrations.apply(db)
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    return applied
