"""Soak benchmark: the daemon runs 500 short crawl cycles; its memory must stay flat.

Runs ``tradewatch run`` against a local site of 5 feeds polled every second, one of which
gains a new article every second (so pages are read, matched, stored and alerted). Prints
the RSS of the daemon and its workers after the first 50 cycles and at the end, and the
growth between them. Target: under 10%.

Usage: python bench/soak.py [--cycles 500]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import paragraphs_pool, sample_tree  # noqa: E402

from jobs.demo.pages import article_html, rss_xml  # noqa: E402
from jobs.demo.siteserver import Resource, SiteServer  # noqa: E402

FEEDS = 5
WARM_UP = 50


def grow(site: SiteServer, stop: threading.Event) -> None:
    """Add a new article to feed 0 every second."""
    pool = paragraphs_pool()
    items: list[dict[str, str]] = []
    n = 0
    while not stop.wait(1.0):
        path = f"/new/{n}.html"
        body = [pool[(n * 7 + i) % len(pool)] for i in range(8)] + ["New tariffs on steel, said Sheinbaum."]
        site.resources[path] = Resource(article_html(f"Story {n}", body, chrome=10).encode())
        items = [{"title": f"Story {n}", "link": path, "guid": str(n)}, *items][:50]
        site.resources["/feed-0.xml"] = Resource(rss_xml("Growing", "/", items).encode())
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=500)
    args = parser.parse_args()
    resources = {f"/feed-{f}.xml": Resource(rss_xml(f"Feed {f}", "/", []).encode()) for f in range(FEEDS)}
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as folder, SiteServer(resources) as site:
        config = Path(folder) / "config.yaml"
        receiver = [sys.executable, "-c", "import sys; sys.stdin.read()"]
        config.write_text(
            yaml.safe_dump(
                {
                    "database": "soak.db",
                    "fetch": {"retries": 0, "per_host": 8, "delay": 0},
                    "sources": [
                        {"name": f"feed-{f}", "feed": f"{site.url}/feed-{f}.xml", "every": "1s"}
                        for f in range(FEEDS)
                    ],  # fmt: skip
                    "rules": yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["rules"],
                    "hooks": [{"name": "sink", "command": receiver}],
                }
            ),
            encoding="utf-8",
        )
        threading.Thread(target=grow, args=(site, stop), daemon=True).start()
        daemon = subprocess.Popen(
            [sys.executable, "-m", "jobs.cli", "--config", str(config), "run", "--log-format", "json"],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        cycles, new, start_rss, peak = 0, 0, 0, 0
        started = time.monotonic()
        cpu: dict[int, float] = {}
        assert daemon.stderr is not None
        try:
            for line in daemon.stderr:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") != "crawl":
                    continue
                cycles += 1
                new += event.get("new", 0)
                rss, _ = sample_tree(daemon.pid, cpu)
                peak = max(peak, rss)
                if cycles == WARM_UP:
                    start_rss = rss
                if cycles >= args.cycles:
                    end_rss = rss
                    break
        finally:  # the daemon never outlives the benchmark, even when it fails
            daemon.terminate()
            daemon.wait(timeout=30)
            stop.set()
    elapsed = time.monotonic() - started
    print(f"{cycles} crawl cycles in {elapsed:.0f} s, {new} new articles stored and alerted")
    print(f"RSS (daemon + fork server + workers) after {WARM_UP} cycles: {start_rss / 2**20:.1f} MB")
    print(f"RSS after {cycles} cycles: {end_rss / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB)")
    print(f"growth: {100 * (end_rss - start_rss) / start_rss:+.1f}% (target under 10%)")


if __name__ == "__main__":
    main()
