"""Kinds of fact: what a story signature's facts and look-up keys are, by the letter they start with.

A fact is stored as ``<kind>:<folded text>`` (``n:sheinbaum``, ``p:25``, ``c:04-17``), in
``story_signatures``, ``story_facts`` and ``story_keys``; the kinds here are the one place those
letters are spelt, and the sets below say what each kind proves.
"""

from __future__ import annotations

from enum import StrEnum


class Fact(StrEnum):
    """The kind of a fact (its first letter)."""

    WORD = "w"  # a long lowercase word: counts only between articles of one language
    NAME = "n"  # a capitalised word that is a name (not a function word, a month, a title, a place)
    PLACE = "g"  # a country, region or capital, by its ISO code (crawler.places): USA, CA-ON, EUN
    FIGURE = "d"  # a plain figure of two digits or more, not a year: 14000 (14,000 and 14.000)
    PERCENT = "p"  # a percentage: 17 (17%, 17 por ciento, 17 percent), 2.5 (2,5 %)
    AMOUNT = "m"  # an amount of money or a figure with its magnitude: 172000000000 (172 billion)
    DATE = "c"  # a calendar day: 04-17 (17 de abril, April 17)
    YEAR = "y"  # a year printed alone: 2025
    QUOTE = "q"  # a quoted phrase of four words or more, by a hash of its folded words
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


# What survives translation: all but words and quotes (a translation words them its own way).
NEUTRAL = frozenset(Fact) - {Fact.WORD, Fact.QUOTE}
# What belongs to one event: a join on shared facts needs one of these, and its reason names them.
EVENT = frozenset({Fact.NAME, Fact.FIGURE, Fact.PERCENT, Fact.AMOUNT, Fact.DATE, Fact.QUOTE})
# What describes the desk's subject, not an event (every trade story names them): never alone.
SUBJECT = frozenset({Fact.PLACE, Fact.RULE, Fact.YEAR})
SOFT = frozenset({Fact.WORD, *SUBJECT})  # what weighs WORD_WEIGHT: shared by many stories
PRINTED = frozenset({Fact.NAME, Fact.WORD})  # printed words a rule's terms can stand for


# Trade agreements by the names the news gives them (folded), as one concept each, of the RULE kind:
# like the rules' own concepts, they are the desk's subject (T-MEC and USMCA are one, and no event).
AGREEMENTS = {
    **dict.fromkeys(["usmca", "t-mec", "tmec", "cusma", "aceum"], "usmca"),
    **dict.fromkeys(["nafta", "tlcan", "alena"], "nafta"),
    **dict.fromkeys(["wto", "omc", "gatt"], "wto"),
    **dict.fromkeys(["cptpp", "tpp", "tipat"], "cptpp"),
    **dict.fromkeys(["mercosur", "mercosul"], "mercosur"),
}

# The press itself: agencies and outlets that sign or are cited in stories of every kind, named in
# many stories at once, so no evidence of one event (folded, as names are).
_PRESS = """efe reuters afp ap bloomberg notimex xinhua dpa ansa ips apnews excelsior milenio reforma
eluniversal jornada proceso cnn bbc nyt wsj cnbc axios politico forbes infobae televisa univision
telemundo expansion eleconomista elfinanciero elpais"""
PRESS = frozenset(_PRESS.split())


def describe(fact: str) -> str:
    """A fact as a reason prints it: ``17%``, ``$172,000,000,000``, ``04-17``, ``a quote``, ``ebrard``."""
    kind, text = fact[0], fact[2:]
    if kind == Fact.PERCENT:
        return f"{text}%"
    if kind == Fact.AMOUNT:
        return f"{float(text):,.0f}" if float(text) >= 1000 else text
    if kind == Fact.QUOTE:
        return "a quote"
    return text
