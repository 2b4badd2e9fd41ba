"""A kill -9 in the middle of a crawl loses no article and leaves none half-stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from crawler.config import load_config
from crawler.extract import Analyser
from jobs.demo.pages import article_html, rss_xml
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import paragraphs, query, run_cli, write_config

WORDS = ["tariffs", "aranceles", "USMCA", "Sheinbaum", "the weather", "a concert"]


def big_site(feeds: int = 3, per_feed: int = 50) -> dict[str, Resource]:
    resources = {}
    for f in range(feeds):
        items = []
        for i in range(per_feed):
            path = f"/f{f}/story-{i}"
            lead = f"Story {f}-{i} is about {WORDS[(f * per_feed + i) % len(WORDS)]} today."
            resources[path] = Resource(article_html(f"Story {f}-{i}", paragraphs(lead)).encode(), delay=0.03)
            items.append({"title": f"Story {f}-{i}", "link": path, "guid": f"{f}-{i}"})
        resources[f"/feed{f}.xml"] = Resource(rss_xml(f"Feed {f}", "/", items).encode())
    return resources


def test_kill_9_mid_crawl_then_rerun(tmp_path):
    with SiteServer(big_site()) as server:
        config = write_config(
            tmp_path / "config.yaml",
            [{"name": f"feed{f}", "feed": f"{server.url}/feed{f}.xml"} for f in range(3)],
            fetch={"retries": 0, "concurrency": 4, "per_host": 2, "delay": 0, "workers": 2},
        )
        db = tmp_path / "tradewatch.db"
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs.cli", "--config", str(config), "crawl"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < 30:
            time.sleep(0.1)
            if db.exists():
                try:
                    stored = query(db, "SELECT count(*) AS n FROM articles")[0]["n"]
                except Exception:
                    stored = 0
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert 30 <= stored < 150, "the crawl must be killed part-way"

        before = query(db, "SELECT * FROM articles")
        assert len(before) < 150
        analyser = Analyser([(r.name, r.node) for r in load_config(config).rules])
        for row in before:
            aliases = query(db, "SELECT url FROM article_urls WHERE article_id = ?", (row["id"],))
            assert {"url": row["url"]} in aliases
            stored_rules = {
                m["rule"] for m in query(db, "SELECT rule FROM matches WHERE article_id = ?", (row["id"],))
            }
            expected = {
                m.rule
                for m in analyser.matcher.match([row["title"], row["summary"] or "", row["text"] or ""])
            }
            assert stored_rules == expected, row["url"]
        assert query(db, "SELECT etag FROM sources WHERE etag IS NOT NULL") == []

        result = run_cli("crawl", config=config)
        assert result.returncode == 0, result.stderr
        after = query(db, "SELECT url FROM articles")
        assert len(after) == 150 and len({r["url"] for r in after}) == 150
        for row in before:
            path = row["url"].removeprefix(server.url)
            assert server.requests[path] == 1, f"{path} was stored before the kill and fetched again"
