"""Politeness benchmark: 50 sources on 5 local hosts, with and without per-host limits.

Each host is a separate local server (127.0.0.2 to 127.0.0.6) that answers every request
after ``--latency`` seconds and records how many requests it served at once. The same crawl
(``tradewatch crawl`` in a subprocess, a fresh database each time) runs under four ``fetch:``
settings:

- unthrottled: ``per_host`` as high as ``concurrency`` (16), no delay: the baseline;
- per_host 4, no delay: 5 hosts x 4 = 20 >= 16, so the limits allow full speed;
- per_host 2, no delay: 5 x 2 = 10 < 16, the limits bind;
- the defaults: per_host 2, delay 0.5 s.

Prints, per run: wall time, requests, requests/s, the ratio of throughput to the baseline,
the most requests any one host saw at once, and the shortest gap between two requests to
one host. Targets: the per-host maximum never exceeds ``per_host``; with per_host 4 the
throughput is within 10% of the baseline.

Usage: python bench/politeness.py [--latency 0.2] [--feeds-per-host 10] [--items 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.demo.pages import article_html, rss_xml  # noqa: E402
from jobs.demo.siteserver import Resource, SiteServer  # noqa: E402

HOSTS = [f"127.0.0.{i}" for i in range(2, 7)]
TEXT = (
    "Officials from Mexico and the United States met again to discuss the tariffs on steel and "
    "aluminum, the review of the USMCA and the rules of origin for cars. Exporters said the "
    "uncertainty was delaying investment, while unions asked for stronger labour chapters."
)
RUNS = [
    ("unthrottled (per_host 16)", {"per_host": 16, "delay": 0}),
    ("per_host 4, no delay", {"per_host": 4, "delay": 0}),
    ("per_host 2, no delay", {"per_host": 2, "delay": 0}),
    ("defaults (per_host 2, delay 0.5 s)", {}),
]


def host_site(host: int, feeds: int, items: int, latency: float) -> dict[str, Resource]:
    """One host's feeds and article pages, every one answering after ``latency`` seconds."""
    r: dict[str, Resource] = {}
    for f in range(feeds):
        links = [
            {"title": f"Story {host}-{f}-{i}", "link": f"/news/{f}/{i}", "guid": f"{host}-{f}-{i}"}
            for i in range(items)
        ]
        feed = rss_xml(f"Feed {f}", "/", links).encode()
        r[f"/feeds/{f}.xml"] = Resource(feed, "application/rss+xml", delay=latency)
        for i in range(items):
            page = article_html(f"Story {host}-{f}-{i}", [f"Story {host}-{f}-{i}. {TEXT}"] * 5)
            r[f"/news/{f}/{i}"] = Resource(page.encode(), delay=latency)
    r["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", "text/plain", delay=latency)
    return r


def run(servers: list[SiteServer], fetch: dict, feeds: int) -> dict[str, float]:
    """One crawl of every source in a fresh database: wall time and what the servers saw."""
    for server in servers:
        server.max_in_flight, server.times = 0, []
        server.requests.clear()
    with tempfile.TemporaryDirectory() as tmp:
        sources = [
            {"name": f"h{h}-f{f}", "feed": f"{server.url}/feeds/{f}.xml"}
            for h, server in enumerate(servers)
            for f in range(feeds)
        ]
        config = {
            "database": "bench.db",
            "fetch": {"concurrency": 16, "retries": 0, "workers": 2, **fetch},
            "sources": sources,
            "rules": [{"name": "tariffs", "terms": ["tariff*"]}],
        }
        path = Path(tmp) / "config.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "jobs.cli", "--config", str(path), "crawl"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(result.stderr)
    requests = sum(sum(s.requests.values()) for s in servers)
    gaps = [b - a for s in servers for a, b in zip(sorted(s.times), sorted(s.times)[1:], strict=False)]
    return {
        "wall": wall,
        "requests": requests,
        "rate": requests / wall,
        "max_in_flight": max(s.max_in_flight for s in servers),
        "min_gap": min(gaps) if gaps else 0.0,
        "median_gap": statistics.median(gaps) if gaps else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--feeds-per-host", type=int, default=10)
    parser.add_argument("--items", type=int, default=6)
    args = parser.parse_args()
    servers = [
        SiteServer(host_site(h, args.feeds_per_host, args.items, args.latency), host=host).start()
        for h, host in enumerate(HOSTS)
    ]
    try:
        sources = len(HOSTS) * args.feeds_per_host
        print(
            f"{sources} sources on {len(HOSTS)} hosts, {sources * args.items} articles, "
            f"{args.latency * 1000:.0f} ms per response"
        )
        baseline = None
        header = ("wall s", 7), ("reqs", 5), ("req/s", 6), ("vs base", 7), ("max/host", 8), ("min gap", 8)
        print(f"{'run':<36} " + " ".join(f"{h:>{w}}" for h, w in header))
        for label, fetch in RUNS:
            figures = run(servers, fetch, args.feeds_per_host)
            baseline = baseline or figures["rate"]
            print(
                f"{label:<36} {figures['wall']:>7.2f} {figures['requests']:>5} {figures['rate']:>6.1f} "
                f"{figures['rate'] / baseline:>7.2f} {figures['max_in_flight']:>8} {figures['min_gap']:>8.3f}"
            )
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
