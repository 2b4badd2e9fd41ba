"""Polite crawling over real HTTP: identity, robots.txt per source, per-host limits, Retry-After."""

from __future__ import annotations

import pytest
from conftest import paragraphs, query, run_cli, write_config

from jobs.demo.pages import article_html, rss_xml
from jobs.demo.siteserver import Resource, SiteServer

STORY = paragraphs("Officials discussed the tariffs on steel for several hours.")


def slow_site(n: int, delay: float = 0.0) -> dict[str, Resource]:
    """A feed of ``n`` stories whose pages take ``delay`` seconds to answer."""
    items = [{"title": f"Story {i}", "link": f"/news/{i}", "guid": f"s{i}"} for i in range(n)]
    r = {"/feed.xml": Resource(rss_xml("Slow", "/", items).encode(), "application/rss+xml")}
    for i in range(n):
        r[f"/news/{i}"] = Resource(article_html(f"Story {i}", STORY).encode(), delay=delay)
    return r


def crawl(tmp_path, server: SiteServer, *args: str, source: dict | None = None, **fetch: object):
    """``tradewatch crawl`` of the slow site's feed with these fetch: settings (and source keys)."""
    config = write_config(
        tmp_path / "config.yaml",
        [{"name": "slow", "feed": f"{server.url}/feed.xml", **(source or {})}],
        fetch={"timeout": "5s", "retries": 0, "concurrency": 8, "workers": 2, **fetch},
    )
    result = run_cli("crawl", *args, config=config)
    assert result.returncode == 0, result.stderr
    return result


def test_per_host_concurrency_holds(tmp_path):
    with SiteServer(slow_site(6, delay=0.3)) as server:
        crawl(tmp_path, server, per_host=2, delay=0)
    assert server.max_in_flight == 2


def test_delay_spaces_requests_to_one_host(tmp_path):
    with SiteServer(slow_site(4)) as server:
        crawl(tmp_path, server, per_host=2, delay="0.4s", robots=False)
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    # Scrapy's jitter: 0.5x to 1.5x the delay, as sent; arrivals may differ by a few ms.
    assert len(gaps) == 4 and min(gaps) >= 0.4 * 0.5 - 0.02


def test_user_agent_names_tradewatch_and_the_contact_url(tmp_path):
    with SiteServer(slow_site(1)) as server:
        crawl(tmp_path, server, delay=0, contact="https://example.org/about-our-monitor")
    from importlib.metadata import version

    assert set(server.user_agents) == {
        f"tradewatch/{version('tradewatch')} (self-hosted trade-policy news monitor)"
        " (+https://example.org/about-our-monitor)"
    }


def test_retry_after_is_waited_for_within_a_crawl(tmp_path):
    with SiteServer(slow_site(1)) as server:
        server.sequences["/news/0"] = [
            Resource(b"busy", "text/plain", status=429, headers={"Retry-After": "1"})
        ]
        crawl(tmp_path, server, retries=2, delay=0)
    assert server.requests["/news/0"] == 2
    first, second = (t for t, p in zip(server.times, server.targets, strict=True) if p == "/news/0")
    assert second - first >= 1.0
    (row,) = query(tmp_path / "tradewatch.db", "SELECT fetch_error, text FROM articles")
    assert row["fetch_error"] is None and "steel" in row["text"]


def test_a_long_retry_after_is_kept_for_the_next_run(tmp_path):
    with SiteServer(slow_site(2)) as server:
        server.sequences["/news/1"] = [
            Resource(b"later", "text/plain", status=503, headers={"Retry-After": "3600"})
        ]
        result = crawl(tmp_path, server, retries=2, delay=0, max_retry_wait="5s")
        assert "left for later" in result.stdout
        db = tmp_path / "tradewatch.db"
        assert [r["url"] for r in query(db, "SELECT url FROM articles")] == [f"{server.url}/news/0"]
        (source,) = query(db, "SELECT etag, retry_at FROM sources")
        assert source["etag"] is None and source["retry_at"] > "2026"  # no 304 may hide the story
        # A scheduled run (no source named) keeps away until then...
        waiting = crawl(tmp_path, server, delay=0)
        assert "waiting until" in waiting.stdout and server.requests["/feed.xml"] == 1
        # ...and a run that names the source goes now, and gets the story.
        crawl(tmp_path, server, "slow", delay=0)
        assert server.requests["/news/1"] == 2
        assert len(query(db, "SELECT url FROM articles")) == 2


def test_a_listing_429_with_retry_after_sets_the_next_run(tmp_path):
    with SiteServer(slow_site(1)) as server:
        server.sequences["/feed.xml"] = [
            Resource(b"slow down", "text/plain", status=429, headers={"Retry-After": "900"})
        ]
        result = crawl(tmp_path, server, delay=0)
        assert "HTTP 429" in result.stdout
        (source,) = query(tmp_path / "tradewatch.db", "SELECT last_status, retry_at FROM sources")
        assert source["last_status"] == "429" and source["retry_at"] is not None


def test_autothrottle_keeps_the_limits(tmp_path):
    with SiteServer(slow_site(4, delay=0.2)) as server:
        crawl(tmp_path, server, per_host=2, delay="0.1s", autothrottle=True)
    assert server.max_in_flight <= 2
    assert len(query(tmp_path / "tradewatch.db", "SELECT url FROM articles")) == 4


@pytest.mark.parametrize(
    ("default", "on_source", "fetched"),
    [
        (True, False, {"/news/0": 1, "/news/1": 1, "/robots.txt": 0}),  # the user has permission
        (False, True, {"/news/0": 1, "/news/1": 0, "/robots.txt": 1}),  # one source obeys anyway
    ],
)
def test_robots_per_source_overrules_the_default(tmp_path, default, on_source, fetched):
    site = slow_site(2)
    site["/robots.txt"] = Resource(b"User-agent: *\nDisallow: /news/1\n", "text/plain")
    with SiteServer(site) as server:
        crawl(tmp_path, server, robots=default, delay=0, source={"robots": on_source})
    assert {path: server.requests[path] for path in fetched} == fetched
