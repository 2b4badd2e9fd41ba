"""Shared fixtures: a local news site over real HTTP, config files, and running the real CLI."""

from __future__ import annotations

import gzip
import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from jobs.demo.pages import (
    article_html,
    listing_html,
    news_sitemap_xml,
    rss_xml,
    sitemap_index_xml,
    sitemap_xml,
)
from jobs.demo.siteserver import Resource, SiteServer

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
LOREM = (
    "The committee met for several hours and heard testimony from producers, importers and "
    "economists about the effects of the measure on prices, jobs and investment in the region."
)


LOREM_ES = (
    "La comisión se reunió durante varias horas y escuchó a productores, importadores y "
    "economistas sobre los efectos de la medida en los precios, el empleo y la inversión en la región."
)


def paragraphs(*lead: str, spanish: bool = False) -> list[str]:
    """Lead paragraphs followed by neutral filler, enough for trafilatura to see an article."""
    if spanish:
        return [*lead, LOREM_ES, LOREM_ES.replace("comisión", "junta"), LOREM_ES.replace("región", "zona")]
    return [*lead, LOREM, LOREM.replace("committee", "panel"), LOREM.replace("region", "country")]


def fixture_site() -> dict[str, Resource]:
    """The test site: feeds of every kind, redirects, AMP, Latin-1, chrome, 404, malformed."""
    r: dict[str, Resource] = {}
    r["/news/sheinbaum-tariffs"] = Resource(
        article_html(
            "Sheinbaum answers Washington on tariffs",
            paragraphs("President Claudia Sheinbaum said Mexico would answer the new tariffs calmly."),
            canonical="/news/sheinbaum-tariffs",
            author="Ana Ruiz",
        ).encode()
    )
    r["/amp/news/sheinbaum-tariffs"] = Resource(
        article_html(
            "Sheinbaum answers Washington on tariffs (AMP)",
            paragraphs("President Claudia Sheinbaum said Mexico would answer the new tariffs calmly."),
            canonical="/news/sheinbaum-tariffs",
            author="Ana Ruiz",  # AMP copies carry the same metadata; either copy may be read first
        ).encode()
    )
    r["/go/steel"] = Resource(location="/news/steel-duties", status=301)
    r["/news/steel-duties"] = Resource(
        article_html(
            "Steel duties rise again",
            paragraphs("Washington raised duties on imported steel and aluminum to fifty percent."),
        ).encode()
    )
    r["/news/football"] = Resource(
        article_html(
            "Riverside Rovers win the final",
            paragraphs("The Riverside Rovers won the minor league final after a penalty shoot-out."),
        ).encode()
    )
    spanish = paragraphs(
        "La Secretaría de Economía anunció nuevos aranceles al acero importado.", spanish=True
    )
    r["/noticias/header-latin1"] = Resource(
        article_html("Economía anuncia aranceles", spanish, lang="es", charset_meta=None).encode(
            "latin-1", "xmlcharrefreplace"
        ),
        "text/html; charset=iso-8859-1",
    )
    r["/noticias/meta-latin1"] = Resource(
        article_html("Aranceles según Economía", spanish, lang="es", charset_meta="iso-8859-1").encode(
            "latin-1", "xmlcharrefreplace"
        ),
        "text/html",
    )
    r["/news/json-item"] = Resource(
        article_html("Ebrard in Washington", paragraphs("Marcelo Ebrard met trade officials.")).encode()
    )
    ledger_items = [
        {
            "title": "Tariffs &amp; trade: Sheinbaum answers Washington",
            "link": "/news/sheinbaum-tariffs?utm_source=rss&utm_medium=feed",
            "guid": "ledger-1",
            "description": "<p>Mexico's president on the <b>tariffs</b>.</p>",
            "pubDate": "Mon, 02 Nov 2026 10:00:00 GMT",
        },
        {"title": "Steel duties rise again", "link": "/go/steel", "guid": "ledger-2"},
        {"title": "Riverside Rovers win the final", "link": "/news/football", "guid": "ledger-3"},
        {
            "title": "Talks page gone",
            "link": "/news/gone",
            "guid": "ledger-4",
            "description": "Negotiators met to discuss the USMCA joint review.",
        },
        {"title": "Sheinbaum on tariffs (AMP)", "link": "/amp/news/sheinbaum-tariffs", "guid": "ledger-5"},
    ]
    r["/feeds/ledger.xml"] = Resource(rss_xml("Ledger", "/", ledger_items).encode(), "application/rss+xml")
    r["/feeds/wire.atom"] = Resource((FIXTURES / "wire.atom").read_bytes(), "application/atom+xml")
    r["/feeds/items.json"] = Resource((FIXTURES / "items.json").read_bytes(), "application/feed+json")
    r["/feeds/broken.xml"] = Resource(b"<<< this is not a feed >>>", "application/xml")
    r["/feeds/summaries.rdf"] = Resource((FIXTURES / "summaries.rdf").read_bytes(), "application/rdf+xml")
    r["/prensa"] = Resource(
        listing_html(
            "Comunicados",
            [("/noticias/header-latin1", "Economía anuncia aranceles"), ("/noticias/meta-latin1", "Meta")],
        ).encode()
    )
    return r


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer(fixture_site()) as server:
        yield server


def write_config(path: Path, sources: list[dict], **extra: object) -> Path:
    """Write a config.yaml with the shipped rules, ``sources`` and overrides."""
    shipped = yaml.safe_load((Path(__file__).parents[1] / "config.yaml").read_text(encoding="utf-8"))
    data = {
        "database": "tradewatch.db",
        "fetch": {"timeout": "5s", "retries": 0, "concurrency": 8, "per_host": 4, "delay": 0, "workers": 2},
        "sources": sources,
        "rules": shipped["rules"],
        **extra,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def run_cli(*args: str, config: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``tradewatch`` command in a subprocess."""
    command = [sys.executable, "-m", "jobs.cli"]
    if config is not None:
        command += ["--config", str(config)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("TRADEWATCH_CONFIG", None)
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=Path(config or ".").parent,
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def query(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of ``sql`` against the database file, as dicts."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def poll(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    """``query`` for a database a starting daemon may still be creating: [] until its tables exist."""
    if not db.exists():
        return []
    try:
        return query(db, sql, params)
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise


def dump(value: object) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, default=str)


def ago(hours: float) -> str:
    """The time ``hours`` before now (negative: in the future), ISO 8601 UTC."""
    moment = datetime.now(UTC) - timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def json_ld(published: str, modified: str | None = None) -> str:
    """A NewsArticle JSON-LD block, inside a @graph as many sites write it."""
    article = {"@type": "NewsArticle", "headline": "x", "datePublished": published}
    if modified:
        article["dateModified"] = modified
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "Ledger"}, article]}
    return f'<script type="application/ld+json">{json.dumps(graph)}</script>'


def gzip_bytes(text: str) -> bytes:
    return gzip.compress(text.encode())


def url_dated_path() -> str:
    """A story whose only date is in its URL: today's."""
    return datetime.now(UTC).strftime("/news/%Y/%m/%d/url-date")


def pages_sitemap(*undated: str) -> Resource:
    """The news site's gzipped plain sitemap: dated pages, an undated archive page, and ``undated``."""
    urls = [("/news/json-ld", ago(3)), ("/news/meta", ago(3)), ("/news/json-ld-old", ago(2))]
    # /news/aranceles is news (the news sitemap dates it) though listed here undated.
    urls += [("/news/archive-undated", None), ("/news/aranceles", None), *((u, None) for u in undated)]
    return Resource(gzip_bytes(sitemap_xml(urls)), "application/x-gzip")


def news_site() -> dict[str, Resource]:
    """A site found through robots.txt and sitemaps: an index, a news sitemap with old and new
    entries, a gzipped plain sitemap, a path robots.txt forbids, and pages with each date form."""
    r: dict[str, Resource] = {}
    r["/robots.txt"] = Resource(
        b"User-agent: tradewatch\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n\n"
        b"Sitemap: /sitemap-index.xml\n",
        "text/plain",
    )
    r["/sitemap-index.xml"] = Resource(
        sitemap_index_xml(
            [
                ("/sitemaps/news.xml", ago(0.5)),
                ("/sitemaps/pages.xml.gz", ago(1)),
                ("/sitemaps/2019.xml", "2019-06-30"),
            ]
        ).encode(),
        "application/xml",
    )
    r["/sitemaps/news.xml"] = Resource(
        news_sitemap_xml(
            [
                # The news sitemap's date wins over the page's own JSON-LD.
                {
                    "loc": "/news/aranceles",
                    "title": "México responde a los aranceles",
                    "date": ago(1),
                    "language": "es",
                    "keywords": "aranceles, T-MEC",
                },
                {"loc": "/news/old-story", "title": "Old tariff story", "date": ago(24 * 5)},
                {"loc": "/private/tariff-memo", "title": "Tariff memo", "date": ago(2)},
                # A date in the future is not believed: the page's own date is used.
                {"loc": "/news/future", "title": "Trump on tariffs, dated next week", "date": ago(-24 * 7)},
            ]
        ).encode(),
        "application/xml",
    )
    r["/sitemaps/pages.xml.gz"] = pages_sitemap()
    r["/sitemaps/2019.xml"] = Resource(
        sitemap_xml([("/news/2019-story", "2019-06-01")]).encode(), "application/xml"
    )
    spanish = paragraphs(
        "La Secretaría de Economía respondió a los aranceles anunciados por Trump.", spanish=True
    )
    r["/news/aranceles"] = Resource(
        article_html("México responde", spanish, lang="es", head_extra=json_ld(ago(30))).encode()
    )
    english = paragraphs("President Trump announced new tariffs on steel imports from Mexico.")
    r["/news/future"] = Resource(article_html("Trump on tariffs", english, published=ago(4)).encode())
    r["/news/json-ld"] = Resource(
        article_html("JSON-LD dated", english, head_extra=json_ld(ago(5), ago(2))).encode()
    )
    r["/news/meta"] = Resource(article_html("Meta dated", english, published=ago(6)).encode())
    r[url_dated_path()] = Resource(article_html("Dated by its URL", english).encode())
    r["/news/undated"] = Resource(article_html("No date anywhere", english).encode())
    r["/news/archive-undated"] = Resource(article_html("An undated archive page", english).encode())
    r["/news/json-ld-old"] = Resource(
        article_html("An old story, lately touched", english, head_extra=json_ld(ago(24 * 10))).encode()
    )
    r["/private/tariff-memo"] = Resource(article_html("Memo", english).encode())
    r["/news/old-story"] = Resource(article_html("Old", english).encode())
    r["/news/2019-story"] = Resource(article_html("2019", english).encode())
    return r
