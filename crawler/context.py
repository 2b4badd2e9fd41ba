"""What one crawl shares between its spider, its pipelines and its extensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crawler.admission import Admission
from crawler.config import FetchConfig, Hook, Rule, Source, StoriesConfig, rule_nodes
from crawler.extract import Analyser
from crawler.outbox import Owed
from crawler.pool import AnalysisPool
from crawler.report import CrawlReport
from crawler.rules import Match
from crawler.store import SourceState, Store


@dataclass
class CrawlContext:
    """The store, rules, hooks and report of one crawl of ``sources``, and its admission."""

    store: Store
    rules: tuple[Rule, ...]
    hooks: tuple[Hook, ...]
    fetch: FetchConfig
    report: CrawlReport
    pool: AnalysisPool
    sources: Sequence[Source]
    states: Mapping[str, SourceState]  # as the store kept them when the crawl began
    stories: StoriesConfig = field(default_factory=StoriesConfig)
    admission: Admission = field(init=False)
    analyser: Analyser = field(init=False)
    _by_lang: dict[str, Rule] = field(init=False)  # rules with a lang: list, by name

    def __post_init__(self) -> None:
        self.admission = Admission(self.store, self.sources, self.states)
        self.analyser = Analyser(rule_nodes(self.rules), signatures=self.stories.grouping)
        self._by_lang = {rule.name: rule for rule in self.rules if rule.langs is not None}

    def applicable(self, matches: tuple[Match, ...], lang: str | None) -> tuple[Match, ...]:
        """The matches of rules that apply to an article in ``lang`` (a rule's ``lang:`` list)."""
        if not self._by_lang:
            return matches
        return tuple(
            m for m in matches if m.rule not in self._by_lang or self._by_lang[m.rule].applies_to(lang)
        )

    def alerts_owed(self, matches: tuple[Match, ...]) -> list[Owed]:
        """What each hook following at least one matched rule is owed; the story decides the rest."""
        owed = []
        for hook in self.hooks:
            rules = [m.rule for m in matches if hook.follows(m.rule)]
            if rules:
                owed.append(Owed(hook.name, rules, hook.updates))
        return owed
