"""Stories: every stored article joins the story it tells, or starts one.

The package: ``signature`` (pure, in the analysis workers), ``decision`` (pure: the evidence
weighed), ``index`` (every SQL of the story tables), ``tuning`` (the numbers, with where each came
from) and ``facts`` (the kinds of fact). Two halves, so that the costly part runs where pages are
read:

- ``signature()`` runs in the analysis workers: the article's blocks (its title and sentences),
  each with its facts (names, figures, long words, the rules it matched, and how each is
  printed) and a consistent sample of its word shingles (those whose hash is 0 modulo
  ``Tuning.sample``, so that two texts keep the same ones and their containment is estimated without
  bias).
- ``Grouper.decide()`` runs in the single writer, in the article's transaction, before the
  article is inserted: it looks up candidates through indexed keys within the window and
  explains why the article joins one (or none); ``Grouper.record()`` keeps the decision and the
  keys by which later copies will find the article.

Evidence, strongest first (one line of it is kept per article in ``story_links``):

- ``exact copy``: the same extracted text;
- ``wire copy``: most of the shorter text's sampled shingles are in the other (trimmed, with a
  lede or a reaction paragraph, lightly edited);
- ``shared facts``: an IDF-weighted share of the facts both name (rewrites; translations, where
  only names, figures and rule concepts count, since words do not survive translation);
- ``same title``: for items without text, the same title once an outlet suffix is removed,
  from another outlet.

What a source repeats (a newsletter's disclaimer, a recurring column's headline) is learnt per
source, sentence by sentence, and left out of the comparison; facts in more than ``Tuning.common`` of
all articles are discounted.
"""

from crawler.stories.decision import Decision, Link
from crawler.stories.facts import Fact
from crawler.stories.index import Frequencies, Grouper, pack
from crawler.stories.signature import Block, Signature, signature, title_key
from crawler.stories.tuning import TUNING, WINDOW, Tuning

FLUSH = TUNING.flush

__all__ = [
    "FLUSH",
    "TUNING",
    "WINDOW",
    "Block",
    "Decision",
    "Fact",
    "Frequencies",
    "Grouper",
    "Link",
    "Signature",
    "Tuning",
    "pack",
    "signature",
    "title_key",
]
