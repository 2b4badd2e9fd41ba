"""Research baseline for story grouping (issue 9): not tradewatch's grouping, which does not exist yet.

    python bench/stories_baseline.py

Streams the articles of ``../shared/corpus/stories/semeval2022-task8-train.jsonl`` per language
through a simple grouping (a wire-copy test on word 5-shingles, else an IDF-weighted overlap of
"facts": capitalised names not at a sentence start, numbers, rare long words; facts in more than
3% of the articles are discounted as boilerplate) and prints, per threshold, the share of "one
story" pairs (overall <= 1.5) grouped together (recall) and of "two stories" pairs (>= 3.5)
grouped together (false merges), on all pairs and on two hash halves of them. Then checks that
synthetic wire copies of the ``articles/`` corpus (trimmed, a new lede, edited words, a byline,
a reaction paragraph) pass the wire-copy test while different articles do not.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
WORD = re.compile(r"\w+")
NAME = re.compile(r"\b([A-ZÁÉÍÓÚÑ][\w'’-]+(?:\s+[A-ZÁÉÍÓÚÑ][\w'’-]+)*)")
SENTENCE_END = '.!?:"“”('
WIRE = 0.5  # shingle containment from which two texts are one wire copy
MIN_SHARED = 4  # facts two articles must share to be compared at all
BOILERPLATE = 0.03  # facts in more of the stream's articles than this share are discounted


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def facts(text: str) -> set[str]:
    """Names (not a lone capital at a sentence start), numbers of two digits or more, rare long words."""
    found = set()
    for match in NAME.finditer(text):
        before = text[: match.start()].rstrip()
        words = match.group(1).split()
        if len(words) == 1 and (not before or before[-1] in SENTENCE_END):
            continue
        found.update("n:" + fold(w) for w in words if len(w) > 2)
    found.update("w:" + fold(w) for w in WORD.findall(text) if w.islower() and len(w) >= 7)
    found.update("d:" + n.replace(",", ".") for n in re.findall(r"\d+(?:[.,]\d+)?", text) if len(n) >= 2)
    return found


def shingles(text: str, k: int = 5) -> set[str]:
    words = WORD.findall(fold(text))
    return {" ".join(words[i : i + k]) for i in range(max(len(words) - k + 1, 0))}


def containment(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)


def group(texts: dict[str, str], threshold: float) -> dict[str, str]:
    """article id -> story id, articles taken one by one in id order, each joining its best match."""
    story: dict[str, str] = {}
    seen_facts: dict[str, set[str]] = {}
    seen_shingles: dict[str, set[str]] = {}
    df: Counter[str] = Counter()
    for n, article in enumerate(sorted(texts)):
        mine, grams = facts(texts[article]), shingles(texts[article])
        common = {k for k in mine if df[k] > max(3, BOILERPLATE * n)}

        def idf(k: str, n: int = n) -> float:
            return math.log((n + 1) / (df[k] + 1)) + 1

        best, best_score = None, 0.0
        for other in story:
            wire = containment(grams, seen_shingles[other])
            if wire >= WIRE:
                score = 1 + wire
            else:
                theirs = seen_facts[other]
                shared = (mine & theirs) - common
                if len(shared) < MIN_SHARED:
                    continue
                weight = min(sum(idf(k) for k in mine - common), sum(idf(k) for k in theirs - common)) or 1
                score = sum(idf(k) for k in shared) / weight
                if score < threshold:
                    continue
            if score > best_score:
                best, best_score = other, score
        story[article] = story[best] if best else article
        seen_facts[article], seen_shingles[article] = mine, grams
        df.update(mine)
    return story


def pairs_score(rows: list[dict], lang: str, threshold: float) -> tuple[float, float]:
    rows = [r for r in rows if r["lang"] == lang]
    texts = {r["id1"]: r["text1"] for r in rows} | {r["id2"]: r["text2"] for r in rows}
    story = group(texts, threshold)
    one = [r for r in rows if r["overall"] <= 1.5]
    two = [r for r in rows if r["overall"] >= 3.5]
    together = (
        [story[r["id1"]] == story[r["id2"]] for r in one],
        [story[r["id1"]] == story[r["id2"]] for r in two],
    )
    return sum(together[0]) / len(one), sum(together[1]) / len(two)


def synthetic(seed: int = 3) -> str:
    rng = random.Random(seed)
    truth = json.loads((CORPUS / "articles" / "ground-truth.json").read_text(encoding="utf-8"))
    bodies = [v["articleBody"] for v in truth.values() if len(v["articleBody"]) > 1500]
    grouped = total = 0
    for body in bodies:
        paragraphs = [p for p in body.split("\n") if p.strip()]
        edited = " ".join(
            w if rng.random() > 0.03 else rng.choice(["said", "told", "new"]) for w in body.split()
        )
        for variant in (
            "\n".join(paragraphs[: max(3, len(paragraphs) // 2)]),
            "Our correspondent reports on a story that matters to local readers today.\n" + body,
            edited,
            body + "\nWith information from EFE.",
            body + "\nLocal business groups reacted with concern and asked for talks.",
        ):
            total += 1
            grouped += containment(shingles(body), shingles(variant)) >= WIRE
    sample = [shingles(b) for b in bodies[:120]]
    apart = max(containment(a, b) for i, a in enumerate(sample) for b in sample[i + 1 :])
    return (
        f"synthetic wire copies of {len(bodies)} articles: {grouped}/{total} pass the wire test; "
        f"highest containment between different articles: {apart:.3f} (test: >= {WIRE})"
    )


def main() -> None:
    rows = [json.loads(line) for line in (CORPUS / "stories" / "semeval2022-task8-train.jsonl").open()]
    halves = [
        [r for r in rows if int(hashlib.sha1(r["pair_id"].encode()).hexdigest(), 16) % 2 == h] for h in (0, 1)
    ]
    print("lang threshold | all: recall false-merges | half A | half B")
    for lang in ("en", "es"):
        for threshold in (0.15, 0.2, 0.25, 0.3):
            figures = [pairs_score(part, lang, threshold) for part in (rows, *halves)]
            cells = " | ".join(f"{r:.2f} {f:.1%}" for r, f in figures)
            print(f"{lang} {threshold:.2f} | {cells}")
    print(synthetic())


if __name__ == "__main__":
    main()
