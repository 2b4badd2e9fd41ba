"""config.yaml: parsed and checked once, at start, into frozen dataclasses.

Every default lives here. Errors name the place: ``sources[2] (gob): links: required
for a page source`` (list positions count from 1).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crawler.errors import ConfigError, QueryError
from crawler.rules import Node, parse_query, terms_query
from crawler.urls import is_http_url

DEFAULT_USER_AGENT = "tradewatch/0.1 (self-hosted trade-policy news monitor)"
SOURCE_KINDS = ("feed", "page")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_duration(value: Any) -> float:
    """Seconds in ``500ms``, ``30s``, ``15m``, ``2h``, ``1d`` (a bare number is seconds)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration such as 500ms, 30s, 15m, 2h or 1d")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: Any) -> int:
    """Bytes in ``10MB``, ``512KB``, ``1GB`` or a bare number (units of 1024)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size such as 512KB or 10MB")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


@dataclass(frozen=True)
class FetchConfig:
    """How Scrapy downloads: limits, politeness and identity."""

    timeout: float = 30.0
    max_page_size: int = 10 * 1024**2
    user_agent: str = DEFAULT_USER_AGENT
    concurrency: int = 16
    per_host: int = 2
    retries: int = 2
    robots: bool = True
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass(frozen=True)
class Source:
    """One place articles come from: a ``feed`` or a ``page`` with a ``links`` selector."""

    name: str
    kind: str
    url: str
    links: str | None = None
    every: float = 900.0
    follow: bool = True


@dataclass(frozen=True)
class Rule:
    """A named keyword rule: a ``terms`` list or a boolean ``query``."""

    name: str
    node: Node
    terms: tuple[str, ...] = ()
    query: str | None = None


@dataclass(frozen=True)
class Config:
    """The whole checked configuration."""

    path: Path
    database: Path
    fetch: FetchConfig
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...]
    hooks: tuple[Mapping[str, Any], ...] = ()
    every: float = 900.0

    def source(self, name: str) -> Source:
        """The source called ``name``; ConfigError if there is none."""
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} (known: {known})")


def _check_keys(where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{where}{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _mapping(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be a mapping")
    return value


def _convert(where: str, key: str, value: Any, convert: Callable[[Any], Any]) -> Any:
    try:
        return convert(value)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{where}{key}: {error}") from None


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{value!r} is not a whole number of at least 1")
    return value


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a whole number of at least 0")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _interval(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds < 1:
        raise ValueError(f"{value!r} is shorter than the shortest interval, 1s")
    return seconds


_FETCH_KEYS = {
    "timeout": parse_duration,
    "max_page_size": parse_size,
    "user_agent": _text,
    "concurrency": _positive_int,
    "per_host": _positive_int,
    "retries": _non_negative_int,
    "robots": _boolean,
    "workers": _positive_int,
}


def _parse_fetch(data: Any) -> FetchConfig:
    data = _mapping("fetch", data or {})
    _check_keys("fetch: ", data, set(_FETCH_KEYS))
    values = {k: _convert("fetch: ", k, v, _FETCH_KEYS[k]) for k, v in data.items()}
    return FetchConfig(**values)


def _parse_source(index: int, data: Any, defaults: Mapping[str, Any]) -> Source:
    where = f"sources[{index}]"
    data = _mapping(where, data)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: name: required")
    where = f"{where} ({name}): "
    _check_keys(where, data, {"name", "feed", "page", "links", "every", "follow"})
    kinds = [k for k in SOURCE_KINDS if k in data]
    if len(kinds) != 1:
        raise ConfigError(f"{where}give exactly one of feed: or page: with its URL")
    kind = kinds[0]
    url = data[kind]
    if not isinstance(url, str) or not is_http_url(url):
        raise ConfigError(f"{where}{kind}: {url!r} is not an http(s) URL")
    links = data.get("links")
    if kind == "page" and not links:
        raise ConfigError(f"{where}links: required for a page source")
    if kind == "feed" and links:
        raise ConfigError(f"{where}links: only page sources take a links selector")
    if links:
        _convert(where, "links", links, _css_selector)
    every = _convert(where, "every", data.get("every", defaults["every"]), _interval)
    follow = _convert(where, "follow", data.get("follow", defaults["follow"]), _boolean)
    return Source(name.strip(), kind, url, links, every, follow)


def _css_selector(value: Any) -> str:
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(_text(value))
    except SelectorError as error:
        raise ValueError(f"{value!r} is not a CSS selector ({error})") from None
    return value


def _parse_rule(index: int, data: Any) -> Rule:
    where = f"rules[{index}]"
    data = _mapping(where, data)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: name: required")
    where = f"{where} ({name}): "
    _check_keys(where, data, {"name", "terms", "query"})
    if ("terms" in data) == ("query" in data):
        raise ConfigError(f"{where}give exactly one of terms: or query:")
    try:
        if "query" in data:
            query = _convert(where, "query", data["query"], _text)
            return Rule(name, parse_query(query), query=query)
        terms = data["terms"]
        if not isinstance(terms, list) or not terms:
            raise ConfigError(f"{where}terms: must be a non-empty list")
        terms = tuple(_convert(where, "terms", str(t), _text) for t in terms)
        return Rule(name, terms_query(terms), terms=terms)
    except QueryError as error:
        key = "query" if "query" in data else "terms"
        raise ConfigError(f"{where}{key}: {error}") from None


def _unique(kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names, 1):
        if name in seen:
            raise ConfigError(f"{kind}[{index}] ({name}): name: duplicate of an earlier {kind[:-1]}")
        seen.add(name)


def parse_config(data: Any, path: Path) -> Config:
    """Check a loaded YAML document and build the Config; ConfigError names what is wrong."""
    data = _mapping("config", data if data is not None else {})
    _check_keys("", data, {"database", "fetch", "defaults", "sources", "rules", "hooks"})
    defaults = _mapping("defaults", data.get("defaults") or {})
    _check_keys("defaults: ", defaults, {"every", "follow"})
    defaults = {
        "every": _convert("defaults: ", "every", defaults.get("every", "15m"), _interval),
        "follow": _convert("defaults: ", "follow", defaults.get("follow", True), _boolean),
    }
    database = _convert("", "database", data.get("database", "tradewatch.db"), _text)
    sources_data = data.get("sources") or []
    if not isinstance(sources_data, list):
        raise ConfigError("sources: must be a list")
    rules_data = data.get("rules") or []
    if not isinstance(rules_data, list):
        raise ConfigError("rules: must be a list")
    hooks = data.get("hooks") or []
    if not isinstance(hooks, list):
        raise ConfigError("hooks: must be a list")
    sources = tuple(_parse_source(i, s, defaults) for i, s in enumerate(sources_data, 1))
    rules = tuple(_parse_rule(i, r) for i, r in enumerate(rules_data, 1))
    _unique("sources", [s.name for s in sources])
    _unique("rules", [r.name for r in rules])
    return Config(
        path=path,
        database=(path.parent / os.path.expanduser(database)).resolve(),
        fetch=_parse_fetch(data.get("fetch")),
        sources=sources,
        rules=rules,
        hooks=tuple(hooks),
        every=defaults["every"],
    )


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and check the config file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: {problem}{where}") from None
    return parse_config(data, path.absolute())
