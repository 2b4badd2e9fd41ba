"""Throughput benchmark: crawl a local site of 2,000 articles in 20 feeds, cold then warm.

Prints articles/s, CPU ms per article, the ratio of CPU per article to bare
``trafilatura.extract`` over the same pages (the baseline, run in this process), the
warm re-poll's time and requests, and peak RSS. Targets (2-core machine):

- CPU per article at most 1.5x bare extraction;
- cold wall time at most 1.6x (bare extraction CPU / 2 cores);
- warm re-poll under 3% of the cold wall time, with no article page fetched;
- peak RSS (crawler and its workers together) under 400 MB.

It also crawls the site cold with ``stories: false`` (grouping off), in turn with grouping on,
twice: what story grouping adds to the crawl's CPU (target: within 10% of the crawl without).

Usage: python bench/throughput.py [--articles 2000] [--feeds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.demo.pages import article_html, rss_xml  # noqa: E402
from jobs.demo.siteserver import Resource, SiteServer  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "articles" / "ground-truth.json"
FALLBACK = (
    "Officials from Mexico and the United States met again on Tuesday to discuss the tariffs on "
    "steel and aluminum, the review of the USMCA and the rules of origin for cars. Exporters said "
    "the uncertainty was delaying investment, while unions asked for stronger labour chapters."
)


def paragraphs_pool() -> list[str]:
    """Real article paragraphs from the shared corpus when present, else a stock paragraph."""
    if CORPUS.exists():
        truth = json.loads(CORPUS.read_text(encoding="utf-8"))
        pool = [p.strip() for item in truth.values() for p in item["articleBody"].split("\n")]
        pool = [p for p in pool if len(p) > 80]
        if pool:
            return pool
    return [FALLBACK]


def build_site(articles: int, feeds: int, seed: int = 7) -> tuple[dict[str, Resource], list[bytes]]:
    """The site's resources and the article pages' bodies (for the baseline)."""
    rng = random.Random(seed)
    pool = paragraphs_pool()
    resources: dict[str, Resource] = {}
    pages: list[bytes] = []
    per_feed = articles // feeds
    for f in range(feeds):
        items = []
        for i in range(per_feed):
            path = f"/{f}/story-{i}.html"
            title = f"Story {f}-{i}: " + " ".join(rng.choice(pool).split()[:8])
            body = [rng.choice(pool) for _ in range(rng.randint(6, 14))]
            target = rng.randint(40_000, 80_000)
            chrome = 0
            html = article_html(title, body, chrome=chrome)
            while len(html.encode()) < target:
                chrome += 1
                html = article_html(title, body, chrome=chrome)
            data = html.encode()
            pages.append(data)
            resources[path] = Resource(data)
            # Dated, as 99.8% of the items of the 112 real feeds in the shared corpus are.
            published = formatdate(1_780_000_000 + f * 3600 + i * 60, usegmt=True)
            items.append(
                {
                    "title": title,
                    "link": path,
                    "guid": f"{f}-{i}",
                    "description": body[0][:200],
                    "pubDate": published,
                }
            )
        resources[f"/feed-{f}.xml"] = Resource(
            rss_xml(f"Feed {f}", "/", items).encode(), "application/rss+xml"
        )
    return resources, pages


TICK = os.sysconf("SC_CLK_TCK")


def sample_tree(pid: int, cpu: dict[int, float]) -> tuple[int, int]:
    """RSS and PSS in bytes of a process and all its descendants; their CPU seconds go into ``cpu``.

    The extraction workers are forked by a fork server, which does not wait for them, so
    the operating system's children accounting misses them: read /proc instead. RSS counts
    pages shared by the fork server and its workers (the language model, the libraries) once
    in every process; PSS divides each shared page among its sharers.
    """
    total, pss, stack = 0, 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            cpu[current] = (int(fields[11]) + int(fields[12])) / TICK
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/task/{current}/children") as children:
                stack.extend(int(c) for c in children.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total, pss


# Runs the CLI and, as it exits, reports the crawler process's own CPU (without its workers).
WRAPPER = """
import resource, runpy, sys
sys.argv = ["tradewatch", *sys.argv[1:]]
try:
    runpy.run_module("jobs.cli", run_name="__main__")
finally:
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(f"MAIN-CPU {own.ru_utime + own.ru_stime}", file=sys.stderr)
"""


def run_crawl(config: Path) -> dict[str, float]:
    """Run ``tradewatch crawl`` in a subprocess: wall time, CPU (with workers), peak tree RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, "--config", str(config), "crawl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    peak = peak_pss = 0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = sample_tree(process.pid, cpu)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"crawl failed ({process.returncode}):\n{err}")
    main_cpu = float(err.rsplit("MAIN-CPU ", 1)[1].split()[0])
    cpu.pop(process.pid, None)  # sampled; the exact figure is main_cpu
    return {
        "wall": wall,
        "cpu": main_cpu + sum(cpu.values()),
        "main_cpu": main_cpu,
        "peak_rss": peak,
        "peak_pss": peak_pss,
        "out": out,
    }


def median_run(config: Path, runs: int = 3) -> dict[str, float]:
    """The run of median wall time out of ``runs`` (start-up time varies from run to run)."""
    results = sorted((run_crawl(config) for _ in range(runs)), key=lambda r: r["wall"])
    return results[runs // 2]


def bare_extraction(pages: list[bytes]) -> float:
    """CPU seconds of bare trafilatura.extract over ``pages`` in this process."""
    import trafilatura

    trafilatura.extract(pages[0])  # warm up imports
    start = time.process_time()
    for page in pages:
        trafilatura.extract(page)
    return time.process_time() - start


def our_analysis(pages: list[bytes], dated: bool = True) -> float:
    """CPU seconds of tradewatch's own page analysis (decode, metadata, extract, match) in this process.

    ``dated``: the feed gave the item a date, as in the crawl; else htmldate reads the page too.
    """
    from crawler.config import load_config, rule_nodes
    from crawler.extract import Analyser, Page
    from crawler.sources import Entry

    analyser = Analyser(rule_nodes(load_config(ROOT / "config.yaml").rules))
    published = "2026-05-28T00:00:00Z" if dated else None
    entry = Entry("bench", "http://127.0.0.1/story", title="Story", published_at=published, date_from="feed")
    analyser.analyse(entry, Page(entry.link, pages[0], "text/html"))  # warm up imports
    start = time.process_time()
    for page in pages:
        analyser.analyse(entry, Page(entry.link, page, "text/html; charset=utf-8"))
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--feeds", type=int, default=20)
    args = parser.parse_args()
    cores = os.cpu_count() or 1

    resources, pages = build_site(args.articles, args.feeds)
    # The baseline runs before and after the crawls: this machine's speed drifts between runs.
    bare_before = bare_extraction(pages)
    sizes = [len(p) for p in pages]
    print(
        f"site: {len(pages)} articles in {args.feeds} feeds, "
        f"pages {min(sizes) // 1024}-{max(sizes) // 1024} KB "
        f"(mean {sum(sizes) / len(sizes) / 1024:.0f} KB), {cores} cores"
    )
    rules = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["rules"]
    with tempfile.TemporaryDirectory() as folder, SiteServer(resources) as site:

        def config_file(name: str, **more: object) -> Path:
            path = Path(folder) / f"{name}.yaml"
            settings = {
                "database": f"{name}.db",
                "fetch": {"concurrency": 16, "per_host": 16, "retries": 0, "delay": 0},
                "sources": [
                    {"name": f"feed-{f}", "feed": f"{site.url}/feed-{f}.xml"} for f in range(args.feeds)
                ],
                "rules": rules,
            }
            path.write_text(yaml.safe_dump(settings | more), encoding="utf-8")
            return path

        config = config_file("bench")
        cold = run_crawl(config)
        cold_requests = sum(site.requests.values())
        # Grouping off and on in turn, each crawl cold into a store of its own: the machine's drift
        # falls on both alike.
        pairs = []
        for n in range(2):
            off = run_crawl(config_file(f"off-{n}", stories=False))
            on = cold if n == 0 else run_crawl(config_file(f"on-{n}"))
            pairs.append((on["cpu"], off["cpu"]))
        crawled = sum(site.requests.values())
        warm = median_run(config)
        warm_requests = (sum(site.requests.values()) - crawled) // 3
        warm_articles = sum(n for path, n in site.requests.items() if path.endswith(".html")) - 4 * len(pages)
        empty = median_run(config_file("empty", sources=[]))
        stored = (
            sqlite3.connect(Path(folder) / "bench.db").execute("SELECT count(*) FROM articles").fetchone()[0]
        )

    bare_after = bare_extraction(pages)
    ours = our_analysis(pages)
    undated = our_analysis(pages[:300], dated=False) * len(pages) / 300
    bare = (bare_before + bare_after) / 2
    n = len(pages)
    cpu_ratio = (cold["cpu"] / n) / (bare / n)
    wall_target = bare / cores
    print(f"stored: {stored} articles ({cold_requests} requests cold)")
    print(
        f"cold crawl: {cold['wall']:.1f} s wall, {n / cold['wall']:.1f} articles/s, "
        f"{1000 * cold['cpu'] / n:.1f} CPU ms/article "
        f"({1000 * cold['main_cpu'] / n:.1f} in the crawler process, "
        f"{1000 * (cold['cpu'] - cold['main_cpu']) / n:.1f} in the fork server and workers)"
    )
    print(
        f"bare trafilatura.extract: {1000 * bare / n:.1f} CPU ms/article "
        f"(mean of {1000 * bare_before / n:.1f} before and {1000 * bare_after / n:.1f} after the crawls)"
    )
    print(f"CPU per article vs bare extraction: {cpu_ratio:.2f}x (target <= 1.5x)")
    print(
        "story grouping, CPU ms/article of cold crawls with grouping on and off, in turn: "
        + ", ".join(f"{1000 * on / n:.1f} vs {1000 * off / n:.1f} ({on / off:.2f}x)" for on, off in pairs)
        + " (target <= 1.10x)"
    )
    print(
        f"  for reference, tradewatch's page analysis alone in this process: {1000 * ours / n:.1f} "
        f"CPU ms/article ({ours / bare:.2f}x bare extraction); "
        f"{1000 * undated / n:.1f} ms for an undated item (htmldate reads the page too)"
    )
    print(
        f"cold wall vs bare CPU / {cores} cores ({wall_target:.1f} s): "
        f"{cold['wall'] / wall_target:.2f}x (target <= 1.6x)"
    )
    work = warm["wall"] - empty["wall"]
    print(
        f"warm re-poll: {warm['wall']:.2f} s ({warm['cpu']:.2f} s CPU) = "
        f"{100 * warm['wall'] / cold['wall']:.1f}% of cold (target < 3%), "
        f"{warm_requests} requests, {warm_articles} article pages (median of 3 runs)"
    )
    print(
        f"  of which process start-up (a crawl of no source): {empty['wall']:.2f} s; "
        f"the re-poll itself {work:.2f} s = {100 * work / cold['wall']:.1f}% of cold"
    )
    print(f"peak RSS, crawler + fork server + workers: {cold['peak_rss'] / 2**20:.0f} MB (target < 400 MB)")
    print(f"  peak PSS (shared pages divided among their sharers): {cold['peak_pss'] / 2**20:.0f} MB")
    if stored != n:
        raise SystemExit(f"expected {n} stored articles, found {stored}")


if __name__ == "__main__":
    main()
