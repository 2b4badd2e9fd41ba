"""The outbox: the one home of the ``alerts`` table, where crawling hands over to alerting.

``enqueue`` names and writes the alerts an article owes, inside the writer's transaction (with the
article and its matches, so a crash loses none); ``Outbox`` reads them back (due alerts, their
payloads) and records each delivery (claims, sent, failed, retried). The hooks and the dispatcher
(``jobs/``) use it. SQLite is the one seam between crawling and alerting, and its errors leave
as StoreError here too; a cell a person edited into something else is the error of its alert alone.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from crawler.dates import utc_in
from crawler.errors import StoreError
from crawler.sqlite import guarded, json_list, utcnow

if TYPE_CHECKING:
    from crawler.store import Store


_INSERT_ALERT = (
    "INSERT OR IGNORE INTO alerts"
    " (id, hook, article_id, story_id, kind, rules, status, attempts, next_attempt_at, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
)


class Owed(NamedTuple):
    """What a hook following a matched rule is owed by an article, before its story is known."""

    hook: str
    rules: Sequence[str]  # the matched rules the hook follows
    updates: bool = False  # the hook's ``updates:``: a follow-up when a copy matches new rules


def alert_id(hook: str, url: str) -> str:
    """The stable id of the alert of article ``url`` to ``hook``: receivers deduplicate on it."""
    return "tw-" + hashlib.sha1(f"{hook}\n{url}".encode()).hexdigest()[:24]


def story_alerts(
    conn: sqlite3.Connection, story_id: int, owed: Sequence[Owed]
) -> list[tuple[str, list[str], str]]:
    """(hook, rules, kind) of the alerts an article of ``story_id`` adds: one per story and hook
    (``story``), and for a hook with ``updates:`` one (``update``) naming rules no earlier alert
    named (an earlier ``rules`` cell that is not JSON names none: the story's alert exists)."""
    alerts = []
    for hook, rules, updates in owed:
        earlier = conn.execute("SELECT rules FROM alerts WHERE hook = ? AND story_id = ?", [hook, story_id])
        named = [_rules_shown(row[0]) for row in earlier]
        if not named:
            alerts.append((hook, list(rules), "story"))
        elif updates and (new := [r for r in rules if not any(r in n for n in named)]):
            alerts.append((hook, new, "update"))
    return alerts


def enqueue(
    conn: sqlite3.Connection, article_id: int, url: str, story_id: int, owed: Sequence[Owed], now: str
) -> None:
    """Write the alerts article ``article_id`` (at ``url``, in ``story_id``) owes, due ``now``: in the
    caller's transaction, after the story is decided."""
    conn.executemany(
        _INSERT_ALERT,
        [
            (alert_id(hook, url), hook, article_id, story_id, kind, json_list(rules), now, now)
            for hook, rules, kind in story_alerts(conn, story_id, owed)
        ],
    )


def json_cell(value: Any, where: str) -> list[Any]:
    """A JSON list column's value; StoreError naming the cell when it holds something else (a hand edit)."""
    try:
        data = json.loads(value) if value is not None else []
    except (TypeError, ValueError):
        raise StoreError(f"{where} is not a JSON list: {str(value)[:80]!r}") from None
    if not isinstance(data, list):
        raise StoreError(f"{where} is not a JSON list: {str(value)[:80]!r}")
    return data


def attempts(alert: dict[str, Any]) -> int:
    """How many times an alert was tried (0 for a cell that is no number)."""
    try:
        return max(int(alert.get("attempts") or 0), 0)
    except (TypeError, ValueError):
        return 0


def alert_payload(
    alert_id: str,
    hook: str,
    article: dict[str, Any],
    rules: Sequence[str],
    matches: Sequence[dict[str, Any]],
    story: dict[str, Any] | None = None,
    kind: str = "story",
) -> dict[str, Any]:
    """The JSON payload of one alert: the article, its story, and the matches of the rules the hook
    follows. ``kind``: ``story`` (the story's first alert to the hook) or ``update`` (a later copy
    matched rules no earlier alert named)."""
    return {
        "id": alert_id,
        "hook": hook,
        "kind": kind,
        "url": article["url"],
        "title": article["title"],
        "source": article["source"],
        "published_at": article["published_at"],
        "fetched_at": article["fetched_at"],
        "lang": article["lang"],
        "rules": list(rules),
        "matches": [
            {"rule": m["rule"], "terms": list(m["terms"]), "hits": m["hits"], "snippet": m["snippet"]}
            for m in matches
        ],
        "story": story_payload(story or _own_story(article)),
    }


def story_payload(story: dict[str, Any]) -> dict[str, Any]:
    """The ``story`` object of a payload, from a ``stories`` row."""
    return {
        "id": story["id"],
        "title": story["title"],
        "articles": story["articles"],
        "sources": story["sources"],
        "languages": json.loads(story["languages"] or "[]"),
        "first_seen_at": story["first_seen_at"],
        "first_url": story["first_url"],
    }


def _own_story(article: dict[str, Any]) -> dict[str, Any]:
    """The story of an article alone (a test payload)."""
    return {
        "id": article.get("story_id"),
        "title": article["title"],
        "articles": 1,
        "sources": 1,
        "languages": json.dumps([article["lang"]] if article.get("lang") else []),
        "first_seen_at": article["fetched_at"],
        "first_url": article["url"],
    }


def by_story(payloads: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A digest's payloads, one per story: an update folds into its story's entry (its rules added)."""
    folded: dict[Any, dict[str, Any]] = {}
    for payload in payloads:
        key = payload["story"]["id"] if payload["story"]["id"] is not None else payload["id"]
        if key not in folded:
            folded[key] = {**payload, "rules": list(payload["rules"]), "matches": list(payload["matches"])}
            continue
        entry = folded[key]
        entry["rules"] += [r for r in payload["rules"] if r not in entry["rules"]]
        entry["matches"] += payload["matches"]
    return list(folded.values())


def _rules_shown(value: Any) -> list[str]:
    try:
        return [str(r) for r in json_cell(value, "alerts.rules")]
    except StoreError:
        return [str(value)]


class Outbox:
    """The ``alerts`` table: what each hook is owed, and the outcome of each attempt."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    @guarded("read the outbox")
    def due(self, hook: str, now: str | None = None) -> list[dict[str, Any]]:
        """Pending alerts of ``hook`` due at ``now`` (all pending ones when ``now`` is None), but
        those another dispatcher holds (``claim``)."""
        sql = "SELECT * FROM alerts WHERE hook = ? AND status = 'pending' AND coalesce(lease_until, '') <= ?"
        params: list[Any] = [hook, utcnow()]
        if now is not None:
            sql += " AND next_attempt_at <= ?"
            params.append(now)
        return list(self.db.query(sql + " ORDER BY created_at, id", params))

    @guarded("claim alerts")
    def claim(self, ids: Sequence[str], seconds: float) -> set[str]:
        """Hold the alerts ``ids`` for a delivery of up to ``seconds``: those no other dispatcher holds
        and still pending. A dispatcher that dies lets its hold lapse; the alert then goes again."""
        now, until = utcnow(), utc_in(seconds)
        claimed = set()
        with self.db.atomic():
            for alert_id in ids:
                cursor = self.db.execute(
                    "UPDATE alerts SET lease_until = ? WHERE id = ? AND status = 'pending'"
                    " AND coalesce(lease_until, '') <= ?",
                    [until, alert_id, now],
                )
                if cursor.rowcount:
                    claimed.add(alert_id)
        return claimed

    @guarded("read the outbox")
    def next_attempt_at(self, hooks: Sequence[str]) -> str | None:
        """When the earliest pending alert of ``hooks`` is due (and no longer held by a dispatcher), or
        None when none is pending."""
        marks = ", ".join("?" * len(hooks))
        row = self.db.execute(
            "SELECT min(max(next_attempt_at, coalesce(lease_until, ''))) FROM alerts"
            f" WHERE status = 'pending' AND hook IN ({marks})",
            list(hooks),
        ).fetchone()
        return row[0]

    @guarded("build an alert")
    def payload(self, alert: dict[str, Any]) -> dict[str, Any]:
        """The JSON payload of a stored alert; StoreError saying what is missing or malformed (its
        article deleted by hand, a cell that is not JSON), so that the dispatcher fails it alone."""
        article = next(self.db.query("SELECT * FROM articles WHERE id = ?", [alert["article_id"]]), None)
        if article is None:
            raise StoreError(f"its article (id {alert['article_id']}) is no longer in the store")
        rules = [str(r) for r in json_cell(alert["rules"], "alerts.rules")]
        marks = ", ".join("?" * len(rules))
        matches = [
            {**m, "terms": json_cell(m["terms"], f"matches.terms of rule {m['rule']}")}
            for m in self.db.query(
                f"SELECT rule, terms, hits, snippet FROM matches WHERE article_id = ? AND rule IN ({marks})"
                " ORDER BY rule",
                [alert["article_id"], *rules],
            )
        ]
        story = next(self.db.query("SELECT * FROM stories WHERE id = ?", [alert["story_id"]]), None)
        if story is None and alert["story_id"] is not None:
            raise StoreError(f"its story (id {alert['story_id']}) is no longer in the store")
        return alert_payload(
            alert["id"], alert["hook"], article, rules, matches, story, alert.get("kind") or "story"
        )

    @guarded("record a delivery")
    def mark_sent(self, ids: Sequence[str]) -> None:
        """Record alerts as delivered."""
        now = utcnow()
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL,"
                " lease_until = NULL WHERE id = ?",
                [(now, i) for i in ids],
            )

    @guarded("postpone alerts")
    def postpone(self, hook: str, until: str) -> int:
        """Make ``hook``'s pending alerts due no sooner than ``until`` (its receiver is unreachable)."""
        with self.db.atomic():
            return self.db.execute(
                "UPDATE alerts SET next_attempt_at = ? WHERE hook = ? AND status = 'pending'"
                " AND (next_attempt_at IS NULL OR next_attempt_at < ?)",
                [until, hook, until],
            ).rowcount

    @guarded("record a failed delivery")
    def mark_failed(self, ids: Sequence[str], error: str, next_attempt_at: str | None) -> None:
        """Record a failed attempt: retry at ``next_attempt_at``, or ``dead`` when it is None."""
        status = "pending" if next_attempt_at else "dead"
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE alerts SET attempts = attempts + 1, last_error = ?, status = ?,"
                " next_attempt_at = coalesce(?, next_attempt_at), lease_until = NULL WHERE id = ?",
                [(error[:500], status, next_attempt_at, i) for i in ids],
            )

    @guarded("read the outbox")
    def alerts(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Alerts with their article's title and URL, newest first (``rules`` as a list).

        An alert whose article is gone is listed too (title and URL None), and a ``rules`` cell
        that is not JSON as its text: the outbox shows what it holds, whatever a hand edit did.
        """
        where, params = ("WHERE alerts.status = ?", [status]) if status else ("", [])
        rows = self.db.query(
            "SELECT alerts.*, articles.title, articles.url FROM alerts"
            f" LEFT JOIN articles ON articles.id = alerts.article_id {where}"
            " ORDER BY alerts.created_at DESC, alerts.id LIMIT ?",
            [*params, limit],
        )
        return [{**row, "rules": _rules_shown(row["rules"])} for row in rows]

    @guarded("retry alerts")
    def retry(self, alert: str | None = None, dead: bool = False) -> int:
        """Make alerts due now again: one by id, or every dead one; return how many."""
        now = utcnow()
        sql = "UPDATE alerts SET status = 'pending', next_attempt_at = ?, attempts = 0, lease_until = NULL"
        sql += " WHERE "
        sql += "id = ? AND status != 'sent'" if alert else "status = 'dead'"
        params = [now, alert] if alert else [now]
        with self.db.atomic():
            return self.db.execute(sql, params).rowcount

    @guarded("count alerts")
    def counts(self) -> dict[str, dict[str, int]]:
        """hook -> status -> number of alerts."""
        counts: dict[str, dict[str, int]] = {}
        for hook, status, n in self.db.execute("SELECT hook, status, count(*) FROM alerts GROUP BY 1, 2"):
            counts.setdefault(hook, {})[status] = n
        return counts
