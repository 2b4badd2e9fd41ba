"""Story grouping: quality on people's judgements, on synthetic wire copies, and its cost.

    python bench/stories.py [--part quality|synthetic|cost|all] [--half all|A|B] [--seed-articles 100000]

quality: every article of a language of ``../shared/corpus/stories/semeval2022-task8-train.jsonl``
goes into one store (a real SQLite file, through ``crawler.ingest.save_article``) as a stream; per
language, recall is the share of "one story" pairs (overall <= 1.5) that end in one story, false
merges the share of "two stories" pairs (overall >= 3.5) that do; the same for the Spanish-English
pairs of ``semeval2022-task8-train-es-en.jsonl`` (``es-en``). Each on a store that starts empty,
then on one seeded with history (the extraction corpora's 848 texts, published two months before:
they count facts, and no window reaches them), since in a small store every fact looks rare.
``--half A|B`` keeps the pairs of one hash half (the tuning guard: a setting must hold on both).

synthetic: wire-copy variants (trimmed, a new lede, edited words, another headline, a byline,
a reaction paragraph) of the ``articles/`` and ``articles-wcxb-dev/`` texts, each from another
outlet, must all join their original's story, and no two originals may share one.

cost: what the word frequencies and the places cost a process to load (memory, CPU); CPU per
article of grouping (the signature, as the workers compute it, plus the writer's
part: ``save_article`` with grouping against ``save_article`` with ``stories: false``, in the
same process, each article saved into both stores in turn), and the writer's look-up with 1k
and with ``--seed-articles`` stored (the same last 1k, more history before them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.dates import iso  # noqa: E402
from crawler.ingest import save_article  # noqa: E402
from crawler.store import Store  # noqa: E402
from crawler.stories import WINDOW, Grouper, signature  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
NOW = "2026-11-30T12:00:00Z"


def row(
    url: str, title: str | None, text: str, source: str, published_at: str, lang: str | None = None
) -> dict:
    """An ``articles`` row as the crawler would save it."""
    digest = hashlib.sha1(text.encode()).hexdigest()
    return {"url": url, "title": title, "text": text, "source": source, "lang": lang,
            "published_at": published_at, "content_hash": digest}  # fmt: skip


def half(pair_id: str) -> str:
    return "AB"[int(hashlib.sha1(pair_id.encode()).hexdigest(), 16) % 2]


HISTORY = "2026-10-01T12:00:00Z"  # the seeded history: two months before NOW, outside every window


def score_pairs(
    label: str, pairs: list[dict], langs: tuple[str, str] | None, which: str, history: list[tuple[str, str]]
) -> None:
    """Stream every article of ``pairs`` into one store (after ``history``, when given) and print the
    recall of "one story" pairs and the false merges of "two stories" pairs."""
    texts: dict[str, tuple[str, str | None]] = {}
    for r in pairs:
        lang1, lang2 = langs or (r.get("lang"), r.get("lang"))
        texts.setdefault(r["id1"], (r["text1"], lang1))
        texts.setdefault(r["id2"], (r["text2"], lang2))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        for n, (title, body) in enumerate(history):  # counts only: published long before the pairs
            save_article(store, row(f"https://past.example/{n}", title, body, f"past{n % 40}", HISTORY),
                         [], [], window=WINDOW)  # fmt: skip
        story = {}
        for article in sorted(texts):
            text, lang = texts[article]
            article_id = save_article(
                store,
                row(f"https://news.example/{article}", None, text, f"outlet-{article}", NOW, lang),
                [],
                [],
                window=WINDOW,
            )
            story[article] = store.db.execute(
                "SELECT story_id FROM articles WHERE id = ?", [article_id]
            ).fetchone()[0]
        store.close()
    scored = [r for r in pairs if which == "all" or half(r["pair_id"]) == which]
    one = [story[r["id1"]] == story[r["id2"]] for r in scored if r["overall"] <= 1.5]
    two = [story[r["id1"]] == story[r["id2"]] for r in scored if r["overall"] >= 3.5]
    print(
        f"  {label}: recall {sum(one) / len(one):.2f} ({sum(one)}/{len(one)}),"
        f" false merges {sum(two) / len(two):.1%} ({sum(two)}/{len(two)}), {len(texts)} articles"
    )


def quality(which: str, seeded: bool = False) -> None:
    rows = [json.loads(line) for line in (CORPUS / "stories" / "semeval2022-task8-train.jsonl").open()]
    history = bodies() if seeded else []
    where = f", after {len(history)} articles of history" if seeded else ""
    print(
        "quality (semeval 2022 task 8 train, natural pairs)"
        + ("" if which == "all" else f", half {which}")
        + where
    )
    for lang in ("en", "es"):
        score_pairs(lang, [r for r in rows if r["lang"] == lang], None, which, history)
    crossed = CORPUS / "stories" / "semeval2022-task8-train-es-en.jsonl"
    if crossed.exists():
        score_pairs("es-en", [json.loads(line) for line in crossed.open()], ("es", "en"), which, history)


def bodies(corpora: tuple[str, ...] = ("articles", "articles-wcxb-dev")) -> list[tuple[str, str]]:
    """(title, text) of the articles of the extraction corpora with enough text to be a story."""
    found = []
    for name in corpora:
        truth = json.loads((CORPUS / name / "ground-truth.json").read_text(encoding="utf-8"))
        for value in truth.values():
            body = value.get("articleBody") or value.get("main_content") or ""
            if len(body) > 1200:
                found.append(((value.get("title") or body.split("\n")[0])[:150], body))
    return found


def variants(title: str, body: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, title, text) wire copies of one article."""
    paragraphs = [p for p in body.split("\n") if p.strip()]
    words = body.split()
    edited = " ".join(
        w if rng.random() > 0.03 else rng.choice(["said", "told", "new", "dijo"]) for w in words
    )
    return [
        ("trimmed", title, "\n".join(paragraphs[: max(2, len(paragraphs) // 3)])),
        (
            "lede",
            title,
            "Our correspondent reports on a story that matters to readers in the region today.\n" + body,
        ),
        ("edited", title, edited),
        ("headline", "Breaking: " + " ".join(reversed(title.split())), body),
        ("byline", title, "By Staff Writer\n" + body + "\nWith information from EFE."),
        (
            "reaction",
            title,
            body + "\nLocal business groups reacted with concern and asked for talks with officials.",
        ),
    ]


def synthetic(seed: int = 7, verbose: bool = False) -> None:
    rng = random.Random(seed)
    articles = bodies()
    first_wcxb = len(bodies(("articles",)))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        originals, copies = {}, []
        for n, (title, body) in enumerate(articles):
            originals[n] = save_article(
                store, row(f"https://wire.example/{n}", title, body, f"site{n}", NOW), [], [], window=WINDOW
            )
        for n, (title, body) in enumerate(articles):
            for k, (kind, other_title, text) in enumerate(variants(title, body, rng)):
                url = f"https://outlet{k}.example/{n}"
                article_id = save_article(
                    store, row(url, other_title, text, f"outlet{k}", NOW), [], [], window=WINDOW
                )
                copies.append((kind, n, article_id))
        story = dict(store.db.execute("SELECT id, story_id FROM articles").fetchall())
        reasons = dict(store.db.execute("SELECT article_id, reason FROM story_links").fetchall())
        evidence = dict(store.db.execute("SELECT article_id, evidence FROM story_links").fetchall())
        store.close()
    grouped: dict[str, list[bool]] = {}
    for kind, n, article_id in copies:
        grouped.setdefault(kind, []).append(story[article_id] == story[originals[n]])
    cells = ", ".join(f"{kind} {sum(v)}/{len(v)}" for kind, v in grouped.items())
    total = sum(sum(v) for v in grouped.values())
    print(f"synthetic wire copies of {len(articles)} articles: {total}/{len(copies)} grouped ({cells})")
    joined = {i: evidence[i] for i in originals.values() if evidence[i] != "new story"}
    by_kind: dict[str, int] = {}
    for kind in joined.values():
        by_kind[kind] = by_kind.get(kind, 0) + 1
    news = sum(1 for n, i in originals.items() if n < first_wcxb and i in joined)
    print(
        f"  originals that joined another original's story: {len(joined)} of {len(originals)}"
        f" ({news} of the {first_wcxb} of articles/), by {by_kind or 'nothing'}"
    )
    if verbose:
        for kind, n, article_id in copies:
            if story[article_id] != story[originals[n]]:
                print(f"  missed {kind} copy of {articles[n][0][:60]!r}: {reasons[article_id]}")
        for n, article_id in originals.items():
            if article_id in joined:
                print(f"  {articles[n][1][:70]!r}: {reasons[article_id]}")


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def generated(n: int, rng: random.Random, pool: list[str]) -> tuple[str, str]:
    """A made-up article: sentences of the corpus with made-up names and figures, one of a kind."""
    names = [f"Name{rng.randrange(10**6)}" for _ in range(4)]
    sentences = rng.sample(pool, 8)
    text = "\n".join(
        f"{s} {names[i % 4]} said {rng.randrange(10, 10**5)} on {rng.choice(names)}."
        for i, s in enumerate(sentences)
    )
    return f"{names[0]} and {names[1]} on story {n}", text


def seed(store: Store, count: int, rng: random.Random, pool: list[str], start: float, step: float) -> None:
    for n in range(count):
        title, text = generated(n, rng, pool)
        url = f"https://seed.example/{start}/{n}"
        save_article(
            store, row(url, title, text, f"s{n % 50}", iso_at(start + n * step)), [], [], window=WINDOW
        )


def iso_at(seconds: float) -> str:
    from datetime import UTC, datetime

    return iso(datetime.fromtimestamp(seconds, UTC))


def cost(seed_articles: int) -> None:
    from datetime import UTC, datetime

    rng = random.Random(11)
    articles = bodies()
    pool = [s for _, body in articles for s in _SENTENCE.split(body) if 40 < len(s) < 300]
    sample = articles[:300]
    signature(
        sample[0][0], None, sample[0][1]
    )  # imports datasketch and justext's lists: once per worker, not per article
    started = time.process_time()
    for title, body in sample:
        signature(title, None, body)
    worker_ms = (time.process_time() - started) * 1000 / len(sample)

    def save_all() -> tuple[float, float]:
        """CPU ms per article of save_article without grouping and with it: the same articles saved
        into two stores in turn, so that the machine's drift falls on both alike."""
        with tempfile.TemporaryDirectory() as tmp:
            window = 3 * 86400.0
            stores = {w: Store(Path(tmp) / f"bench-{w}.db") for w in (None, window)}
            spent = dict.fromkeys(stores, 0.0)
            sigs = [signature(t, None, b) for t, b in sample]
            for n, ((title, body), sig) in enumerate(zip(sample, sigs, strict=True)):
                for w, store in stores.items():
                    article = row(f"https://x.example/{n}", title, body, f"s{n % 7}", NOW)
                    started = time.process_time()
                    save_article(store, article, [], [], sig=sig, window=w)
                    spent[w] += time.process_time() - started
            for store in stores.values():
                store.close()
        return spent[None] * 1000 / len(sample), spent[window] * 1000 / len(sample)

    from crawler import words

    words.frequency("x")  # loads the word frequencies: once per writer process (load_costs), not per article
    off, on = save_all()
    print(
        f"cost per article: signature {worker_ms:.2f} ms (worker), writer {on - off:.2f} ms over"
        f" save_article without grouping ({off:.2f} -> {on:.2f} ms, saved in turn);"
        f" total {worker_ms + on - off:.2f} ms"
    )

    now = datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp()
    day = 86400.0
    probes = [generated(10**7 + n, random.Random(n), pool) for n in range(200)]

    def look_up(store: Store) -> float:
        sigs = [signature(t, None, b) for t, b in probes]
        grouper = Grouper(store.db.conn, 3 * day)
        started = time.perf_counter()
        for n, ((title, body), sig) in enumerate(zip(probes, sigs, strict=True)):
            grouper.decide(row(f"https://probe.example/{n}", title, body, "probe", NOW), sig, NOW)
        spent = time.perf_counter() - started
        store.db.conn.rollback()  # the stories decide() opened
        return spent * 1000 / len(probes)

    with tempfile.TemporaryDirectory() as tmp:
        recent = 1000
        small, large = Store(Path(tmp) / "small.db"), Store(Path(tmp) / "large.db")
        history = seed_articles - recent
        began = time.perf_counter()
        for store in (small, large):  # the same last day in both, the history before it in one
            seed(store, recent, random.Random(1), pool, now - day, day / recent)
        seed(large, history, rng, pool, now - 100 * day - 3 * day, 97 * day / max(history, 1))
        seeding = time.perf_counter() - began
        # The two stores in turn, five times: the machine's drift falls on both alike.
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(5):
            for spent, store in zip(times, (small, large), strict=True):
                spent.append(look_up(store))
        small.close()
        large.close()
    low, high = (min(spent) for spent in times)
    print(
        f"look-up (the writer's decision, wall ms per article, best of 5, the stores in turn): {low:.2f} ms"
        f" with {recent} stored, {high:.2f} ms with {seed_articles} stored: {high / low:.2f}x"
        f" (seeding took {seeding:.0f} s)"
    )


_LOAD = """
import sys, time
sys.path.insert(0, {root!r})
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
import crawler.text, crawler.stories.signature
before, started = rss(), time.process_time()
{load}
print(f"{{rss() - before:.1f}} {{(time.process_time() - started) * 1000:.0f}}")
"""


def load_costs() -> None:
    """What the word frequencies (in the writer) and the places (in each worker) cost a process:
    resident memory and CPU to load, each in a fresh interpreter."""
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    loads = {
        "word frequencies (writer)": "from crawler import words; words.frequency('x')",
        "places (workers)": "from crawler.places import find_places; list(find_places('Canada'))",
    }
    for label, load in loads.items():
        out = subprocess.run([sys.executable, "-c", _LOAD.format(root=root, load=load)],
                             capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
        print(f"load: {label}: +{out[0]} MB resident, {out[1]} ms CPU, once per process")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["quality", "synthetic", "cost", "all"], default="all")
    parser.add_argument("--half", choices=["all", "A", "B"], default="all")
    parser.add_argument("--verbose", action="store_true", help="say which originals were merged, and why")
    parser.add_argument("--seed-articles", type=int, default=100_000)
    args = parser.parse_args()
    if args.part in ("quality", "all"):
        quality(args.half)
        quality(args.half, seeded=True)
    if args.part in ("synthetic", "all"):
        synthetic(verbose=args.verbose)
    if args.part in ("cost", "all"):
        load_costs()
        cost(args.seed_articles)


if __name__ == "__main__":
    main()
