"""One odd link never costs the rest of a listing: feeds, pages and sitemaps through a real crawl.

Good articles are listed between links of every odd form found in the wild (and in urllib's and
w3lib's bug trackers): each good article is stored, each odd link is accounted for with its
reason (``skipped``, or stored from the listing with a refusal), and nothing raises.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobs.demo.pages import article_html, listing_html, rss_xml, sitemap_index_xml, sitemap_xml
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import ago, paragraphs, query, run_cli, write_config

GOOD = [f"/news/good-{n}" for n in range(6)]
# link as listed -> the reason recorded in skipped ("bad link: <reason>")
BAD = {
    "http://example.org:99999/story": "port 99999 out of range (1 to 65535)",
    "http://example.org:abc/story": "port 'abc' is not a number",
    "http://example.org:+80/story": "port '+80' is not a number",
    "http://[::1/story": "unclosed bracket in host",
    "http://[::1]evil.example:1/story": "'evil.example:1' after the IPv6 address",
    "http://good.example[evil.example]/story": "'[' in host",
    "http://[v1.fe]/story": "'[v1.fe]' is not an IPv6 address",
    "http://[fe80::1%25eth0]/story": "IPv6 zone ids are not fetched",
    "http://::1/story": "unbracketed IPv6 address or stray ':' in host",
    "http://exa mple.org/story": "' ' in host",
    "http://exa%00mple.org/story": "'%' in host",
    "http://": "no host",
    "http://1.2.3.999/story": "host '1.2.3.999' ends in a number but is not an IPv4 address",
    "javascript:alert(1)": "not an http(s) link (javascript:)",
    "mailto:desk@example.org": "not an http(s) link (mailto:)",
    "data:text/html,<b>hi</b>": "not an http(s) link (data:)",
    "http://example.org/" + "x" * 2100: "longer than 2083 characters",
}
# IPv6 literals are URLs like any other: the egress guard refuses these private ones, each stored
# from the listing (its canonical URL) with the refusal.
REFUSED = {
    "http://[2001:DB8:0::1]/story": (
        "http://[2001:db8::1]/story",
        "refused: 2001:db8::1 is a private address not named in config",
    ),
    "http://[::1]:8080/a": ("http://[::1]:8080/a", "refused: ::1 is a private address not named in config"),
    "http://[::ffff:10.0.0.1]/x": (
        "http://[::ffff:a00:1]/x",
        "refused: ::ffff:a00:1 is a private address not named in config",
    ),
}


def odd_links(base: str) -> list[tuple[str, str]]:
    """(link, title): the good articles (absolute, relative and scheme-relative) between odd links."""
    odd = [*BAD, *REFUSED]
    host = base.removeprefix("http:")
    spellings = [base + GOOD[0], GOOD[1], base + GOOD[2], host + GOOD[3], base + GOOD[4], GOOD[5]]
    links = []
    for n, good in enumerate(spellings):
        links += [(link, f"Odd link {n}.{i}") for i, link in enumerate(odd[n::6])]
        links.append((good, f"Good story {n}"))
    return links


def site_resources() -> dict[str, Resource]:
    r = {
        path: Resource(
            article_html(
                f"Good story {n}", paragraphs(f"Good story {n}: tariffs on item {n} were raised by Mexico.")
            ).encode()
        )
        for n, path in enumerate(GOOD)
    }
    return r


@pytest.fixture
def site():
    with SiteServer(site_resources()) as server:
        links = odd_links(server.url)
        items = [{"title": title, "link": link, "guid": f"item-{i}"} for i, (link, title) in enumerate(links)]
        # No validators: every run reads each listing in full.
        feed = rss_xml("Odd", "/", items).encode()
        server.resources["/feed.xml"] = Resource(feed, "application/rss+xml", validators=False)
        server.resources["/listing"] = Resource(listing_html("Listing", links).encode(), validators=False)
        sitemap = sitemap_xml([(link, ago(1)) for link, _ in links]).encode()
        server.resources["/sitemap.xml"] = Resource(sitemap, "application/xml", validators=False)
        yield server


def crawl(site: SiteServer, tmp_path: Path, source: dict) -> tuple[Path, str]:
    config = write_config(tmp_path / "config.yaml", [source])
    result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return tmp_path / "tradewatch.db", result.stdout + result.stderr


def counts(output: str, name: str) -> dict[str, int]:
    """The crawl table's row of source ``name``."""
    header = next(line for line in output.splitlines() if line.startswith("source"))
    row = next(line for line in output.splitlines() if line.startswith(name + " "))
    columns = header.split()[1:-1]
    return dict(zip(columns, map(int, row.split()[1 : len(columns) + 1]), strict=True))


def expected_skipped(site: SiteServer, kind: str) -> dict[str, str]:
    """skipped's rows (url -> reason) once the odd links are listed by a source of ``kind``."""
    expected = {link[:2083]: f"bad link: {reason}" for link, reason in BAD.items()}
    if kind == "feed":
        # feedparser resolves links itself: it drops what urllib cannot parse (the item is then
        # recorded by its id), and resolves "http://" to the feed's own URL.
        guids = {link: f"item-{i}" for i, (link, _) in enumerate(odd_links(site.url))}
        for link in ("http://[::1/story", "http://good.example[evil.example]/story"):
            del expected[link]
            expected[guids[link]] = "bad link: malformed link (feedparser could not read it)"
        del expected["http://"]
        expected[site.url + "/feed.xml"] = "bad link: links to the listing itself"
    return expected


def assert_accounted_for(db: Path, site: SiteServer, output: str, kind: str) -> None:
    stored = {r["url"]: r for r in query(db, "SELECT url, fetch_error FROM articles")}
    for path in GOOD:
        assert stored[site.url + path]["fetch_error"] is None, path
        assert site.requests[path] == 1
    for url, refusal in REFUSED.values():
        assert stored[url]["fetch_error"] == refusal
    skipped = {r["url"]: r["reason"] for r in query(db, "SELECT url, reason FROM skipped")}
    assert skipped == expected_skipped(site, kind)
    row = counts(output, "odd")
    assert (row["new"], row["ref"], row["bad"], row["err"]) == (
        len(GOOD) + len(REFUSED),
        len(REFUSED),
        len(BAD),
        0,
    )
    # One line per link set aside, naming it and saying why.
    assert output.count("set aside: ") == len(BAD)
    assert "source odd: http://example.org:99999/story set aside: port 99999 out of range" in output


@pytest.mark.parametrize(
    "kind,source",
    [
        ("feed", {"name": "odd", "feed": "/feed.xml"}),
        ("page", {"name": "odd", "page": "/listing", "links": "ul.comunicados a"}),
        ("sitemap", {"name": "odd", "sitemap": "/sitemap.xml"}),
    ],
)
def test_every_good_article_is_stored_and_every_odd_link_recorded(site, tmp_path, kind, source):
    source = {k: site.url + v if k == kind else v for k, v in source.items()}
    db, output = crawl(site, tmp_path, source)
    assert_accounted_for(db, site, output, kind)

    # The next run decides the same without fetching anything again or recording anything twice.
    before = query(db, "SELECT * FROM skipped ORDER BY url")
    _, again = crawl(site, tmp_path, source)
    assert query(db, "SELECT * FROM skipped ORDER BY url") == before
    assert all(site.requests[path] == 1 for path in GOOD)
    row = counts(again, "odd")
    assert (row["new"], row["dup"], row["bad"], row["err"]) == (0, len(GOOD) + len(REFUSED), len(BAD), 0)
    assert "set aside" not in again  # said once, when first recorded


def test_a_sitemap_index_with_odd_children_reads_the_good_ones(site, tmp_path):
    children = [("http://[::1/sitemap.xml", ago(1)), ("/sitemap.xml", ago(1)), ("javascript:void(0)", None)]
    site.resources["/index.xml"] = Resource(sitemap_index_xml(children).encode(), "application/xml")
    db, output = crawl(site, tmp_path, {"name": "odd", "sitemap": site.url + "/index.xml"})
    skipped = {r["url"]: r["reason"] for r in query(db, "SELECT url, reason FROM skipped")}
    assert skipped["http://[::1/sitemap.xml"] == "bad link: sitemap link: unclosed bracket in host"
    assert skipped["javascript:void(0)"] == "bad link: sitemap link: not an http(s) link (javascript:)"
    assert counts(output, "odd")["bad"] == len(BAD) + 2
    stored = {r["url"] for r in query(db, "SELECT url FROM articles")}
    assert {site.url + path for path in GOOD} <= stored


def test_json_feed_items_of_any_shape_cost_nothing_but_themselves(site, tmp_path):
    items = [
        {"id": "1", "url": site.url + GOOD[0], "title": "Good story 0"},
        "not an item",
        {"id": "3", "url": 5, "title": "A link that is a number"},
        {"id": "4", "url": "http://[::1/x", "title": "Unclosed"},
        {"id": "5", "url": site.url + GOOD[1], "authors": [{"name": 5}], "date_published": 7},
        {"id": "6", "url": site.url + GOOD[2], "language": ["es"], "tags": [{"x": 1}]},
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Odd", "items": items}
    site.resources["/feed.json"] = Resource(json.dumps(feed).encode(), "application/feed+json")
    db, output = crawl(site, tmp_path, {"name": "odd", "feed": site.url + "/feed.json"})
    stored = {r["url"] for r in query(db, "SELECT url FROM articles")}
    assert stored == {site.url + path for path in GOOD[:3]}
    skipped = {r["url"]: r["reason"] for r in query(db, "SELECT url, reason FROM skipped")}
    assert skipped == {
        "item 2": "bad link: cannot read item: TypeError('an item is a JSON object, not str')",
        "http://[::1/x": "bad link: unclosed bracket in host",
    }
    assert counts(output, "odd")["bad"] == 3  # and the item without a link, which has no key to record


def test_a_feed_that_mends_a_link_gets_the_article(site, tmp_path):
    """A bad link is recorded by the link, never by the feed id: the mended item is fetched."""
    items = [{"title": "Good story 0", "link": "http://[::1/news", "guid": "story-0"}]
    site.resources["/feed.xml"] = Resource(rss_xml("Odd", "/", items).encode(), "application/rss+xml")
    db, _ = crawl(site, tmp_path, {"name": "odd", "feed": site.url + "/feed.xml"})
    assert query(db, "SELECT url FROM articles") == []
    items[0]["link"] = site.url + GOOD[0]
    site.resources["/feed.xml"] = Resource(rss_xml("Odd", "/", items).encode(), "application/rss+xml")
    db, _ = crawl(site, tmp_path, {"name": "odd", "feed": site.url + "/feed.xml"})
    assert query(db, "SELECT url FROM articles") == [{"url": site.url + GOOD[0]}]


def test_odd_redirects_are_fetch_errors_of_their_article_alone(site, tmp_path):
    site.resources["/go/unclosed"] = Resource(location="http://[::1/x", status=301)
    site.resources["/go/script"] = Resource(location="javascript:alert(1)", status=302)
    site.resources["/go/port"] = Resource(location="http://127.0.0.1:99999/x", status=302)
    links = [("/go/unclosed", "Unclosed"), (GOOD[0], "Good"), ("/go/script", "Script"), ("/go/port", "Port")]
    site.resources["/redirects"] = Resource(listing_html("Redirects", links).encode())
    db, output = crawl(site, tmp_path, {"name": "odd", "page": site.url + "/redirects", "links": "ul a"})
    stored = {r["url"]: r["fetch_error"] for r in query(db, "SELECT url, fetch_error FROM articles")}
    assert stored[site.url + GOOD[0]] is None
    for path in ("/go/unclosed", "/go/script", "/go/port"):
        assert site.url + path in stored, (path, stored, output)


def test_a_source_on_an_ipv6_host_is_crawled(tmp_path):
    try:
        server = SiteServer(site_resources(), host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with server:
        items = [{"title": f"Good story {n}", "link": path, "guid": path} for n, path in enumerate(GOOD)]
        server.resources["/feed.xml"] = Resource(rss_xml("V6", "/", items).encode(), "application/rss+xml")
        assert server.url.startswith("http://[::1]:")
        db, output = crawl(server, tmp_path, {"name": "v6", "feed": server.url + "/feed.xml"})
        assert {r["url"] for r in query(db, "SELECT url FROM articles")} == {server.url + p for p in GOOD}
        assert counts(output, "v6")["new"] == len(GOOD)


@pytest.mark.parametrize("allowed", [True, False])
def test_an_ipv6_article_is_fetched_when_allowed_and_refused_when_not(tmp_path, allowed):
    """A link to an IPv6 literal goes through the egress guard like any other address."""
    try:
        v6 = SiteServer(site_resources(), host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with v6, SiteServer() as v4:
        items = [{"title": "Good story 0", "link": v6.url + GOOD[0], "guid": "v6-0"}]
        v4.resources["/feed.xml"] = Resource(rss_xml("V4", "/", items).encode(), "application/rss+xml")
        config = write_config(
            tmp_path / "config.yaml",
            [{"name": "v4", "feed": v4.url + "/feed.xml"}],
            fetch={"timeout": "5s", "retries": 0, "allow_hosts": ["::1"] if allowed else []},
        )
        result = run_cli("crawl", config=config)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        (row,) = query(tmp_path / "tradewatch.db", "SELECT url, fetch_error FROM articles")
        assert row["url"] == v6.url + GOOD[0]
        if allowed:
            assert (row["fetch_error"], v6.requests[GOOD[0]]) == (None, 1)
        else:
            assert row["fetch_error"] == "refused: ::1 is a private address not named in config"
            assert v6.requests[GOOD[0]] == 0


def test_a_malformed_source_url_is_a_config_error_naming_the_source(tmp_path):
    config = write_config(tmp_path / "config.yaml", [{"name": "v6", "feed": "http://[::1:8080/feed"}])
    result = run_cli("check", config=config)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: sources[1] (v6): feed: 'http://[::1:8080/feed' is not an http(s) URL: "
        "unclosed bracket in host"
    )
