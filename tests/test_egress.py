"""Egress: links, redirects, sitemaps and names that point at addresses the operator did not choose.

Two real servers on two loopback addresses: the sources on 127.0.0.2, and on 127.0.0.1 the
"inside" server that stands for the metadata service, datasette or an admin page. No test
request ever leaves 127.0.0.0/8.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from crawler.egress import EgressPolicy
from jobs.demo.pages import article_html, news_sitemap_xml, rss_xml
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import fixture_site, paragraphs, poll, query, run_cli, write_config
from tests.test_alerts import free_port
from tests.test_crawl import SOURCES, sources_at
from tests.test_daemon import Daemon, no_daemon_outlives_its_test  # noqa: F401 (its clean-up applies here)

SECRET_PAGE = article_html(
    "Internal admin: tariffs dashboard", paragraphs("Credentials and tariffs for internal use only.")
).encode()


@pytest.fixture
def inside():
    """The server a hostile feed aims at, on 127.0.0.1."""
    with SiteServer(
        {"/secret": Resource(SECRET_PAGE), "/sitemap.xml": Resource(b"", "application/xml")}
    ) as s:
        yield s


def outside_site(inside: SiteServer) -> dict[str, Resource]:
    """The sources' site, on 127.0.0.2: a feed whose items point inside in every way there is."""
    direct = f"http://127.0.0.1:{inside.port}/secret"
    by_name = f"http://localhost:{inside.port}/secret?via=name"
    items = [
        {"title": "Tariffs: a direct link", "link": direct, "guid": "i1", "description": "Tariffs direct."},
        {"title": "Tariffs: through a redirect", "link": "/go", "guid": "i2", "description": "Tariffs 302."},
        {"title": "Tariffs: through a name", "link": by_name, "guid": "i3", "description": "Tariffs name."},
        {"title": "Tariffs at home", "link": "/news/ok", "guid": "i4"},
    ]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "/feed.xml": Resource(rss_xml("Outside", "/", items).encode(), "application/rss+xml"),
        "/go": Resource(location=f"{direct}?via=redirect", status=302),
        "/news/ok": Resource(article_html("Tariffs at home", paragraphs("Tariffs, at home.")).encode()),
        "/robots.txt": Resource(
            f"User-agent: *\nAllow: /\nSitemap: http://127.0.0.1:{inside.port}/sitemap.xml\n"
            "Sitemap: /news-sitemap.xml\n".encode(),
            "text/plain",
        ),
        "/news-sitemap.xml": Resource(
            news_sitemap_xml(
                [{"loc": f"{direct}?via=sitemap", "title": "Tariff memo (sitemap)", "date": now}]
            ).encode(),
            "application/xml",
        ),
    }


def crawl(tmp_path: Path, outside: SiteServer, **fetch: object):
    sources = [
        {"name": "outside", "feed": f"{outside.url}/feed.xml"},
        {"name": "outside-news", "sitemap": f"{outside.url}/robots.txt"},
    ]
    config = write_config(
        tmp_path / "config.yaml",
        sources,
        fetch={"timeout": "5s", "retries": 1, "per_host": 4, "delay": 0, "workers": 1, **fetch},
    )
    result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    return config, result


def articles(tmp_path: Path) -> dict[str, dict]:
    rows = query(tmp_path / "tradewatch.db", "SELECT * FROM articles")
    return {row["title"]: row for row in rows}


def test_links_redirects_sitemaps_and_names_pointing_inside_are_refused(tmp_path, inside):
    with SiteServer(outside_site(inside), host="127.0.0.2") as outside:
        config, result = crawl(tmp_path, outside)
        stored = articles(tmp_path)
        assert sum(inside.requests.values()) == 0, inside.targets  # nothing reached the inside server
        ip = "refused: 127.0.0.1 is a private address not named in config"
        assert stored["Tariffs: a direct link"]["fetch_error"] == ip
        assert stored["Tariffs: through a redirect"]["fetch_error"] == ip
        assert stored["Tariffs: through a name"]["fetch_error"] == (
            "refused: localhost resolves to 127.0.0.1, a private address not named in config"
        )
        assert stored["Tariff memo (sitemap)"]["fetch_error"] == ip
        for title in ("Tariffs: a direct link", "Tariffs: through a redirect", "Tariff memo (sitemap)"):
            assert stored[title]["text"] is None  # stored from the listing's words only
        assert "Credentials" not in json.dumps(stored)
        # Matched on the feed's own words like any page that cannot be fetched.
        flagged = query(
            tmp_path / "tradewatch.db",
            "SELECT title FROM matches JOIN articles ON articles.id = article_id WHERE rule = 'tariffs'",
        )
        assert {r["title"] for r in flagged} >= {"Tariffs: a direct link", "Tariffs: through a name"}
        # The source's own page is fetched as ever.
        assert "Tariffs, at home." in stored["Tariffs at home"]["text"]
        # Counted in the crawl's table: three feed items; a Sitemap: line and a sitemap entry.
        table = {line.split()[0]: line.split() for line in result.stdout.splitlines()}
        header = table["source"]
        assert table["outside"][header.index("ref")] == "3"
        assert table["outside-news"][header.index("ref")] == "2"
        assert table["outside"][header.index("err")] == "0"
        # Not requested again; the sources' state is untouched by the refusals.
        before = dict(outside.requests)
        run_cli("crawl", config=config)
        assert sum(inside.requests.values()) == 0
        assert outside.requests["/go"] == before["/go"]
    states = {r["name"]: r for r in query(tmp_path / "tradewatch.db", "SELECT * FROM sources")}
    assert states["outside"]["last_error"] is None and states["outside-news"]["last_error"] is None


@pytest.mark.parametrize(
    "fetch",
    [{"allow_hosts": ["127.0.0.1", "localhost"]}, {"allow_private": True}],
    ids=["allow_hosts", "allow_private"],
)
def test_what_the_operator_allows_is_fetched(tmp_path, inside, fetch):
    with SiteServer(outside_site(inside), host="127.0.0.2") as outside:
        crawl(tmp_path, outside, **fetch)
    stored = articles(tmp_path)
    refused = [t for t, row in stored.items() if (row["fetch_error"] or "").startswith("refused")]
    assert refused == []
    assert "Credentials and tariffs" in stored["Tariffs: a direct link"]["text"]
    assert inside.requests["/secret"] >= 1 and inside.requests["/sitemap.xml"] == 1


def test_allow_hosts_takes_networks(tmp_path, inside):
    with SiteServer(outside_site(inside), host="127.0.0.2") as outside:
        crawl(tmp_path, outside, allow_hosts=["127.0.0.0/30"])
    assert inside.requests["/secret"] >= 1  # the name "localhost" resolves into the network too


def test_discover_reads_the_given_url_and_refuses_what_points_inside(tmp_path, inside):
    home = (
        '<html><head><link rel="alternate" type="application/rss+xml" '
        f'href="http://127.0.0.1:{inside.port}/feed.xml"></head><body>Home</body></html>'
    ).encode()
    write_config(tmp_path / "config.yaml", [])
    with SiteServer({"/": Resource(home), **outside_site(inside)}, host="127.0.0.2") as outside:
        result = run_cli("discover", "--json", f"{outside.url}/", config=tmp_path / "config.yaml")
    assert sum(inside.requests.values()) == 0, inside.targets
    found = {f["url"]: f for f in json.loads(result.stdout)["found"]}
    refused = found[f"http://127.0.0.1:{inside.port}/feed.xml"]
    assert refused["error"] == "refused: 127.0.0.1 is a private address not named in config"
    assert found[f"{outside.url}/news-sitemap.xml"]["error"] is None  # the site's own sitemap is read


def test_the_daemon_refuses_too(tmp_path, inside):
    with SiteServer(outside_site(inside), host="127.0.0.2") as outside:
        config = write_config(
            tmp_path / "config.yaml", [{"name": "outside", "feed": f"{outside.url}/feed.xml"}]
        )
        daemon = Daemon(config)
        db = tmp_path / "tradewatch.db"
        daemon.wait_for(lambda: len(poll(db, "SELECT id FROM articles")) == 4)
        daemon.stop()
    assert sum(inside.requests.values()) == 0, inside.targets
    errors = {r["fetch_error"] for r in query(db, "SELECT fetch_error FROM articles")}
    assert "refused: 127.0.0.1 is a private address not named in config" in errors


def test_the_policy_names_every_kind_of_private_address():
    policy = EgressPolicy.of(["http://127.0.0.2/feed"])
    private = "127.0.0.1 10.1.2.3 172.16.0.1 192.168.1.1 169.254.169.254 100.64.0.1 224.0.0.1 240.0.0.1"
    for address in [*private.split(), "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1", "::"]:
        assert policy.refusal("evil.example", address), address
    for address in ["93.184.216.34", "2606:2800:220:1::1"]:
        assert policy.refusal("example.org", address) is None
    assert policy.refusal("127.0.0.2", "127.0.0.2") is None  # a source's host


TOKEN = "T0K3N-d41d8cd98f00b204"
SECRET = "s3cr3t-9e107d9d372bb682"


def test_hook_secrets_stay_out_of_everything_people_read(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_SECRET", SECRET)
    hooks = [
        {"name": "desk", "webhook": f"http://127.0.0.1:{free_port()}/hooks/{TOKEN}?key={TOKEN}",
         "secret": "${DESK_SECRET}", "retry": {"first": "200ms", "max": "300ms", "attempts": 3}},
    ]  # fmt: skip
    with SiteServer(fixture_site()) as site:
        config = write_config(tmp_path / "config.yaml", sources_at(site.url, SOURCES[:1]), hooks=hooks)
        outputs = [run_cli("crawl", "--wait", "2s", config=config)]
        daemon = Daemon(config)
        db = tmp_path / "tradewatch.db"
        daemon.wait_for(
            lambda: query(db, "SELECT count(*) AS n FROM alerts WHERE status = 'dead'")[0]["n"] > 0
        )
        daemon.stop()
    outputs += [run_cli(*args, config=config) for args in (["alerts"], ["status"], ["hooks", "test", "desk"])]
    seen = [o.stdout + o.stderr for o in outputs] + [daemon.log.read_text()]
    assert "cannot reach http://127.0.0.1:" in outputs[0].stdout and "/…" in outputs[0].stdout
    conn = sqlite3.connect(db)
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        seen.append(json.dumps(conn.execute(f"SELECT * FROM [{table}]").fetchall(), default=str))
    conn.close()
    everything = "\n".join(seen)
    assert re.search(r"last error: cannot reach", everything)
    assert TOKEN not in everything and SECRET not in everything
