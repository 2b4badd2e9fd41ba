"""Listing parsers: every feed format, entity unescaping, malformed input, and the path hole."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from crawler.errors import FetchError
from crawler.sources import FeedSource, PageSource
from jobs.demo.pages import listing_html, rss_xml

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"


def test_rss_titles_are_unescaped_and_links_absolute():
    body = rss_xml(
        "Ledger",
        "/",
        [
            {
                "title": "Tariffs &amp; trade",
                "link": "/a?utm_source=x",
                "guid": "7",
                "description": "<b>Hi</b> &lt;3",
            }
        ],
    ).encode()
    (entry,) = FeedSource.parse(
        "ledger", body, {"content-type": "application/rss+xml"}, "http://h.test/feed"
    ).entries
    assert entry.title == "Tariffs & trade"
    assert entry.summary == "Hi <3"
    assert entry.link == "http://h.test/a?utm_source=x"
    assert entry.keys == ["http://h.test/a", "ledger:7"]
    assert entry.lang == "en"


def test_atom_dates_become_utc():
    entries = FeedSource.parse(
        "wire", (FIXTURES / "wire.atom").read_bytes(), {}, "http://h.test/wire.atom"
    ).entries
    assert [e.published_at for e in entries] == ["2026-11-02T11:00:00Z", "2026-11-02T08:30:00Z"]
    assert entries[0].guid_key == "tag:wire.example,2026:sheinbaum-tariffs"


def test_json_feed():
    (entry,) = FeedSource.parse(
        "j", (FIXTURES / "items.json").read_bytes(), {}, "http://h.test/items.json"
    ).entries
    assert (entry.link, entry.title, entry.author) == (
        "http://h.test/news/json-item",
        "Ebrard in Washington",
        "Wire staff",
    )
    with pytest.raises(FetchError, match="not a JSON feed"):
        FeedSource.parse("j", b'{"items": []}', {"content-type": "application/json"}, "http://h.test/")


def test_rdf_feed():
    (entry,) = FeedSource.parse(
        "s", (FIXTURES / "summaries.rdf").read_bytes(), {}, "http://h.test/s.rdf"
    ).entries
    assert entry.title == "El T-MEC y los aranceles" and entry.lang == "es"


def test_not_a_feed_is_an_error():
    with pytest.raises(FetchError, match="^not a feed"):
        FeedSource.parse("x", b"<<< this is not a feed >>>", {}, "http://h.test/")


def test_a_body_that_looks_like_a_path_is_never_read_as_a_file(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss_xml("Secret", "/", [{"title": "SECRET ENTRY", "link": "/s"}]).encode())
    # Handed as a path (bytes or str), feedparser would open the local file.
    with pytest.raises(FetchError):
        FeedSource.parse("x", str(secret).encode(), {"content-type": "application/rss+xml"}, "http://h.test/")


def test_page_listing_uses_the_selector_only():
    html = listing_html(
        "Comunicados", [("/prensa/1", "Uno"), ("/prensa/2?utm_source=x", "Dos"), ("/prensa/1", "Uno")]
    )
    entries = PageSource.parse(
        "gob", b"", {}, "http://h.test/prensa", links="ul.comunicados a", text=html
    ).entries
    assert [(e.link, e.title) for e in entries] == [
        ("http://h.test/prensa/1", "Uno"),
        ("http://h.test/prensa/2?utm_source=x", "Dos"),
    ]


def test_page_listing_selector_may_pick_containers():
    html = listing_html("C", [("/p/1", "Uno")])
    entries = PageSource.parse("gob", b"", {}, "http://h.test/", links="ul.comunicados li", text=html).entries
    assert [e.link for e in entries] == ["http://h.test/p/1"]


@pytest.mark.skipif(not CORPUS_FEEDS.is_dir(), reason="../shared/corpus is not present")
def test_every_real_feed_in_the_corpus_parses():
    files = sorted(CORPUS_FEEDS.glob("*.xml"))
    assert len(files) > 100
    total = 0
    for path in files:
        # FetchError is how a bad source is recorded; no other exception may escape.
        with contextlib.suppress(FetchError):
            total += len(
                FeedSource.parse("corpus", path.read_bytes(), {}, "https://example.org/feed").entries
            )
    assert total > 2000
