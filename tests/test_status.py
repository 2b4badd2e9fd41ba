"""`tradewatch status`: the health check."""

from __future__ import annotations

import sqlite3

from tests.conftest import run_cli, write_config
from tests.test_crawl import SOURCES, sources_at


def test_status_is_a_health_check(site, tmp_path):
    sources = sources_at(site.url, [SOURCES[0], SOURCES[4]])  # ledger, and a feed that is not there
    config = write_config(tmp_path / "config.yaml", sources, health={"max_failures": 2, "stale_after": "1h"})
    assert run_cli("crawl", config=config).returncode == 0
    first = run_cli("status", config=config)
    assert first.returncode == 0, first.stdout
    assert first.stdout.splitlines()[0].split() == [
        "source", "last", "run", "last", "success", "new", "24h", "fails", "next", "run",
    ]  # fmt: skip
    ledger = next(line for line in first.stdout.splitlines() if line.startswith("ledger"))
    assert ledger.split()[5:7] == ["4", "0"]  # 4 new articles in 24 h (the AMP copy is one), no failure
    assert run_cli("crawl", config=config).returncode == 0
    second = run_cli("status", config=config)
    assert second.returncode == 1
    assert "UNHEALTHY missing: failed 2 times in a row" in second.stdout
    assert "HTTP 404" in second.stdout

    conn = sqlite3.connect(tmp_path / "tradewatch.db")
    with conn:
        conn.execute("UPDATE sources SET last_ok_at = '2026-01-01T00:00:00Z' WHERE name = 'ledger'")
    conn.close()
    third = run_cli("status", config=config)
    assert "UNHEALTHY ledger: no success since 2026-01-01 00:00" in third.stdout
