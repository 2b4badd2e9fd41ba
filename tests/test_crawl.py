"""End to end: the real CLI crawls a local site over HTTP into a real SQLite file."""

from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import pytest

from jobs.demo.pages import rss_xml
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import fixture_site, query, run_cli, write_config

SOURCES = [
    {"name": "ledger", "feed": "/feeds/ledger.xml"},
    {"name": "wire", "feed": "/feeds/wire.atom"},
    {"name": "jsonfeed", "feed": "/feeds/items.json"},
    {"name": "broken", "feed": "/feeds/broken.xml"},
    {"name": "missing", "feed": "/feeds/nowhere.xml"},
    {"name": "summaries", "feed": "/feeds/summaries.rdf", "follow": False},
    {"name": "prensa", "page": "/prensa", "links": "ul.comunicados a"},
]
ARTICLE_PAGES = [
    "/news/sheinbaum-tariffs",
    "/amp/news/sheinbaum-tariffs",
    "/go/steel",
    "/news/steel-duties",
    "/news/football",
    "/news/gone",
    "/noticias/header-latin1",
    "/noticias/meta-latin1",
    "/news/json-item",
]


def sources_at(base: str, sources: list[dict] = SOURCES) -> list[dict]:
    out = []
    for source in sources:
        source = dict(source)
        for kind in ("feed", "page"):
            if kind in source:
                source[kind] = base + source[kind]
        out.append(source)
    return out


@pytest.fixture
def crawled(site: SiteServer, tmp_path: Path):
    config = write_config(tmp_path / "config.yaml", sources_at(site.url))
    result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    return site, config, tmp_path / "tradewatch.db", result


def article(db: Path, url: str) -> dict:
    rows = query(db, "SELECT * FROM articles WHERE url = ?", (url,))
    assert len(rows) == 1, rows
    return rows[0]


def test_each_article_is_stored_once_however_it_is_reached(crawled):
    site, _, db, _ = crawled
    urls = sorted(row["url"] for row in query(db, "SELECT url FROM articles"))
    base = site.url
    assert urls == sorted(
        [
            f"{base}/news/sheinbaum-tariffs",
            f"{base}/news/steel-duties",
            f"{base}/news/football",
            f"{base}/news/gone",
            f"{base}/noticias/header-latin1",
            f"{base}/noticias/meta-latin1",
            f"{base}/news/json-item",
            "http://summaries.example/nota/1",
        ]
    )
    sheinbaum = article(db, f"{base}/news/sheinbaum-tariffs")
    aliases = {
        r["url"] for r in query(db, "SELECT url FROM article_urls WHERE article_id = ?", (sheinbaum["id"],))
    }
    assert {
        f"{base}/news/sheinbaum-tariffs",
        f"{base}/amp/news/sheinbaum-tariffs",
        "ledger:ledger-1",
        "tag:wire.example,2026:sheinbaum-tariffs",
    } <= aliases
    steel = article(db, f"{base}/news/steel-duties")
    assert query(db, "SELECT article_id FROM article_urls WHERE url = ?", (f"{base}/go/steel",)) == [
        {"article_id": steel["id"]}
    ]


def test_every_page_is_fetched_at_most_once(crawled):
    site, _, _, _ = crawled
    for path in ARTICLE_PAGES:
        assert site.requests[path] == 1, path


def test_fields_are_clean_text(crawled):
    site, _, db, _ = crawled
    sheinbaum = article(db, f"{site.url}/news/sheinbaum-tariffs")
    # Three feed entries lead to this story; whichever is stored first gives its title.
    assert sheinbaum["title"] in (
        "Tariffs & trade: Sheinbaum answers Washington",
        "Sheinbaum answers Washington on tariffs",
        "Sheinbaum on tariffs (AMP)",
    )
    ledger_title = query(
        db,
        "SELECT title FROM articles WHERE id = "
        "(SELECT article_id FROM article_urls WHERE url = 'ledger:ledger-1')",
    )
    assert ledger_title[0]["title"] in ("Tariffs & trade: Sheinbaum answers Washington", sheinbaum["title"])
    assert "Claudia Sheinbaum said Mexico" in sheinbaum["text"]
    assert "Most read" not in sheinbaum["text"] and "Newsletters" not in sheinbaum["text"]
    assert sheinbaum["author"] == "Ana Ruiz"
    json_item = article(db, f"{site.url}/news/json-item")
    assert (json_item["published_at"], json_item["published_from"]) == ("2026-11-03T08:00:00Z", "feed")
    assert json_item["author"] == "Wire staff"
    assert json_item["content_hash"] and len(json_item["content_hash"]) == 40


def test_the_ledger_title_is_unescaped(crawled):
    site, _, db, _ = crawled
    titles = {r["title"] for r in query(db, "SELECT title FROM articles")}
    # Whichever of its two feeds stored the story first, no title keeps an entity.
    assert not any("&amp;" in t for t in titles)
    assert "Riverside Rovers win the final" in titles


def test_latin1_pages_decode_by_header_and_by_meta(crawled):
    site, _, db, _ = crawled
    for path in ("/noticias/header-latin1", "/noticias/meta-latin1"):
        row = article(db, site.url + path)
        assert "La Secretaría de Economía anunció nuevos aranceles" in row["text"], path
        assert row["lang"] == "es"


def test_rules_match_article_text_not_chrome(crawled):
    site, _, db, _ = crawled
    football = article(db, f"{site.url}/news/football")
    assert query(db, "SELECT * FROM matches WHERE article_id = ?", (football["id"],)) == []
    steel = article(db, f"{site.url}/news/steel-duties")
    rules = {r["rule"] for r in query(db, "SELECT rule FROM matches WHERE article_id = ?", (steel["id"],))}
    # The chrome says "Trump threatens new tariffs on Mexican steel"; the article only "duties".
    assert rules == set(), rules
    latin = article(db, f"{site.url}/noticias/header-latin1")
    found = {r["rule"]: r for r in query(db, "SELECT * FROM matches WHERE article_id = ?", (latin["id"],))}
    assert set(found) == {"tariffs", "metal-tariffs", "officials"}
    assert json.loads(found["officials"]["terms"]) == ["Secretaría de Economía"]  # a JSON array
    assert "Secretaría de Economía" in found["officials"]["snippet"]


def test_unfetchable_page_is_kept_from_the_feed_and_not_refetched(crawled):
    site, config, db, _ = crawled
    gone = article(db, f"{site.url}/news/gone")
    assert gone["fetch_error"] == "HTTP 404"
    assert gone["text"] is None
    assert gone["summary"] == "Negotiators met to discuss the USMCA joint review."
    matched = query(db, "SELECT rule, terms FROM matches WHERE article_id = ?", (gone["id"],))
    assert {"rule": "usmca", "terms": json.dumps(["USMCA"])} in matched
    site.resources["/feeds/ledger.xml"] = Resource(site.resources["/feeds/ledger.xml"].body + b"\n")
    assert run_cli("crawl", "ledger", config=config).returncode == 0
    assert site.requests["/news/gone"] == 1


def test_follow_false_keeps_the_feed_summary(crawled):
    _, _, db, _ = crawled
    row = article(db, "http://summaries.example/nota/1")
    assert row["text"] is None and row["fetch_error"] is None
    assert row["lang"] == "es"
    rules = {r["rule"] for r in query(db, "SELECT rule FROM matches WHERE article_id = ?", (row["id"],))}
    assert rules == {"usmca", "tariffs", "officials", "usmca-review"}


def test_bad_sources_are_recorded_and_the_others_go_on(crawled):
    _, _, db, result = crawled
    states = {r["name"]: r for r in query(db, "SELECT * FROM sources")}
    assert states["broken"]["last_error"].startswith("not a feed")
    assert states["broken"]["consecutive_failures"] == 1
    assert states["missing"]["last_error"] == "HTTP 404"
    assert states["missing"]["last_status"] == "404"
    assert states["ledger"]["last_error"] is None and states["ledger"]["etag"]
    assert "broken" in result.stdout and "not a feed" in result.stdout
    total = result.stdout.strip().splitlines()[-1].split()
    assert total[0] == "total" and int(total[1]) == 8


def test_second_run_is_conditional_and_fetches_no_article(crawled):
    site, config, db, _ = crawled
    before = dict(site.requests)
    result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    for path in ARTICLE_PAGES:
        assert site.requests[path] == before[path], path
    assert query(db, "SELECT count(*) AS n FROM articles") == [{"n": 8}]
    states = {r["name"]: r for r in query(db, "SELECT * FROM sources")}
    assert states["ledger"]["last_status"] == "304"
    assert states["broken"]["consecutive_failures"] == 2


def test_changed_feed_fetches_only_the_new_item(crawled):
    site, config, db, _ = crawled
    site.resources["/news/new-one"] = Resource(
        site.resources["/news/football"].body.replace(b"Riverside Rovers", b"Lakeside Lions")
    )
    items = [
        {"title": "Tariffs &amp; trade", "link": "/news/sheinbaum-tariffs", "guid": "ledger-1"},
        {"title": "Lions win", "link": "/news/new-one?utm_campaign=x", "guid": "ledger-9"},
    ]
    site.resources["/feeds/ledger.xml"] = Resource(rss_xml("Ledger", "/", items).encode())
    before = dict(site.requests)
    result = run_cli("crawl", "ledger", config=config)
    assert result.returncode == 0, result.stderr
    assert site.requests["/news/new-one"] == 1
    assert site.requests["/news/sheinbaum-tariffs"] == before["/news/sheinbaum-tariffs"]
    line = next(line for line in result.stdout.splitlines() if line.startswith("ledger"))
    assert line.split()[1:3] == ["1", "1"]  # one new, one duplicate


def test_crawl_of_unknown_source_is_a_usage_error(site, tmp_path):
    config = write_config(tmp_path / "config.yaml", sources_at(site.url)[:1])
    result = run_cli("crawl", "nope", config=config)
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: no source named 'nope' (known: ledger)"


def test_limits_make_a_hung_server_and_a_gzip_bomb_cheap(tmp_path):
    bomb = gzip.compress(b"<html><body>" + b"0" * (20 * 1024 * 1024) + b"</body></html>")
    items = [
        {"title": "Hung", "link": "/hung", "description": "tariffs"},
        {"title": "Bomb", "link": "/bomb", "description": "aranceles"},
        {"title": "Private", "link": "/private/x", "description": "USMCA"},
    ]
    resources = {
        "/feed.xml": Resource(rss_xml("Limits", "/", items).encode()),
        "/hung": Resource(b"<html>late</html>", delay=8),
        "/bomb": Resource(bomb, headers={"Content-Encoding": "gzip"}),
        "/private/x": Resource(b"<html>secret</html>"),
        "/robots.txt": Resource(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
    }
    with SiteServer(resources) as server:
        config = write_config(
            tmp_path / "config.yaml",
            [{"name": "limits", "feed": f"{server.url}/feed.xml"}],
            fetch={"timeout": "1s", "retries": 0, "max_page_size": "1MB", "workers": 1},
        )
        result = run_cli("crawl", config=config, timeout=60)
        assert result.returncode == 0, result.stderr
        assert server.requests["/private/x"] == 0
    rows = {
        r["url"].rsplit("/", 1)[-1]: r for r in query(tmp_path / "tradewatch.db", "SELECT * FROM articles")
    }
    assert set(rows) == {"hung", "bomb", "x"}
    assert "took longer than 1.0 seconds" in rows["hung"]["fetch_error"]
    assert rows["bomb"]["fetch_error"]
    assert rows["x"]["fetch_error"] == "Forbidden by robots.txt"
    assert {r["rule"] for r in query(tmp_path / "tradewatch.db", "SELECT rule FROM matches")} == {
        "tariffs",
        "usmca",
    }


def test_the_fixture_site_serves_what_the_tests_expect():
    site = fixture_site()
    assert site["/go/steel"].location == "/news/steel-duties"
    assert b"charset" not in site["/noticias/header-latin1"].body.split(b"</head>")[0]


def test_an_unreachable_source_is_reported_in_one_line(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(
        tmp_path / "config.yaml", [{"name": "down", "feed": f"http://127.0.0.1:{port}/feed"}]
    )
    result = run_cli("crawl", config=config)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr
    assert "source down: Connection was refused" in result.stderr
    assert "error: Connection was refused" in result.stdout


def test_a_rule_limited_to_spanish_flags_spanish_articles_only(site, tmp_path):
    rules = [
        {"name": "aranceles-es", "terms": ["tariff*", "aranceles"], "lang": ["es"]},
        {"name": "any-language", "terms": ["tariff*", "aranceles"]},
    ]
    config = write_config(
        tmp_path / "config.yaml",
        [
            {"name": "ledger", "feed": f"{site.url}/feeds/ledger.xml"},
            {"name": "gob", "page": f"{site.url}/prensa", "links": "ul.comunicados"},
        ],
        rules=rules,
    )
    assert run_cli("crawl", config=config).returncode == 0
    rows = query(
        tmp_path / "tradewatch.db",
        "SELECT articles.lang, group_concat(matches.rule) AS rules FROM articles"
        " JOIN matches ON matches.article_id = articles.id GROUP BY articles.id",
    )
    spanish = [r for r in rows if r["lang"] == "es"]
    english = [r for r in rows if r["lang"] == "en"]
    assert len(spanish) == 2 and all("aranceles-es" in r["rules"] for r in spanish)
    assert english and all(r["rules"] == "any-language" for r in english)
