"""How common a word is in the news of English and Spanish, before the store has counted anything.

From ``wordfreq``'s small word lists (the words seen at least once per million words, its
maintained mix of news, subtitles, Wikipedia and the web), folded as tradewatch folds text
(``México`` and ``mexico`` are one word, at the frequency of the commoner spelling), the
commoner of the two languages: a word common in either says little of one event. Loaded once
per process, on first use, in the writer (``bench/stories.py --part cost`` says what it costs).
"""

from __future__ import annotations

import math
from functools import lru_cache

from crawler.text import fold_text

LANGUAGES = ("en", "es")
KEPT = 10**-5.5  # rarer words are kept out (a zipf of 3.5): to the store they are all rare


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, float]:
    from wordfreq import cB_to_freq, get_frequency_list

    table: dict[str, float] = {}
    for lang in LANGUAGES:
        # Its words by frequency, commonest first, in buckets of one centibel each.
        for index, bucket in enumerate(get_frequency_list(lang, wordlist="small")):
            if (frequency := cB_to_freq(-index)) < KEPT:
                break
            for word in bucket:
                key = fold_text(word)
                if frequency > table.get(key, 0.0):
                    table[key] = frequency
    get_frequency_list.cache_clear()  # wordfreq keeps each list it read: ours is all we need of it
    return table


def frequency(folded: str) -> float:
    """The share of words in the news that are ``folded`` (a folded word), in its commoner
    language; 0 for a word rarer than ``KEPT`` (a name of this week's news)."""
    return _frequencies().get(folded, 0.0)


def zipf(folded: str) -> float:
    """``frequency`` on the Zipf scale (log10 per billion words: 3 is once per million, 6 "the"-like)."""
    found = frequency(folded)
    return math.log10(found) + 9 if found else 0.0
