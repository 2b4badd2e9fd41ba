"""Kinds of fact: what a story signature's facts and look-up keys are, by the letter they start with.

A fact is stored as ``<kind>:<folded text>`` (``n:sheinbaum``, ``d:25``), in ``story_signatures``,
``story_facts`` and ``story_keys``; the kinds here are the one place those letters are spelt.
"""

from __future__ import annotations

from enum import StrEnum


class Fact(StrEnum):
    """The kind of a fact (its first letter)."""

    WORD = "w"  # a long lowercase word: counts only between articles of one language
    NAME = "n"  # a capitalised word that is a name (not a function word, a month, a title)
    FIGURE = "d"  # a figure of two digits or more
    RULE = "r"  # a matched rule: its terms' aliases are one concept (USMCA, T-MEC, CUSMA)

    def of(self, text: str) -> str:
        """The fact of this kind for ``text`` (already folded)."""
        return f"{self.value}:{text}"


class Key(StrEnum):
    """Look-up keys besides facts."""

    TITLE = "t"  # the folded title without an outlet suffix
    TEXT = "h"  # the text's content hash

    def of(self, text: str) -> str:
        return f"{self.value}:{text}"


def kind(fact: str) -> str:
    """The kind letter of a fact (compare with ``Fact`` members: they are strings)."""
    return fact[0]


NEUTRAL = frozenset({Fact.NAME, Fact.FIGURE, Fact.RULE})  # what survives translation
STRONG = frozenset({Fact.NAME, Fact.FIGURE})  # what a reason names: specific to an event
SOFT = frozenset({Fact.WORD, Fact.RULE})  # what weighs WORD_WEIGHT: shared by many stories
PRINTED = frozenset({Fact.NAME, Fact.WORD})  # printed words a rule's terms can stand for
