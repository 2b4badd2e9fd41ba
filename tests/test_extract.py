"""Page reading: decoding order, canonical URLs, metadata, and extraction quality on real pages."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from crawler.extract import Analyser, Page, decode_html, read_page
from crawler.rules import terms_query
from crawler.sources import Entry
from jobs.demo.pages import article_html

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles"
SPANISH = "<html><head>{meta}</head><body><p>Secretaría de Economía</p></body></html>"


def test_bom_wins_over_header_and_meta():
    body = b"\xef\xbb\xbf" + SPANISH.format(meta='<meta charset="iso-8859-1">').encode("utf-8")
    assert "Secretaría" in decode_html(body, "text/html; charset=iso-8859-1")


def test_header_wins_over_meta():
    body = SPANISH.format(meta='<meta charset="utf-8">').encode("latin-1")
    assert "Secretaría" in decode_html(body, "text/html; charset=ISO-8859-1")


def test_meta_is_used_when_the_header_has_no_charset():
    body = SPANISH.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=latin-1">')
    assert "Secretaría" in decode_html(body.encode("latin-1"), "text/html")


def page(html: str, url: str = "https://news.test/story?id=1") -> Page:
    return Page(url, html.encode(), "text/html; charset=utf-8")


PARAGRAPHS = ["Officials met to discuss the review of the trade agreement for a long time. " * 4] * 4


def test_canonical_link_and_metadata():
    html = article_html(
        "Story",
        PARAGRAPHS,
        canonical="/story/canonical?utm_source=amp",
        author="Ana Ruiz",
        published="2026-11-02T12:00:00+02:00",
        lang="en-GB",
    )
    facts = read_page(page(html))
    assert facts.url == "https://news.test/story/canonical"
    assert (facts.author, facts.lang) == ("Ana Ruiz", "en-GB")
    assert ("meta", "2026-11-02T10:00:00Z") in facts.published
    assert facts.text.startswith("Officials met")


def test_canonical_to_the_home_page_is_ignored():
    facts = read_page(page(article_html("Story", PARAGRAPHS, canonical="https://news.test/")))
    assert facts.url == "https://news.test/story?id=1"


def test_analysis_prefers_the_feed_and_matches_title_summary_text():
    analyser = Analyser([("usmca", terms_query(["USMCA"])), ("none", terms_query(["zebra"]))])
    entry = Entry("s", "https://news.test/story?id=1", title="USMCA talks", summary="On the pact.")
    analysis = analyser.analyse(entry, page(article_html("Other title", PARAGRAPHS, lang="es-MX")))
    assert analysis.title == "USMCA talks"
    assert analysis.lang == "en"  # tagged es-MX, but a long English text overrules a wrong tag
    assert [m.rule for m in analysis.matches] == ["usmca"]
    assert analysis.content_hash == analyser.analyse(entry, page(article_html("x", PARAGRAPHS))).content_hash


def shingles(text: str | None) -> Counter:
    tokens = re.findall(r"\w+", text or "")
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(len(tokens) - 3, 0)))


def corpus_f1() -> tuple[float, float, float]:
    """The corpus's metric: 4-token shingle precision and recall, averaged per page."""
    truth = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    precision = recall = 0.0
    for page_id, item in truth.items():
        body = gzip.decompress((CORPUS / "html" / f"{page_id}.html.gz").read_bytes())
        got, want = shingles(read_page(Page(item["url"], body)).text), shingles(item["articleBody"])
        common = sum((got & want).values())
        precision += common / sum(got.values()) if got else float(not want)
        recall += common / sum(want.values()) if want else 1.0
    p, r = precision / len(truth), recall / len(truth)
    return p, r, 2 * p * r / (p + r)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_extraction_quality_on_the_real_article_corpus():
    precision, recall, f1 = corpus_f1()
    assert f1 >= 0.93, (precision, recall, f1)


def test_language_from_the_page_tag_the_listing_or_the_text():
    spanish = ["La Secretaría de Economía anunció nuevos aranceles al acero importado desde Asia. " * 3] * 4
    analyser = Analyser([])
    untagged = article_html("Aranceles", spanish).replace('<html lang="en">', "<html>")
    entry = Entry("s", "https://news.test/story?id=1")
    assert analyser.analyse(entry, page(untagged)).lang == "es"  # detected from the text
    listed = Entry("s", "https://news.test/story?id=1", lang="pt")
    assert (
        analyser.analyse(listed, page(untagged)).lang == "pt"
    )  # news:language or the feed's, before guessing
    assert (
        analyser.analyse(listed, page(article_html("x", spanish, lang="es-MX"))).lang == "es"
    )  # <html lang>
    assert (
        analyser.analyse(Entry("s", "https://news.test/a", title="Hola")).lang is None
    )  # too short to guess


def test_dates_choose_the_most_trusted_believable_origin():
    from crawler.dates import choose

    assert choose([("feed", "2026-11-02T10:00:00Z"), ("json-ld", "2026-11-01T09:00:00Z")]) == (
        "json-ld", "2026-11-01T09:00:00Z",
    )  # fmt: skip
    assert choose([("news-sitemap", "2999-01-01T00:00:00Z"), ("feed", "2026-11-02T10:00:00Z")]) == (
        "feed", "2026-11-02T10:00:00Z",
    )  # fmt: skip
    origin, when = choose([("meta", "1970-01-01T00:00:00Z"), ("feed", None)])
    assert origin == "first-seen" and when > "2026"


WCXB = CORPUS.parent / "articles-wcxb-dev"


def word_f1(got: str | None, want: str) -> float:
    """WCXB's metric: F1 of lower-cased word multisets."""
    g, w = Counter(re.findall(r"\w+", (got or "").lower())), Counter(re.findall(r"\w+", want.lower()))
    common = sum((g & w).values())
    return 2 * common / (sum(g.values()) + sum(w.values())) if common else 0.0


@pytest.mark.skipif(not WCXB.is_dir(), reason="../shared/corpus is not present")
def test_extraction_quality_on_the_second_corpus():
    truth = json.loads((WCXB / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for page_id, item in truth.items():
        body = gzip.decompress((WCXB / "html" / f"{page_id}.html.gz").read_bytes())
        scores.append(word_f1(read_page(Page(item["url"], body)).text, item["main_content"]))
    assert sum(scores) / len(scores) >= 0.935  # trafilatura's defaults: 0.930 (bench/extract.py)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_readability_is_asked_where_trafilatura_reads_too_little():
    import trafilatura
    from trafilatura.utils import load_html

    page_id = "2f42ef1d3ea0c96e56355d3db93d0e06b47e760b74f6f4261278b8cd1c246dd6"
    item = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))[page_id]
    body = gzip.decompress((CORPUS / "html" / f"{page_id}.html.gz").read_bytes())
    alone = trafilatura.extract(
        load_html(decode_html(body, None)), url=item["url"], include_comments=False, favor_recall=True
    )
    text = read_page(Page(item["url"], body)).text
    assert len(alone) < 0.5 * len(item["articleBody"]) < 0.5 * len(text)
    assert word_f1(text, item["articleBody"]) > word_f1(alone, item["articleBody"]) + 0.2


def test_no_story_signature_is_computed_when_grouping_is_off():
    html = article_html("Tariffs on steel", ["Sheinbaum spoke with Trump about the USMCA review on Monday."])
    entry = Entry("s", "https://news.test/story?id=1", title="Tariffs on steel")
    grouping, off = Analyser([]), Analyser([], signatures=False)
    assert grouping.analyse(entry, page(html)).signature.blocks[0].digest
    assert off.analyse(entry, page(html)).signature is None
