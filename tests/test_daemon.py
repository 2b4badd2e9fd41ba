"""The daemon as a real subprocess: schedules, systemd notifications, signals, kill -9."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.config import Source
from jobs.daemon import backoff_delay
from jobs.demo.pages import rss_xml
from jobs.demo.receiver import Receiver
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import poll, query, write_config
from tests.test_crawl import SOURCES, sources_at

RUNNING: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_daemon_outlives_its_test(tmp_path):
    yield
    while RUNNING:
        process = RUNNING.pop()
        if process.poll() is None:  # the test failed before stopping it
            process.kill()
            process.wait()
    # A daemon killed with -9 in the middle of starting its workers may leave its fork
    # server behind: nothing of a test may outlive it.
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(proc, "cwd").resolve() == tmp_path.resolve():
                os.kill(int(proc.name), signal.SIGKILL)
        except OSError:
            continue


class Daemon:
    """``tradewatch run`` in a subprocess, with a fake $NOTIFY_SOCKET."""

    def __init__(self, config: Path, watchdog_usec: int = 400_000) -> None:
        self.socket_path = config.parent / "notify.sock"
        self.socket_path.unlink(missing_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.socket_path))
        self.sock.settimeout(0.1)
        self.messages: list[str] = []
        env = {**os.environ, "NOTIFY_SOCKET": str(self.socket_path), "WATCHDOG_USEC": str(watchdog_usec)}
        self.log = config.parent / "daemon.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobs.cli", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            env=env,
            cwd=config.parent,
        )
        RUNNING.append(self.process)

    def read(self) -> None:
        while True:
            try:
                self.messages.extend(self.sock.recv(4096).decode().splitlines())
            except TimeoutError:
                return

    def wait_for(self, check, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            if check():
                return
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError(f"timed out; log:\n{self.log.read_text()[-3000:]}")

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=20)
        finally:
            self.read()
            self.sock.close()
            self._log_file.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.sock.close()
        self._log_file.close()


def test_backoff_doubles_is_capped_and_honours_retry_after():
    source = Source("s", "feed", "http://x/", every=60)
    assert [backoff_delay(source, n, None) for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff_delay(source, 30, None) == 6 * 3600
    assert backoff_delay(source, 1, 900) == 900


def test_daemon_crawls_on_schedule_notifies_systemd_and_stops_cleanly(site, tmp_path):
    receiver = Receiver()
    try:
        sources = [dict(s, every="1s") for s in sources_at(site.url, SOURCES[:1])]
        config = write_config(
            tmp_path / "config.yaml", sources, hooks=[{"name": "desk", "webhook": receiver.url}]
        )
        daemon = Daemon(config)
        db = tmp_path / "tradewatch.db"
        daemon.wait_for(lambda: "READY=1" in daemon.messages)
        flagged = lambda: len(poll(db, "SELECT id FROM alerts"))  # noqa: E731
        daemon.wait_for(lambda: flagged() and len(receiver.posts) == flagged())
        daemon.wait_for(
            lambda: query(db, "SELECT count(*) AS n FROM sources WHERE last_status = '304'")[0]["n"]
        )
        daemon.wait_for(lambda: daemon.messages.count("WATCHDOG=1") >= 3)
        assert any(m.startswith("STATUS=last crawl ledger:") for m in daemon.messages)
        assert daemon.stop() == 0
        assert "STOPPING=1" in daemon.messages
        assert len(receiver.posts) == flagged()  # one post per alert, however many crawls ran
        assert "Traceback" not in daemon.log.read_text()
    finally:
        receiver.close()


def test_sighup_reloads_and_a_bad_config_keeps_the_running_one(site, tmp_path):
    config = write_config(
        tmp_path / "config.yaml", [dict(s, every="1s") for s in sources_at(site.url, SOURCES[:1])]
    )
    daemon = Daemon(config)
    try:
        daemon.wait_for(lambda: "READY=1" in daemon.messages)
        good = config.read_text()
        config.write_text(good.replace("sources:", "sources: [oops"))
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda: "reload refused, keeping the running config" in daemon.log.read_text())
        write_config(config, [dict(s, every="1s") for s in sources_at(site.url, SOURCES[:2])])
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda: "reloaded: 2 sources" in daemon.log.read_text())
        db = tmp_path / "tradewatch.db"
        daemon.wait_for(
            lambda: query(db, "SELECT count(*) AS n FROM sources WHERE name = 'wire'")[0]["n"] == 1
        )
    finally:
        assert daemon.stop() == 0


def test_kill_9_and_restart_loses_no_alert_and_repeats_none(site, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sources = [dict(s, every="1h") for s in sources_at(site.url, SOURCES[:1])]
    hooks = [
        {"name": "desk", "webhook": f"http://127.0.0.1:{port}/hook", "retry": {"first": "500ms", "max": "1s"}}
    ]
    config = write_config(tmp_path / "config.yaml", sources, hooks=hooks)
    db = tmp_path / "tradewatch.db"
    daemon = Daemon(config)
    daemon.wait_for(lambda: poll(db, "SELECT id FROM alerts WHERE attempts > 0"))
    daemon.kill()  # kill -9 while alerts are owed and the hook is down
    owed = query(db, "SELECT id FROM alerts WHERE status = 'pending'")
    assert owed
    receiver = Receiver()
    try:
        hooks[0]["webhook"] = receiver.url
        write_config(config, sources, hooks=hooks)
        daemon = Daemon(config)
        posted = lambda: {p[0]["Idempotency-Key"] for p in receiver.posts}  # noqa: E731
        daemon.wait_for(lambda: {r["id"] for r in owed} <= posted())
        # Kill again once the store has recorded them as sent (a kill between the receiver's
        # answer and that commit may repeat an alert: at-least-once, with a stable id).
        sent = lambda: {r["id"] for r in query(db, "SELECT id FROM alerts WHERE status = 'sent'")}  # noqa: E731
        daemon.wait_for(lambda: {r["id"] for r in owed} <= sent())
        daemon.kill()
        daemon = Daemon(config)
        daemon.wait_for(lambda: "READY=1" in daemon.messages)
        # The killed crawls may have left articles to find: wait until every alert is sent.
        daemon.wait_for(lambda: not query(db, "SELECT id FROM alerts WHERE status != 'sent'"))
        time.sleep(2)
        assert daemon.stop() == 0
    finally:
        receiver.close()
    ids = [p[0]["Idempotency-Key"] for p in receiver.posts]
    assert len(ids) == len(set(ids)), "an alert was sent twice"
    assert {r["id"] for r in owed} <= set(ids)
    statuses = {r["id"]: r["status"] for r in query(db, "SELECT id, status FROM alerts")}
    assert {i for i, status in statuses.items() if status == "sent"} == set(ids)
    # An article the last daemon found just before its stop owes an alert still: kept, not lost.
    assert set(statuses.values()) <= {"sent", "pending"}


def test_retry_after_is_honoured(tmp_path):
    resources = {"/feed.xml": Resource(b"busy", status=503, headers={"Retry-After": "120"}, validators=False)}
    with SiteServer(resources) as server:
        config = write_config(
            tmp_path / "config.yaml", [{"name": "busy", "feed": f"{server.url}/feed.xml", "every": "1s"}]
        )
        daemon = Daemon(config)
        try:
            daemon.wait_for(
                lambda: "source busy failed 1 times in a row: next try in 120 s" in daemon.log.read_text()
            )
            time.sleep(2)
            assert server.requests["/feed.xml"] == 1
        finally:
            assert daemon.stop() == 0


@pytest.mark.parametrize("signum", [signal.SIGINT])
def test_sigint_also_stops_cleanly(tmp_path, signum):
    # A source that answers nothing (a config without sources would not start: tested in test_config).
    config = write_config(tmp_path / "config.yaml", [{"name": "none", "feed": "http://127.0.0.1:9/f.xml"}])
    daemon = Daemon(config)
    daemon.wait_for(lambda: "READY=1" in daemon.messages)
    assert daemon.stop(signum) == 0


def test_sigterm_during_a_hung_crawl_stops_within_10_seconds(tmp_path):
    feed = rss_xml("F", "/", [{"title": "x", "link": "/slow"}]).encode()
    resources = {
        "/feed.xml": Resource(feed, "application/rss+xml"),
        "/slow": Resource(b"<html></html>", delay=60),
    }
    with SiteServer(resources) as server:
        config = write_config(
            tmp_path / "config.yaml",
            [{"name": "slow", "feed": f"{server.url}/feed.xml", "every": "1h"}],
            fetch={"timeout": "2m", "retries": 0, "workers": 1},
        )
        daemon = Daemon(config)
        daemon.wait_for(lambda: server.requests["/slow"] == 1)
        started = time.monotonic()
        assert daemon.stop() == 0
        assert time.monotonic() - started < 12
        assert "cancelling 1 running crawls" in daemon.log.read_text()


def test_sources_of_one_host_crawl_one_at_a_time(tmp_path):
    resources = {}
    for name in ("a", "b"):
        items = [{"title": f"{name}{i}", "link": f"/{name}/{i}", "guid": f"{name}{i}"} for i in range(3)]
        resources[f"/{name}.xml"] = Resource(rss_xml(name, "/", items).encode(), "application/rss+xml")
        for i in range(3):
            resources[f"/{name}/{i}"] = Resource(b"<html><body><p>story</p></body></html>", delay=0.4)
    with SiteServer(resources) as server:
        sources = [{"name": n, "feed": f"{server.url}/{n}.xml", "every": "1h"} for n in ("a", "b")]
        config = write_config(
            tmp_path / "config.yaml", sources, fetch={"per_host": 1, "delay": 0, "retries": 0, "workers": 1}
        )
        daemon = Daemon(config)
        db = tmp_path / "tradewatch.db"
        try:
            daemon.wait_for(lambda: len(poll(db, "SELECT url FROM articles")) == 6)
        finally:
            assert daemon.stop() == 0
    # Each crawl keeps per_host within itself; one crawl per host at a time keeps it across them.
    assert server.max_in_flight == 1


@pytest.mark.parametrize(
    ("log_format", "journal", "pattern"),
    [
        ("text", None, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO tradewatch: crawled 3\n"),
        ("text", "8:1234", r"INFO tradewatch: crawled 3\n"),  # journald adds its own time
        ("json", "8:1234", r'\{"time": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "level": "info", .*\}\n'),
    ],
)
def test_log_lines_carry_their_time_unless_journald_reads_them(log_format, journal, pattern):
    script = (
        "import logging, sys; from jobs.logs import configure_logging; configure_logging(sys.argv[1]);"
        " logging.getLogger('tradewatch').info('crawled %d', 3)"
    )
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"} | (
        {"JOURNAL_STREAM": journal} if journal else {}
    )
    result = subprocess.run(
        [sys.executable, "-c", script, log_format], capture_output=True, text=True, env=env
    )
    assert re.fullmatch(pattern, result.stderr), result.stderr


def test_a_daemon_whose_store_cannot_be_opened_exits_at_once_with_one_line(tmp_path):
    (tmp_path / "tradewatch.db").write_bytes(b"not a database, a truncated copy perhaps\n" * 100)
    config = write_config(tmp_path / "config.yaml", [{"name": "none", "feed": "http://127.0.0.1:9/f.xml"}])
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "jobs.cli", "--config", str(config), "run"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: cannot open database {tmp_path / 'tradewatch.db'}: file is not a database"
    )
    assert "Traceback" not in result.stderr and "never retrieved" not in result.stderr


def _start_together(folder: Path, sources: list[dict], receiver: Receiver) -> None:
    """A daemon and a manual crawl started at once on a new store: both work, nothing twice."""
    folder.mkdir()
    config = write_config(folder / "config.yaml", sources, hooks=[{"name": "desk", "webhook": receiver.url}])
    first = len(receiver.posts)
    daemon = Daemon(config)
    crawl = subprocess.run(
        [sys.executable, "-m", "jobs.cli", "--config", str(config), "crawl"],
        capture_output=True, text=True, timeout=120, cwd=folder,
    )  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr
    assert "Traceback" not in crawl.stderr
    db = folder / "tradewatch.db"
    unsent = "SELECT id FROM alerts WHERE status != 'sent'"
    daemon.wait_for(lambda: "READY=1" in daemon.messages)
    daemon.wait_for(lambda: poll(db, "SELECT id FROM alerts") and not poll(db, unsent))
    assert daemon.stop() == 0
    urls = [r["url"] for r in query(db, "SELECT url FROM articles")]
    assert len(urls) == len(set(urls)) > 0
    ids = [headers["Idempotency-Key"] for headers, _ in receiver.posts[first:]]
    assert len(ids) == len(set(ids)) == len(query(db, "SELECT id FROM alerts")), "sent twice, or not at all"


def test_the_daemon_and_a_manual_crawl_started_together_on_a_new_store(site, tmp_path):
    receiver = Receiver()
    try:
        sources = [dict(s, every="1h") for s in sources_at(site.url, SOURCES[:3])]
        for attempt in range(3):
            _start_together(tmp_path / f"run-{attempt}", sources, receiver)
    finally:
        receiver.close()
