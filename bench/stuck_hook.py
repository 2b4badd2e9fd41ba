"""Stuck-hook benchmark: a healthy webhook beside one whose server accepts connections and never answers.

Ten stories of their own on a local site, two webhooks following every rule: ``desk`` (answers
at once) and ``stuck`` (a socket that listens and never reads; the default 10 s timeout). Runs,
each on a fresh store:

- ``crawl --wait 5s`` with ``desk`` alone: the baseline;
- the same with ``stuck`` beside it: wall time (target: under 90 s; the desk gets all 10);
- ``tradewatch run`` with both: seconds from the start until the desk has its 10 first alerts
  (target: within a minute), seconds from a new story's fetch to its alert (target: seconds),
  and from SIGTERM to exit while ``stuck`` is mid-delivery (target: within 15 s).

Usage: python bench/stuck_hook.py [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.demo.pages import rss_xml, tariff_story  # noqa: E402
from jobs.demo.receiver import Receiver  # noqa: E402
from jobs.demo.siteserver import Resource, SiteServer  # noqa: E402


def site(count: int) -> dict[str, Resource]:
    resources = {path: Resource(page.encode()) for path, page in map(tariff_story, range(count))}
    items = [{"title": f"Story {n}", "link": f"/news/{n}", "guid": f"s{n}"} for n in range(count)]
    resources["/feed.xml"] = Resource(rss_xml("Desk", "/", items).encode(), "application/rss+xml")
    return resources


def config(folder: Path, feed: str, hooks: list[dict], every: str | None = None) -> Path:
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    source = {"name": "desk", "feed": feed, **({"every": every} if every else {})}
    data = {"database": "tw.db", "fetch": {"delay": 0, "retries": 0}, "sources": [source],
            "rules": shipped["rules"], "hooks": hooks}  # fmt: skip
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def cli(path: Path, *args: str, **kwargs: object) -> subprocess.Popen:
    command = [sys.executable, "-m", "jobs.cli", "--config", str(path), *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(command, cwd=path.parent, env=env, **kwargs)  # type: ignore[call-overload]


def one_shot(stuck: str | None) -> tuple[float, int]:
    """Wall time of ``crawl --wait 5s`` and the alerts the desk got."""
    desk = Receiver()
    with SiteServer(site(10)) as server, tempfile.TemporaryDirectory() as folder:
        hooks = [{"name": "desk", "webhook": desk.url}]
        if stuck:
            hooks.append({"name": "stuck", "webhook": stuck})
        path = config(Path(folder), server.url + "/feed.xml", hooks)
        started = time.monotonic()
        cli(path, "crawl", "--wait", "5s", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait(300)
        elapsed = time.monotonic() - started
    desk.close()
    return elapsed, len(desk.times)


def daemon(stuck: str) -> tuple[float, float, float]:
    """Seconds to the desk's 10 first alerts, from a new story's fetch to its alert, and SIGTERM to exit."""
    desk = Receiver()
    with SiteServer(site(10)) as server, tempfile.TemporaryDirectory() as folder:
        hooks = [{"name": "desk", "webhook": desk.url}, {"name": "stuck", "webhook": stuck}]
        path = config(Path(folder), server.url + "/feed.xml", hooks, every="1s")
        started = time.monotonic()
        process = cli(path, "run", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while len(desk.times) < 10 and time.monotonic() - started < 120:
            time.sleep(0.05)
        first = desk.times[9] - started if len(desk.times) >= 10 else float("inf")
        fresh = site(11)
        server.resources["/news/10"] = fresh["/news/10"]
        server.resources["/feed.xml"] = fresh["/feed.xml"]
        while server.requests["/news/10"] == 0 and time.monotonic() - started < 180:
            time.sleep(0.02)
        fetched = time.monotonic()
        while len(desk.times) < 11 and time.monotonic() - fetched < 60:
            time.sleep(0.02)
        latency = desk.times[10] - fetched if len(desk.times) >= 11 else float("inf")
        stopping = time.monotonic()
        process.terminate()
        process.wait(60)
        stop = time.monotonic() - stopping
    desk.close()
    return first, latency, stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    stuck = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    for run in range(1, args.runs + 1):
        alone, sent_alone = one_shot(None)
        beside, sent_beside = one_shot(stuck)
        first, latency, stop = daemon(stuck)
        print(f"run {run}: crawl --wait 5s: desk alone {alone:.1f} s ({sent_alone} alerts), "
              f"beside a stuck hook {beside:.1f} s ({sent_beside} alerts; target < 90 s)")  # fmt: skip
        print(f"run {run}: daemon: 10 first alerts in {first:.1f} s (target < 60), a new story's alert "
              f"{latency:.2f} s after its fetch, SIGTERM to exit {stop:.1f} s (target < 15)")  # fmt: skip
    listener.close()


if __name__ == "__main__":
    main()
