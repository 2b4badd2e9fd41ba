"""config.yaml: parsed and checked once, at start, into frozen dataclasses.

Every default lives here. Errors name the place: ``sources[2] (gob): links: required
for a page source`` (list positions count from 1).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from crawler import version
from crawler.errors import ConfigError, ConfigErrors, QueryError
from crawler.rules import Node, parse_query, terms_query
from crawler.urls import url_problem

HOOK_OPTIONS = frozenset(
    {"name", "rules", "timeout", "digest", "retry", "updates"}
)  # keys every hook kind takes
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_DATABASE = "tradewatch.db"
USER_AGENT = "tradewatch/{version} (self-hosted trade-policy news monitor)"  # the default
ROBOTS_AGENT = "tradewatch"  # the token robots.txt groups are matched against
SOURCE_KINDS = ("feed", "page", "sitemap")
SITEMAP_MAX_AGE = 2 * 86400.0  # news sitemaps list two days of stories

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
    user_agent: str | None = None  # None: USER_AGENT with the installed version
    concurrency: int = 16
    per_host: int = 2
    retries: int = 2
    robots: bool = True
    delay: float = 0.5
    autothrottle: bool = False
    max_retry_wait: float = 60.0
    contact: str | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    allow_hosts: tuple[str, ...] = ()  # hosts (or CIDR networks) whose private addresses may be fetched
    allow_private: bool = False  # fetch private addresses wherever a source points

    @property
    def identity(self) -> str:
        """The User-Agent sent: ``user_agent``, with the ``contact`` URL when one is set."""
        agent = self.user_agent or USER_AGENT.format(version=version())
        if self.contact and self.contact not in agent:
            return f"{agent} (+{self.contact})"
        return agent


@dataclass(frozen=True)
class Source:
    """One place articles come from: a ``feed``, a ``sitemap`` or a ``page`` with a ``links`` selector."""

    name: str
    kind: str
    url: str
    links: str | None = None
    every: float = 900.0
    follow: bool = True
    cron: str | None = None  # a crontab expression; overrides every
    max_age: float | None = None  # seconds; older items are ignored
    robots: bool | None = None  # None: fetch.robots decides


@dataclass(frozen=True)
class Rule:
    """A named keyword rule: a ``terms`` list or a boolean ``query``."""

    name: str
    node: Node
    terms: tuple[str, ...] = ()
    query: str | None = None
    langs: tuple[str, ...] | None = None  # None: articles in any language

    def applies_to(self, lang: str | None) -> bool:
        """True when this rule may flag an article in language ``lang`` (None: unknown)."""
        return self.langs is None or lang in self.langs


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed alert is tried again: ``first`` seconds, doubling up to ``max``, ``attempts`` in all."""

    first: float = 2.0
    max: float = 1800.0
    attempts: int = 20

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (before jitter)."""
        return doubling(self.first, attempts, self.max)


def doubling(first: float, failures: int, cap: float) -> float:
    """The one backoff of tradewatch: ``first`` seconds after one failure, doubling, at most ``cap``
    (a hook's retries, a failing source's next crawl); 0 after none."""
    return min(first * 2 ** (failures - 1), cap) if failures > 0 else 0.0


class HookKind(Protocol):
    """What config needs of a hook kind: the keys it takes beyond ``HOOK_OPTIONS``, and its target's check.

    The kinds themselves (and their delivery) live in ``jobs.hooks.HOOKS``, passed to ``load_config``.
    """

    options: frozenset[str]

    @staticmethod
    def parse(value: Any) -> Any:
        """The checked target (a URL, an argv, settings); ValueError saying what is wrong."""


@dataclass(frozen=True)
class Hook:
    """An alert hook: where flagged articles are sent (``kind`` is its config key)."""

    name: str
    kind: str
    target: Any  # what the kind's parse() made of its config value
    rules: tuple[str, ...] | None = None  # None: every rule
    secret: str | None = None
    timeout: float = 10.0
    digest: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    updates: bool = False  # one follow-up alert when a later copy of a story matches new rules

    def follows(self, rule: str) -> bool:
        """True when this hook wants alerts for ``rule``."""
        return self.rules is None or rule in self.rules


@dataclass(frozen=True)
class StoriesConfig:
    """Story grouping: ``window`` (seconds) between an article and a copy it joins; None: off."""

    window: float | None = 3 * 86400.0  # the one default (a story lives for days): Tuning.window

    @property
    def grouping(self) -> bool:
        """False with ``stories: false``: every article is its own story."""
        return self.window is not None


def _stories(value: Any) -> StoriesConfig:
    if value is False:
        return StoriesConfig(window=None)
    if value is True:
        return StoriesConfig()
    if not isinstance(value, Mapping):
        raise ValueError("must be false, or a mapping with window (such as window: 3d)")
    check_keys(value, {"window"})
    try:
        window = _interval(value["window"]) if "window" in value else _default(StoriesConfig, "window")
    except ValueError as error:
        raise ValueError(f"window: {error}") from None
    return StoriesConfig(window=window)


def rule_nodes(rules: tuple[Rule, ...]) -> list[tuple[str, Node]]:
    """(name, query tree) of each rule: what the matcher and the analysis workers take."""
    return [(rule.name, rule.node) for rule in rules]


@dataclass(frozen=True)
class Config:
    """The whole checked configuration."""

    path: Path
    database: Path
    fetch: FetchConfig
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...]
    hooks: tuple[Hook, ...] = ()
    timezone: str = "UTC"
    stories: StoriesConfig = field(default_factory=StoriesConfig)
    stale_after: float = 86400.0
    max_failures: int = 5

    def hook(self, name: str) -> Hook:
        """The hook called ``name``; ConfigError if there is none."""
        return _by_name("hook", self.hooks, name)

    def source(self, name: str) -> Source:
        """The source called ``name``; ConfigError if there is none."""
        return _by_name("source", self.sources, name)


def _by_name(kind: str, items: tuple[Any, ...], name: str) -> Any:
    for item in items:
        if item.name == name:
            return item
    known = ", ".join(item.name for item in items) or "none"
    raise ConfigError(f"no {kind} named {name!r} (known: {known})")


def _named(kind: str, index: int, data: Any) -> tuple[Mapping[str, Any], str, str]:
    """A list item that must be a mapping with a name: (item, name, where for its errors)."""
    where = f"{kind}[{index}]"
    data = _mapping(where, data)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: name: required")
    return data, name.strip(), f"{where} ({name}): "


def _unknown_key(data: Mapping[str, Any], allowed: Iterable[str]) -> str | None:
    """The message for the first key of ``data`` not in ``allowed``, or None when there is none."""
    allowed = set(allowed)
    unknown = sorted(set(data) - allowed)
    if unknown:
        return f"{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})"
    return None


def _check_keys(where: str, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    if (message := _unknown_key(data, allowed)) is not None:
        raise ConfigError(f"{where}{message}")


def check_keys(value: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """For converters of nested mappings (email settings, retry): ValueError on an unknown key."""
    if (message := _unknown_key(value, allowed)) is not None:
        raise ValueError(message)


def _default(cls: type, name: str) -> Any:
    """The default of dataclass ``cls``'s field ``name``: defaults live in the dataclasses alone."""
    default = cls.__dataclass_fields__[name]  # type: ignore[attr-defined]
    return default.default if default.default is not MISSING else default.default_factory()


def _option(where: str, data: Mapping[str, Any], key: str, convert: Callable[[Any], Any], cls: type) -> Any:
    """``data[key]`` converted, or the default of ``cls``'s field of that name when it is absent."""
    return _convert(where, key, data[key], convert) if key in data else _default(cls, key)


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


def boolean_value(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def text_value(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _term(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{value!r} is not a term (a word, a phrase or a prefix*)")
    return text_value(str(value))


def _interval(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds < 1:
        raise ValueError(f"{value!r} is shorter than the shortest interval, 1s")
    return seconds


def http_url_value(value: Any) -> str:
    """An http(s) URL that can be fetched; ValueError saying why not (a port out of range, say)."""
    problem = url_problem(value) if isinstance(value, str) else "not an http(s) link"
    if problem is None:
        return value
    detail = "" if problem.startswith("not an") else f": {problem}"
    raise ValueError(f"{value!r} is not an http(s) URL{detail}")


_LABEL = r"[a-z0-9_]([a-z0-9_-]*[a-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?")


def _hosts(value: Any) -> tuple[str, ...]:
    import ipaddress

    hosts = []
    for item in value if isinstance(value, list) else [value]:
        text = item.strip().lower() if isinstance(item, str) else ""
        try:
            ipaddress.ip_network(text.strip("[]"), strict=False)
        except ValueError:
            if not _HOSTNAME.fullmatch(text):
                raise ValueError(
                    f"{item!r} is not a host name, an IP address or a network such as 10.0.0.0/8"
                ) from None
        hosts.append(text)
    return tuple(hosts)


_FETCH_KEYS = {
    "timeout": parse_duration,
    "max_page_size": parse_size,
    "user_agent": text_value,
    "concurrency": _positive_int,
    "per_host": _positive_int,
    "retries": _non_negative_int,
    "robots": boolean_value,
    "delay": parse_duration,
    "autothrottle": boolean_value,
    "max_retry_wait": parse_duration,
    "contact": http_url_value,
    "workers": _positive_int,
    "allow_hosts": _hosts,
    "allow_private": boolean_value,
}


def _parse_fetch(data: Any) -> FetchConfig:
    data = _mapping("fetch", data or {})
    _check_keys("fetch: ", data, set(_FETCH_KEYS))
    values = {k: _convert("fetch: ", k, v, _FETCH_KEYS[k]) for k, v in data.items()}
    return FetchConfig(**values)


def _parse_source(index: int, data: Any, defaults: Mapping[str, Any]) -> Source:
    data, name, where = _named("sources", index, data)
    _check_keys(where, data, {"name", *SOURCE_KINDS, "links", "every", "cron", "follow", "max_age", "robots"})
    kinds = [k for k in SOURCE_KINDS if k in data]
    if len(kinds) != 1:
        raise ConfigError(f"{where}give exactly one of feed:, sitemap: or page: with its URL")
    kind = kinds[0]
    try:
        url = http_url_value(data[kind])
    except ValueError as error:
        raise ConfigError(f"{where}{kind}: {error}") from None
    links = data.get("links")
    if kind == "page" and not links:
        raise ConfigError(f"{where}links: required for a page source")
    if kind != "page" and links:
        raise ConfigError(f"{where}links: only page sources take a links selector")
    if links:
        _convert(where, "links", links, _css_selector)
    every = _convert(where, "every", data["every"], _interval) if "every" in data else defaults["every"]
    follow = (
        _convert(where, "follow", data["follow"], boolean_value) if "follow" in data else defaults["follow"]
    )
    cron = data.get("cron", None if "every" in data else defaults["cron"])
    if cron is not None:
        cron = _convert(where, "cron", cron, _crontab)
    max_age = data.get("max_age", defaults["max_age"])
    if max_age is None and kind == "sitemap":
        max_age = SITEMAP_MAX_AGE
    if max_age is not None:
        max_age = _convert(where, "max_age", max_age, _interval)
    robots = _option(where, data, "robots", boolean_value, Source)
    return Source(
        name=name, kind=kind, url=url, links=links, every=every, follow=follow, cron=cron,
        max_age=max_age, robots=robots,
    )  # fmt: skip


def _crontab(value: Any) -> str:
    from apscheduler.triggers.cron import CronTrigger

    text = text_value(value)
    try:
        CronTrigger.from_crontab(text)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a crontab expression such as '*/10 * * * *' ({error})") from None
    return text


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = text_value(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not a time zone such as UTC or America/Mexico_City") from None
    return text


def _css_selector(value: Any) -> str:
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(text_value(value))
    except SelectorError as error:
        raise ValueError(f"{value!r} is not a CSS selector ({error})") from None
    return value


def _langs(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    codes = []
    for item in values:
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z]{2,3}", item.strip()):
            raise ValueError(f"{item!r} is not a language code such as en or es")
        codes.append(item.strip().lower())
    if not codes:
        raise ValueError("must list at least one language code such as en or es")
    return tuple(codes)


def _parse_rule(index: int, data: Any) -> Rule:
    data, name, where = _named("rules", index, data)
    _check_keys(where, data, {"name", "terms", "query", "lang"})
    if ("terms" in data) == ("query" in data):
        raise ConfigError(f"{where}give exactly one of terms: or query:")
    langs = _convert(where, "lang", data["lang"], _langs) if "lang" in data else None
    try:
        if "query" in data:
            query = _convert(where, "query", data["query"], text_value)
            return Rule(name, parse_query(query), query=query, langs=langs)
        terms = data["terms"]
        if not isinstance(terms, list) or not terms:
            raise ConfigError(f"{where}terms: must be a non-empty list")
        terms = tuple(_convert(where, "terms", t, _term) for t in terms)
        return Rule(name, terms_query(terms), terms=terms, langs=langs)
    except QueryError as error:
        key = "query" if "query" in data else "terms"
        raise ConfigError(f"{where}{key}: {error}") from None


def _expand(value: Any, where: str) -> Any:
    """Replace ``${VAR}`` in every string with the environment's value; ConfigError if unset."""
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{where}: environment variable {name} is not set")
            return os.environ[name]

        return _ENV.sub(lookup, value)
    if isinstance(value, list):
        return [_expand(v, _item_where(where, i, v)) for i, v in enumerate(value, 1)]
    if isinstance(value, Mapping):
        prefix = f"{where}: " if where else ""
        return {k: _expand(v, f"{prefix}{k}") for k, v in value.items()}
    return value


def _item_where(where: str, index: int, value: Any) -> str:
    name = value.get("name") if isinstance(value, Mapping) else None
    return f"{where}[{index}]" + (f" ({name})" if isinstance(name, str) else "")


def _retry(value: Any) -> RetryPolicy:
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping with first, max and attempts")
    check_keys(value, {"first", "max", "attempts"})
    converted = {}
    for key, convert in (("first", parse_duration), ("max", parse_duration), ("attempts", _positive_int)):
        try:
            converted[key] = convert(value[key]) if key in value else _default(RetryPolicy, key)
        except ValueError as error:
            raise ValueError(f"{key}: {error}") from None
    return RetryPolicy(**converted)


def _parse_hook(index: int, data: Any, rule_names: set[str], kinds: Mapping[str, HookKind] | None) -> Hook:
    data, name, where = _named("hooks", index, data)
    if kinds is None:  # no registry: the one key that is not a common option names the kind, unchecked
        found = [k for k in data if k not in HOOK_OPTIONS | {"secret"}]
        if len(found) != 1:
            raise ConfigError(f"{where}give exactly one hook kind with its target")
        kind, options, parse = found[0], frozenset({"secret"}), None
    else:
        found = [k for k in data if k in kinds]
        if len(found) != 1:
            raise ConfigError(f"{where}give exactly one of {', '.join(f'{k}:' for k in kinds)}")
        kind = found[0]
        options, parse = kinds[kind].options, kinds[kind].parse
        for key in sorted({o for other in kinds.values() for o in other.options} - options):
            if key in data:
                takers = ", ".join(k for k, other in kinds.items() if key in other.options)
                raise ConfigError(f"{where}{key}: only {takers} hooks take this key")
        _check_keys(where, data, HOOK_OPTIONS | options | {kind})
    rules = data.get("rules")
    if rules is not None:
        if not isinstance(rules, list) or not rules:
            raise ConfigError(f"{where}rules: must be a non-empty list of rule names")
        for rule in rules:
            if rule not in rule_names:
                raise ConfigError(f"{where}rules: no rule named {rule!r}")
        rules = tuple(rules)
    return Hook(
        name=name,
        kind=kind,
        target=_convert(where, kind, data[kind], parse) if parse is not None else data[kind],
        rules=rules,
        secret=_option(where, data, "secret", text_value, Hook) if "secret" in options else None,
        timeout=_option(where, data, "timeout", parse_duration, Hook),
        digest=_option(where, data, "digest", _interval, Hook),
        retry=_option(where, data, "retry", _retry, Hook),
        updates=_option(where, data, "updates", boolean_value, Hook),
    )


def _unique(kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names, 1):
        if name in seen:
            raise ConfigError(f"{kind}[{index}] ({name}): name: duplicate of an earlier {kind[:-1]}")
        seen.add(name)


class _Errors:
    """The errors of one config file, each with its place in the file, reported together."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.order = {key: n for n, key in enumerate(data)}  # top-level keys in file order
        self.found: list[tuple[int, int, str]] = []

    def attempt(self, key: str, index: int, parse: Callable[[], Any], default: Any = None) -> Any:
        """``parse()``, or ``default`` when it raises ConfigError (kept, at ``key``, item ``index``)."""
        try:
            return parse()
        except ConfigError as error:
            self.found.append((self.order.get(key, len(self.order)), index, str(error)))
            return default

    def add(self, key: str, message: str) -> None:
        """An error found at top-level ``key``."""
        self.found.append((self.order.get(key, len(self.order)), 0, message))

    def raise_any(self) -> None:
        if self.found:
            raise ConfigErrors([message for *_, message in sorted(self.found)])


def parse_config(data: Any, path: Path, hook_kinds: Mapping[str, HookKind] | None = None) -> Config:
    """Check a loaded YAML document and build the Config; ConfigError names what is wrong (every
    error of the file, in file order: ConfigErrors when there is more than one).

    ``hook_kinds`` (``jobs.hooks.HOOKS``) checks each hook's target; without it, targets are kept
    as written.
    """
    data = _expand(_mapping("config", data if data is not None else {}), "")
    errors = _Errors(data)
    allowed = {"database", "fetch", "defaults", "sources", "rules", "hooks", "timezone", "health", "stories"}
    for key in data:
        if (message := _unknown_key({key: None}, allowed)) is not None:
            errors.add(key, message)
    defaults = errors.attempt("defaults", 0, lambda: _parse_defaults(data.get("defaults")), {})
    defaults = {**{k: _default(Source, k) for k in ("every", "follow", "cron", "max_age")}, **defaults}
    health = errors.attempt("health", 0, lambda: _mapping("health", data.get("health") or {}), {})
    errors.attempt("health", 0, lambda: _check_keys("health: ", health, {"stale_after", "max_failures"}))
    database = errors.attempt(
        "database", 0, lambda: _convert("", "database", data.get("database", DEFAULT_DATABASE), text_value)
    )
    lists = {}
    for key in ("sources", "rules", "hooks"):
        value = data.get(key) or []
        if not isinstance(value, list):
            errors.add(key, f"{key}: must be a list")
            value = []
        lists[key] = value
    sources = [
        errors.attempt("sources", i, lambda i=i, s=s: _parse_source(i, s, defaults))
        for i, s in enumerate(lists["sources"], 1)
    ]
    rules = [
        errors.attempt("rules", i, lambda i=i, r=r: _parse_rule(i, r))
        for i, r in enumerate(lists["rules"], 1)
    ]
    errors.attempt("sources", 0, lambda: _unique("sources", [s.name for s in sources if s]))
    errors.attempt("rules", 0, lambda: _unique("rules", [r.name for r in rules if r]))
    # A hook naming a rule whose definition is wrong is not wrong itself: all names count.
    rule_names = {r.name for r in rules if r} | {r.get("name") for r in lists["rules"] if isinstance(r, dict)}
    hooks = [
        errors.attempt("hooks", i, lambda i=i, h=h: _parse_hook(i, h, rule_names, hook_kinds))
        for i, h in enumerate(lists["hooks"], 1)
    ]
    errors.attempt("hooks", 0, lambda: _unique("hooks", [h.name for h in hooks if h]))
    fetch = errors.attempt("fetch", 0, lambda: _parse_fetch(data.get("fetch")))
    options = {
        "timezone": errors.attempt("timezone", 0, lambda: _option("", data, "timezone", _timezone, Config)),
        "stories": errors.attempt("stories", 0, lambda: _option("", data, "stories", _stories, Config)),
        "stale_after": errors.attempt(
            "health", 0, lambda: _option("health: ", health, "stale_after", parse_duration, Config)
        ),
        "max_failures": errors.attempt(
            "health", 0, lambda: _option("health: ", health, "max_failures", _positive_int, Config)
        ),
    }
    errors.raise_any()
    return Config(
        path=path,
        database=(path.parent / os.path.expanduser(database)).resolve(),
        fetch=fetch,
        sources=tuple(sources),
        rules=tuple(rules),
        hooks=tuple(hooks),
        **options,
    )


def warnings(config: Config) -> list[str]:
    """What makes a valid config useless to run: ``check`` warns of it, ``run`` refuses to start."""
    found = []
    if not config.sources:
        found.append("no sources: nothing to crawl (add sources:, which tradewatch discover URL finds)")
    if not config.rules:
        found.append("no rules: nothing would be flagged (add rules:, see the README's rule language)")
    return found


def _parse_defaults(value: Any) -> dict[str, Any]:
    """The ``defaults:`` given (the dataclass defaults fill the rest)."""
    defaults = _mapping("defaults", value or {})
    _check_keys("defaults: ", defaults, {"every", "cron", "follow", "max_age"})
    converters = {"max_age": _interval, "every": _interval, "follow": boolean_value, "cron": _crontab}
    return {
        key: _option("defaults: ", defaults, key, convert, Source)
        for key, convert in converters.items()
        if defaults.get(key) is not None
    }


def _yaml_problem(error: yaml.YAMLError) -> str:
    """What is wrong in a YAML file, and where: PyYAML's problem mark, or, when the problem is the
    end of the file (an unclosed quote or bracket), where the unclosed thing began."""
    problem = getattr(error, "problem", None) or "invalid YAML"
    mark, context = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    what = re.sub(r"^while (scanning|parsing) ", "", getattr(error, "context", None) or "")
    at_end = "end of stream" in problem or "<stream end>" in problem
    if context is not None and what and at_end and (mark is None or context.line < mark.line):
        start = f"line {context.line + 1}, column {context.column + 1}"
        return f"{what} at {start} is not closed by the end of the file"
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    if context is not None and what and mark is not None and context.line != mark.line:
        where += f" (in {what} from line {context.line + 1})"
    return f"{problem}{where}"


def load_config(
    path: str | os.PathLike[str],
    hook_kinds: Mapping[str, HookKind] | None = None,
    database: str | os.PathLike[str] | None = None,
) -> Config:
    """Read and check the config file at ``path`` (``hook_kinds``: see ``parse_config``);
    ``database`` (the command line's ``--database``) replaces the file's."""
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
        raise ConfigError(f"{path}: {_yaml_problem(error)}") from None
    config = parse_config(data, path.absolute(), hook_kinds)
    return replace(config, database=Path(database).resolve()) if database is not None else config
