"""How long ``tradewatch discover`` takes on a local site with ``fetch.delay: 0`` (target: under 2 s).

    python bench/discover.py [--runs 3]

The site is the demo's (jobs/demo: a feed, a listing page, their articles) with a home page
linking its feed; the command runs in a subprocess, as a person runs it, start-up included.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.demo import demo_site  # noqa: E402
from jobs.demo.siteserver import Resource, SiteServer  # noqa: E402

HOME = b"""<!DOCTYPE html><html><head><title>Demo</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>
<body><a href="/prensa">Prensa</a></body></html>"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    site = {**demo_site(), "/": Resource(HOME)}
    with tempfile.TemporaryDirectory() as folder, SiteServer(site) as server:
        config = Path(folder) / "config.yaml"
        config.write_text(
            yaml.safe_dump({"fetch": {"delay": 0}, "sources": [], "rules": []}), encoding="utf-8"
        )
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "jobs.cli", "--config", str(config), "discover", f"{server.url}/"],
                capture_output=True, text=True, cwd=ROOT, check=False,
            )  # fmt: skip
            times.append(time.perf_counter() - started)
            found = [line for line in result.stdout.splitlines() if line.startswith("- ")]
        empty = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "jobs.cli", "--version"], capture_output=True, cwd=ROOT)
            empty.append(time.perf_counter() - started)
    print(
        f"discover on a local site: {', '.join(f'{t:.2f}' for t in times)} s (best {min(times):.2f} s;"
        f" target under 2 s), {len(found)} sources found; Python start-up alone: {min(empty):.2f} s"
    )


if __name__ == "__main__":
    main()
