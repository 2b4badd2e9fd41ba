"""Rules: the golden cases, the query grammar and its errors, and the matcher's scale."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crawler.errors import QueryError
from crawler.rules import And, Matcher, Near, Not, Or, Term, parse_query, terms_query

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "rules.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_golden_case(case):
    node = parse_query(case["query"]) if "query" in case else terms_query(case["terms"])
    found = Matcher([("rule", node)]).match(["", "", case["text"]])
    assert [list(m.terms) for m in found] == ([case["expect"]] if case["expect"] else [])


def test_precedence_near_then_not_then_and_then_or():
    node = parse_query("a OR b c NOT d NEAR/2 e")
    assert isinstance(node, Or)
    assert isinstance(node.parts[1], And)
    inner = node.parts[1].parts
    assert inner[0] == Term(("b",), False, "b")
    assert isinstance(inner[2], Not) and isinstance(inner[2].part, Near)
    assert inner[2].part.distance == 2


def test_hits_and_snippet():
    text = "x " * 300 + "New tariffs hit Mexican steel; the tariffs start Monday." + " y" * 300
    (match,) = Matcher([("t", terms_query(["tariff*"]))]).match(["Title", "", text])
    assert match.hits == 2
    assert match.terms == ("tariffs",)
    assert "New tariffs hit Mexican steel" in match.snippet
    assert 150 <= len(match.snippet) <= 230
    assert match.snippet.startswith("…") and match.snippet.endswith("…")


def test_phrases_do_not_span_fields():
    matcher = Matcher([("p", terms_query(["trade war"]))])
    assert matcher.match(["Fears of a trade", "war grow", ""]) == []
    assert matcher.match(["Fears of a trade war", "", ""])[0].terms == ("trade war",)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(steel OR acero", "unbalanced parenthesis at column 1"),
        ("steel AND", "expected a term, found end of query"),
        ('"steel', "unclosed quote at column 1"),
        ("steel ) acero", "expected an operator or the end, found ')' at column 7"),
        ("NEAR/3 steel", "expected a term, found 'NEAR/3' at column 1"),
        ("a NEAR (b AND c)", "NEAR joins terms, phrases or OR-groups of them, not AND or NOT"),
        ("   ", "empty query"),
        ("steel OR ***", "'***' has no letters or digits to match (column 10)"),
        (
            "steel and tariff*",
            "'and' at column 7: operators are written in capitals (AND); to search for"
            ' the word, quote it ("and")',
        ),
        (
            "USMCA near/5 review",
            "'near/5' at column 7: operators are written in capitals (NEAR/5); to search"
            ' for the word, quote it ("near/5")',
        ),
        (
            "acero Or aluminio",
            "'Or' at column 7: operators are written in capitals (OR); to search for the"
            ' word, quote it ("Or")',
        ),
        (
            "not steel",
            "'not' at column 1: operators are written in capitals (NOT); to search for the word,"
            ' quote it ("not")',
        ),
    ],
)
def test_invalid_queries_say_where(query, message):
    with pytest.raises(QueryError) as error:
        parse_query(query)
    assert str(error.value) == message


def test_operator_words_stay_searchable_in_quotes():
    matcher = Matcher([("q", parse_query('"rock and roll" OR android OR Andorra'))])
    assert [m.terms for m in matcher.match(["Rock and roll in Andorra", "", ""])] == [
        ("Rock and roll", "Andorra")
    ]


def test_thousands_of_terms_match_like_ten():
    terms = [f"term{i}" for i in range(5000)] + ["Ebrard"]
    matcher = Matcher([("big", terms_query(terms)), ("small", terms_query(["tariff*"]))])
    found = {m.rule: m for m in matcher.match(["Ebrard on tariffs", "", "term4999 and term17"])}
    assert found["big"].terms == ("Ebrard", "term4999", "term17")
    assert found["small"].terms == ("tariffs",)
