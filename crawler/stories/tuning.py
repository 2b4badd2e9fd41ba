"""The numbers story grouping was tuned with, in one frozen object, each with where it came from.

Thresholds were set with ``bench/stories.py`` on the people-rated SemEval 2022 task 8 pairs of
``shared/corpus/stories/`` (train split) and checked on its two hash halves, on the synthetic wire
copies of the corpus articles and on the scenario of ``tests/test_stories.py``; costs were set
with ``bench/stories.py`` and ``bench/throughput.py`` (see docs and the CHANGELOG for the runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.config import StoriesConfig

_DEFAULT_WINDOW = StoriesConfig.window or 0.0  # its one home is the config's defaults


@dataclass(frozen=True)
class Tuning:
    """Story grouping's numbers; ``TUNING`` is the one in use."""

    window: float = _DEFAULT_WINDOW  # the config's default, crawler.config.StoriesConfig (stories.window)
    keep: float = 10 * 86400.0  # look-up keys and sentences are kept this long (at least 3 windows)
    shingle: int = 5  # words per shingle (wire copies: SemEval train, the synthetic copies)
    sample: int = 4  # shingles kept: hash 0 modulo this (containment estimates stay unbiased)
    wire: float = 0.5  # share of the shorter text's shingles in the other: a wire copy (synthetic copies)
    wire_samples: int = 8  # ... out of at least this many sampled shingles
    short_samples: int = 3  # ... or all of at least this many (a trimmed copy of two sentences)
    facts: float = 0.2  # weighted share of rare facts shared: a rewrite (SemEval train; 0.18 merges more)
    word_weight: float = 0.5  # a shared word (or rule) weighs this much of a shared name or figure
    balance: float = 0.4  # the facts of the smaller article weigh at least this share of the larger's
    min_shared: int = 3  # facts two articles must share (rare ones) for their facts to count
    min_names: int = 1  # ... of which names
    common: float = 0.03  # facts in more than this share of the articles (stored and prior) say nothing
    common_floor: int = 20  # ... and in more than this many: a fact of 20 articles may be one story's
    prior_articles: int = 1000  # the news wordfreq stands for, in articles, before the store's own counts
    prior_words: int = 200  # words of an article compared (body_chars): a word's frequency to its share
    event_zipf: float = 3.5  # a name commoner than this as a word (Rose, Garden, Trump) is no event's
    min_specific: int = 1  # event-specific facts (EVENT kinds, not common) a join on shared facts needs
    # The score a rewrite needs from the candidate's own outlet: an outlet telling its own story again
    # with no sentence in common is rare (a follow-up is the next event; its updates are wire copies).
    same_source: float = 0.9
    reprint: float = 0.8  # holding this share of an earlier article's blocks, from its source: a reprint
    block_chars: int = 40  # sentences from this long are tracked as a source's possible boilerplate
    title_words: int = 4  # a title to join on has at least this many words
    body_chars: int = 1300  # of a text, the part compared: the length of the SemEval texts (stop 16)
    weighed: int = 5  # candidates weighed on their facts, those sharing the most rare facts first
    candidates: int = 6  # articles compared (was 12: same SemEval and synthetic figures, stop 15)
    lookup_facts: int = 24  # the article's rarest facts looked up
    index_facts: int = 32  # facts by which an article can be found (was 64, stop 15)
    flush: int = 256  # articles whose fact counts are written at once (3% less CPU than 64, stop 16)


TUNING = Tuning()
WINDOW = TUNING.window
