"""The CLI: every command documented, search and matches over a crawled store, error paths."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.cli import cli
from tests.conftest import run_cli, write_config

ROOT = Path(__file__).parents[1]
COMMANDS = sorted(cli.commands)


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert COMMANDS == [
        "alerts",
        "check",
        "crawl",
        "demo",
        "discover",
        "hooks",
        "matches",
        "migrate",
        "run",
        "search",
        "serve",
        "status",
        "stories",
        "trends",
    ]
    names = [(name,) for name in COMMANDS] + [("alerts", "retry"), ("hooks", "test"), ("stories", "show")]
    for words in names:
        result = run_cli(*words, "--help")
        usage = "Usage: tradewatch " + " ".join(words)
        assert result.returncode == 0 and usage in result.stdout, words
        command = cli
        for word in words:
            command = command.commands[word]
        assert command.help, words
        assert f"tradewatch {' '.join(words)}" in readme, (
            f"README does not document `tradewatch {' '.join(words)}`"
        )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    config = write_config(folder / "config.yaml", [], database="demo.db")
    result = run_cli("demo", "--database", str(folder / "demo.db"), config=config)
    assert result.returncode == 0, result.stderr
    return config, result


def test_demo_flags_the_trade_stories_only(demo_db):
    _, result = demo_db
    assert "9 articles, 7 flagged, 0 errors" in result.stdout
    assert "Riverside Rovers" not in result.stdout and "Festival" not in result.stdout
    assert "- Sheinbaum responde a los aranceles anunciados por Trump\n  [officials, tariffs, usmca] " in (
        result.stdout
    )


def test_demo_shows_one_wire_story_told_by_three_outlets_with_one_alert(demo_db):
    _, result = demo_db
    assert "5 stories flagged, one entry per story:" in result.stdout
    # The agency's Spanish wire, a daily's trimmed reprint under its own headline, the English service.
    (entry,) = [e for e in result.stdout.split("\n- ") if "3 copies from 3 sources (" in e]
    for page in ("/agencia/cupos-acero", "/diario/acero-sin-aranceles", "/news/steel-quotas-agreed"):
        assert page in entry, entry
    assert "[wire copy (" in entry and "[shared facts (" in entry and entry.count("[new story]") == 1
    assert "  1 alert sent" in entry
    assert result.stdout.count("  1 alert sent") == 5 and "  0 alerts" not in result.stdout
    assert "5 alerts delivered to a local webhook: one per story" in result.stdout


def test_search_backtests_a_query_newest_first(demo_db):
    config, _ = demo_db
    result = run_cli("search", "(acero OR steel) AND arancel*", config=config)
    assert result.returncode == 0, result.stderr
    assert "La Secretaría de Economía publica el decreto de aranceles al acero" in result.stdout
    # The decree, and the wire story's two Spanish copies.
    assert result.stdout.strip().endswith("2 stories, 3 articles")
    nothing = run_cli("search", "zebra", config=config)
    assert nothing.stdout.strip() == "0 stories, 0 articles"


def test_search_with_a_bad_query_is_a_usage_error(demo_db):
    config, _ = demo_db
    result = run_cli("search", "(acero", config=config)
    assert result.returncode == 2
    assert result.stderr == "Error: query: unbalanced parenthesis at column 1\n"


def test_matches_filters_by_rule_and_age(demo_db):
    config, _ = demo_db
    result = run_cli("matches", "--rule", "metal-tariffs", "--since", "1h", config=config)
    assert result.returncode == 0, result.stderr
    assert re.findall(r"  metal-tariffs  ", result.stdout) and result.stdout.strip().endswith(
        "3 stories, 5 matches"  # the wire story's three copies matched it
    )
    assert (
        run_cli("matches", "--rule", "nope", config=config).stderr == "Error: --rule: no rule named 'nope'\n"
    )
    bad_since = run_cli("matches", "--since", "yesterday", config=config)
    assert bad_since.returncode == 2 and bad_since.stderr.startswith(
        "Error: --since: 'yesterday' is not a duration"
    )


def test_json_documents_of_search_matches_alerts_and_status(demo_db):
    config, _ = demo_db
    found = json.loads(run_cli("search", "arancel*", "--json", config=config).stdout)
    assert found and set(found[0]) == {"story", "articles"}
    keys = {"id", "url", "title", "source", "lang", "published_at", "fetched_at", "terms", "snippet"}
    assert set(found[0]["articles"][0]) == keys
    assert any("aranceles" in [t.lower() for t in a["terms"]] for e in found for a in e["articles"])
    spanish = json.loads(
        run_cli("search", "arancel*", "--lang", "es", "--since", "1d", "--json", config=config).stdout
    )
    assert spanish and all(a["lang"] == "es" for e in spanish for a in e["articles"])
    assert json.loads(run_cli("search", "arancel*", "--source", "nope", "--json", config=config).stdout) == []
    flagged = json.loads(run_cli("matches", "--json", config=config).stdout)
    assert flagged and set(flagged[0]) == {"story", "rules", "matches"}
    assert all(len(e["rules"]) == len(set(e["rules"])) for e in flagged)  # one entry per story, every rule
    one = run_cli("matches", "--limit", "1", config=config).stdout
    assert one.strip().splitlines()[-1].startswith("1 story, ")
    alerts = json.loads(run_cli("alerts", "--json", config=config).stdout)  # the demo's local webhook's
    assert len(alerts) == 5 and {a["hook"] for a in alerts} == {"demo-webhook"}
    assert len({a["story_id"] for a in alerts}) == 5 and all(a["status"] == "sent" for a in alerts)
    status = run_cli("status", "--json", config=config)
    assert set(json.loads(status.stdout)) == {"healthy", "sources", "hooks"}


def test_config_comes_from_the_environment(tmp_path):
    config = write_config(tmp_path / "elsewhere.yaml", [])
    env = {**os.environ, "TRADEWATCH_CONFIG": str(config)}
    result = subprocess.run(
        [sys.executable, "-m", "jobs.cli", "check"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0 and "elsewhere.yaml: OK" in result.stdout
