"""The seams: errors at the store's boundary, lists as JSON, one admission step, registries that register."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from crawler.admission import Admission, Outcome, SkipReason
from crawler.config import SOURCE_KINDS, Source, load_config
from crawler.errors import ConfigError, StoreError
from crawler.ingest import save_article
from crawler.outbox import Outbox
from crawler.rules import Match
from crawler.sources import KINDS, Entry
from crawler.store import Store
from crawler.stories import WINDOW
from jobs.demo.pages import article_html, rss_xml
from jobs.demo.receiver import Receiver
from jobs.demo.siteserver import Resource, SiteServer
from jobs.hooks import HOOKS
from tests.conftest import paragraphs, query, run_cli, write_config

ARTICLE = {"url": "https://example.org/a", "title": "Steel", "source": "s", "content_hash": "x" * 40}


@pytest.fixture
def locked(tmp_path):
    """A store whose database another connection holds the write lock of, with a short busy timeout."""
    store = Store(tmp_path / "tw.db")
    article_id = save_article(
        store, ARTICLE, [], [Match("r", ("steel",), 1, "steel")], [("desk", ["r"])], window=WINDOW
    )
    store.db.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(tmp_path / "tw.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield store, article_id
    holder.rollback()
    holder.close()
    store.close()


WRITES = {
    "retry_alerts": lambda store, _: Outbox(store).retry(dead=True),
    "mark_sent": lambda store, _: Outbox(store).mark_sent(["tw-x"]),
    "mark_failed": lambda store, _: Outbox(store).mark_failed(["tw-x"], "boom", None),
    "record_source": lambda store, _: store.record_source("s", "feed", "http://x/", status="200"),
    "add_aliases": lambda store, article_id: store.add_aliases(article_id, ["https://example.org/b"]),
    "keep_sitemap_validators": lambda store, _: store.keep_sitemap_validators(
        "s", {"http://x/s": ("e", None)}
    ),
    "skip": lambda store, _: store.skip(["https://example.org/c"], "s", None, "older than max_age"),
    "save_article": lambda store, _: save_article(
        store, {**ARTICLE, "url": "https://example.org/d"}, [], [], window=WINDOW
    ),
}


@pytest.mark.parametrize("write", list(WRITES.values()), ids=list(WRITES))
def test_every_write_out_of_the_store_raises_store_error(locked, write):
    store, article_id = locked
    with pytest.raises(StoreError, match="database is locked"):
        write(store, article_id)


def test_a_locked_database_is_one_error_line_from_the_cli(tmp_path):
    config = write_config(tmp_path / "config.yaml", [])
    Store(tmp_path / "tradewatch.db").close()
    holder = sqlite3.connect(tmp_path / "tradewatch.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Timer(14, holder.rollback)  # past the CLI's 10 s busy timeout
    released.start()
    try:
        started = time.monotonic()
        result = run_cli("alerts", "retry", "--dead", config=config)
    finally:
        released.cancel()
        holder.rollback()
        holder.close()
    assert time.monotonic() - started < 14
    assert result.returncode == 1
    assert result.stderr == "Error: cannot retry alerts: database is locked\n"


def test_a_term_with_a_comma_survives_into_the_payload(tmp_path):
    story = paragraphs("Washington doubled the duties on steel, aluminum and copper from Mexico.")
    feed = rss_xml("F", "/", [{"title": "Duties doubled", "link": "/a", "guid": "a"}])
    site = {"/feed.xml": Resource(feed.encode()), "/a": Resource(article_html("Duties", story).encode())}
    receiver = Receiver()
    try:
        with SiteServer(site) as server:
            config = write_config(
                tmp_path / "config.yaml",
                [{"name": "f", "feed": f"{server.url}/feed.xml"}],
                rules=[{"name": "metals, all", "terms": ["steel, aluminum"]}],
                hooks=[{"name": "desk", "webhook": receiver.url}],
            )
            result = run_cli("crawl", config=config)
        assert result.returncode == 0, result.stderr
        (payload,) = [json.loads(body) for _, body in receiver.posts]
    finally:
        receiver.close()
    assert payload["rules"] == ["metals, all"]
    assert payload["matches"][0]["terms"] == ["steel, aluminum"]
    (row,) = query(tmp_path / "tradewatch.db", "SELECT terms FROM matches")
    assert json.loads(row["terms"]) == ["steel, aluminum"]
    (alert,) = query(tmp_path / "tradewatch.db", "SELECT rules FROM alerts")
    assert json.loads(alert["rules"]) == ["metals, all"]
    listed = run_cli("matches", config=config)
    assert "[steel, aluminum]" in listed.stdout


def test_the_migration_turns_joined_lists_into_json(tmp_path):
    store = Store(tmp_path / "tw.db")
    save_article(store, ARTICLE, [], [Match("r", ("a",), 1, "a")], [("desk", ["r"])], window=WINDOW)
    # As a store written before m005 held them:
    store.db.execute("UPDATE matches SET terms = 'aranceles, T-MEC'")
    store.db.execute("UPDATE alerts SET rules = 'tariffs, usmca'")
    store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_json_lists'")
    store.db.conn.commit()
    store.close()
    again = Store(tmp_path / "tw.db")
    assert json.loads(again.db.execute("SELECT terms FROM matches").fetchone()[0]) == ["aranceles", "T-MEC"]
    (alert,) = Outbox(again).alerts()
    assert alert["rules"] == ["tariffs", "usmca"]
    again.close()


def test_admission_gives_one_verdict_per_entry(tmp_path):
    store = Store(tmp_path / "tw.db")
    feed = Source(name="f", kind="feed", url="http://x/feed", max_age=86400)
    sitemap = Source(name="m", kind="sitemap", url="http://x/sitemap.xml")
    states = {s.name: store.source_state(s.name) for s in (feed, sitemap)}
    admission = Admission(store, [feed, sitemap], states)
    fresh = Entry("f", "http://x/a", guid="a", published_at="2999-01-01T00:00:00Z")
    assert admission.at_listing(fresh).outcome is Outcome.NEW
    assert admission.at_listing(Entry("f", "http://x/a?utm_source=x")).outcome is Outcome.IN_FLIGHT
    assert admission.at_listing(Entry("f", "http://x/b", published_at="2001-01-01T00:00:00Z")).outcome is (
        Outcome.TOO_OLD
    )
    assert admission.at_listing(Entry("f", None)).outcome is Outcome.NO_LINK
    article_id = save_article(store, {**ARTICLE, "url": "http://x/a"}, ["f:a"], [], window=WINDOW)
    assert admission.at_listing(Entry("f", "http://x/other", guid="a")).article_id == article_id
    listed = [Entry("m", "http://x/old"), Entry("m", "http://x/new", lastmod="2999-01-01T00:00:00Z")]
    kept, archived = admission.archive(listed, sitemap)
    assert (archived, [e.link for e in kept]) == (1, ["http://x/new"])
    assert store.skipped(["http://x/old"]) == {SkipReason.ARCHIVED}
    assert admission.at_listing(Entry("m", "http://x/old")).outcome is Outcome.ARCHIVED
    # The same URL dated (a news sitemap beside the plain one) is news.
    assert admission.at_listing(Entry("m", "http://x/old", published_at="2999-01-01T00:00:00Z")).admitted
    store.close()


def test_every_source_kind_and_hook_kind_registers_itself():
    assert set(KINDS) == set(SOURCE_KINDS)
    assert all(callable(kind.read) for kind in KINDS.values())
    for kind in HOOKS.values():
        assert callable(kind.parse) and callable(kind.deliver) and isinstance(kind.options, frozenset)


def test_hook_kinds_check_their_own_config(tmp_path):
    path = write_config(tmp_path / "config.yaml", [], hooks=[{"name": "log", "command": "notify-desk"}])
    with pytest.raises(ConfigError, match=r"^hooks\[1\] \(log\): command: must be a non-empty list"):
        load_config(path, HOOKS)
    hooks = [{"name": "log", "command": ["x"], "secret": "s"}]
    signed = write_config(tmp_path / "signed.yaml", [], hooks=hooks)
    with pytest.raises(ConfigError, match=r"^hooks\[1\] \(log\): secret: only webhook hooks take this key$"):
        load_config(signed, HOOKS)
    assert load_config(path).hooks[0].target == "notify-desk"  # without the registry: kept as written
