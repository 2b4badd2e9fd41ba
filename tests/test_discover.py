"""tradewatch discover: from a site's page to ready-to-paste sources, on local sites."""

from __future__ import annotations

import json

import yaml
from conftest import ago, fixture_site, news_site, run_cli, write_config

from crawler.config import load_config
from jobs.demo.siteserver import Resource, SiteServer

HOME = b"""<!DOCTYPE html><html><head><title>The Ledger</title>
<link rel="alternate" type="application/rss+xml" title="Odd" href="http://[::1/feeds/odd.xml">
<link rel="alternate" type="application/rss+xml" title="Ledger: all news" href="/feeds/ledger.xml">
<link rel="alternate" type="application/feed+json" href="/feeds/items.json">
<link rel="alternate" hreflang="es" href="/es/">
</head><body><a href="http://[::1/rss">Odd</a> <a href="javascript:go('/rss')">Script</a>
<a href="/feeds/wire.atom">Atom</a> <a href="/news/">News</a></body></html>"""


def whole_site() -> dict[str, Resource]:
    site = {**fixture_site(), **news_site()}
    site["/"] = Resource(HOME)
    site["/feed"] = Resource(location="/feeds/ledger.xml", status=301)  # a common path, same feed
    return site


def test_discover_finds_feeds_and_sitemaps_and_prints_sources(tmp_path):
    write_config(tmp_path / "config.yaml", [])  # its fetch: settings (no delay for a local site) apply
    with SiteServer(whole_site()) as server:
        result = run_cli("discover", f"{server.url}/", config=tmp_path / "config.yaml")
        assert result.returncode == 0, result.stderr
        found = run_cli("discover", "--json", f"{server.url}/", config=tmp_path / "config.yaml")
    data = json.loads(found.stdout)
    by_url = {f["url"].removeprefix(server.url): f for f in data["found"]}
    assert set(by_url) == {"/feeds/ledger.xml", "/feeds/items.json", "/feeds/wire.atom", "/sitemap-index.xml"}
    ledger, index = by_url["/feeds/ledger.xml"], by_url["/sitemap-index.xml"]
    assert (ledger["kind"], ledger["how"], ledger["items"], ledger["title"]) == (
        "feed", "link rel=alternate", 5, "Ledger: all news",
    )  # fmt: skip
    assert by_url["/feeds/wire.atom"]["how"] == "link on the page"
    # The index is read through: its news sitemap and gzipped sitemap (and the 2019 one) are counted.
    assert (index["kind"], index["how"], index["sitemaps"], index["news"]) == (
        "sitemap",
        "robots.txt",
        3,
        True,
    )
    assert index["items"] == 4 + 5 + 1 and index["newest"] is not None
    # What it prints is a working sources: list.
    pasted = yaml.safe_load(result.stdout)
    config = write_config(tmp_path / "config.yaml", pasted)
    assert [s.kind for s in load_config(config).sources] == ["feed", "feed", "feed", "sitemap"]
    assert "news sitemap index of 3 sitemaps (robots.txt): 10 items, newest" in result.stdout
    assert index["newest"] < ago(-0.25)  # next week's entry is not believed
    assert [s["name"] for s in pasted] == [
        "site-feeds-items",
        "site-feeds-ledger",
        "site-feeds-wire",
        "site-sitemap-index",
    ]


def test_discover_on_a_site_with_nothing_to_find(tmp_path):
    write_config(tmp_path / "config.yaml", [])
    with SiteServer({"/": Resource(b"<html><body>Hello</body></html>")}) as server:
        result = run_cli("discover", server.url, config=tmp_path / "config.yaml")
    assert result.returncode == 1 and "no feed or sitemap found" in result.stdout


def test_discover_rejects_a_bad_url(tmp_path):
    result = run_cli("discover", "ftp://example.org/", config=tmp_path / "config.yaml")
    assert result.returncode == 2 and "is not an http(s) URL" in result.stderr


def test_discover_shows_each_probe_on_a_terminal(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    write_config(tmp_path / "config.yaml", [])  # fetch.delay: 0
    leader, follower = pty.openpty()  # stderr a terminal, as a person running it sees it
    command = [sys.executable, "-m", "jobs.cli", "--config", str(tmp_path / "config.yaml"), "discover"]
    with SiteServer(whole_site()) as server:
        result = subprocess.run([*command, f"{server.url}/"], stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    lines = shown.decode().splitlines()
    assert result.returncode == 0
    assert f"  200 {server.url}/feeds/ledger.xml  (feed, link rel=alternate)" in lines
    assert f"  404 {server.url}/rss.xml  (feed, common path)" in lines
    assert f"  200 {server.url}/robots.txt" in lines
    assert b"  200 " not in result.stdout  # the pasteable output stays clean (bench/discover.py: its time)
