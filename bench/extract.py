"""Extraction quality: score text-extraction settings on both shared corpora, against trafilatura's defaults.

    python bench/extract.py                       # every setting, every page
    python bench/extract.py --setting tradewatch --setting fast --half tune

Corpora (../shared/corpus): ``articles/`` (181 news pages, the Zyte benchmark) and
``articles-wcxb-dev/`` (709 article pages of about 650 sites, WCXB's development split). Metrics,
each on both corpora:

- ``zyte``: the Zyte benchmark's: precision and recall of 4-token shingles (tokens ``\\w+``),
  averaged over pages, then F1 = 2PR/(P+R);
- ``word``: WCXB's: per-page F1 of lower-cased ``\\w+`` word multisets, averaged over pages.

Every setting reads the page as tradewatch's workers do (decoded by ``crawler.extract.decode_html``,
parsed by trafilatura's ``load_html``), and its CPU time per page is measured in this process.
trafilatura's defaults run in the same process as the baseline; each difference from it comes with
a 95% paired bootstrap interval (pages resampled together for both settings), so that noise is not
taken for a gain. ``--half tune`` / ``--half check`` keep to one half of each corpus (split by a
hash of the page id, the same every run): choose on one half, confirm on the other.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract import extract_text, quiet_readability, readability_text  # noqa: E402
from crawler.text import decode_html  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPORA = {"zyte": ("articles", "articleBody"), "wcxb": ("articles-wcxb-dev", "main_content")}
WORD = re.compile(r"\w+")


@dataclass
class Page:
    id: str
    url: str
    html: str
    truth: str


def load(corpus: str, half: str, limit: int | None) -> list[Page]:
    """The pages of one corpus (``half``: all, tune or check), decoded as the workers decode them."""
    folder, key = CORPORA[corpus]
    truth = json.loads((CORPUS / folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        in_tune = int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 2 == 0
        if half != "all" and in_tune != (half == "tune"):
            continue
        body = gzip.decompress((CORPUS / folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, item["url"], decode_html(body, None), item[key]))
    return pages[:limit]


# -- settings ------------------------------------------------------------------


def _trafilatura(**options: object) -> Callable[[str, str], str | None]:
    def extract(html: str, url: str) -> str | None:
        import trafilatura
        from trafilatura.utils import load_html

        tree = load_html(html)
        return trafilatura.extract(tree, url=url, **options) if tree is not None else None

    return extract


def _with_readability(ratio: float, **options: object) -> Callable[[str, str], str | None]:
    """trafilatura, unless its text is shorter than ``ratio`` times readability-lxml's."""
    first = _trafilatura(**options)

    def extract(html: str, url: str) -> str | None:
        text = first(html, url)
        try:
            other = readability_text(html)
        except Exception:
            return text
        return other if len(text or "") < ratio * len(other) else text

    return extract


def _tradewatch(html: str, url: str) -> str | None:
    from trafilatura.utils import load_html

    tree = load_html(html)
    return extract_text(tree, html, url) if tree is not None else None


SETTINGS: dict[str, Callable[[str, str], str | None]] = {
    "defaults": _trafilatura(),
    # What the analysis workers run (crawler.extract.extract_text): favor_recall, no comments, and
    # readability-lxml when trafilatura's text is under half of the page's <p> text and of readability's.
    "tradewatch": _tradewatch,
    "fast": _trafilatura(fast=True),
    "fast, no comments (tradewatch before)": _trafilatura(fast=True, include_comments=False),
    "no comments": _trafilatura(include_comments=False),
    "no tables": _trafilatura(include_tables=False),
    "no comments, no tables": _trafilatura(include_comments=False, include_tables=False),
    "favor_recall": _trafilatura(favor_recall=True),
    "favor_recall, no comments": _trafilatura(favor_recall=True, include_comments=False),
    "favor_recall, fast": _trafilatura(favor_recall=True, fast=True),
    "favor_recall, fast, no comments": _trafilatura(favor_recall=True, fast=True, include_comments=False),
    "favor_precision": _trafilatura(favor_precision=True),
    "favor_precision, no comments": _trafilatura(favor_precision=True, include_comments=False),
    "favor_precision, fast, no comments": _trafilatura(
        favor_precision=True, fast=True, include_comments=False
    ),
    "fast, no comments + readability < 0.5": _with_readability(0.5, fast=True, include_comments=False),
    "favor_recall, fast, no comments + readability < 0.5": _with_readability(
        0.5, favor_recall=True, fast=True, include_comments=False
    ),
    # tradewatch's choice without its cost gate (readability asked on every page): the same quality?
    "favor_recall, no comments + readability < 0.5": _with_readability(
        0.5, favor_recall=True, include_comments=False
    ),
}


# -- metrics -------------------------------------------------------------------


def _shingles(text: str) -> Counter:
    tokens = WORD.findall(text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(len(tokens) - 3, 0)))


def zyte_pr(got: str | None, want: str) -> tuple[float, float]:
    """Shingle precision and recall of one page (the Zyte benchmark's metric)."""
    g, w = _shingles(got or ""), _shingles(want)
    common = sum((g & w).values())
    precision = common / sum(g.values()) if g else float(not w)
    recall = common / sum(w.values()) if w else 1.0
    return precision, recall


def word_f1(got: str | None, want: str) -> float:
    """Word F1 of one page (WCXB's metric): lower-cased word multisets."""
    g, w = Counter(WORD.findall((got or "").lower())), Counter(WORD.findall(want.lower()))
    common = sum((g & w).values())
    if not common:
        return float(not g and not w)
    p, r = common / sum(g.values()), common / sum(w.values())
    return 2 * p * r / (p + r)


def zyte_f1(prs: list[tuple[float, float]], sample: list[int]) -> float:
    p = sum(prs[i][0] for i in sample) / len(sample)
    r = sum(prs[i][1] for i in sample) / len(sample)
    return 2 * p * r / (p + r) if p + r else 0.0


def mean_of(values: list[float], sample: list[int]) -> float:
    return sum(values[i] for i in sample) / len(sample)


@dataclass
class Scores:
    prs: list[tuple[float, float]]
    words: list[float]
    ms: float

    def zyte(self, sample: list[int]) -> float:
        return zyte_f1(self.prs, sample)

    def word(self, sample: list[int]) -> float:
        return mean_of(self.words, sample)


def score(extract: Callable[[str, str], str | None], pages: list[Page]) -> Scores:
    """Run one setting over the pages: per-page scores and mean CPU milliseconds per page."""
    prs, words, cpu = [], [], 0.0
    for page in pages:
        start = time.process_time()
        try:
            text = extract(page.html, page.url)
        except Exception:
            text = None
        cpu += time.process_time() - start
        prs.append(zyte_pr(text, page.truth))
        words.append(word_f1(text, page.truth))
    return Scores(prs, words, 1000 * cpu / len(pages))


def interval(metric: str, a: Scores, b: Scores, n: int, rounds: int, seed: int = 1) -> tuple[float, float]:
    """95% paired bootstrap interval of metric(a) - metric(b) over resampled pages."""
    rng = random.Random(seed)
    diffs = []
    for _ in range(rounds):
        sample = [rng.randrange(n) for _ in range(n)]
        diffs.append(getattr(a, metric)(sample) - getattr(b, metric)(sample))
    diffs.sort()
    return diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--setting",
        action="append",
        help="a setting to score (repeat it; default: all); the baseline always runs",
    )
    parser.add_argument("--half", choices=["all", "tune", "check"], default="all")
    parser.add_argument("--limit", type=int, help="at most this many pages per corpus")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap rounds")
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args()
    quiet_readability()
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    names = args.setting or list(SETTINGS)
    names = ["defaults", *[n for n in names if n != "defaults"]]
    for name in names:
        if name not in SETTINGS:
            sys.exit(f"unknown setting {name!r}; known: {', '.join(SETTINGS)}")
    corpora = {c: load(c, args.half, args.limit) for c in CORPORA}
    print(f"pages: {', '.join(f'{c} {len(p)}' for c, p in corpora.items())} ({args.half})", flush=True)
    results: dict[str, dict[str, Scores]] = {}
    for name in names:
        results[name] = {c: score(SETTINGS[name], pages) for c, pages in corpora.items()}
        print(f"  {name}: done", file=sys.stderr, flush=True)
    report(results, corpora, args.bootstrap, args.json)


def report(
    results: dict[str, dict[str, Scores]], corpora: dict[str, list[Page]], rounds: int, path: str | None
) -> None:
    base = results["defaults"]
    cells = [(c, m) for c in corpora for m in ("zyte", "word")]
    header = " | ".join(f"{c} {m}-F1 (vs defaults, 95% CI)" for c, m in cells)
    print(f"| setting | {header} | ms/page {' / '.join(corpora)} |")
    print("|---" * (len(cells) + 2) + "|")
    figures = {}
    for name, scores in results.items():
        row, figures[name] = [], {}
        for corpus, metric in cells:
            n = len(corpora[corpus])
            everything = list(range(n))
            value = getattr(scores[corpus], metric)(everything)
            figure = {"value": round(value, 4)}
            if name == "defaults":
                row.append(f"{value:.3f}")
            else:
                diff = value - getattr(base[corpus], metric)(everything)
                low, high = interval(metric, scores[corpus], base[corpus], n, rounds)
                row.append(f"{value:.3f} ({diff:+.3f}, {low:+.3f}..{high:+.3f})")
                figure.update(diff=round(diff, 4), low=round(low, 4), high=round(high, 4))
            figures[name][f"{corpus} {metric}"] = figure
        ms = " / ".join(f"{scores[c].ms:.1f}" for c in corpora)
        figures[name]["ms"] = {c: round(scores[c].ms, 2) for c in corpora}
        print(f"| {name} | {' | '.join(row)} | {ms} |")
    if path:
        Path(path).write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
