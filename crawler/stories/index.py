"""The story index: every SQL of the story tables (counts, candidates, records, pruning).

``Grouper.decide`` runs in the single writer, in the article's transaction, before the article
is inserted: it looks up candidates through indexed keys within the window, has the evidence
weighed (``crawler.stories.decision``, pure) and writes the outcome (a new story, or the joined
story's counts); ``Grouper.record`` keeps the decision and the keys by which later copies will
find the article. What a source repeats (a newsletter's disclaimer, a recurring column's
headline) is learnt per source, sentence by sentence, and left out of the comparison.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from crawler.dates import from_iso, iso
from crawler.sqlite import read_json_list
from crawler.stories import decision as judge
from crawler.stories.decision import Candidate, Decision, Found, Link
from crawler.stories.signature import Signature, signature
from crawler.stories.tuning import TUNING, WINDOW, Tuning


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

    def __init__(self, conn: sqlite3.Connection, flush: int = TUNING.flush) -> None:
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
            self.write()

    def write(self) -> None:
        """Add the pending articles' facts to ``story_facts`` (``flush`` articles at a time, or now)."""
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
        self,
        conn: sqlite3.Connection,
        window: float | None = WINDOW,
        frequencies: Frequencies | None = None,
        tuning: Tuning = TUNING,
    ) -> None:
        self.conn = conn
        self.window = window
        self.tuning = tuning
        self.frequencies = frequencies if frequencies is not None else Frequencies(conn, flush=1)

    def place(self, article_id: int, article: dict[str, Any], sig: Signature | None, now: str) -> Link:
        """Decide and record the story of ``article_id``, an article stored without one (the migration)."""
        decision = self.decide(article, sig, now)
        self.conn.execute(
            "UPDATE articles SET story_id = ? WHERE id = ?", [decision.link.story_id, article_id]
        )
        return self.record(article_id, article, sig, decision, now)

    def decide(self, article: dict[str, Any], sig: Signature | None, now: str) -> Decision:
        """Decide the story of an article about to be stored: join a story (its counts updated) or
        start one (its row created; ``record`` names its first article). ``sig`` may be None
        only with grouping off. The evidence is weighed in ``crawler.stories.decision``; here
        are the look-ups it needs and the writes of its outcome."""
        if self.window is None:
            return Decision(self._new_story(article, now, "grouping off", "stories: false in config"))
        assert sig is not None, "grouping needs the article's signature"
        at = article.get("published_at") or now
        dates = _shift(at, -self.window), _shift(at, self.window)  # when a copy may be published
        mine = judge.features(sig, self._repeated(sig, article["source"], dates))
        counts, total = self.frequencies.counts(mine.facts), self._total()
        rarity = judge.Rarity(counts, total, self.tuning, judge.days_around(at))
        common = frozenset(f for f in mine.facts if rarity.common(f))
        found: list[Found] = []
        comparable: list[tuple[Candidate, frozenset[str]]] = []
        rarest = judge.lookup_facts(mine.facts, common, counts, self.tuning)
        for other in self._candidates(article, sig, rarest, dates):
            if (copy := judge.copy_evidence(article, sig, mine.samples, other, self.tuning)) is not None:
                found.append(copy)
            elif sig.has_text and other.has_text:
                comparable.append((other, judge.comparable_facts(mine, other)))
        worth = judge.shortlist(article.get("lang"), comparable, common, self.tuning, rarity)
        rewrites: list[Found] = []
        if worth:
            needed = {f for w in worth for f in w.other.facts} - counts.keys()
            weighed = counts | self.frequencies.counts(needed) if needed else counts
            rewrites = judge.score_rewrites(worth, weighed, total, self.tuning, article["source"])
        best = judge.choose(found, rewrites, self.tuning)
        if best is None:
            link = self._new_story(article, now, "new story", judge.no_copy_reason(rewrites))
        else:
            link = self._join(article, best, now)
        indexed = judge.indexed_facts(mine.facts, counts, self.tuning)
        return Decision(link, mine.facts, mine.samples, mine.printed, indexed)

    # -- evidence -------------------------------------------------------------

    def _repeated(self, sig: Signature, source: str, dates: tuple[str, str]) -> set[str]:
        """The article's boilerplate: blocks its source printed before, or that two stories print
        within the window (an agency's standard paragraph; not the same text reprinted months on).

        Not the blocks of an article the source prints again (an update at another URL, trimmed or
        with a paragraph more): when the article's blocks are all the source's, or it holds
        ``reprint`` of an earlier article's blocks, those are that article's text, not boilerplate."""
        digests = [b.digest for b in sig.blocks if judge.tracked(b, sig, self.tuning)]
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
        body = {b.digest for b in sig.blocks[1:] if judge.tracked(b, sig, self.tuning)}  # all but the title
        repeated = set()
        for article_id, shared in own.items():
            if not (body and body <= shared) and len(shared) < self.tuning.reprint * sizes[article_id]:
                repeated |= shared
        return repeated | {d for d, ids in stories.items() if len(ids) >= 2}

    def _total(self) -> int:
        return self.conn.execute("SELECT coalesce(max(rowid), 0) FROM story_signatures").fetchone()[0]

    def _candidates(
        self, article: dict[str, Any], sig: Signature, rare: list[str], dates: tuple[str, str]
    ) -> list[Candidate]:
        keys = [*rare, *judge.own_keys(article, sig)]
        if not keys:
            return []
        lo, hi = dates
        marks = ", ".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT article_id, count(*) AS n FROM story_keys WHERE key IN ({marks})"
            " AND seen_at BETWEEN ? AND ?"
            f" GROUP BY article_id ORDER BY n DESC, article_id LIMIT {self.tuning.candidates}",
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
                Candidate(
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

    def _join(self, article: dict[str, Any], found: Found, now: str) -> Link:
        story_id = found.other.story_id
        row = self.conn.execute("SELECT languages FROM stories WHERE id = ?", [story_id]).fetchone()
        langs = read_json_list(row[0])
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
        reason = judge.join_reason(found)
        return Link(story_id, found.other.article_id, found.evidence, round(found.score, 3), reason)

    def prune(self, now: str) -> None:
        """Forget the look-up keys and printed sentences of articles dated more than ``Tuning.keep`` (or
        three windows) before ``now``: no copy within a window looks them up again, and the
        look-ups stay as fast as the store grows. (A source's boilerplate is what it keeps
        printing: it is learnt again within days.)"""
        if self.window is None:
            return
        cutoff = _shift(now, -max(self.tuning.keep, 3 * self.window))
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
        keys = [*decision.indexed, *judge.own_keys(article, sig)]
        conn.executemany(
            "INSERT OR IGNORE INTO story_keys (key, seen_at, article_id) VALUES (?, ?, ?)",
            [(k, at, article_id) for k in dict.fromkeys(keys)],
        )
        self.frequencies.add(decision.facts)
        tracked = {b.digest for b in sig.blocks if judge.tracked(b, sig, self.tuning)}
        conn.executemany(
            "INSERT OR IGNORE INTO story_paragraphs (digest, article_id, source, story_id, seen_at, blocks)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(digest, article_id, article["source"], link.story_id, at, len(tracked)) for digest in tracked],
        )
        return link


STORY_TABLES = ("story_links", "story_signatures", "story_keys", "story_facts", "story_paragraphs", "stories")


def matched_rules(conn: sqlite3.Connection, article_id: int) -> list[tuple[str, list[str]]]:
    """(rule, terms) of the rules a stored article matched: what its signature takes (a ``terms``
    cell edited into something else counts as no terms)."""
    matched = []
    for rule, terms in conn.execute("SELECT rule, terms FROM matches WHERE article_id = ?", [article_id]):
        try:
            found = json.loads(terms or "[]")
        except (TypeError, ValueError):
            found = []
        matched.append((rule, [str(t) for t in found] if isinstance(found, list) else []))
    return matched


def reindex(conn: sqlite3.Connection, tuning: Tuning = TUNING) -> int:
    """Read again, in the kinds of fact of this version, the signatures of the articles that later
    copies can still find (those with look-up keys: stored within ``Tuning.keep``), their keys,
    and every fact's count; in the caller's transaction. Stories stay as they were decided (to
    regroup: ``rebuild``). Returns the articles read again. Migration m009 runs it."""
    columns = ["id", "title", "summary", "text", "source", "content_hash"]
    rows = conn.execute(
        f"SELECT {', '.join('a.' + c for c in columns)}, min(k.seen_at) FROM articles a"
        " JOIN story_signatures s ON s.article_id = a.id JOIN story_keys k ON k.article_id = a.id"
        " GROUP BY a.id ORDER BY a.id"
    ).fetchall()
    read = []
    for row in rows:
        article = dict(zip(columns, row, strict=False))
        sig = signature(article["title"], article["summary"], article["text"], matched_rules(conn, row[0]))
        mine = judge.features(sig, set())
        conn.execute(
            "UPDATE story_signatures SET facts = ?, samples = ?, contexts = ? WHERE article_id = ?",
            [
                json.dumps(sorted(mine.facts), ensure_ascii=False),
                pack(mine.samples),
                pack(mine.printed),
                row[0],
            ],
        )
        read.append((article, sig, mine, row[-1]))
    conn.execute("DELETE FROM story_facts")
    counts = Frequencies(conn)  # every signature pending: counted afresh
    counts.write()
    for article, sig, mine, seen_at in read:
        conn.execute("DELETE FROM story_keys WHERE article_id = ?", [article["id"]])
        keys = [
            *judge.indexed_facts(mine.facts, counts.counts(mine.facts), tuning),
            *judge.own_keys(article, sig),
        ]
        conn.executemany(
            "INSERT OR IGNORE INTO story_keys (key, seen_at, article_id) VALUES (?, ?, ?)",
            [(k, seen_at, article["id"]) for k in dict.fromkeys(keys)],
        )
    return len(read)


def rebuild(conn: sqlite3.Connection, window: float | None, now: str) -> tuple[int, int]:
    """Regroup every stored article from scratch, in first-seen order, as if they arrived one by
    one, in the caller's transaction: (articles, stories). Each alert follows its article to its
    new story. ``tradewatch stories rebuild`` (after changing ``stories:``) and migration m006 run it.
    """
    for table in STORY_TABLES:
        conn.execute(f"DELETE FROM {table}")
    conn.execute("UPDATE articles SET story_id = NULL")
    grouper = Grouper(conn, window)
    columns = ["id", "url", "title", "summary", "text", "source", "lang", "published_at", "fetched_at",
               "content_hash"]  # fmt: skip
    rows = conn.execute(f"SELECT {', '.join(columns)} FROM articles ORDER BY fetched_at, id").fetchall()
    for row in rows:
        article = dict(zip(columns, row, strict=True))
        sig = None
        if window is not None:
            sig = signature(
                article["title"], article["summary"], article["text"], matched_rules(conn, row[0])
            )
        grouper.place(row[0], article, sig, now)
    conn.execute(
        "UPDATE alerts SET story_id = (SELECT story_id FROM articles WHERE articles.id = alerts.article_id)"
    )
    return len(rows), conn.execute("SELECT count(*) FROM stories").fetchone()[0]
