"""Sitemap sources over real HTTP: robots.txt -> index -> news and gzipped sitemaps, by age."""

from __future__ import annotations

import pytest
from conftest import ago, news_site, pages_sitemap, query, run_cli, url_dated_path, write_config

from crawler.errors import FetchError
from crawler.sources import SitemapSource
from jobs.demo.pages import news_sitemap_xml, rss_xml, sitemap_index_xml
from jobs.demo.siteserver import Resource, SiteServer


@pytest.fixture
def news():
    with SiteServer(news_site()) as server:
        yield server


def test_news_sitemap_keeps_the_nested_news_fields():
    body = news_sitemap_xml(
        [{"loc": "/a", "title": "Aranceles", "date": "2026-11-02T10:00:00-06:00", "language": "es-MX",
          "keywords": "aranceles, T-MEC"}]
    ).encode()  # fmt: skip
    (entry,) = SitemapSource.parse("s", body, {}, "https://news.test/sitemap.xml").entries
    assert (entry.link, entry.title, entry.lang, entry.keywords) == (
        "https://news.test/a", "Aranceles", "es", "aranceles, T-MEC",
    )  # fmt: skip
    assert (entry.published_at, entry.date_from) == ("2026-11-02T16:00:00Z", "news-sitemap")


def test_index_and_robots_give_child_sitemaps_and_anything_else_is_an_error():
    index = SitemapSource.parse(
        "s", sitemap_index_xml([("/n.xml", "2026-11-01")]).encode(), {}, "https://a.test/"
    )
    assert index.sitemaps == [("https://a.test/n.xml", "2026-11-01T00:00:00Z")] and not index.entries
    robots = SitemapSource.parse("s", b"Sitemap: https://a.test/s.xml\n", {}, "https://a.test/robots.txt")
    assert robots.sitemaps == [("https://a.test/s.xml", None)]
    with pytest.raises(FetchError, match="root element <rss>"):
        SitemapSource.parse("s", b"<rss><channel/></rss>", {}, "https://a.test/feed")
    with pytest.raises(FetchError, match="no Sitemap: line"):
        SitemapSource.parse("s", b"User-agent: *\nDisallow:\n", {}, "https://a.test/robots.txt")


def test_sitemap_source_from_robots_txt(tmp_path, news):
    config = write_config(tmp_path / "config.yaml", [{"name": "ledger", "sitemap": f"{news.url}/robots.txt"}])
    result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    db = tmp_path / "tradewatch.db"
    rows = {r["url"].removeprefix(news.url): r for r in query(db, "SELECT * FROM articles")}
    # The 2019 sitemap (lastmod) and the 5-day-old news entry are never fetched.
    assert news.requests["/sitemaps/2019.xml"] == 0 and news.requests["/news/old-story"] == 0
    assert news.requests["/news/2019-story"] == 0
    # robots.txt: the tradewatch group allows all but /private/ (every other agent is refused).
    assert news.requests["/private/tariff-memo"] == 0
    assert "robots.txt" in rows["/private/tariff-memo"]["fetch_error"].lower()
    origins = {path: r["published_from"] for path, r in rows.items()}
    assert origins == {
        "/news/aranceles": "news-sitemap", "/news/future": "meta", "/news/json-ld": "json-ld",
        "/news/meta": "meta", "/private/tariff-memo": "news-sitemap",
    }  # fmt: skip
    assert rows["/news/json-ld"]["updated_at"] > rows["/news/json-ld"]["published_at"]
    # Read, then judged too old by its own JSON-LD date; and, at the first crawl, the
    # sitemap's undated archive page: kept aside, never fetched (again).
    skipped = {r["url"].removeprefix(news.url): r["reason"] for r in query(db, "SELECT * FROM skipped")}
    assert skipped == {
        "/news/json-ld-old": "older than max_age",
        "/news/archive-undated": "undated, listed at the first crawl",
    }
    assert news.requests["/news/archive-undated"] == 0
    aranceles = rows["/news/aranceles"]
    assert (aranceles["published_from"], aranceles["lang"], aranceles["keywords"]) == (
        "news-sitemap", "es", "aranceles, T-MEC",
    )  # fmt: skip
    assert rows["/news/future"]["published_from"] == "meta"  # next week's sitemap date not believed
    assert all(r["published_at"] <= ago(-0.25) for r in rows.values())
    assert all(ua.startswith("tradewatch/") for ua in news.user_agents)

    # Two undated pages appear in the sitemap: new since the first crawl, so they are read.
    news.resources["/sitemaps/pages.xml.gz"] = pages_sitemap(url_dated_path(), "/news/undated")
    before = dict(news.requests)
    again = run_cli("crawl", config=config)
    assert again.returncode == 0, again.stderr
    fetched = {p for p, n in news.requests.items() if n > before.get(p, 0)}
    assert {p for p in fetched if p.startswith(("/news/", "/private/"))} == {
        url_dated_path(),
        "/news/undated",
    }
    # robots.txt and the index are read in full, so that the sitemaps they name are; an
    # unchanged leaf sitemap answers 304 to the validators kept from the first crawl.
    assert news.not_modified["/robots.txt"] == 0 and news.not_modified["/sitemap-index.xml"] == 0
    assert news.not_modified["/sitemaps/news.xml"] == 1 and news.not_modified["/sitemaps/pages.xml.gz"] == 0
    (kept,) = query(db, "SELECT * FROM sitemaps WHERE url LIKE '%news.xml'")
    assert kept["source"] == "ledger" and kept["etag"]
    rows = {r["url"].removeprefix(news.url): r for r in query(db, "SELECT * FROM articles")}
    assert rows[url_dated_path()]["published_from"] == "htmldate"  # only its URL has a date
    assert rows["/news/undated"]["published_from"] == "first-seen"


def test_max_age_on_a_feed_ignores_the_archive(tmp_path, site):
    # The ledger feed's dated item is from 2026-11-02: more than a day before "now" in this test.
    config = write_config(
        tmp_path / "config.yaml",
        [{"name": "ledger", "feed": f"{site.url}/feeds/ledger.xml", "max_age": "1d"}],
    )
    result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    urls = {r["url"] for r in query(tmp_path / "tradewatch.db", "SELECT url FROM articles")}
    assert site.requests["/news/sheinbaum-tariffs"] == 0  # dated 2026-11-02 by the feed: not fetched
    assert f"{site.url}/news/steel-duties" in urls  # undated in the feed and on the page: first seen now
    ledger = next(line for line in result.stdout.splitlines() if line.startswith("ledger"))
    assert ledger.split()[4] == "1"  # the "old" column


def test_a_sitemaps_archive_never_marks_a_stored_article(tmp_path, news):
    feed = rss_xml(
        "Ledger", "/", [{"title": "México responde", "link": "/news/aranceles", "pubDate": ago(1)}]
    )
    news.resources["/feed.xml"] = Resource(feed.encode(), "application/rss+xml")
    sources = [{"name": "feed", "feed": f"{news.url}/feed.xml"}]
    config = write_config(tmp_path / "config.yaml", sources)
    assert run_cli("crawl", config=config).returncode == 0
    sources.append({"name": "pages", "sitemap": f"{news.url}/sitemaps/pages.xml.gz"})
    write_config(tmp_path / "config.yaml", sources)
    assert run_cli("crawl", "pages", config=config).returncode == 0
    db = tmp_path / "tradewatch.db"
    skipped = {r["url"].removeprefix(news.url) for r in query(db, "SELECT url FROM skipped")}
    assert skipped == {"/news/archive-undated", "/news/json-ld-old"}  # not the stored /news/aranceles
