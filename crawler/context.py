"""What a crawl shares between its spider and its pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.config import FetchConfig, Hook, Rule, rule_nodes
from crawler.extract import Analyser
from crawler.pool import AnalysisPool
from crawler.report import CrawlReport
from crawler.rules import Match
from crawler.store import Store


@dataclass
class CrawlContext:
    """The store, the rules and the report of one crawl, plus entries in flight."""

    store: Store
    rules: tuple[Rule, ...]
    hooks: tuple[Hook, ...]
    fetch: FetchConfig
    report: CrawlReport
    pool: AnalysisPool
    analyser: Analyser = field(init=False)
    _by_lang: dict[str, Rule] = field(init=False)  # rules with a lang: list, by name
    # key (normalised URL or feed id) -> the URL of the entry in flight that claimed it
    _claims: dict[str, str] = field(default_factory=dict)
    # URL in flight -> more keys that turned out to name the same entry
    _extra: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.analyser = Analyser(rule_nodes(self.rules))
        self._by_lang = {rule.name: rule for rule in self.rules if rule.langs is not None}

    def applicable(self, matches: tuple[Match, ...], lang: str | None) -> tuple[Match, ...]:
        """The matches of rules that apply to an article in ``lang`` (a rule's ``lang:`` list)."""
        if not self._by_lang:
            return matches
        return tuple(
            m for m in matches if m.rule not in self._by_lang or self._by_lang[m.rule].applies_to(lang)
        )

    def alerts_owed(self, matches: tuple[Match, ...]) -> list[tuple[str, list[str]]]:
        """(hook, rules it follows) for each hook that follows at least one matched rule."""
        owed = []
        for hook in self.hooks:
            rules = [m.rule for m in matches if hook.follows(m.rule)]
            if rules:
                owed.append((hook.name, rules))
        return owed

    def claim(self, url: str, keys: list[str]) -> bool:
        """Claim an entry for this crawl; False (and its keys kept) if another entry has it."""
        holder = next((self._claims[k] for k in keys if k in self._claims), None)
        if holder is not None:
            self._extra[holder].extend(keys)
            return False
        for key in keys:
            self._claims[key] = url
        self._extra[url] = []
        return True

    def release(self, url: str) -> list[str]:
        """The extra keys gathered for the entry at ``url``, once it is stored."""
        return self._extra.pop(url, [])
