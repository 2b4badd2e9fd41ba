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
from typing import Any

from crawler.stories.facts import NEUTRAL, SOFT, STRONG, Fact, Key
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
    strong: list[str]  # the names and figures shared, as a reason prints them
    neutral: bool  # across languages


def common_limit(total: int, tuning: Tuning = TUNING) -> float:
    """The number of articles a fact may be in and still tell stories apart."""
    return max(tuning.common_floor, tuning.common * total)


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


def common(
    facts: Iterable[str], counts: dict[str, int], total: int, tuning: Tuning = TUNING
) -> frozenset[str]:
    """The facts in too many stored articles to tell stories apart."""
    limit = common_limit(total, tuning)
    return frozenset(f for f in facts if counts.get(f, 0) > limit)


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
    if shorter >= tuning.wire_samples and shared / shorter >= tuning.wire:
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
) -> list[Worth]:
    """The candidates sharing enough rare facts to be weighed (which costs a look-up of their
    counts), those sharing the most first. Between languages only names, figures and rules count."""
    worth = []
    for other, mine in comparable:
        across = lang != other.lang
        shared = (mine & other.facts) - common
        if across:
            mine, shared = neutral(mine), neutral(shared)
        strong = sorted(f[2:] for f in shared if f[0] in STRONG)
        facts = [f for f in shared if f[0] != Fact.RULE]  # the rules' concepts every article shares
        names = sum(f[0] == Fact.NAME for f in shared)
        if len(facts) >= tuning.min_shared and names >= tuning.min_names:
            worth.append(Worth(other, mine - common, shared, strong, across))
    return sorted(worth, key=lambda w: (-len(w.shared), w.other.article_id))[: tuning.weighed]


def score_rewrites(
    worth: Sequence[Worth], counts: dict[str, int], total: int, tuning: Tuning = TUNING
) -> list[Found]:
    """The shortlisted candidates scored on the rare facts both name, IDF-weighted, against the facts
    of the one that names fewer (a rewrite from ``tuning.facts``). ``counts`` holds the counts of
    every fact of the article and of the candidates."""
    limit = common_limit(total, tuning)
    rarest = math.log(total + 1) + 1
    idf = {f: math.log((total + 1) / (n + 1)) + 1 for f, n in counts.items() if n <= limit}
    soft = tuning.word_weight

    def weight(facts: Iterable[str]) -> float:
        return sum(idf.get(f, rarest) * (soft if f[0] in SOFT else 1.0) for f in facts)

    scored = []
    for w in worth:
        theirs = frozenset(f for f in w.other.facts if counts.get(f, 0) <= limit)
        if w.neutral:
            theirs = neutral(theirs)
        # Against the smaller side, but no less than half the larger: a short item whose few facts
        # all appear in a long article is not thereby its story.
        smaller, larger = sorted((weight(w.mine), weight(theirs)))
        score = weight(w.shared) / (max(smaller, tuning.balance * larger) or 1.0)
        across = ", across languages" if w.neutral else ""
        detail = f"{len(w.shared)} facts of article {w.other.article_id} ({', '.join(w.strong[:5])}{across})"
        scored.append(Found(2, round(score, 3), w.other, "shared facts", detail))
    return scored


def choose(found: Sequence[Found], rewrites: Sequence[Found], tuning: Tuning = TUNING) -> Found | None:
    """The strongest evidence (rank, then score); a rewrite counts from ``tuning.facts``."""
    eligible = [*found, *(r for r in rewrites if r.score >= tuning.facts)]
    return max(eligible, key=lambda f: (f.rank, f.score), default=None)


def no_copy_reason(rewrites: Sequence[Found]) -> str:
    """The reason of a new story: no copy, and the closest score."""
    nearest = max((r.score for r in rewrites), default=None)
    closest = f" (closest: shared facts {nearest:.2f})" if nearest is not None else ""
    return "no copy within the window" + closest


def join_reason(found: Found) -> str:
    """The one line a joined article's link gives."""
    return f"{found.evidence}: {found.detail}, score {found.score:.2f}"
