"""The analyst's desk: ``tradewatch serve`` (a real datasette process over a crawled store, asked
over real HTTP), ``tradewatch trends`` and ``--database``.

The store is the stories scenario's (tests/test_stories.py): a wire story with copies in two
languages, same-subject traps, a newsletter, a column and a few days of history, crawled with a
hook so that the outbox has alerts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.store import Store
from jobs.desk import CHART, QUERIES, metadata
from tests.conftest import free_port, query, run_cli, write_config
from tests.test_stories import collector, serve, story_of


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("desk")
    with serve() as (_, sources):
        config = write_config(
            tmp / "config.yaml", sources, hooks=[{"name": "desk", "command": collector(tmp / "desk")}]
        )
        result = run_cli("crawl", config=config)
        assert result.returncode == 0, result.stderr
    return config, tmp / "tradewatch.db"


@contextmanager
def datasette(config: Path, *args: str) -> Iterator[str]:
    """``tradewatch serve`` running on a free port: its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "jobs.cli", "--config", str(config), *args, "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.communicate()) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=10)


def get(base: str, path: str, **params: str) -> object:
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_serve_answers_every_canned_query_with_the_stores_rows(crawled):
    config, db = crawled
    wire = story_of(db, "efe")
    with datasette(config) as base:
        rows = {name: get(base, f"/tradewatch/{name}.json", _shape="array") for name in QUERIES}
        story = get(base, "/tradewatch/story.json", _shape="array", story=str(wire))
        tariffs = get(base, "/tradewatch/stories_this_week.json", _shape="array", rule="tariffs")
    # Today's stories: the wire story once, with its copies and outlets and who reported first.
    (today,) = [r for r in rows["stories_today"] if r["id"] == wire]
    row = query(db, "SELECT * FROM stories WHERE id = ?", (wire,))[0]
    assert (today["copies"], today["outlets"], today["first_source"]) == (row["articles"], row["sources"],
                                                                          row["first_source"])  # fmt: skip
    assert today["copies"] >= 8  # the texts' copies (Google News items that came first keep their own)
    assert "usmca" in today["rules"].split(", ")
    assert {r["id"] for r in rows["stories_today"]} <= {r["id"] for r in rows["stories_this_week"]}
    assert all("tariffs" in r["rules"].split(", ") for r in tariffs) and wire in {r["id"] for r in tariffs}
    # One story's copies, first seen first.
    copies = query(db, "SELECT url FROM articles WHERE story_id = ? ORDER BY fetched_at, id", (wire,))
    assert [r["url"] for r in story] == [c["url"] for c in copies]
    assert story[0]["evidence"] == "new story" and {r["evidence"] for r in story[1:]} >= {"exact copy"}
    # Mentions per rule per day: the query trends counts with.
    expected = Store(db).mentions("0000")
    assert sorted(rows["mentions_per_day"], key=lambda r: (r["day"], r["rule"])) == expected
    # Source health: every source, none failing; the outbox: the alerts by hook and status.
    assert {r["name"] for r in rows["source_health"]} == {
        r["name"] for r in query(db, "SELECT name FROM sources")
    }
    assert all(r["failures_in_a_row"] == 0 for r in rows["source_health"])
    alerts = query(db, "SELECT status, count(*) AS n FROM alerts GROUP BY status")
    assert [(r["status"], r["alerts"]) for r in rows["outbox"]] == [(a["status"], a["n"]) for a in alerts]


def test_search_takes_prefixes_and_operators_and_internals_are_hidden(crawled):
    config, db = crawled
    with datasette(config) as base:
        prefix = get(base, "/tradewatch/articles.json", _search="arancel*", _shape="array", _size="max")
        both = get(base, "/tradewatch/articles.json", _search="steel AND tariff*", _shape="array")
        tables = {t["name"]: t for t in get(base, "/tradewatch.json")["tables"]}
        served = get(base, "/-/metadata.json")
        try:
            get(base, "/tradewatch.json", sql="DELETE FROM articles")
            wrote = True
        except urllib.error.HTTPError as error:
            wrote, status = False, error.code
    assert prefix and all("arancel" in (r["title"] + (r["text"] or "")).lower() for r in prefix)
    assert any("aranceles" in (r["text"] or "") for r in prefix)  # the word, found by its prefix
    assert both and all("steel" in (r["title"] + (r["text"] or "")).lower() for r in both)
    for internal in ("_sqlite_migrations", "story_keys", "story_facts", "story_paragraphs", "articles_fts"):
        assert tables[internal]["hidden"], internal
    assert not tables["stories"]["hidden"] and not tables["articles"]["hidden"]
    # Read-only for its visitors: a write is refused and nothing changed.
    assert not wrote and status == 400
    assert query(db, "SELECT count(*) AS n FROM articles")[0]["n"] > 0
    # Every column of every table a visitor sees is explained.
    described = served["databases"]["tradewatch"]["tables"]
    for name, table in tables.items():
        if table["hidden"]:
            continue
        assert described[name].get("description"), name
        if name in ("flagged", "story_copies") or table.get("private"):
            continue
        columns = [r["name"] for r in query(db, f"PRAGMA table_info([{name}])")]
        assert set(columns) <= set(described[name].get("columns", {})), name


def test_serve_without_datasette_says_how_to_install_it(crawled):
    config, _ = crawled
    script = (
        "import sys; sys.modules['datasette'] = None;"
        " sys.argv = ['tradewatch', '--config', sys.argv[1], 'serve']; from jobs.cli import main; main()"
    )
    result = subprocess.run([sys.executable, "-c", script, str(config)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == "Error: datasette is not installed: pip install 'tradewatch[web]'\n"


def test_the_metadata_is_keyed_by_the_stores_name(tmp_path):
    described = metadata(tmp_path / "demo.db")
    assert set(described["databases"]) == {"demo"} and "/demo/stories_today" in described["description_html"]


def test_trends_draws_bars_counting_stories_not_copies(crawled):
    config, db = crawled
    week = (datetime.now(UTC).date() - timedelta(days=6)).isoformat()
    mentions = Store(db).mentions(f"{week}T00:00:00Z")  # the archive's copy, ten days old, is not in it
    totals = {}
    for row in mentions:
        totals.setdefault(row["rule"], [0, 0])
        totals[row["rule"]][0] += row["stories"]
        totals[row["rule"]][1] += row["articles"]
    result = run_cli("trends", "--days", "7", config=config)
    assert result.returncode == 0, result.stderr
    for rule, (stories, _) in totals.items():
        assert f"\n{rule}: {stories} {'story' if stories == 1 else 'stories'} in 7 days" in result.stdout
    assert "█" in result.stdout
    by_articles = json.loads(
        run_cli("trends", "--by", "articles", "--days", "7", "--json", config=config).stdout
    )
    assert by_articles["by"] == "articles" and len(by_articles["days"]) == 7
    assert {r: sum(c) for r, c in by_articles["rules"].items() if sum(c)} == {
        r: a for r, (_, a) in totals.items()
    }
    # The wire story's ten copies are one mention by stories, ten by articles.
    assert totals["usmca"][1] > totals["usmca"][0]


def test_trends_writes_a_png_and_an_svg_and_names_a_bad_rule(crawled, tmp_path):
    config, _ = crawled
    png, svg = tmp_path / "t.png", tmp_path / "t.svg"
    result = run_cli("trends", "--rule", "tariffs", "--rule", "usmca", "--png", str(png), "--svg", str(svg),
                     config=config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in svg.read_bytes()[:400]
    assert "\ntariffs: " in result.stdout and "\nofficials: " not in result.stdout
    bad = run_cli("trends", "--rule", "nope", config=config)
    assert bad.returncode == 2 and bad.stderr == "Error: --rule: no rule named 'nope'\n"


def test_database_option_reads_another_store(crawled, tmp_path):
    config, db = crawled
    other = tmp_path / "elsewhere.db"
    Store(other).close()
    empty = run_cli("-d", str(other), "stories", config=config)
    assert empty.returncode == 0 and empty.stdout.strip() == "0 stories"
    full = run_cli("-d", str(db), "stories", "--limit", "1", config=config)
    assert full.stdout.strip().endswith("1 story")
    # Without a config file, -d reads a store with the shipped rules (the demo's, say).
    bare = subprocess.run([sys.executable, "-m", "jobs.cli", "-d", str(db), "search", "arancel*"],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.strip().splitlines()[-1].endswith("articles") and "aranceles" in bare.stdout


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(
    url: str, out: Path, profile: Path, *args: str, height: int = 900
) -> subprocess.CompletedProcess:
    """Headless Chromium on ``url``: a screenshot to ``out`` (or ``args``' other output)."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size=1280,{height}",
               "--virtual-time-budget=10000", *(args or (f"--screenshot={out}",)), url]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_screenshots_of_the_home_page_a_story_and_the_chart(crawled, tmp_path):
    """Screenshots to look at (in $TRADEWATCH_SCREENSHOTS when set): the home page, a story's
    copies and the mentions chart, which datasette-vega draws in the browser."""
    config, db = crawled
    folder = Path(os.environ.get("TRADEWATCH_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    wire = story_of(db, "efe")
    pages = {
        "home": "/",
        "database": "/tradewatch",
        "story": f"/tradewatch/story?story={wire}",
        "chart": f"/tradewatch/mentions_per_day#{CHART}",
    }
    with datasette(config) as base:
        for name, path in pages.items():
            shot = folder / f"desk-{name}.png"
            result = chromium(
                base + path, shot, tmp_path / "profile", height=1200 if name == "chart" else 900
            )
            assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", result.stderr
            assert shot.stat().st_size > 20_000, name  # a rendered page, not a blank one
        dom = chromium(base + pages["chart"], tmp_path / "x", tmp_path / "profile", "--dump-dom").stdout
        story = chromium(base + pages["story"], tmp_path / "x", tmp_path / "profile", "--dump-dom").stdout
    assert "vega-embed" in dom or "<canvas" in dom or "marks" in dom  # the chart was drawn
    assert "Sheinbaum" in story and "exact copy" in story
