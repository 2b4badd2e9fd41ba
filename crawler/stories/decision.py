"""The story decision, pure: a signature, its candidates and the fact counts in; evidence out.

No SQL here (``crawler.stories.index`` reads the candidates and counts and writes the outcome), so
each kind of evidence and each trap is tested on its own. Evidence, strongest first:

- ``exact copy``: the same extracted text;
- ``wire copy``: most of the shorter text's sampled shingles are in the other (trimmed, with a
  lede or a reaction paragraph, lightly edited);
- ``shared facts``: an IDF-weighted share of the rare facts both name (rewrites; translations,
  where only names, figures and rule concepts count, since words do not survive translation);
- ``same title``: for items without text, the same title once an outlet suffix is removed, from
  another outlet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crawler import words
from crawler.dates import from_iso
from crawler.stories.facts import EVENT, NEUTRAL, PRESS, PRINTED, SOFT, Fact, Key, describe
from crawler.stories.signature import Block, Signature
from crawler.stories.tuning import TUNING, Tuning

NOWHERE = frozenset({-1})  # the contexts of a fact with none (a rule's concept): printed nowhere


@dataclass(frozen=True)
class Link:
    """The decision on one article: the story it belongs to, and why."""

    story_id: int
    joined: int | None  # the article it was found to be a copy of; None: the story's first
    evidence: str  # exact copy, wire copy, shared facts, same title, new story, grouping off
    score: float | None
    reason: str  # one line a person can read

    @property
    def new(self) -> bool:
        """True when the article starts its story."""
        return self.joined is None


@dataclass
class Candidate:
    """A stored article that may tell the same story, as its signature was kept."""

    article_id: int
    story_id: int
    source: str
    outlet: str | None
    lang: str | None
    facts: frozenset[str]
    samples: frozenset[int]
    contexts: frozenset[int]
    title_key: str | None
    has_text: bool
    content_hash: str | None


@dataclass(frozen=True)
class Decision:
    """A story decided for an article not yet stored, and what ``Grouper.record`` keeps of it."""

    link: Link
    facts: frozenset[str] = frozenset()  # the article's facts, less its source's boilerplate
    samples: frozenset[int] = frozenset()  # its sampled shingles, likewise
    contexts: frozenset[int] = frozenset()  # how its facts are printed, likewise
    indexed: tuple[str, ...] = ()  # the facts by which later copies will find it


@dataclass(frozen=True)
class Found:
    """Evidence that an article is a copy of ``other``: the stronger ``rank``, then ``score``, wins."""

    rank: int  # 4 exact copy, 3 wire copy, 2 shared facts, 1 same title
    score: float
    other: Candidate
    evidence: str
    detail: str
    needed: float | None = None  # the score this evidence needs to count (shared facts)


@dataclass(frozen=True)
class Features:
    """What of a signature is compared, its source's boilerplate left out."""

    facts: frozenset[str]
    samples: frozenset[int]
    contexts: dict[str, set[int]]  # fact -> how it is printed

    @property
    def printed(self) -> frozenset[int]:
        return frozenset(c for seen in self.contexts.values() for c in seen)


@dataclass(frozen=True)
class Worth:
    """A candidate sharing enough rare facts to be weighed."""

    other: Candidate
    mine: frozenset[str]  # the article's facts compared with it, common ones out
    shared: frozenset[str]
    strong: list[str]  # the facts of one event shared, rarest first, as a reason prints them
    neutral: bool  # across languages


class Rarity:
    """How rare each fact is: the store's counts, on top of a prior from how common the word is in
    the news (``crawler.words``, standing for ``prior_articles`` articles), so that in a new store
    "president" is common and "Sheinbaum" rare from the first article."""

    def __init__(
        self, counts: dict[str, int], total: int, tuning: Tuning = TUNING, today: frozenset[str] = frozenset()
    ) -> None:
        self.counts, self.total, self.tuning = counts, total, tuning
        self.today = today  # the days around the article's publication (a dateline's): every story's
        self.articles = total + tuning.prior_articles
        self.limit = max(tuning.common_floor, tuning.common * self.articles)
        self._expected: dict[str, float] = {}

    def prior(self, fact: str) -> float:
        """The share of news articles a fact is expected in, before any is stored."""
        kind = fact[0]
        if kind in PRINTED:
            return min(words.frequency(fact[2:]) * self.tuning.prior_words, 0.5)
        return _PRIOR.get(kind, 0.0)

    def expected(self, fact: str) -> float:
        """The articles a fact is expected in: the store's count and the prior's."""
        if (found := self._expected.get(fact)) is None:
            found = self._expected[fact] = self.counts.get(fact, 0) + self.tuning.prior_articles * self.prior(
                fact
            )
        return found

    def common(self, fact: str) -> bool:
        """In too many articles to tell stories apart."""
        return self.expected(fact) > self.limit

    def idf(self, fact: str) -> float:
        return math.log((self.articles + 1) / (self.expected(fact) + 1)) + 1

    def specific(self, fact: str) -> bool:
        """Evidence of one event, not common: a name that is no common word, a figure of three
        digits or with decimals (30 is a count of anything), a percentage, an amount, a day (not
        the day it was published, nor the day either side: a dateline's), a quote."""
        kind, text = fact[0], fact[2:]
        if kind not in EVENT or fact in self.today or self.common(fact):
            return False
        if kind == Fact.NAME:
            return text not in PRESS and words.zipf(text) < self.tuning.event_zipf
        return kind != Fact.FIGURE or len(text) >= 3


# The prior share of articles of the kinds wordfreq does not know: every trade story names a
# place, a year and a rule; a figure, a day or a quote is as rare as the store says.
_PRIOR = {Fact.PLACE: 0.02, Fact.YEAR: 0.05, Fact.RULE: 0.1}


def neutral(facts: frozenset[str]) -> frozenset[str]:
    """The facts that survive translation: names, figures and rule concepts, not words."""
    return frozenset(f for f in facts if f[0] in NEUTRAL)


def tracked(block: Block, sig: Signature, tuning: Tuning = TUNING) -> bool:
    """Blocks long enough to be a source's boilerplate (and the title: a recurring column's)."""
    return block.chars >= tuning.block_chars or (block is sig.blocks[0] and block.chars > 0)


def own_keys(article: dict[str, Any], sig: Signature) -> list[str]:
    """The article's look-up keys besides its facts: its title's and its text's."""
    keys = [Key.TITLE.of(sig.title_key)] if sig.title_key else []
    if sig.has_text and article.get("content_hash"):
        keys.append(Key.TEXT.of(article["content_hash"]))
    return keys


def features(sig: Signature, boilerplate: set[str]) -> Features:
    """The facts, samples and contexts of the blocks that are not the source's boilerplate."""
    kept = [b for b in sig.blocks if b.digest not in boilerplate]
    contexts: dict[str, set[int]] = {}
    for block in kept:
        for fact, context in block.contexts:
            contexts.setdefault(fact, set()).add(context)
    return Features(
        frozenset(f for b in kept for f in b.facts), frozenset(s for b in kept for s in b.samples), contexts
    )


def days_around(published: str | None) -> frozenset[str]:
    """The calendar-day facts of the day an article was published and the days either side."""
    if not published:
        return frozenset()
    try:
        day = from_iso(published)
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(Fact.DATE.of(f"{d:%m-%d}") for d in (day + timedelta(days=n) for n in (-1, 0, 1)))


def common(
    facts: Iterable[str], counts: dict[str, int], total: int, tuning: Tuning = TUNING
) -> frozenset[str]:
    """The facts in too many articles (stored, or by their prior) to tell stories apart."""
    rarity = Rarity(counts, total, tuning)
    return frozenset(f for f in facts if rarity.common(f))


def lookup_facts(
    mine: frozenset[str], common: frozenset[str], counts: dict[str, int], tuning: Tuning = TUNING
) -> list[str]:
    """The rarest facts some stored article has (a fact no article has finds nothing), names and
    figures first: they are what a translation shares."""
    known = [f for f in mine - common if counts.get(f, 0)]
    return sorted(known, key=lambda f: (f[0] in SOFT, counts[f], f))[: tuning.lookup_facts]


def indexed_facts(mine: frozenset[str], counts: dict[str, int], tuning: Tuning = TUNING) -> tuple[str, ...]:
    """The facts by which later copies will find the article: names, figures and rules first."""
    return tuple(sorted(mine, key=lambda f: (f[0] == Fact.WORD, counts.get(f, 0), f))[: tuning.index_facts])


def copy_evidence(
    article: dict[str, Any],
    sig: Signature,
    samples: frozenset[int],
    other: Candidate,
    tuning: Tuning = TUNING,
) -> Found | None:
    """The evidence that ``other`` is a copy of the article (title, text or wire copy), if any."""
    if not (sig.has_text and other.has_text):
        same_outlet = (sig.outlet or article["source"]) == (other.outlet or other.source)
        if sig.title_key and sig.title_key == other.title_key and not same_outlet:
            return Found(1, 1.0, other, "same title", f"the title of article {other.article_id}")
        return None
    if article.get("content_hash") == other.content_hash:
        return Found(4, 1.0, other, "exact copy", f"the text of article {other.article_id}")
    shorter = min(len(samples), len(other.samples))
    shared = len(samples & other.samples)
    # A short text (a trimmed copy) is a copy when every sampled shingle of it is in the other.
    enough = shorter >= tuning.wire_samples or (shorter >= tuning.short_samples and shared == shorter)
    if enough and shared / shorter >= tuning.wire:
        detail = f"{shared} of {shorter} sampled shingles of article {other.article_id}"
        return Found(3, shared / shorter, other, "wire copy", detail)
    return None


def comparable_facts(mine: Features, other: Candidate) -> frozenset[str]:
    """The article's facts to weigh against ``other``: a fact both print in the same words says
    nothing of a rewrite (it is what a wire copy shares, or what an outlet prints under everything)."""
    printed = {f for f in mine.facts & other.facts if mine.contexts.get(f, NOWHERE) <= other.contexts}
    return mine.facts - printed


def shortlist(
    lang: str | None,
    comparable: Sequence[tuple[Candidate, frozenset[str]]],
    common: frozenset[str],
    tuning: Tuning = TUNING,
    rarity: Rarity | None = None,
) -> list[Worth]:
    """The candidates sharing enough rare facts to be weighed (which costs a look-up of their
    counts), those sharing the most first. Between languages only names, figures and rules count.
    Places, agreements, years and the rules' concepts describe the desk's subject: a candidate
    needs ``min_specific`` facts of one event besides (``Rarity.specific``)."""
    rarity = rarity if rarity is not None else Rarity({}, 0, tuning)
    worth = []
    for other, mine in comparable:
        across = lang != other.lang
        shared = (mine & other.facts) - common
        if across:
            mine, shared = neutral(mine), neutral(shared)
        specific = sorted((f for f in shared if rarity.specific(f)), key=lambda f: (rarity.expected(f), f))
        facts = [f for f in shared if f[0] != Fact.RULE]  # the rules' concepts every article shares
        names = sum(f[0] == Fact.NAME for f in shared)
        enough = len(facts) >= tuning.min_shared and names >= tuning.min_names
        if enough and len(specific) >= tuning.min_specific:
            worth.append(Worth(other, mine - common, shared, [describe(f) for f in specific], across))
    return sorted(worth, key=lambda w: (-len(w.shared), w.other.article_id))[: tuning.weighed]


def score_rewrites(
    worth: Sequence[Worth],
    counts: dict[str, int],
    total: int,
    tuning: Tuning = TUNING,
    source: str | None = None,
) -> list[Found]:
    """The shortlisted candidates scored on the rare facts both name, IDF-weighted, against the facts
    of the one that names fewer (a rewrite from ``tuning.facts``; from ``tuning.same_source`` when
    the candidate is of the article's own ``source``: an outlet's second article is more often the
    next event than a rewrite of itself). ``counts`` holds the counts of every fact of the article
    and of the candidates."""
    rarity = Rarity(counts, total, tuning)
    soft = tuning.word_weight

    def weight(facts: Iterable[str]) -> float:
        return sum(rarity.idf(f) * (soft if f[0] in SOFT else 1.0) for f in facts)

    scored = []
    for w in worth:
        theirs = frozenset(f for f in w.other.facts if not rarity.common(f))
        if w.neutral:
            theirs = neutral(theirs)
        # Against the smaller side, but no less than half the larger: a short item whose few facts
        # all appear in a long article is not thereby its story.
        smaller, larger = sorted((weight(w.mine), weight(theirs)))
        score = weight(w.shared) / (max(smaller, tuning.balance * larger) or 1.0)
        across = ", across languages" if w.neutral else ""
        own = source is not None and w.other.source == source
        detail = (
            f"{len(w.shared)} facts of article {w.other.article_id}"
            f"{' of the same source' if own else ''} ({', '.join(w.strong[:5])}{across})"
        )
        needed = tuning.same_source if own else tuning.facts
        scored.append(Found(2, round(score, 3), w.other, "shared facts", detail, needed))
    return scored


def choose(found: Sequence[Found], rewrites: Sequence[Found], tuning: Tuning = TUNING) -> Found | None:
    """The strongest evidence (rank, then score); a rewrite counts from the score it needs."""
    eligible = [*found, *(r for r in rewrites if r.score >= (r.needed or tuning.facts))]
    return max(eligible, key=lambda f: (f.rank, f.score), default=None)


def no_copy_reason(rewrites: Sequence[Found]) -> str:
    """The reason of a new story: no copy, and the closest score."""
    nearest = max((r.score for r in rewrites), default=None)
    closest = f" (closest: shared facts {nearest:.2f})" if nearest is not None else ""
    return "no copy within the window" + closest


def join_reason(found: Found) -> str:
    """The one line a joined article's link gives."""
    return f"{found.evidence}: {found.detail}, score {found.score:.2f}"
