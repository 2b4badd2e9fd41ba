"""The systemd units: the keys the daemon relies on, and their hardening score."""

from __future__ import annotations

import re
import shutil
import subprocess
from configparser import ConfigParser
from pathlib import Path

import pytest

UNITS = Path(__file__).parents[1] / "systemd"


def unit(name: str) -> ConfigParser:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


def test_daemon_unit_is_a_watched_notify_service():
    service = unit("tradewatch.service")["Service"]
    assert service["Type"] == "notify" and service["WatchdogSec"] and service["Restart"] == "on-failure"
    assert service["DynamicUser"] == "yes" and service["StateDirectory"] == "tradewatch"
    assert service["ExecStart"].endswith("--config /etc/tradewatch/config.yaml run")
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["MemoryMax"]


def test_desk_unit_serves_the_store_as_the_daemons_user():
    web = unit("tradewatch-web.service")["Service"]
    assert web["ExecStart"].endswith(
        "--config /etc/tradewatch/config.yaml serve --host 127.0.0.1 --port 8001"
    )
    for name in ("tradewatch.service", "tradewatch-crawl.service", "tradewatch-web.service"):
        service = unit(name)["Service"]
        assert (service["User"], service["DynamicUser"], service["StateDirectory"]) == (
            "tradewatch", "yes", "tradewatch"), name  # fmt: skip
    assert unit("tradewatch-web.service")["Install"]["WantedBy"] == "multi-user.target"


def test_timer_runs_the_one_shot_crawl():
    service = unit("tradewatch-crawl.service")["Service"]
    assert service["Type"] == "oneshot" and service["ExecStart"].endswith(" crawl")
    assert unit("tradewatch-crawl.timer")["Timer"]["OnUnitActiveSec"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
@pytest.mark.parametrize("name", ["tradewatch.service", "tradewatch-crawl.service", "tradewatch-web.service"])
def test_hardening_is_rated_2_or_lower(name):
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(UNITS / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout + result.stderr)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= 2.0
