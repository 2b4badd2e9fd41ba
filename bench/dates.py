"""Date and language origins across the shared corpus of real article pages.

For each page of ``../shared/corpus/articles`` (no listing, so no news-sitemap or feed date):
which origin gave ``published_at`` (JSON-LD, meta tags, htmldate, or first-seen when none
did), how many pages each origin could date on its own, how often JSON-LD and meta tags
agree on the day, and where ``lang`` came from (the page's tag or the detector). Also the
time that reading dates adds to a page (JSON-LD and meta, and htmldate when it runs).

Usage: python bench/dates.py
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler import dates  # noqa: E402
from crawler.extract import Analyser, Page, _head_metadata, _htmldate, _json_ld_dates, _meta_dates  # noqa: E402
from crawler.langs import short_lang  # noqa: E402
from crawler.sources import Entry  # noqa: E402

ARTICLES = ROOT.parent / "shared" / "corpus" / "articles"


def main() -> None:
    truth_file = ARTICLES / "ground-truth.json"
    if not truth_file.exists():
        raise SystemExit(f"no corpus at {ARTICLES}")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    from trafilatura.utils import load_html

    from crawler.extract import decode_html

    analyser = Analyser([])
    chosen: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    agree = both = 0
    reading = 0.0
    for key, item in truth.items():
        body = gzip.decompress((ARTICLES / "html" / f"{key}.html.gz").read_bytes())
        page = Page(item["url"], body, "text/html")
        analysis = analyser.analyse(Entry("corpus", item["url"]), page)
        chosen[analysis.published_from] += 1
        tree = load_html(decode_html(body, "text/html"))
        started = time.perf_counter()
        ld, _ = _json_ld_dates(tree)
        meta, _ = _meta_dates(tree, _head_metadata(tree))
        reading += time.perf_counter() - started
        found = _htmldate(tree, item["url"])
        for origin, date in (("json-ld", ld), ("meta", meta), ("htmldate", found)):
            alone[origin] += dates.believable(date)
        if ld and meta:
            both += 1
            agree += ld[:10] == meta[:10]
        tagged = short_lang(tree.get("lang"))
        if tagged:
            langs["page tag" if tagged == analysis.lang else f"tag {tagged} overruled by the detector"] += 1
        else:
            langs["detector" if analysis.lang else "unknown"] += 1
        langs[f"lang={analysis.lang}"] += 1
    n = len(truth)
    print(f"{n} pages of {ARTICLES}")
    print("published_at chosen from (no listing date):")
    for origin in dates.ORIGINS:
        if chosen[origin]:
            print(f"  {origin:<12} {chosen[origin]:>4}  {chosen[origin] / n:6.1%}")
    dated = n - chosen["first-seen"]
    print(f"  dated by the page itself: {dated} of {n} ({dated / n:.1%})")
    print("each origin on its own could date:")
    for origin in ("json-ld", "meta", "htmldate"):
        print(f"  {origin:<12} {alone[origin]:>4}  {alone[origin] / n:6.1%}")
    print(f"JSON-LD and meta both present on {both} pages; same day on {agree} ({agree / max(both, 1):.1%})")
    print(f"reading JSON-LD and meta dates: {reading / n * 1000:.2f} ms per page")
    print("lang from:", ", ".join(f"{k} {v}" for k, v in langs.most_common() if not k.startswith("lang=")))
    print("lang found:", ", ".join(f"{k[5:]} {v}" for k, v in langs.most_common(8) if k.startswith("lang=")))


if __name__ == "__main__":
    main()
