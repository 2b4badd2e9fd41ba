"""Config: checked once at start; every error names its place and exits 2 without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crawler.config import load_config, parse_duration, parse_size
from crawler.errors import ConfigError
from tests.conftest import run_cli

ROOT = Path(__file__).parents[1]
GOOD = {
    "database": "data/tw.db",
    "fetch": {"timeout": "30s", "max_page_size": "10MB", "concurrency": 16, "per_host": 2},
    "defaults": {"every": "15m"},
    "sources": [
        {"name": "ledger", "feed": "https://example.org/feed.xml", "every": "10m"},
        {"name": "gob", "page": "http://127.0.0.1:8080/prensa", "links": "ul.comunicados a", "follow": False},
    ],
    "rules": [
        {"name": "tariffs", "terms": ["tariff", "tariffs", "arancel", "aranceles"]},
        {"name": "metal", "query": "(steel OR acero) AND (tariff* OR arancel*)"},
    ],
    "hooks": [],
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_good_config_loads_with_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.database == (tmp_path / "data" / "tw.db").resolve()
    assert config.fetch.timeout == 30 and config.fetch.max_page_size == 10 * 1024 * 1024
    assert config.fetch.robots is True and config.fetch.retries == 2
    ledger, gob = config.sources
    assert (ledger.kind, ledger.every, ledger.follow) == ("feed", 600, True)
    assert (gob.kind, gob.every, gob.follow, gob.links) == ("page", 900, False, "ul.comunicados a")
    assert [r.name for r in config.rules] == ["tariffs", "metal"]


def test_the_shipped_config_is_valid():
    config = load_config(ROOT / "config.yaml")
    assert len(config.sources) >= 4 and {r.name for r in config.rules} >= {"tariffs", "usmca", "officials"}


@pytest.mark.parametrize(
    ("value", "seconds"), [("500ms", 0.5), ("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), (5, 5)]
)
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


def test_sizes():
    assert parse_size("10MB") == 10 * 1024**2 and parse_size("512KB") == 512 * 1024 and parse_size(99) == 99


def broken(**changes):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


CASES = [
    (broken(sources__1__links=None), "sources[2] (gob): links: required for a page source"),
    (
        broken(sources__0__every="5x"),
        "sources[1] (ledger): every: '5x' is not a duration such as 500ms, 30s, 15m, 2h or 1d",
    ),
    (
        broken(sources__0__every="500ms"),
        "sources[1] (ledger): every: '500ms' is shorter than the shortest interval, 1s",
    ),
    (
        broken(sources__0__feed="ftp://x/feed"),
        "sources[1] (ledger): feed: 'ftp://x/feed' is not an http(s) URL",
    ),
    (broken(sources__0__feed="not a url"), "sources[1] (ledger): feed: 'not a url' is not an http(s) URL"),
    (broken(sources__0__name=None), "sources[1]: name: required"),
    (broken(sources__1__name="ledger"), "sources[2] (ledger): name: duplicate of an earlier source"),
    (
        broken(sources__0__colour="red"),
        "sources[1] (ledger): colour: unknown key (allowed: cron, every, feed, follow, links, max_age, name, "
        "page, robots, sitemap)",
    ),
    (
        broken(sources__0__page="https://example.org/"),
        "sources[1] (ledger): give exactly one of feed:, sitemap: or page: with its URL",
    ),
    (
        broken(rules__1__query="(steel OR acero"),
        "rules[2] (metal): query: unbalanced parenthesis at column 1",
    ),
    (broken(rules__0__terms=[]), "rules[1] (tariffs): terms: must be a non-empty list"),
    (broken(rules__0__name="metal"), "rules[2] (metal): name: duplicate of an earlier rule"),
    (
        broken(fetch__timeout="soon"),
        "fetch: timeout: 'soon' is not a duration such as 500ms, 30s, 15m, 2h or 1d",
    ),
    (broken(fetch__per_host=0), "fetch: per_host: 0 is not a whole number of at least 1"),
    (broken(fetch__max_page_size="big"), "fetch: max_page_size: 'big' is not a size such as 512KB or 10MB"),
    (
        broken(fetch__proxy="x"),
        "fetch: proxy: unknown key (allowed: allow_hosts, allow_private, autothrottle, concurrency, contact, "
        "delay, max_page_size, max_retry_wait, per_host, retries, robots, timeout, user_agent, workers)",
    ),
    (
        broken(fetch__allow_hosts=["intranet.example", "http://x/"]),
        "fetch: allow_hosts: 'http://x/' is not a host name, an IP address or a network such as 10.0.0.0/8",
    ),
    (broken(fetch__allow_private="yes"), "fetch: allow_private: 'yes' is not true or false"),
    (
        broken(schedule="daily"),
        "schedule: unknown key (allowed: database, defaults, fetch, health, hooks, rules, sources, stories,"
        " timezone)",
    ),
    (broken(sources="ledger"), "sources: must be a list"),
    (
        broken(sources__0__max_age="old"),
        "sources[1] (ledger): max_age: 'old' is not a duration such as 500ms, 30s, 15m, 2h or 1d",
    ),
    (broken(sources__0__robots="no"), "sources[1] (ledger): robots: 'no' is not true or false"),
    (broken(sources__0__links="a"), "sources[1] (ledger): links: only page sources take a links selector"),
    (
        broken(rules__0__lang=["spanish"]),
        "rules[1] (tariffs): lang: 'spanish' is not a language code such as en or es",
    ),
    (broken(fetch__contact="me@example.org"), "fetch: contact: 'me@example.org' is not an http(s) URL"),
    (broken(fetch__delay="slow"), "fetch: delay: 'slow' is not a duration such as 500ms, 30s, 15m, 2h or 1d"),
]


@pytest.mark.parametrize(("data", "message"), CASES, ids=[m.split(":")[0] + m[-12:] for _, m in CASES])
def test_bad_config_names_the_place(tmp_path, data, message):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, data))
    assert str(error.value) == message


def test_invalid_yaml_says_where(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "sources: [\n  - {name: a\n"))
    assert str(error.value) == (
        f"{tmp_path / 'config.yaml'}: expected the node content, but found '-' at line 2, column 3"
    )


def test_check_prints_a_summary(tmp_path):
    result = run_cli("check", config=write(tmp_path, GOOD))
    assert result.returncode == 0, result.stderr
    assert "OK: 2 sources, 2 rules, 0 hooks" in result.stdout


def test_check_of_bad_config_exits_2_with_one_error_line(tmp_path):
    result = run_cli("check", config=write(tmp_path, CASES[0][0]))
    assert result.returncode == 2
    assert result.stderr == f"Error: {CASES[0][1]}\n"
    assert result.stdout == ""


def test_missing_config_file(tmp_path):
    result = run_cli("check", config=tmp_path / "nope.yaml")
    assert result.returncode == 2
    assert result.stderr == f"Error: config file not found: {tmp_path / 'nope.yaml'}\n"


def test_terms_and_retry_errors_name_the_key(tmp_path):
    data = broken(rules__0__terms=["tariff", None])
    with pytest.raises(ConfigError, match=r"^rules\[1\] \(tariffs\): terms: None is not a term"):
        load_config(write(tmp_path, data))
    data = broken(hooks=[{"name": "log", "command": ["true"], "retry": {"first": "soon"}}])
    with pytest.raises(ConfigError, match=r"^hooks\[1\] \(log\): retry: first: 'soon' is not a duration"):
        load_config(write(tmp_path, data))


def test_check_reports_every_error_in_file_order(tmp_path):
    text = """
fetch: {timeout: soon}
sources:
  - {name: ledger, feed: "https://example.org/feed.xml", every: often}
  - {name: fine, feed: "https://example.org/ok.xml"}
  - {name: gob, page: "not a url"}
rules:
  - {name: tariffs, query: "steel and tariff*"}
  - {name: usmca, terms: [USMCA]}
hooks:
  - {name: desk, command: ["true"], rules: [nope]}
colour: blue
"""
    result = run_cli("check", config=write(tmp_path, text))
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 6 and all(line.startswith("Error: ") for line in lines), lines
    assert lines[0].startswith("Error: fetch: timeout: 'soon'")
    assert lines[1].startswith("Error: sources[1] (ledger): every: 'often'")
    assert lines[2].startswith("Error: sources[3] (gob): ")
    assert lines[3].startswith(
        "Error: rules[1] (tariffs): query: 'and' at column 7: operators are written in"
    )
    assert lines[4].startswith("Error: hooks[1] (desk): rules: ")
    assert lines[5].startswith("Error: colour: unknown key")


def test_an_unclosed_quote_is_placed_where_it_opens(tmp_path):
    text = 'sources: []\nrules:\n  - name: "tariffs\n    terms: [tariff*]\nhooks: []\n'
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    path = tmp_path / "config.yaml"
    assert (
        str(error.value)
        == f"{path}: a quoted scalar at line 3, column 11 is not closed by the end of the file"
    )
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "sources: []\nrules: [\n  {name: t, terms: [tariff*]}\n"))
    assert (
        str(error.value)
        == f"{path}: a flow sequence at line 2, column 8 is not closed by the end of the file"
    )


def test_no_sources_or_no_rules_passes_check_with_a_warning_and_run_refuses(tmp_path):
    config = write(tmp_path, {"sources": [], "rules": [{"name": "t", "terms": ["tariff*"]}]})
    checked = run_cli("check", config=config)
    assert checked.returncode == 0 and "OK: 0 sources, 1 rules" in checked.stdout
    assert checked.stderr.startswith("Warning: no sources: nothing to crawl")
    refused = run_cli("run", config=config)
    assert refused.returncode == 2
    assert (
        refused.stderr == f"Error: {config}: no sources: nothing to crawl (add sources:, which tradewatch"
        " discover URL finds); not starting\n"
    )
    ruleless = write(tmp_path, {"sources": [{"name": "f", "feed": "https://example.org/f.xml"}]})
    assert run_cli("check", config=ruleless).stderr.startswith("Warning: no rules: nothing would be flagged")
    assert "no rules" in run_cli("run", config=ruleless).stderr
