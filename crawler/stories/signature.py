"""Story signatures: what grouping needs of an article, read in the analysis workers (pure).

An article's blocks (its title and sentences), each with its facts (names, figures, long words,
the rules it matched, and how each is printed) and a consistent sample of its word shingles
(those whose hash is 0 modulo ``Tuning.sample``, so that two texts keep the same ones and their
containment is estimated without bias).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, pairwise
from typing import NamedTuple

from crawler.dates import MONTHS
from crawler.places import find_places
from crawler.stories.facts import AGREEMENTS, PRINTED, Fact
from crawler.stories.tuning import TUNING
from crawler.text import fold_text

# Each kind's prefix, spelt once (crawler.stories.facts) and bound here: facts are built per word.
_WORD_FACT, _NAME_FACT, _FIGURE_FACT, _RULE_FACT = (
    f"{k.value}:" for k in (Fact.WORD, Fact.NAME, Fact.FIGURE, Fact.RULE)
)
_PLACE_FACT, _PERCENT_FACT, _AMOUNT_FACT, _DATE_FACT, _YEAR_FACT, _QUOTE_FACT = (
    f"{k.value}:" for k in (Fact.PLACE, Fact.PERCENT, Fact.AMOUNT, Fact.DATE, Fact.YEAR, Fact.QUOTE)
)

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


def _value(printed: str) -> float:
    """A printed figure's value, in either notation: 14,000 and 14.000 are 14000; 2,5 and 2.5 are 2.5."""
    if _THOUSANDS.fullmatch(printed):
        return float(re.sub(r"[.,]", "", printed))
    return float(printed.replace(",", "."))


def _plain(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.6g}"


def _number(printed: str) -> tuple[str, ...]:
    """A plain figure's fact (``d:14000``), if of two digits or more."""
    number = _plain(_value(printed))
    return (_FIGURE_FACT + number,) if len(number.replace(".", "")) >= 2 else ()


_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_SCALES = {"thousand": 1e3, "mil": 1e3, "million": 1e6, "millions": 1e6, "millones": 1e6, "millon": 1e6,
           "mn": 1e6, "mil millones": 1e9, "billion": 1e9, "billions": 1e9, "bn": 1e9, "trillion": 1e12,
           "trillions": 1e12, "billones": 1e12, "billon": 1e12}  # fmt: skip
_SCALE = "|".join(sorted(_SCALES, key=len, reverse=True)).replace("on", "[oó]n")
# What follows a figure, folded: a percentage, a magnitude and a currency, or a month (17 de abril).
_AFTER = re.compile(
    rf"(?P<percent>\s?%|\s(?:por\s?ciento|percent|per\s?cent)\b)"
    rf"|\s(?:de\s)?(?P<month>{_MONTH})\b"
    rf"|(?:\s?(?P<scale>{_SCALE})\b)?(?P<currency>\s(?:de\s)?(?:d[oó]lares|dollars|pesos|euros|yuan|yuanes)\b)?"
)
_BEFORE = re.compile(rf"(?:(?P<currency>(?:us|mx|c|ca)?\$|€|£|usd|eur|mxn)\s?|\b(?P<month>{_MONTH})\.?\s)$")


def _figure(folded: str, start: int, end: int, printed: str) -> tuple[str, ...]:
    """The fact of the figure printed at ``start:end`` of the folded text, by its kind: a percentage,
    an amount (with its magnitude or currency), a calendar day, a year, or a plain figure."""
    following, preceding = folded[end : end + 1], folded[start - 1 : start] if start else ""
    # Most figures are followed by a comma or a full stop and preceded by a space: no regex then.
    after = _AFTER.match(folded, end, end + 24) if following.isspace() or following in "%bm" else None
    before = (
        _BEFORE.search(folded, max(start - 8, 0), start)
        if preceding.isspace() or preceding in "$€£"
        else None
    )
    value = _value(printed)
    if after and after.group("percent"):
        return (_PERCENT_FACT + _plain(value),)
    scale = after.group("scale") if after else None
    if scale or (after and after.group("currency")) or (before and before.group("currency")):
        amount = value * _SCALES[fold_text(scale)] if scale else value
        return (_AMOUNT_FACT + _plain(amount),)
    month = (after.group("month") if after else None) or (before.group("month") if before else None)
    if month and value == int(value) and 1 <= value <= 31:
        return (_DATE_FACT + f"{MONTHS[month]:02d}-{int(value):02d}",)
    if len(printed) == 4 and printed.isdigit() and 1900 <= value <= 2100:
        return (_YEAR_FACT + printed,)
    return _number(printed)


_QUOTED = re.compile(r"[\"“«]([^\"“”«»\n]{12,300})[\"”»]")


def _quotes(text: str) -> list[tuple[int, str]]:
    """(start, fact) of each quoted phrase of four words or more: a hash of its folded words."""
    found: list[tuple[int, str]] = []
    if '"' not in text and "“" not in text and "«" not in text:
        return found
    for match in _QUOTED.finditer(text):
        words = _WORD.findall(fold_text(match.group(1)))
        if len(words) >= 4:
            found.append((match.start(), _QUOTE_FACT + f"{zlib.crc32(' '.join(words).encode()):08x}"))
    return found


# Capitalised words every week's news prints: days, months, and the titles before officials' names.
_CALENDAR_AND_TITLES = """
monday tuesday wednesday thursday friday saturday sunday lunes martes miercoles jueves viernes sabado
domingo january february march april may june july august september october november december enero
febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre president
presidenta presidente secretary secretaria secretario minister ministra ministro governor gobernador
gobernadora senator senador senadora mayor alcalde alcaldesa chancellor canciller prime primer primera
ambassador embajador embajadora chairman chief director directora spokesman spokeswoman vocero vocera
jan feb mar apr jun jul aug sep sept oct nov dec ene abr ago dic
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
        # Per block, the hash of each shingle (``shingle`` folded words).
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
        """Per block, each fact with the contexts it is printed in: places (``crawler.places``, by
        their code), names (capitalised words, not a lone capital at a sentence start, nor a word
        the article also writes in lowercase: ``lowercase``, folded, nor the first name before a
        rule's term: ``terms``, the folded words of the terms the article matched, Donald before
        Trump), figures by their kind (percentages, amounts, days, years, plain figures of two
        digits or more), quoted phrases, and long lowercase words (``w:``, which count only
        between articles of one language)."""
        found: list[dict[str, set[int]]] = [{} for _ in self.bounds[1:]]
        text, stopwords, bounds = self.text, _stopwords(), self.bounds
        folded_text = self.folded_text if self.folded_text is not None else text.lower()

        def add(block: int, start: int, facts: Iterable[str]) -> None:
            context = self.context(start, block)
            for fact in facts:
                found[block].setdefault(fact, set()).add(context)

        places = list(find_places(text, self.folded_text))
        place_starts = [start for start, _, _ in places]
        for start, _, code in places:
            add(bisect_right(bounds, start) - 1, start, [_PLACE_FACT + code])
        for start, fact in _quotes(text):
            add(bisect_right(bounds, start) - 1, start, [fact])
        for match in _FACT.finditer(text):
            start, end = match.span()
            kind = match.lastgroup
            if start and text[start - 1] in _JOINERS[kind]:
                continue  # inside a word: O'Brien, well-established; a decimal's digits
            printed, block = match.group(), bisect_right(bounds, start) - 1
            if kind == "word":
                if (folded := _fold_word(printed)) in stopwords:
                    continue
                facts = [_WORD_FACT + folded]
            elif kind == "number":
                facts = list(_figure(folded_text, start, end, printed))
            else:
                # A350-900, RS-25: the figure after a hyphen is one, whatever the name
                facts = [f for m in _after_hyphens(text, start, printed) for f in _number(m)]
                word = _APOSTROPHE.split(printed)[0]  # Google's, I'm, O’Brien: Google, I, O
                place = bisect_right(place_starts, start) - 1
                if place >= 0 and start < places[place][1]:
                    pass  # a word of a place's name: the place is its fact
                elif self.is_name(word, start, end, block, lowercase) and not self.before(
                    start, block, terms
                ):
                    name = _fold_word(word)
                    agreement = AGREEMENTS.get(name)
                    facts.append(_RULE_FACT + agreement if agreement else _NAME_FACT + name)
            if facts:
                add(block, start, facts)
        return found


def _term_words(matched: Sequence[tuple[str, Sequence[str]]]) -> frozenset[str]:
    """The folded words of the terms matched rules found (``tariff*``: tariff)."""
    return frozenset(w for _, terms in matched for t in terms for w in _WORD.findall(_fold(t.rstrip("*"))))


def _concepts(found: set[str], rules: Iterable[str], words: frozenset[str]) -> set[str]:
    """Facts with the words of matched rules' terms replaced by the rules: USMCA, T-MEC, CUSMA are one."""
    found = {f for f in found if f[2:] not in words or f[0] not in PRINTED}
    return found | {_RULE_FACT + rule for rule in rules}


def _shingle_hashes(words: Sequence[bytes]) -> list[int]:
    shingle = TUNING.shingle
    return [zlib.crc32(b" ".join(words[i : i + shingle])) for i in range(len(words) - TUNING.shingle + 1)]


def title_key(title: str | None) -> tuple[str | None, str | None]:
    """(the title's folded words without an `` - Outlet`` suffix, that outlet), None when too short."""
    title = (title or "").strip()
    outlet = None
    if (suffix := _SUFFIX.search(title)) and len(
        _WORD.findall(title[: suffix.start()])
    ) >= TUNING.title_words:
        outlet = _fold(suffix.group(0).lstrip(" -–—|")).strip() or None
        title = title[: suffix.start()]
    words = _WORD.findall(_fold(title))
    return (" ".join(words) if len(words) >= TUNING.title_words else None), outlet


def _lede(text: str) -> str:
    """The first ``body_chars`` of a text, to the end of a sentence: where a story's facts are."""
    chars = TUNING.body_chars
    if len(text) <= chars:
        return text
    end = max(text.rfind(". ", 0, chars), text.rfind("\n", 0, chars))
    return text[: end + 1 if end > chars // 2 else chars]


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
    sample = TUNING.sample
    printed_facts = scan.facts(scan.lowercase(), terms)
    for index, (paragraph, printed) in enumerate(zip(paragraphs, printed_facts, strict=True)):
        found = _concepts(set(printed), rules, terms)
        blocks.append(
            Block(
                digest=scan.digest(index, paragraph),
                facts=tuple(sorted(found)),
                samples=tuple(sorted({h for h in scan.hashes[index] if h % sample == 0})),
                chars=len(paragraph),
                contexts=tuple(sorted((f, c) for f, cs in printed.items() if f in found for c in cs)),
            )
        )
    key, outlet = title_key(title)
    return Signature(tuple(blocks), key, outlet, has_text=bool(text))
