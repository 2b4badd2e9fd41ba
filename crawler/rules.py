"""Keyword rules: a small boolean query language and one multi-pattern matcher for all rules.

Grammar (operators in capitals; NEAR binds tightest, then NOT, then AND, then OR)::

    query    := or
    or       := and ("OR" and)*
    and      := not (["AND"] not)*          adjacent terms mean AND
    not      := "NOT" not | near
    near     := atom ("NEAR" ["/" n] atom)* NEAR joins terms, phrases or OR-groups of them
    atom     := "(" or ")" | '"' words '"' | word ["*"]

Text is folded (case- and accent-blind) and split into words; a term matches whole
words, ``tariff*`` any word starting with ``tariff``, and a phrase its words in order
with any run of spaces or punctuation between them. One Aho-Corasick automaton holds
every term of every rule, so thousands of terms cost about what ten do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ahocorasick

from crawler.errors import QueryError
from crawler.text import WORD, Folded, fold, snippet

NEAR_DEFAULT = 10
_OPERATOR = re.compile(r"(?i:and|or|not|near(?:/\d+)?)")  # not in capitals: a mistake, not a term
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)("?)|(NEAR(?:/(\d+))?)(?![^\s()"])|([^\s()"]+))')
_BOUNDARY = "\x00"  # a token that separates fields, so phrases never span them


# -- the query tree -----------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """Words that must appear in order; ``prefix`` lets the last word continue."""

    words: tuple[str, ...]
    prefix: bool = False
    written: str = ""

    @property
    def key(self) -> str:
        return " " + " ".join(self.words) + ("" if self.prefix else " ")


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


@dataclass(frozen=True)
class Near:
    parts: tuple[Node, ...]  # terms, phrases, or OR-groups of them
    distance: int


Node = Term | And | Or | Not | Near


def make_term(written: str, *, phrase: bool = False) -> Term:
    """A Term from a word, ``prefix*`` or phrase as written in a rule."""
    prefix = not phrase and written.endswith("*")
    words = tuple(WORD.findall(fold(written.rstrip("*") if prefix else written).text))
    if not words:
        raise QueryError(f"{written!r} has no letters or digits to match")
    return Term(words, prefix, written)


class _Parser:
    """Recursive-descent parser over the query's tokens."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(query):
            match = _TOKEN.match(query, pos)
            if not match or match.end() == pos:
                break
            lparen, rparen, phrase, closed, near, _, word = match.groups()
            column = match.start() + len(match.group(0)) - len(match.group(0).lstrip()) + 1
            if lparen:
                self.tokens.append(("(", "(", column))
            elif rparen:
                self.tokens.append((")", ")", column))
            elif phrase is not None:
                if not closed:
                    raise QueryError(f"unclosed quote at column {column}")
                self.tokens.append(("phrase", phrase, column))
            elif near:
                self.tokens.append(("near", near, column))
            elif word in ("AND", "OR", "NOT"):
                self.tokens.append((word, word, column))
            elif _OPERATOR.fullmatch(word):
                operator = word.upper()
                raise QueryError(
                    f"{word!r} at column {column}: operators are written in capitals ({operator});"
                    f' to search for the word, quote it ("{word}")'
                )
            else:
                self.tokens.append(("word", word, column))
            pos = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, what: str) -> QueryError:
        token = self.peek()
        where = f"{token[1]!r} at column {token[2]}" if token else "end of query"
        return QueryError(f"{what}, found {where}")

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("empty query")
        node = self.parse_or()
        if self.peek() is not None:
            raise self.fail("expected an operator or the end")
        return node

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while (token := self.peek()) and token[0] == "OR":
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node:
        parts = [self.parse_not()]
        while (token := self.peek()) and token[0] not in ("OR", ")"):
            if token[0] == "AND":
                self.take()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_not(self) -> Node:
        token = self.peek()
        if token and token[0] == "NOT":
            self.take()
            return Not(self.parse_not())
        return self.parse_near()

    def parse_near(self) -> Node:
        first = self.parse_atom()
        parts: list[Node] = [first]
        distance = NEAR_DEFAULT
        while (token := self.peek()) and token[0] == "near":
            self.take()
            _, _, number = token[1].partition("/")
            distance = int(number) if number else NEAR_DEFAULT
            parts.append(self.parse_atom())
        if len(parts) == 1:
            return first
        if not all(_nearable(p) for p in parts):
            raise QueryError("NEAR joins terms, phrases or OR-groups of them, not AND or NOT")
        return Near(tuple(parts), distance)

    def parse_atom(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.fail("expected a term")
        kind, value, column = token
        if kind == "(":
            self.take()
            node = self.parse_or()
            if not (closing := self.peek()) or closing[0] != ")":
                raise QueryError(f"unbalanced parenthesis at column {column}")
            self.take()
            return node
        if kind in ("word", "phrase"):
            self.take()
            try:
                return make_term(value, phrase=kind == "phrase")
            except QueryError as error:
                raise QueryError(f"{error} (column {column})") from None
        raise self.fail("expected a term")


def _nearable(node: Node) -> bool:
    if isinstance(node, Or):
        return all(_nearable(p) for p in node.parts)
    return isinstance(node, Term)


def parse_query(query: str) -> Node:
    """Parse a rule query into its tree; raise QueryError saying where it is wrong."""
    return _Parser(query).parse()


def terms_query(terms: Sequence[str]) -> Node:
    """The tree for a ``terms:`` list: any of them."""
    nodes = tuple(make_term(t, phrase=" " in t.strip()) for t in terms)
    return nodes[0] if len(nodes) == 1 else Or(nodes)


# -- matching -------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """What one rule found in one article."""

    rule: str
    terms: tuple[str, ...]
    hits: int
    snippet: str


@dataclass
class _Words:
    """The words of a document: folded tokens and their spans in the original text."""

    folded: list[Folded]
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # (field, start, end)
    joined: str = ""
    starts: dict[int, int] = field(default_factory=dict)  # joined offset -> word index

    @classmethod
    def of(cls, fields: Iterable[str]) -> _Words:
        words = cls([fold(text) for text in fields if text])
        tokens: list[str] = []
        for number, folded in enumerate(words.folded):
            if tokens:
                tokens.append(_BOUNDARY)
                words.spans.append((-1, 0, 0))
            for match in WORD.finditer(folded.text):
                tokens.append(match.group())
                words.spans.append((number, match.start(), match.end()))
        position = 1
        for index, token in enumerate(tokens):
            words.starts[position] = index
            position += len(token) + 1
        words.joined = " " + " ".join(tokens) + " "
        return words

    def written(self, first: int, last: int) -> tuple[int, int, int]:
        """(field, start, end) in the original text of words first..last."""
        number, start, _ = self.spans[first]
        _, _, end = self.spans[last]
        folded = self.folded[number]
        return (number, *folded.span(start, end))


Occurrences = dict[Term, list[tuple[int, int]]]


def _evaluate(node: Node, found: Occurrences) -> bool:
    if isinstance(node, Term):
        return bool(found.get(node))
    if isinstance(node, And):
        return all(_evaluate(p, found) for p in node.parts)
    if isinstance(node, Or):
        return any(_evaluate(p, found) for p in node.parts)
    if isinstance(node, Not):
        return not _evaluate(node.part, found)
    return all(
        _near(_places(a, found), _places(b, found), node.distance)
        for a, b in zip(node.parts, node.parts[1:], strict=False)
    )


def _places(node: Node, found: Occurrences) -> list[tuple[int, int]]:
    if isinstance(node, Term):
        return found.get(node, [])
    return [place for part in node.parts for place in _places(part, found)]  # type: ignore[union-attr]


def _near(left: list[tuple[int, int]], right: list[tuple[int, int]], distance: int) -> bool:
    for a_first, a_last in left:
        for b_first, b_last in right:
            gap = b_first - a_last - 1 if b_first > a_last else a_first - b_last - 1
            if 0 <= gap <= distance:
                return True
    return False


def _evidence(node: Node, found: Occurrences) -> Iterable[Term]:
    """The terms that make ``node`` true: found terms of its true branches, none under NOT."""
    if isinstance(node, Term):
        if found.get(node):
            yield node
    elif isinstance(node, Or):
        for part in node.parts:
            if _evaluate(part, found):
                yield from _evidence(part, found)
    elif isinstance(node, And | Near):
        for part in node.parts:
            yield from _evidence(part, found)


def _all_terms(node: Node) -> Iterable[Term]:
    if isinstance(node, Not):
        yield from _all_terms(node.part)
    elif isinstance(node, Term):
        yield node
    else:
        for part in node.parts:
            yield from _all_terms(part)


class Matcher:
    """Matches many named rule trees against documents in one pass over their words."""

    def __init__(self, rules: Sequence[tuple[str, Node]]) -> None:
        self.rules = list(rules)
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[Term]] = {}
        for _, node in self.rules:
            for term in _all_terms(node):
                by_key.setdefault(term.key, [])
                if term not in by_key[term.key]:
                    by_key[term.key].append(term)
        for key, terms in by_key.items():
            self._automaton.add_word(key, (len(key), tuple(terms)))
        if by_key:
            self._automaton.make_automaton()

    def _occurrences(self, words: _Words) -> Occurrences:
        found: Occurrences = {}
        if not self.rules or not words.joined.strip():
            return found
        for end, (length, terms) in self._automaton.iter(words.joined):
            first = words.starts[end - length + 2]
            for term in terms:
                last = first + len(term.words) - 1
                found.setdefault(term, []).append((first, last))
        return found

    def match(self, fields: Sequence[str]) -> list[Match]:
        """Every rule that matches the text of ``fields`` (title, summary, text)."""
        words = _Words.of(fields)
        found = self._occurrences(words)
        if not found:
            return []
        results = []
        for name, node in self.rules:
            if _evaluate(node, found):
                results.append(self._describe(name, node, words, found))
        return results

    def _describe(self, name: str, node: Node, words: _Words, found: Occurrences) -> Match:
        places = sorted({p for t in _evidence(node, found) for p in found[t]})
        written = [words.written(first, last) for first, last in places]
        terms = [words.folded[n].original[s:e] for n, s, e in written]
        text = ""
        if written:
            number, start, end = written[0]
            text = snippet(words.folded[number].original, start, end)
        return Match(name, tuple(dict.fromkeys(terms)), len(places), text)
