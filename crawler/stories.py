"""Stories: every stored article joins the story it tells, or starts one.

Two halves, so that the costly part runs where pages are read:

- ``signature()`` runs in the analysis workers: the article's blocks (its title and sentences),
  each with its facts (names, figures, long words, the rules it matched, and how each is
  printed) and a consistent sample of its word shingles (those whose hash is 0 modulo
  ``SAMPLE``, so that two texts keep the same ones and their containment is estimated without
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
source, sentence by sentence, and left out of the comparison; facts in more than ``COMMON`` of
all articles are discounted.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from itertools import accumulate, pairwise
from typing import Any, NamedTuple

from crawler.dates import from_iso, iso
from crawler.text import fold_text

WINDOW = 3 * 86400.0  # the default: a story lives for days
KEEP = 10 * 86400.0  # look-up keys and sentences are kept this long (at least 3 windows)
SHINGLE = 5  # words per shingle
SAMPLE = 4  # shingles kept: those whose hash is 0 modulo this (containment estimates stay unbiased)
WIRE = 0.5  # share of the shorter text's shingles found in the other: a wire copy
WIRE_SAMPLES = 8  # ... out of at least this many sampled shingles
FACTS = 0.22  # weighted share of rare facts shared: the same story told again
WORD_WEIGHT = 0.5  # a shared word (or rule) weighs this much of a shared name or figure
BALANCE = 0.4  # the facts of the smaller article weigh at least this share of the larger's
MIN_SHARED = 4  # facts two articles must share (rare ones) for their facts to count
MIN_NAMES = 2  # ... of which names
COMMON = 0.03  # facts in more than this share of the articles stored say nothing
COMMON_FLOOR = 20  # ... and in more than this many: a fact of 20 articles may still be one story's
REPRINT = 0.8  # an article holding this share of an earlier one's blocks, from its source, prints it again
BLOCK_CHARS = 40  # sentences from this long are tracked as a source's possible boilerplate
TITLE_WORDS = 4  # a title to join on has at least this many words
BODY_CHARS = 1300  # of a text, the part compared: its lede (~200 words), as long as the texts tuned on
WEIGHED = 5  # candidates weighed on their facts, those sharing the most rare facts first
CANDIDATES = 6  # articles compared, those sharing the most keys first
LOOKUP_FACTS = 24  # the article's rarest facts looked up
INDEX_FACTS = 32  # facts by which an article can be found: its names, figures and rules first
FLUSH = 256  # articles whose fact counts are written to story_facts at once

_WORD = re.compile(r"\w+")
_JOINER = re.compile(r"(?<=\w)[-'’](?=\w)")
_JOINED = re.compile(r"\b[^\W\d_]\w*[-'’][\w'’-]*")  # a word with a hyphen or an apostrophe
_LOWER = "a-zß-öø-ÿ"  # Latin lowercase letters: English and Spanish words
_FIGURE = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?!\d)|\d+(?:[.,]\d+)?")
# Facts: long lowercase words, capitalised words as printed (Google's, Jean-Pierre), figures.
_FACT = re.compile(
    rf"\b(?:(?P<word>[{_LOWER}]{{7,}})(?![\w'’-])|(?P<name>[A-ZÀ-ÖØ-Þ][\w'’-]*)|(?P<number>{_FIGURE.pattern}))"
)
_JOINERS = {"word": "'’-", "name": "'’-", "number": ".,"}  # a fact after one of these is no fact
_SENTENCE_END = '.!?:"“”(«—\n'
_APOSTROPHE = re.compile(r"['’]")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[\"“«¿¡]?[^\W\d_])")
_SUFFIX = re.compile(r"\s+[-–—|]\s+[^-–—|]{1,60}$")  # " - Outlet" (Google News titles)


class Block(NamedTuple):
    """One sentence (or the title): its digest, facts and sampled shingle hashes (a tuple: it
    travels from the workers to the writer)."""

    digest: str
    facts: tuple[str, ...]
    samples: tuple[int, ...]
    chars: int
    contexts: tuple[tuple[str, int], ...] = ()  # (fact, how it is printed: see ``_Text.context``)


@dataclass(frozen=True)
class Signature:
    """What story grouping needs of an article, computed where it is analysed."""

    blocks: tuple[Block, ...]  # the title first
    title_key: str | None  # the folded title without an outlet suffix, when long enough to join on
    outlet: str | None  # the outlet a title suffix names
    has_text: bool


_fold = fold_text


@lru_cache(maxsize=1 << 16)
def _fold_word(word: str) -> str:
    return fold_text(word)


_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


def _after_hyphens(text: str, start: int, printed: str) -> list[str]:
    """The figures after the hyphens of a word printed at ``start`` of ``text``."""
    if "-" not in printed:
        return []
    found = []
    for index, char in enumerate(printed):
        if char == "-" and (figure := _FIGURE.match(text, start + index + 1)):
            found.append(figure.group())
    return found


def _number(printed: str) -> tuple[str, ...]:
    """A figure's fact (``d:14000``), if of two digits or more: 14,000 and 14.000 are one figure."""
    number = re.sub(r"[.,]", "", printed) if _THOUSANDS.fullmatch(printed) else printed.replace(",", ".")
    return ("d:" + number,) if len(number.replace(".", "")) >= 2 else ()


# Capitalised words every week's news prints: days, months, and the titles before officials' names.
_CALENDAR_AND_TITLES = """
monday tuesday wednesday thursday friday saturday sunday lunes martes miercoles jueves viernes sabado
domingo january february march april may june july august september october november december enero
febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre president
presidenta presidente secretary secretaria secretario minister ministra ministro governor gobernador
gobernadora senator senador senadora mayor alcalde alcaldesa chancellor canciller prime primer primera
ambassador embajador embajadora chairman chief director directora spokesman spokeswoman vocero vocera
"""


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    """Capitalised, these are no name: English and Spanish function words (justext's lists), days,
    months and officials' titles."""
    import justext

    words = [w for lang in ("English", "Spanish") for w in justext.get_stoplist(lang)]
    return frozenset(_fold_word(w) for w in [*words, *_CALENDAR_AND_TITLES.split()])


class _Text:
    """An article's blocks (its title, then its sentences) joined by newlines and scanned once: its
    words, where each block's words start, and each block's shingle hashes."""

    def __init__(self, blocks: Sequence[str]) -> None:
        self.text = text = "\n".join(blocks)
        self.bounds = list(accumulate((len(b) + 1 for b in blocks), initial=0))  # and one past the end
        self.spans = spans = [m.span() for m in _WORD.finditer(text)]
        self.starts = [a for a, _ in spans]
        # The first word of each block, and one past the last block's words.
        self.first = [bisect_left(self.starts, b) for b in self.bounds]
        self.words = [text[a:b] for a, b in spans]
        self.lowered = [w.lower() for w in self.words]
        folded = fold_text(text)
        self.folded_text = folded if len(folded) == len(text) else None
        self.folded = (
            [folded[a:b] for a, b in spans] if self.folded_text else [_fold_word(w) for w in self.words]
        )
        encoded = [w.encode() for w in self.folded]
        # Per block, the hash of each shingle (SHINGLE folded words).
        self.hashes = [_shingle_hashes(encoded[a:b]) for a, b in pairwise(self.first)]

    def digest(self, block: int, paragraph: str) -> str:
        """The block's digest: a hash of its folded text, spaces normalised."""
        if self.folded_text is not None:
            folded = self.folded_text[self.bounds[block] : self.bounds[block + 1] - 1]
        else:
            folded = _fold(paragraph)
        return hashlib.blake2b(" ".join(folded.split()).encode(), digest_size=8).hexdigest()

    def lowercase(self) -> frozenset[str]:
        """The words (folded) the text writes in lowercase, those with a hyphen or an apostrophe
        (pre-workout, don't) whole."""
        joined: set[int] = set()  # the words either side of a hyphen or an apostrophe
        for match in _JOINER.finditer(self.text):
            index = bisect_left(self.starts, match.end())
            joined.update((index - 1, index))
        words, lowered, folded = self.words, self.lowered, self.folded
        found = {folded[i] for i in range(len(words)) if words[i] == lowered[i] and i not in joined}
        if joined:
            found.update(_fold_word(w) for w in _JOINED.findall(self.text) if w.islower())
        return frozenset(found)

    def starts_sentence(self, start: int, block: int) -> bool:
        """True when the word at ``start`` begins its block or follows a sentence's end."""
        text, index, first = self.text, start - 1, self.bounds[block]
        while index >= first and text[index].isspace():
            index -= 1
        return index < first or text[index] in _SENTENCE_END

    def is_name(self, word: str, start: int, end: int, block: int, lowercase: frozenset[str]) -> bool:
        """Whether a capitalised word (of three letters or more: two-letter acronyms, US, EU, UE, EE,
        mean different things in each language) is a name: not a function word, a day, a month or a
        title, nor written in lowercase elsewhere, nor a lone capital at a sentence start."""
        if len(word) < 3 or (folded := _fold_word(word)) in lowercase or folded in _stopwords():
            return False
        if self.starts_sentence(start, block):
            following = self.text[end : min(end + 4, self.bounds[block + 1] - 1)]
            return following.lstrip()[:1].isupper()
        return True

    def before(self, start: int, block: int, terms: frozenset[str]) -> bool:
        """Whether the word after the one at ``start``, in its block, is one of ``terms``."""
        index = bisect_left(self.starts, start) + 1
        return index < self.first[block + 1] and self.folded[index] in terms

    def context(self, start: int, block: int) -> int:
        """How the fact at ``start`` is printed: a hash of it with the two words either side of it in
        its block."""
        index = bisect_left(self.starts, start)
        around = self.lowered[max(index - 2, self.first[block]) : min(index + 3, self.first[block + 1])]
        return zlib.crc32(" ".join(around).encode())

    def facts(
        self, lowercase: frozenset[str], terms: frozenset[str] = frozenset()
    ) -> list[dict[str, set[int]]]:
        """Per block, each fact with the contexts it is printed in: names (capitalised words, not a
        lone capital at a sentence start, nor a word the article also writes in lowercase:
        ``lowercase``, folded, nor the first name before a rule's term: ``terms``, the folded
        words of the terms the article matched, Donald before Trump), figures of two digits or
        more, and long lowercase words (``w:``, which count only between articles of one
        language)."""
        found: list[dict[str, set[int]]] = [{} for _ in self.bounds[1:]]
        text, stopwords, bounds = self.text, _stopwords(), self.bounds
        for match in _FACT.finditer(text):
            start, end = match.span()
            kind = match.lastgroup
            if start and text[start - 1] in _JOINERS[kind]:
                continue  # inside a word: O'Brien, well-established; a decimal's digits
            printed, block = match.group(), bisect_right(bounds, start) - 1
            if kind == "word":
                if (folded := _fold_word(printed)) in stopwords:
                    continue
                facts = ["w:" + folded]
            elif kind == "number":
                facts = _number(printed)
            else:
                # A350-900, RS-25: the figure after a hyphen is one, whatever the name
                facts = [f for m in _after_hyphens(text, start, printed) for f in _number(m)]
                word = _APOSTROPHE.split(printed)[0]  # Google's, I'm, O’Brien: Google, I, O
                if self.is_name(word, start, end, block, lowercase) and not self.before(start, block, terms):
                    facts.append("n:" + _fold_word(word))
            if facts:
                context = self.context(start, block)
                for fact in facts:
                    found[block].setdefault(fact, set()).add(context)
        return found


def _term_words(matched: Sequence[tuple[str, Sequence[str]]]) -> frozenset[str]:
    """The folded words of the terms matched rules found (``tariff*``: tariff)."""
    return frozenset(w for _, terms in matched for t in terms for w in _WORD.findall(_fold(t.rstrip("*"))))


def _concepts(found: set[str], rules: Iterable[str], words: frozenset[str]) -> set[str]:
    """Facts with the words of matched rules' terms replaced by the rules: USMCA, T-MEC, CUSMA are one."""
    found = {f for f in found if f[2:] not in words or f[0] not in "nw"}
    return found | {"r:" + rule for rule in rules}


def _shingle_hashes(words: Sequence[bytes]) -> list[int]:
    return [zlib.crc32(b" ".join(words[i : i + SHINGLE])) for i in range(len(words) - SHINGLE + 1)]


def title_key(title: str | None) -> tuple[str | None, str | None]:
    """(the title's folded words without an `` - Outlet`` suffix, that outlet), None when too short."""
    title = (title or "").strip()
    outlet = None
    if (suffix := _SUFFIX.search(title)) and len(_WORD.findall(title[: suffix.start()])) >= TITLE_WORDS:
        outlet = _fold(suffix.group(0).lstrip(" -–—|")).strip() or None
        title = title[: suffix.start()]
    words = _WORD.findall(_fold(title))
    return (" ".join(words) if len(words) >= TITLE_WORDS else None), outlet


def _lede(text: str) -> str:
    """The first BODY_CHARS of a text, to the end of a sentence: where a story's facts are."""
    if len(text) <= BODY_CHARS:
        return text
    end = max(text.rfind(". ", 0, BODY_CHARS), text.rfind("\n", 0, BODY_CHARS))
    return text[: end + 1 if end > BODY_CHARS // 2 else BODY_CHARS]


def signature(
    title: str | None,
    summary: str | None,
    text: str | None,
    matched: Sequence[tuple[str, Sequence[str]]] = (),
) -> Signature:
    """The Signature of an article (``matched``: (rule, terms) of the rules it matched)."""
    body = _lede(text if text else (summary or ""))
    sentences = [s for p in body.split("\n") for s in _SENTENCE.split(p.strip()) if s]
    paragraphs = [title or "", *sentences]
    scan = _Text(paragraphs)
    blocks = []
    terms, rules = _term_words(matched), [rule for rule, _ in matched]
    printed_facts = scan.facts(scan.lowercase(), terms)
    for index, (paragraph, printed) in enumerate(zip(paragraphs, printed_facts, strict=True)):
        found = _concepts(set(printed), rules, terms) if index else set(printed)
        blocks.append(
            Block(
                digest=scan.digest(index, paragraph),
                facts=tuple(sorted(found)),
                samples=tuple(sorted({h for h in scan.hashes[index] if h % SAMPLE == 0})),
                chars=len(paragraph),
                contexts=tuple(sorted((f, c) for f, cs in printed.items() if f in found for c in cs)),
            )
        )
    key, outlet = title_key(title)
    return Signature(tuple(blocks), key, outlet, has_text=bool(text))


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
class _Candidate:
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
class _Found:
    """Evidence that an article is a copy of ``other``: the stronger ``rank``, then ``score``, wins."""

    rank: int  # 4 exact copy, 3 wire copy, 2 shared facts, 1 same title
    score: float
    other: _Candidate
    evidence: str
    detail: str


_NOWHERE = frozenset({-1})  # the contexts of a fact with none (a rule's concept): printed nowhere


def _common_limit(total: int) -> float:
    """The number of articles a fact may be in and still tell stories apart."""
    return max(COMMON_FLOOR, COMMON * total)


def _neutral(facts: frozenset[str]) -> frozenset[str]:
    """The facts that survive translation: names, figures and rule concepts, not words."""
    return frozenset(f for f in facts if not f.startswith("w:"))


def _tracked(block: Block, sig: Signature) -> bool:
    """Blocks long enough to be a source's boilerplate (and the title: a recurring column's)."""
    return block.chars >= BLOCK_CHARS or (block is sig.blocks[0] and block.chars > 0)


def _own_keys(article: dict[str, Any], sig: Signature) -> list[str]:
    """The article's look-up keys besides its facts: its title's and its text's."""
    keys = ["t:" + sig.title_key] if sig.title_key else []
    if sig.has_text and article.get("content_hash"):
        keys.append("h:" + article["content_hash"])
    return keys


def _unpack(blob: bytes | None) -> frozenset[int]:
    values = array("I")
    if blob:
        values.frombytes(blob)
    return frozenset(values)


def pack(values: Iterable[int]) -> bytes:
    """Integers (shingle samples, contexts) as stored: sorted unsigned 32-bit."""
    return array("I", sorted(values)).tobytes()


def _shift(moment: str, seconds: float) -> str:
    return iso(from_iso(moment) + timedelta(seconds=seconds))


class Frequencies:
    """In how many stored articles each fact is (what makes a fact rare, and its weight).

    ``story_facts`` holds the counts of the articles up to the one its ``''`` row names; the
    facts of the articles stored since are pending: counted here from the facts
    ``story_signatures`` keeps of each article, and added to ``story_facts`` ``flush`` articles
    at a time, one write per fact and batch instead of one per fact and article (an article's
    ~70 facts each touch a page of their own). A flush counts from ``story_signatures``, in the
    writer's transaction, so that a crash, a rolled-back save or a second writer never counts
    an article twice or never.

    The counts read from ``story_facts`` are kept (up to ``CACHED`` facts; a copy's facts are
    looked up again when it is compared), updated by each flush, and read again when another
    connection has written to the store (``PRAGMA data_version``).
    """

    CACHED = 1 << 15

    def __init__(self, conn: sqlite3.Connection, flush: int = FLUSH) -> None:
        self.conn, self.flush = conn, flush
        self.stored: dict[str, int] = {}  # story_facts' count of each fact looked up (0: none)
        self.version = self._version()
        self.pending, self.added = self._pending(), 0

    def _version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _pending(self) -> Counter[str]:
        """The facts of the articles stored after the last one ``story_facts`` counts."""
        row = self.conn.execute("SELECT n FROM story_facts WHERE fact = ''").fetchone()
        pending: Counter[str] = Counter()
        for (facts,) in self.conn.execute(
            "SELECT facts FROM story_signatures WHERE article_id > ?", [row[0] if row else 0]
        ):
            pending.update(json.loads(facts or "[]"))
        return pending

    def counts(self, facts: Iterable[str]) -> dict[str, int]:
        """The number of stored articles each of ``facts`` is in (absent: none)."""
        if (version := self._version()) != self.version:  # another writer's articles
            self.version, self.stored, self.pending = version, {}, self._pending()
        facts, stored = list(facts), self.stored
        missing = [f for f in facts if f not in stored]
        if len(stored) + len(missing) > self.CACHED:
            stored.clear()
            missing = facts
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            stored.update(dict.fromkeys(chunk, 0))
            query = f"SELECT fact, n FROM story_facts WHERE fact IN ({marks})"
            stored.update(self.conn.execute(query, chunk))
        pending = self.pending
        return {f: n for f in facts if (n := stored[f] + pending.get(f, 0))}

    def add(self, facts: Iterable[str]) -> None:
        """Count the facts of an article whose signature was just stored, in its transaction."""
        self.pending.update(facts)
        self.added += 1
        if self.added >= self.flush:
            self._flush()

    def _flush(self) -> None:
        pending = self._pending()
        last = self.conn.execute("SELECT coalesce(max(article_id), 0) FROM story_signatures").fetchone()[0]
        self.conn.executemany(
            "INSERT INTO story_facts (fact, n) VALUES (?, ?)"
            " ON CONFLICT (fact) DO UPDATE SET n = n + excluded.n",
            pending.items(),
        )
        self.conn.execute(
            "INSERT INTO story_facts (fact, n) VALUES ('', ?)"
            " ON CONFLICT (fact) DO UPDATE SET n = excluded.n",
            [last],
        )
        stored = self.stored
        for fact, n in pending.items():
            if fact in stored:
                stored[fact] += n
        self.pending, self.added = Counter(), 0


class Grouper:
    """The writer's half: places each new article in a story, in the caller's transaction.

    ``window`` in seconds; None turns grouping off (every article is its own story).
    """

    def __init__(
        self, conn: sqlite3.Connection, window: float | None = WINDOW, frequencies: Frequencies | None = None
    ) -> None:
        self.conn = conn
        self.window = window
        self.frequencies = frequencies if frequencies is not None else Frequencies(conn, flush=1)

    def place(self, article_id: int, article: dict[str, Any], sig: Signature, now: str) -> Link:
        """Decide and record the story of ``article_id``, an article stored without one (the migration)."""
        decision = self.decide(article, sig, now)
        self.conn.execute(
            "UPDATE articles SET story_id = ? WHERE id = ?", [decision.link.story_id, article_id]
        )
        return self.record(article_id, article, sig, decision, now)

    def decide(self, article: dict[str, Any], sig: Signature | None, now: str) -> Decision:
        """Decide the story of an article about to be stored: join a story (its counts updated) or
        start one (its row created; ``record`` names its first article). ``sig`` may be None
        only with grouping off."""
        if self.window is None:
            return Decision(self._new_story(article, now, "grouping off", "stories: false in config"))
        assert sig is not None, "grouping needs the article's signature"
        at = article.get("published_at") or now
        dates = _shift(at, -self.window), _shift(at, self.window)  # when a copy may be published
        boilerplate = self._repeated(sig, article["source"], dates)
        kept = [b for b in sig.blocks if b.digest not in boilerplate]
        mine = frozenset(f for b in kept for f in b.facts)
        samples = frozenset(s for b in kept for s in b.samples)
        contexts: dict[str, set[int]] = {}
        for block in kept:
            for fact, context in block.contexts:
                contexts.setdefault(fact, set()).add(context)
        counts, total = self.frequencies.counts(mine), self._total()
        common = self._common(mine, counts, total)
        found: list[_Found] = []
        comparable: list[tuple[_Candidate, frozenset[str]]] = []
        # The rarest facts some stored article has (a fact no article has finds nothing), names and
        # figures first: they are what a translation shares.
        known = [f for f in mine - common if counts.get(f, 0)]
        rarest = sorted(known, key=lambda f: (f[0] in "wr", counts[f], f))[:LOOKUP_FACTS]
        for other in self._candidates(article, sig, rarest, dates):
            if (copy := self._copy(article, sig, samples, other)) is not None:
                found.append(copy)
            elif sig.has_text and other.has_text:
                # A fact both print in the same words says nothing of a rewrite: it is what a wire
                # copy shares (found above) or what an outlet prints under everything.
                printed = {f for f in mine & other.facts if contexts.get(f, _NOWHERE) <= other.contexts}
                comparable.append((other, mine - printed))
        rewrites = self._rewrites(article, comparable, common, counts, total)
        best = max(
            found + [r for r in rewrites if r.score >= FACTS], key=lambda f: (f.rank, f.score), default=None
        )
        if best is None:
            nearest = max((r.score for r in rewrites), default=None)
            closest = f" (closest: shared facts {nearest:.2f})" if nearest is not None else ""
            link = self._new_story(article, now, "new story", "no copy within the window" + closest)
        else:
            link = self._join(article, best, now)
        indexed = sorted(mine, key=lambda f: (f[0] == "w", counts.get(f, 0), f))[:INDEX_FACTS]
        printed = frozenset(c for seen in contexts.values() for c in seen)
        return Decision(link, mine, samples, printed, tuple(indexed))

    # -- evidence -------------------------------------------------------------

    def _repeated(self, sig: Signature, source: str, dates: tuple[str, str]) -> set[str]:
        """The article's boilerplate: blocks its source printed before, or that two stories print
        within the window (an agency's standard paragraph; not the same text reprinted months on).

        Not the blocks of an article the source prints again (an update at another URL, trimmed or
        with a paragraph more): when the article's blocks are all the source's, or it holds
        REPRINT of an earlier article's blocks, those are that article's text, not boilerplate."""
        digests = [b.digest for b in sig.blocks if _tracked(b, sig)]
        if not digests:
            return set()
        marks = ", ".join("?" * len(digests))
        stories: dict[str, set[int]] = {}
        own: dict[int, set[str]] = {}  # the source's earlier articles: the blocks they share
        sizes: dict[int, int] = {}
        lo, hi = dates
        for digest, article_id, their_source, story_id, seen_at, blocks in self.conn.execute(
            "SELECT digest, article_id, source, story_id, seen_at, blocks FROM story_paragraphs"
            f" WHERE digest IN ({marks})",
            digests,
        ):
            if lo <= seen_at <= hi:
                stories.setdefault(digest, set()).add(story_id)
            if their_source == source:
                own.setdefault(article_id, set()).add(digest)
                sizes[article_id] = blocks or 0
        body = {b.digest for b in sig.blocks[1:] if _tracked(b, sig)}  # all but the title
        repeated = set()
        for article_id, shared in own.items():
            if not (body and body <= shared) and len(shared) < REPRINT * sizes[article_id]:
                repeated |= shared
        return repeated | {d for d, ids in stories.items() if len(ids) >= 2}

    def _total(self) -> int:
        return self.conn.execute("SELECT coalesce(max(rowid), 0) FROM story_signatures").fetchone()[0]

    @staticmethod
    def _common(keys: Iterable[str], counts: dict[str, int], total: int) -> frozenset[str]:
        limit = _common_limit(total)
        return frozenset(k for k in keys if counts.get(k, 0) > limit)

    def _candidates(
        self, article: dict[str, Any], sig: Signature, rare: list[str], dates: tuple[str, str]
    ) -> list[_Candidate]:
        keys = [*rare, *_own_keys(article, sig)]
        if not keys:
            return []
        lo, hi = dates
        marks = ", ".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT article_id, count(*) AS n FROM story_keys WHERE key IN ({marks})"
            " AND seen_at BETWEEN ? AND ?"
            f" GROUP BY article_id ORDER BY n DESC, article_id LIMIT {CANDIDATES}",
            [*keys, lo, hi],
        ).fetchall()
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ", ".join("?" * len(ids))
        found = []
        for row in self.conn.execute(
            "SELECT s.article_id, a.story_id, a.source, s.outlet, a.lang, s.facts, s.samples, s.contexts,"
            " s.title_key,"
            f" s.has_text, a.content_hash FROM story_signatures s JOIN articles a ON a.id = s.article_id"
            f" WHERE s.article_id IN ({marks})",
            ids,
        ):
            found.append(
                _Candidate(
                    article_id=row[0],
                    story_id=row[1],
                    source=row[2],
                    outlet=row[3],
                    lang=row[4],
                    facts=frozenset(json.loads(row[5] or "[]")),
                    samples=_unpack(row[6]),
                    contexts=_unpack(row[7]),
                    title_key=row[8],
                    has_text=bool(row[9]),
                    content_hash=row[10],
                )
            )
        return sorted(found, key=lambda c: c.article_id)

    @staticmethod
    def _copy(
        article: dict[str, Any], sig: Signature, samples: frozenset[int], other: _Candidate
    ) -> _Found | None:
        """The evidence that ``other`` is a copy of the article (title, text or wire copy), if any."""
        if not (sig.has_text and other.has_text):
            same_outlet = (sig.outlet or article["source"]) == (other.outlet or other.source)
            if sig.title_key and sig.title_key == other.title_key and not same_outlet:
                return _Found(1, 1.0, other, "same title", f"the title of article {other.article_id}")
            return None
        if article.get("content_hash") == other.content_hash:
            return _Found(4, 1.0, other, "exact copy", f"the text of article {other.article_id}")
        shorter = min(len(samples), len(other.samples))
        shared = len(samples & other.samples)
        if shorter >= WIRE_SAMPLES and shared / shorter >= WIRE:
            detail = f"{shared} of {shorter} sampled shingles of article {other.article_id}"
            return _Found(3, shared / shorter, other, "wire copy", detail)
        return None

    def _rewrites(
        self,
        article: dict[str, Any],
        comparable: list[tuple[_Candidate, frozenset[str]]],
        common: frozenset[str],
        counts: dict[str, int],
        total: int,
    ) -> list[_Found]:
        """Candidates scored on the rare facts both name, IDF-weighted, against the facts of the one
        that names fewer (a rewrite from FACTS). Between languages only names, figures and rules count."""
        lang = article.get("lang")
        worth = []  # only candidates sharing enough rare facts are weighed (which costs a look-up)
        for other, mine in comparable:
            neutral = lang != other.lang
            shared = (mine & other.facts) - common
            if neutral:
                mine, shared = _neutral(mine), _neutral(shared)
            strong = sorted(f[2:] for f in shared if f[0] in "nd")
            facts = [f for f in shared if f[0] != "r"]  # the rules' concepts are what every article shares
            names = sum(f[0] == "n" for f in shared)
            if len(facts) >= MIN_SHARED and names >= MIN_NAMES:
                worth.append((other, mine - common, shared, strong, neutral))
        if not worth:
            return []
        worth = sorted(worth, key=lambda w: (-len(w[2]), w[0].article_id))[:WEIGHED]
        needed = {f for other, *_ in worth for f in other.facts} - counts.keys()
        counts = counts | self.frequencies.counts(needed) if needed else counts
        limit = _common_limit(total)
        rarest = math.log(total + 1) + 1
        idf = {f: math.log((total + 1) / (n + 1)) + 1 for f, n in counts.items() if n <= limit}

        def weight(facts: Iterable[str]) -> float:
            return sum(idf.get(f, rarest) * (WORD_WEIGHT if f[0] in "wr" else 1.0) for f in facts)

        scored = []
        for other, mine, shared, strong, neutral in worth:
            theirs = frozenset(f for f in other.facts if counts.get(f, 0) <= limit)
            if neutral:
                theirs = _neutral(theirs)
            # Against the smaller side, but no less than half the larger: a short item whose few facts
            # all appear in a long article is not thereby its story.
            smaller, larger = sorted((weight(mine), weight(theirs)))
            score = weight(shared) / (max(smaller, BALANCE * larger) or 1.0)
            across = ", across languages" if neutral else ""
            detail = f"{len(shared)} facts of article {other.article_id} ({', '.join(strong[:5])}{across})"
            scored.append(_Found(2, round(score, 3), other, "shared facts", detail))
        return scored

    # -- records --------------------------------------------------------------

    def _new_story(self, article: dict[str, Any], now: str, evidence: str, reason: str) -> Link:
        seen = article.get("fetched_at") or now
        story_id = int(
            self.conn.execute(
                "INSERT INTO stories (title, first_article_id, first_seen_at, first_source, first_url,"
                " last_seen_at, articles, sources, languages) VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?)",
                [
                    article.get("title"),
                    None,  # record() names it once the article has its id
                    seen,
                    article["source"],
                    article["url"],
                    seen,
                    json.dumps([article["lang"]] if article.get("lang") else []),
                ],
            ).lastrowid
        )
        return Link(story_id, None, evidence, None, reason)

    def _join(self, article: dict[str, Any], found: _Found, now: str) -> Link:
        story_id = found.other.story_id
        row = self.conn.execute("SELECT languages FROM stories WHERE id = ?", [story_id]).fetchone()
        langs = json.loads(row[0] or "[]")
        if article.get("lang") and article["lang"] not in langs:
            langs.append(article["lang"])
        new_source = not self.conn.execute(
            "SELECT 1 FROM articles WHERE story_id = ? AND source = ? LIMIT 1", [story_id, article["source"]]
        ).fetchone()
        self.conn.execute(
            "UPDATE stories SET articles = articles + 1, sources = sources + ?, languages = ?,"
            " last_seen_at = max(last_seen_at, ?) WHERE id = ?",
            [int(new_source), json.dumps(langs), article.get("fetched_at") or now, story_id],
        )
        reason = f"{found.evidence}: {found.detail}, score {found.score:.2f}"
        return Link(story_id, found.other.article_id, found.evidence, round(found.score, 3), reason)

    def prune(self, now: str) -> None:
        """Forget the look-up keys and printed sentences of articles dated more than ``KEEP`` (or
        three windows) before ``now``: no copy within a window looks them up again, and the
        look-ups stay as fast as the store grows. (A source's boilerplate is what it keeps
        printing: it is learnt again within days.)"""
        if self.window is None:
            return
        cutoff = _shift(now, -max(KEEP, 3 * self.window))
        self.conn.execute("DELETE FROM story_keys WHERE seen_at < ?", [cutoff])
        self.conn.execute("DELETE FROM story_paragraphs WHERE seen_at < ?", [cutoff])

    def record(
        self, article_id: int, article: dict[str, Any], sig: Signature | None, decision: Decision, now: str
    ) -> Link:
        """Write the decision on the stored ``article_id`` (whose ``story_id`` is the decision's),
        its signature, the keys by which later copies find it, and the blocks its source printed."""
        conn, link = self.conn, decision.link
        at = article.get("published_at") or now
        if link.new:
            conn.execute("UPDATE stories SET first_article_id = ? WHERE id = ?", [article_id, link.story_id])
        conn.execute(
            "INSERT INTO story_links"
            " (article_id, story_id, joined_article_id, evidence, score, reason, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [article_id, link.story_id, link.joined, link.evidence, link.score, link.reason, now],
        )
        if self.window is None:
            return link
        assert sig is not None, "grouping needs the article's signature"
        conn.execute(
            "INSERT INTO story_signatures (article_id, facts, samples, contexts, title_key, outlet, has_text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                article_id,
                json.dumps(sorted(decision.facts), ensure_ascii=False),
                pack(decision.samples),
                pack(decision.contexts),
                sig.title_key,
                sig.outlet,
                int(sig.has_text),
            ],
        )
        keys = [*decision.indexed, *_own_keys(article, sig)]
        conn.executemany(
            "INSERT OR IGNORE INTO story_keys (key, seen_at, article_id) VALUES (?, ?, ?)",
            [(k, at, article_id) for k in dict.fromkeys(keys)],
        )
        self.frequencies.add(decision.facts)
        tracked = {b.digest for b in sig.blocks if _tracked(b, sig)}
        conn.executemany(
            "INSERT OR IGNORE INTO story_paragraphs (digest, article_id, source, story_id, seen_at, blocks)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(digest, article_id, article["source"], link.story_id, at, len(tracked)) for digest in tracked],
        )
        return link
