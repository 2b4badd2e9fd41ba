"""The write path: the rules that apply decide what is stored, signed and alerted, in one transaction."""

from __future__ import annotations

import json

from crawler.config import Hook, Rule
from crawler.ingest import Ingest
from crawler.rules import Match, parse_query
from crawler.store import Store
from crawler.stories import WINDOW, signature

ARTICLE = {
    "url": "https://example.org/steel",
    "title": "Steel tariffs rise",
    "summary": "Washington raised steel tariffs.",
    "text": "Washington raised tariffs on steel imports from Canada and Mexico on Tuesday.",
    "source": "ledger",
    "lang": "en",
    "content_hash": "h" * 40,
}
MATCHES = (Match("tariffs", ("tariffs",), 2, "steel tariffs"), Match("aranceles", ("tariffs",), 1, "tariffs"))


def ingest() -> Ingest:
    rules = (
        Rule("tariffs", parse_query("tariffs")),
        Rule("aranceles", parse_query("tariffs"), langs=("es",)),  # Spanish articles only
    )
    return Ingest(rules, (Hook("desk", "webhook", "http://127.0.0.1:9/"),), WINDOW)


def test_a_lang_rule_that_does_not_apply_is_neither_stored_nor_signed_nor_alerted(tmp_path):
    store = Store(tmp_path / "tw.db")
    try:
        worker_sig = signature(ARTICLE["title"], ARTICLE["summary"], ARTICLE["text"],
                               [(m.rule, m.terms) for m in MATCHES])  # fmt: skip
        article_id, stored = ingest().store(store, ARTICLE, [], MATCHES, "en", worker_sig)
        assert [m.rule for m in stored] == ["tariffs"]
        rules = [
            r["rule"] for r in store.db.query("SELECT rule FROM matches WHERE article_id = ?", [article_id])
        ]
        assert rules == ["tariffs"]
        facts = json.loads(store.db.execute("SELECT facts FROM story_signatures").fetchone()[0])
        assert "r:tariffs" in facts and "r:aranceles" not in facts  # signed from what is stored
        (alert,) = store.db.query("SELECT hook, rules FROM alerts")
        assert (alert["hook"], json.loads(alert["rules"])) == ("desk", ["tariffs"])
    finally:
        store.close()


def test_in_its_language_the_lang_rule_applies(tmp_path):
    store = Store(tmp_path / "tw.db")
    try:
        _, stored = ingest().store(store, {**ARTICLE, "lang": "es"}, [], MATCHES, "es", None)
        assert [m.rule for m in stored] == ["tariffs", "aranceles"]
    finally:
        store.close()
