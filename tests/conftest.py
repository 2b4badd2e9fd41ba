"""Shared fixtures: a local news site over real HTTP, config files, and running the real CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from jobs.pages import article_html, listing_html, rss_xml
from jobs.siteserver import Resource, SiteServer

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
LOREM = (
    "The committee met for several hours and heard testimony from producers, importers and "
    "economists about the effects of the measure on prices, jobs and investment in the region."
)


def paragraphs(*lead: str) -> list[str]:
    """Lead paragraphs followed by neutral filler, enough for trafilatura to see an article."""
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
    spanish = paragraphs("La Secretaría de Economía anunció nuevos aranceles al acero importado.")
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
        "fetch": {"timeout": "5s", "retries": 0, "concurrency": 8, "per_host": 4, "workers": 2},
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


def query(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of ``sql`` against the database file, as dicts."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def dump(value: object) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, default=str)
