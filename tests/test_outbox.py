"""The outbox isolates every alert and every hook: no row a person edits by hand, and no receiver
that hangs, stops the others. Real crawls, real receivers, the real CLI and daemon."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest

from jobs.demo.pages import rss_xml, tariff_story
from jobs.demo.receiver import Receiver
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import free_port, poll, query, run_cli, write_config
from tests.test_daemon import Daemon, no_daemon_outlives_its_test  # noqa: F401 (its clean-up applies here)


def desk_site(count: int) -> dict[str, Resource]:
    resources = {}
    items = []
    for n in range(count):
        path, page = tariff_story(n)
        resources[path] = Resource(page.encode())
        items.append({"title": f"Story {n}", "link": path, "guid": f"s{n}"})
    resources["/feed.xml"] = Resource(rss_xml("Desk", "/", items).encode(), "application/rss+xml")
    return resources


def hooks_at(desk: str, archive: str, **options: object) -> list[dict]:
    retry = {"first": "300ms", "max": "1s", "attempts": 50}
    return [
        {"name": "desk", "webhook": desk, "rules": ["tariffs"], "retry": retry, **options},
        {
            "name": "archive",
            "webhook": archive,
            "rules": ["tariffs"],
            "retry": retry,
            "digest": "1s",
            **options,
        },
    ]


def edit_by_hand(db: Path, sql: str, params: tuple = ()) -> None:
    """What a person does with the sqlite3 shell: foreign keys off, one statement, committed."""
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def posted_ids(receiver: Receiver) -> list[str]:
    """Every alert id a receiver got, digests opened."""
    import json

    ids = []
    for _, body in receiver.posts:
        payload = json.loads(body)
        ids += [a["id"] for a in payload["alerts"]] if "alerts" in payload else [payload["id"]]
    return ids


@pytest.fixture
def owed(tmp_path):
    """Ten stories' alerts owed to two hooks whose receivers were down, then rows broken by hand."""
    with SiteServer(desk_site(10)) as site:
        dead = f"http://127.0.0.1:{free_port()}/hook"
        config = write_config(
            tmp_path / "config.yaml",
            [{"name": "desk", "feed": site.url + "/feed.xml"}],
            hooks=hooks_at(dead, dead),
        )
        result = run_cli("crawl", "--wait", "0s", config=config)
        assert result.returncode == 0, result.stderr
    db = tmp_path / "tradewatch.db"
    assert len(query(db, "SELECT id FROM stories")) == 10  # ten events: ten stories, twenty alerts
    alerts = query(db, "SELECT id, hook, article_id, story_id FROM alerts ORDER BY article_id, hook")
    assert len(alerts) == 20
    by_article = sorted({a["article_id"] for a in alerts})
    gone, bad_rules, no_story, blob = by_article[:4]
    edit_by_hand(db, "DELETE FROM articles WHERE id = ?", (gone,))
    (desk_alert,) = [a["id"] for a in alerts if a["article_id"] == bad_rules and a["hook"] == "desk"]
    edit_by_hand(db, "UPDATE alerts SET rules = 'tariffs, usmca' WHERE id = ?", (desk_alert,))
    (story_id,) = {a["story_id"] for a in alerts if a["article_id"] == no_story}
    edit_by_hand(db, "DELETE FROM stories WHERE id = ?", (story_id,))
    edit_by_hand(db, "UPDATE articles SET title = x'00ff' WHERE id = ?", (blob,))  # not JSON-able
    errors = {a["id"]: f"cannot build the alert: its article (id {gone}) is no longer in the store"
              for a in alerts if a["article_id"] == gone}  # fmt: skip
    errors[desk_alert] = "cannot build the alert: alerts.rules is not a JSON list: 'tariffs, usmca'"
    for a in alerts:
        if a["article_id"] == no_story:
            errors[a["id"]] = f"cannot build the alert: its story (id {story_id}) is no longer in the store"
        if a["article_id"] == blob:
            errors[a["id"]] = "cannot build the alert: Object of type bytes is not JSON serializable"
    healthy = {hook: {a["id"] for a in alerts if a["hook"] == hook and a["id"] not in errors}
               for hook in ("desk", "archive")}  # fmt: skip
    return config, db, healthy, errors


def assert_isolated(db: Path, desk: Receiver, archive: Receiver, healthy: dict, errors: dict) -> None:
    assert sorted(posted_ids(desk)) == sorted(healthy["desk"])  # each healthy alert exactly once
    assert sorted(posted_ids(archive)) == sorted(healthy["archive"])
    assert len(archive.posts) == 1  # one digest, the bad alerts left out of it
    rows = {r["id"]: r for r in query(db, "SELECT id, status, last_error, attempts FROM alerts")}
    for alert_id, error in errors.items():
        assert (rows[alert_id]["status"], rows[alert_id]["last_error"]) == ("pending", error), alert_id
    assert all(rows[i]["status"] == "sent" for ids in healthy.values() for i in ids)


def test_a_bad_row_fails_alone_in_a_crawl(owed):
    config, db, healthy, errors = owed
    desk, archive = Receiver(), Receiver()
    try:
        write_config(config, [{"name": "desk", "feed": "http://127.0.0.1:9/feed.xml"}],
                     hooks=hooks_at(desk.url, archive.url))  # fmt: skip
        result = run_cli("crawl", "--wait", "1s", config=config)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert_isolated(db, desk, archive, healthy, errors)
        assert "hook desk: 6 sent, 4 pending, 0 dead" in result.stdout
        listed = run_cli("alerts", "--status", "pending", config=config)
        assert listed.returncode == 0, listed.stderr
        assert "(cannot build the alert: alerts.rules is not a JSON list: 'tariffs, usmca')" in listed.stdout
        assert "no longer in the store" in listed.stdout and "12 alerts" not in listed.stdout
        assert "is gone)" in listed.stdout and "None" not in listed.stdout
        assert f"{len(errors)} alerts" in listed.stdout
        # retry works on them: due again, and failing again with the same error, alone.
        assert run_cli("alerts", "retry", next(iter(errors)), config=config).returncode == 0
    finally:
        desk.close()
        archive.close()


def test_a_bad_row_fails_alone_in_the_daemon(owed):
    config, db, healthy, errors = owed
    desk, archive = Receiver(), Receiver()
    try:
        write_config(config, [{"name": "desk", "feed": "http://127.0.0.1:9/feed.xml", "every": "1h"}],
                     hooks=hooks_at(desk.url, archive.url))  # fmt: skip
        daemon = Daemon(config)
        everything = set().union(*healthy.values())
        daemon.wait_for(lambda: everything <= set(posted_ids(desk)) | set(posted_ids(archive)))
        marks = ", ".join("?" * len(errors))
        tried = f"SELECT attempts FROM alerts WHERE id IN ({marks})"
        daemon.wait_for(lambda: all(r["attempts"] >= 3 for r in poll(db, tried, tuple(errors))))
        assert daemon.stop() == 0
        assert "Traceback" not in daemon.log.read_text()
        assert_isolated(db, desk, archive, healthy, errors)
    finally:
        desk.close()
        archive.close()


@pytest.fixture
def hung():
    """A receiver that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    server.close()


def test_a_hung_receiver_delays_only_its_own_hook_in_a_crawl(tmp_path, hung):
    desk = Receiver()
    try:
        with SiteServer(desk_site(10)) as site:
            hooks = [
                {"name": "desk", "webhook": desk.url, "rules": ["tariffs"]},
                {"name": "stuck", "webhook": hung, "rules": ["tariffs"]},  # the default 10 s timeout
            ]
            sources = [{"name": "desk", "feed": site.url + "/feed.xml"}]
            config = write_config(tmp_path / "config.yaml", sources, hooks=hooks)
            started = time.monotonic()
            result = run_cli("crawl", "--wait", "5s", config=config)
            elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert len(set(posted_ids(desk))) == len(posted_ids(desk)) == 10
        assert elapsed < 45, elapsed  # one timeout of the stuck hook, not one per alert
        assert "hook stuck: 0 sent, 10 pending, 0 dead (last error: cannot reach" in result.stdout
        stuck = query(tmp_path / "tradewatch.db", "SELECT attempts FROM alerts WHERE hook = 'stuck'")
        assert sorted(r["attempts"] for r in stuck) == [0] * 9 + [1]  # the others wait for its backoff
    finally:
        desk.close()


def test_a_hung_receiver_delays_only_its_own_hook_in_the_daemon(tmp_path, hung):
    desk = Receiver()
    try:
        with SiteServer(desk_site(10)) as site:
            feed = [{"name": "desk", "feed": site.url + "/feed.xml", "every": "1s"}]
            hooks = [
                {"name": "desk", "webhook": desk.url, "rules": ["tariffs"]},
                {
                    "name": "stuck",
                    "webhook": hung,
                    "rules": ["tariffs"],
                    "retry": {"first": "1s", "max": "2s"},
                },
            ]
            config = write_config(tmp_path / "config.yaml", feed, hooks=hooks)
            daemon = Daemon(config)
            started = time.monotonic()
            daemon.wait_for(lambda: len(desk.posts) >= 10, timeout=60)
            assert time.monotonic() - started < 60
            # A story published now reaches the healthy hook within seconds.
            items = [{"title": f"Story {n}", "link": f"/news/{n}", "guid": f"s{n}"} for n in range(11)]
            site.resources["/news/10"] = Resource(tariff_story(10)[1].encode())
            site.resources["/feed.xml"] = Resource(
                rss_xml("Desk", "/", items).encode(), "application/rss+xml"
            )
            daemon.wait_for(lambda: site.requests["/news/10"] == 1, timeout=30)
            fetched = time.monotonic()
            daemon.wait_for(lambda: len(desk.posts) == 11, timeout=30)
            assert time.monotonic() - fetched < 10
            stopping = time.monotonic()
            assert daemon.stop() == 0  # while the stuck hook is mid-delivery
            assert time.monotonic() - stopping < 15
    finally:
        desk.close()
    ids = posted_ids(desk)
    assert len(ids) == len(set(ids)) == 11


def test_a_hook_kind_that_raises_anything_fails_its_alert_alone(owed, monkeypatch):
    """In process, with the real store: a hook kind's own bug is recorded like a failed delivery."""
    from crawler.config import load_config
    from crawler.outbox import Outbox
    from crawler.store import Store
    from jobs import hooks as kinds
    from jobs.dispatch import DispatchReport, dispatch_hook

    config_path, db, healthy, errors = owed
    receiver = Receiver()
    try:
        write_config(config_path, [{"name": "desk", "feed": "http://127.0.0.1:9/feed.xml"}],
                     hooks=hooks_at(receiver.url, receiver.url))  # fmt: skip
        config = load_config(config_path, kinds.HOOKS)
        (desk,) = [h for h in config.hooks if h.name == "desk"]
        calls, post = [], kinds.WebhookHook.deliver

        def deliver(hook, alerts, message_id, body):
            calls.append(message_id)
            if len(calls) == 2:
                raise ZeroDivisionError("a bug in a hook kind")
            post(hook, alerts, message_id, body)

        monkeypatch.setattr(kinds.WebhookHook, "deliver", staticmethod(deliver))
        store = Store(db)
        report = DispatchReport()
        dispatch_hook(Outbox(store), desk, report, everything=True)
        store.close()
        assert len(calls) == len(healthy["desk"])  # every healthy alert tried, the bug's one among them
        assert report.sent["desk"] == len(healthy["desk"]) - 1
        (row,) = query(db, "SELECT last_error FROM alerts WHERE id = ?", (calls[1],))
        assert row["last_error"] == "ZeroDivisionError: a bug in a hook kind"
    finally:
        receiver.close()


def test_kill_9_mid_pass_loses_nothing_and_repeats_only_what_was_in_flight(owed):
    config, db, healthy, errors = owed
    desk, archive = Receiver(delay=0.3), Receiver()
    try:
        write_config(config, [{"name": "desk", "feed": "http://127.0.0.1:9/feed.xml", "every": "1h"}],
                     hooks=hooks_at(desk.url, archive.url, timeout="2s"))  # fmt: skip
        daemon = Daemon(config)
        daemon.wait_for(lambda: len(desk.posts) >= 2)
        daemon.kill()  # mid-pass: some alerts sent, one perhaps answered but not yet marked
        daemon = Daemon(config)
        # What was in flight at the kill is held until its lease lapses (timeout + 5 s), then sent.
        everything = healthy["desk"] | healthy["archive"]
        sent = "SELECT id FROM alerts WHERE status = 'sent'"
        daemon.wait_for(lambda: everything <= {r["id"] for r in poll(db, sent)}, timeout=60)
        assert daemon.stop() == 0
    finally:
        desk.close()
        archive.close()
    ids = posted_ids(desk) + posted_ids(archive)
    assert set(ids) == healthy["desk"] | healthy["archive"]  # nothing lost, no bad alert sent
    assert len(ids) - len(set(ids)) <= 2  # at most the delivery in flight per hook, with its id
    sent = {r["id"] for r in query(db, "SELECT id FROM alerts WHERE status = 'sent'")}
    assert sent == set(ids)
