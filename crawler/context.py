"""What one crawl shares between its spider, its pipelines and its extensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crawler.admission import Admission
from crawler.config import FetchConfig, Hook, Rule, Source, StoriesConfig, rule_nodes
from crawler.extract import Analyser
from crawler.ingest import Ingest
from crawler.pool import AnalysisPool
from crawler.report import CrawlReport
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
    ingest: Ingest = field(init=False)  # the write path (crawler.ingest)

    def __post_init__(self) -> None:
        self.admission = Admission(self.store, self.sources, self.states)
        self.analyser = Analyser(rule_nodes(self.rules), signatures=self.stories.grouping)
        self.ingest = Ingest(self.rules, self.hooks, self.stories.window)
