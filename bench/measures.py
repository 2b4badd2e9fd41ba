"""Trade measures: what ``crawler.measures.read_measures`` finds in the marked texts of
``../shared/corpus/trade-facts/dev.jsonl``, scored with the metric its README suggests.

    python bench/measures.py [--file dev.jsonl] [--verbose] [--baseline]

1. Tuple precision and recall, micro, per language: a predicted measure matches a marked one (each
   at most once) when instrument, rate (to 0.1; null only with null) and product set (labels
   normalised: lower case, singular, aluminium/aluminum, and the synonyms of ``SYNONYMS``; an empty
   set only with an empty set) are equal (issue 22's reading of the README's metric). Also: with
   the action too (the README's strict tuple), and without products.
2. Per-field accuracy on the matched pairs: action, imposer, targets (exact set), legal basis
   (case-blind; "Section 232" equals "Section 232 of the Trade Expansion Act"), effective date,
   status.
3. Cost: CPU ms per text of the extraction (the texts read five times, the best run).

``--baseline`` scores the issue's yardstick instead: each percentage of a sentence that names a
tariff, with the products of a small list.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus" / "trade-facts"

# Product labels that name the same goods (the metric's synonym table, kept with the bench).
SYNONYMS = [
    {"car", "automobile", "vehicle", "auto", "passenger vehicle", "motor vehicle"},
    {"auto part", "automobile part", "car part", "vehicle part"},
    {"steel product", "steel"},
    {"aluminum product", "aluminum"},
    {"semiconductor", "chip"},
    {"soybean", "soy", "soya"},
    {"seafood", "aquatic product", "fish"},
    {"electric vehicle", "electric car", "ev"},
    {"dairy", "dairy product"},
    {"crude oil", "oil", "petroleum"},
    {"tomato", "fresh tomato"},
]
_CANON = {label: sorted(group)[0] for group in SYNONYMS for label in group}


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def product(label: str) -> str:
    words = label.lower().replace("aluminium", "aluminum").split()
    text = " ".join([*words[:-1], singular(words[-1])]) if words else ""
    return _CANON.get(text, text)


def key(fact: dict, action: bool = False, products: bool = True) -> tuple:
    rate = None if fact.get("rate") is None else round(float(fact["rate"]), 1)
    goods = frozenset(product(p) for p in fact.get("products") or []) if products else None
    return (fact["instrument"], fact["action"] if action else None, rate, goods)


def legal(value: str | None) -> str | None:
    if not value:
        return None
    value = value.lower()
    found = re.match(r"(section \d+|executive order \d*|proclamation \d*|ieepa)", value)
    return (found.group(1) if found else value).strip()


def match(gold: list[dict], predicted: list[dict], **how: bool) -> list[tuple[dict, dict]]:
    """Pairs of (gold, predicted) facts with equal keys, each used once."""
    left = list(predicted)
    pairs = []
    for fact in gold:
        wanted = key(fact, **how)
        for other in left:
            if key(other, **how) == wanted:
                pairs.append((fact, other))
                left.remove(other)
                break
    return pairs


FIELDS: dict[str, Callable[[dict], object]] = {
    "action": lambda f: f.get("action"),
    "imposer": lambda f: f.get("imposer"),
    "targets": lambda f: frozenset(f.get("targets") or []),
    "legal_basis": lambda f: legal(f.get("legal_basis")),
    "effective_date": lambda f: f.get("effective_date"),
    "status": lambda f: f.get("status"),
}


def score(rows: list[dict], predict: Callable[[dict], list[dict]], verbose: bool) -> None:
    counts: dict[str, Counter] = {}
    fields: dict[str, Counter] = {}
    for row in rows:
        lang = row["lang"]
        predicted = predict(row)
        c = counts.setdefault(lang, Counter())
        c["gold"] += len(row["facts"])
        c["predicted"] += len(predicted)
        pairs = match(row["facts"], predicted)
        c["matched"] += len(pairs)
        c["matched_action"] += len(match(row["facts"], predicted, action=True))
        c["matched_no_products"] += len(match(row["facts"], predicted, products=False))
        for gold, found in pairs:
            for name, get in FIELDS.items():
                fields.setdefault(name, Counter())["right" if get(gold) == get(found) else "wrong"] += 1
        if verbose:
            print(f"{row['id']} ({lang}): {len(pairs)} of {len(row['facts'])} marked, {len(predicted)} read")
            for fact in predicted:
                hit = any(fact is f for _, f in pairs)
                print(f"   {'+' if hit else '-'} {key(fact)} {fact.get('imposer')}->{fact.get('targets')}")
            for fact in row["facts"]:
                if not any(fact is g for g, _ in pairs):
                    print(f"   ? {key(fact)} {fact.get('imposer')}->{fact.get('targets')}")
    for lang, c in sorted(counts.items()):
        p = c["matched"] / c["predicted"] if c["predicted"] else 0.0
        r = c["matched"] / c["gold"] if c["gold"] else 0.0
        relaxed = [c[k] / c["gold"] for k in ("matched_action", "matched_no_products")]
        print(
            f"{lang}: precision {p:.2f} ({c['matched']}/{c['predicted']}), recall {r:.2f}"
            f" ({c['matched']}/{c['gold']}); recall with the action too {relaxed[0]:.2f},"
            f" without products {relaxed[1]:.2f}"
        )
    cells = [f"{name} {f['right'] / max(sum(f.values()), 1):.2f} ({f['right']}/{sum(f.values())})"
             for name, f in fields.items()]  # fmt: skip
    print("on matched pairs: " + ", ".join(cells) if cells else "on matched pairs: none")


_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?(?:%|percent|per cent|por ciento)")
_TARIFF = re.compile(r"tariff|arancel|duty|duties|gravamen", re.I)
_GOODS = ["steel", "aluminum", "acero", "aluminio", "cars", "autos", "soybeans", "soya", "semiconductors"]
_ES_GOODS = {"acero": "steel", "aluminio": "aluminum", "autos": "cars", "soya": "soybeans"}


def baseline(row: dict) -> list[dict]:
    """Each percentage of a sentence that names a tariff, with the products of a small list."""
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", row["text"]):
        if not _TARIFF.search(sentence):
            continue
        goods = sorted({_ES_GOODS.get(g, g) for g in _GOODS if re.search(rf"\b{g}\b", sentence, re.I)})
        for m in _PERCENT.finditer(sentence):
            rate = float(m.group(1).replace(",", "."))
            found.append({"instrument": "tariff", "action": "impose", "rate": rate, "products": goods})
    return found


def extractor(row: dict) -> list[dict]:
    from crawler.measures import read_measures

    return [m.to_json() for m in read_measures(row["text"], row["title"], row["lang"], row["published"])]


def cost(rows: Iterable[dict]) -> float:
    from crawler.measures import read_measures

    rows = list(rows)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for row in rows:
            read_measures(row["text"], row["title"], row["lang"], row["published"])
        best = min(best, time.process_time() - started)
    return best * 1000 / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", default=str(CORPUS / "dev.jsonl"))
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--baseline", action="store_true", help="score the regular-expression yardstick")
    args = parser.parse_args()
    rows = [json.loads(line) for line in Path(args.file).read_text(encoding="utf-8").splitlines()]
    print(f"{Path(args.file).name}: {len(rows)} texts, {sum(len(r['facts']) for r in rows)} marked measures")
    score(rows, baseline if args.baseline else extractor, args.verbose)
    if not args.baseline:
        print(f"cost: {cost(rows):.2f} CPU ms per text (best of 5)")


if __name__ == "__main__":
    main()
