"""The store: schema as documented, WAL readers beside the writer, FTS, atomic saves."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from crawler.errors import StoreError
from crawler.ingest import save_article
from crawler.rules import Match
from crawler.store import Store
from crawler.stories import WINDOW

ARTICLE = {
    "url": "https://example.org/a",
    "title": "Aranceles al acero",
    "summary": "La Secretaría de Economía publicó el decreto.",
    "text": "Texto completo sobre aranceles.",
    "source": "gob",
    "lang": "es",
    "content_hash": "x" * 40,
}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "tw.db")
    yield s
    s.close()


def test_the_store_is_in_wal_mode_with_its_views(store):
    # The columns of every table are checked against the README by tests/test_docs.py.
    assert {"flagged", "story_copies"} <= set(store.db.view_names())
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_applies_no_migration_twice(tmp_path):
    Store(tmp_path / "tw.db").close()
    again = Store(tmp_path / "tw.db")
    assert (
        again.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == 9
    )  # m009: story facts of their kind


def test_save_find_aliases_and_flagged_view(store):
    match = Match("tariffs", ("aranceles",), 2, "… aranceles …")
    article_id = save_article(
        store, ARTICLE, ["https://example.org/a?amp=1", "gob:17"], [match], window=WINDOW
    )
    assert store.find_article(["nope", "gob:17"]) == article_id
    store.add_aliases(article_id, ["https://amp.example.org/a", "gob:17"])
    assert store.find_article(["https://amp.example.org/a"]) == article_id
    (row,) = store.db.query("SELECT * FROM flagged")
    assert (row["id"], row["rules"], row["hits"]) == (article_id, "tariffs", 2)
    assert [r["rule"] for r in store.flagged(rule="tariffs")] == ["tariffs"]
    assert store.flagged(rule="other") == []


def test_fts_is_accent_blind_and_current(store):
    article_id = save_article(store, ARTICLE, [], [], window=WINDOW)
    hits = store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'economia'").fetchall()
    assert hits == [(article_id,)]
    store.db["articles"].update(article_id, {"summary": "nada"})
    assert (
        store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'economia'").fetchall()
        == []
    )


def test_sqlite_utils_search_command_works(store, tmp_path):
    save_article(store, ARTICLE, [], [], window=WINDOW)
    result = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "search", str(store.path), "articles", "acero", "--csv"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Aranceles al acero" in result.stdout


def test_a_failed_save_leaves_nothing_behind(store):
    save_article(store, ARTICLE, [], [], window=WINDOW)
    with pytest.raises(StoreError):
        # Same URL again: the UNIQUE index refuses it, and the matches must not land either.
        save_article(
            store, ARTICLE, ["https://example.org/other"], [Match("r", ("x",), 1, "x")], window=WINDOW
        )
    assert store.db.execute("SELECT count(*) FROM matches").fetchone() == (0,)
    assert store.find_article(["https://example.org/other"]) is None


def test_a_reader_in_a_transaction_does_not_block_the_writer(store):
    save_article(store, ARTICLE, [], [], window=WINDOW)
    reader = sqlite3.connect(store.path, timeout=0.1)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM articles").fetchone() == (1,)
    save_article(
        store, {**ARTICLE, "url": "https://example.org/b"}, [], [], window=WINDOW
    )  # no "database is locked"
    assert reader.execute("SELECT count(*) FROM articles").fetchone() == (1,)  # its snapshot
    reader.rollback()
    assert reader.execute("SELECT count(*) FROM articles").fetchone() == (2,)
    reader.close()


def test_source_state_counts_failures_and_keeps_validators(store):
    store.record_source("a", "feed", "http://x/", status="200", validators=('"e1"', "Mon"))
    store.record_source("a", "feed", "http://x/", status="500", error="HTTP 500")
    store.record_source("a", "feed", "http://x/", status="error", error="timeout")
    state = store.source_state("a")
    assert (state.etag, state.last_modified, state.consecutive_failures) == ('"e1"', "Mon", 2)
    store.record_source("a", "feed", "http://x/", status="304")
    assert store.source_state("a").consecutive_failures == 0


def test_unopenable_database_is_a_store_error(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open database"):
        Store(tmp_path / "dir.db")


READERS = [
    ("search", "tariffs"),
    ("matches",),
    ("stories",),
    ("stories", "show", "1"),
    ("status",),
    ("trends",),
    ("alerts",),
]


@pytest.fixture
def crawled_store(site, tmp_path):
    from tests.conftest import run_cli, write_config
    from tests.test_crawl import sources_at

    config = write_config(tmp_path / "config.yaml", sources_at(site.url))
    assert run_cli("crawl", config=config).returncode == 0
    return config, tmp_path / "tradewatch.db"


def _fingerprint(db) -> tuple:
    """The store file as it is (a WAL reader may create -wal and -shm beside it: SQLite's own)."""
    return db.stat().st_mtime_ns, db.read_bytes()


def test_reading_commands_open_the_store_read_only(crawled_store):
    from tests.conftest import run_cli

    config, db = crawled_store
    db.chmod(0o444)
    before = _fingerprint(db)
    for command in READERS:
        result = run_cli(*command, config=config)
        assert result.returncode in (0, 1), (command, result.stderr)  # status: 1 for a source needing care
        assert "Error" not in result.stderr and "Traceback" not in result.stderr, (command, result.stderr)
        assert result.stdout.strip(), command
    assert _fingerprint(db) == before  # not a byte written, not a file touched


def test_reading_commands_never_migrate_and_say_what_to_run(crawled_store):
    from tests.conftest import run_cli

    config, db = crawled_store
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_alert_leases'")  # a store from before it
    conn.execute("ALTER TABLE alerts DROP COLUMN lease_until")
    conn.commit()
    conn.close()
    before = _fingerprint(db)
    for command in [*READERS, ("serve",)]:
        result = run_cli(*command, config=config)
        older = f"{db} was written by an older tradewatch: run 'tradewatch migrate' to bring it up to date"
        assert (result.returncode, result.stderr.strip()) == (1, f"Error: {older}"), command
    assert _fingerprint(db) == before
    migrated = run_cli("migrate", config=config)
    assert (migrated.returncode, migrated.stdout.strip()) == (0, f"{db}: 1 migrations applied")
    assert run_cli("stories", config=config).returncode == 0
    assert run_cli("migrate", config=config).stdout.strip() == f"{db}: up to date"


def test_processes_opening_a_new_store_together_all_succeed(tmp_path):
    script = "import sys; from crawler.store import Store; Store(sys.argv[1]).close()"
    for attempt in range(4):  # before the write lock was taken first, 8 openers failed in every round
        db = tmp_path / f"new-{attempt}.db"
        procs = [
            subprocess.Popen([sys.executable, "-c", script, str(db)], stderr=subprocess.PIPE)
            for _ in range(8)
        ]
        results = [(p.wait(timeout=60), p.communicate()[1].decode()) for p in procs]
        assert all(code == 0 for code, _ in results), results
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == 9


def test_a_languages_cell_edited_by_hand_reads_as_none(store):
    article = {"url": "https://example.org/1", "title": "Aranceles", "text": "Texto del arancel.",
               "source": "s", "lang": "es", "content_hash": "h1"}  # fmt: skip
    save_article(store, article, [], [], window=WINDOW)
    store.db.execute("UPDATE stories SET languages = '{bad'")
    (story,) = store.stories()
    assert story["languages"] == []
    assert store.stories(lang="es") == []  # matches no language, and the query does not fail
