"""Alerts: the outbox written with the matches, and every hook kind delivering for real."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import sqlite3
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from jobs.demo.pages import rss_xml
from jobs.demo.receiver import Receiver
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import free_port, query, run_cli, write_config
from tests.test_crawl import SOURCES, sources_at


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_webhook_gets_one_signed_alert_per_flagged_article(site, receiver, tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_SECRET", "s3cret")
    hooks = [{"name": "desk", "webhook": receiver.url, "secret": "${DESK_SECRET}", "rules": ["usmca"]}]
    config = write_config(tmp_path / "config.yaml", sources_at(site.url), hooks=hooks)
    result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    db = tmp_path / "tradewatch.db"
    flagged = query(db, "SELECT article_id FROM matches WHERE rule = 'usmca'")
    assert len(receiver.posts) == len(flagged) >= 2
    for headers, body in receiver.posts:
        assert headers["Content-Type"] == "application/json"
        expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Tradewatch-Signature"] == f"sha256={expected}"
        payload = json.loads(body)
        assert headers["Idempotency-Key"] == payload["id"]
        assert payload["rules"] == ["usmca"]
        assert {"url", "title", "source", "published_at", "matches"} <= set(payload)
        assert payload["matches"][0]["rule"] == "usmca" and payload["matches"][0]["snippet"]
    assert f"hook desk: {len(flagged)} sent, 0 pending, 0 dead" in result.stdout
    again = run_cli("crawl", config=config)
    assert again.returncode == 0 and len(receiver.posts) == len(flagged)
    assert query(db, "SELECT DISTINCT status FROM alerts") == [{"status": "sent"}]


def test_failed_posts_are_retried_on_backoff_and_sent_once(site, tmp_path):
    receiver = Receiver(fail_first=2)
    try:
        hooks = [{"name": "desk", "webhook": receiver.url, "rules": ["usmca"], "retry": {"first": "300ms"}}]
        config = write_config(tmp_path / "config.yaml", sources_at(site.url, SOURCES[:1]), hooks=hooks)
        result = run_cli("crawl", "--wait", "10s", config=config)
        assert result.returncode == 0, result.stderr
        (alert,) = query(tmp_path / "tradewatch.db", "SELECT * FROM alerts")
        assert alert["status"] == "sent" and alert["attempts"] == 3
        assert len(receiver.posts) == 1
    finally:
        receiver.close()


def test_an_unreachable_hook_keeps_its_alerts_for_the_next_run(site, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    hooks = [{"name": "desk", "webhook": f"http://127.0.0.1:{dead_port}/hook", "rules": ["usmca"]}]
    config = write_config(tmp_path / "config.yaml", sources_at(site.url, SOURCES[:1]), hooks=hooks)
    result = run_cli("crawl", "--wait", "0s", config=config)
    assert result.returncode == 0, result.stderr
    assert "hook desk: 0 sent, 1 pending, 0 dead (last error: cannot reach" in result.stdout
    pending = run_cli("alerts", "--status", "pending", config=config)
    assert "desk  pending  attempts 1" in pending.stdout
    receiver = Receiver()
    try:
        hooks[0]["webhook"] = receiver.url
        write_config(config, sources_at(site.url, SOURCES[:1]), hooks=hooks)
        result = run_cli("crawl", config=config)
        assert "hook desk: 1 sent, 0 pending, 0 dead" in result.stdout
        assert len(receiver.posts) == 1
    finally:
        receiver.close()


def test_dead_alerts_can_be_retried(site, tmp_path):
    receiver = Receiver(fail_first=2)
    try:
        hooks = [
            {
                "name": "desk",
                "webhook": receiver.url,
                "rules": ["usmca"],
                "retry": {"first": "100ms", "attempts": 2},
            }
        ]
        config = write_config(tmp_path / "config.yaml", sources_at(site.url, SOURCES[:1]), hooks=hooks)
        result = run_cli("crawl", "--wait", "5s", config=config)
        assert "0 sent, 0 pending, 1 dead (last error: HTTP 500)" in result.stdout
        listed = run_cli("alerts", "--status", "dead", config=config)
        assert "desk  dead  attempts 2" in listed.stdout and "(HTTP 500)" in listed.stdout
        assert run_cli("alerts", "retry", "--dead", config=config).stdout == "1 alert due again\n"
        result = run_cli("crawl", config=config)
        assert "hook desk: 1 sent, 0 pending, 0 dead" in result.stdout
        assert len(receiver.posts) == 1
        missing = run_cli("alerts", "retry", "tw-nope", config=config)
        assert missing.returncode == 2 and missing.stderr == "Error: no unsent alert with id 'tw-nope'\n"
    finally:
        receiver.close()


def test_command_hook_gets_the_payload_on_stdin_and_no_shell(tmp_path):
    title = f"Tariffs $(touch {tmp_path}/pwned); `touch {tmp_path}/pwned2` | rm -rf /"
    feed = rss_xml("F", "/", [{"title": title, "link": "/a", "description": "USMCA"}])
    out = tmp_path / "payloads.jsonl"
    script = "import sys; open(sys.argv[1], 'ab').write(sys.stdin.buffer.read())"  # as >> payloads.jsonl
    with SiteServer({"/feed.xml": Resource(feed.encode())}) as server:
        hooks = [{"name": "log", "command": [sys.executable, "-c", script, str(out)]}]
        config = write_config(
            tmp_path / "config.yaml",
            [{"name": "f", "feed": f"{server.url}/feed.xml", "follow": False}],
            hooks=hooks,
        )
        result = run_cli("crawl", config=config)
    assert result.returncode == 0, result.stderr
    body = out.read_bytes()
    assert body.endswith(b"\n") and body.count(b"\n") == 1  # compact JSON, one line
    payload = json.loads(body)
    assert payload["title"] == title and set(payload["rules"]) == {"usmca", "tariffs"}
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_failing_command_records_its_exit_status(tmp_path, site):
    hooks = [{"name": "log", "command": [sys.executable, "-c", "import sys; sys.exit('boom')"]}]
    config = write_config(tmp_path / "config.yaml", sources_at(site.url, SOURCES[5:6]), hooks=hooks)
    result = run_cli("crawl", "--wait", "0s", config=config)
    assert "(last error: command exited 1: boom)" in result.stdout


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope.content)
        return "250 OK"


def test_email_hook_sends_a_readable_digest(site, tmp_path):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        email = {"to": ["desk@example.org"], "from": "tw@example.org", "host": "127.0.0.1",
                 "port": controller.port, "starttls": False}  # fmt: skip
        hooks = [{"name": "mail", "email": email, "rules": ["tariffs"], "digest": "1h"}]
        config = write_config(tmp_path / "config.yaml", sources_at(site.url), hooks=hooks)
        assert run_cli("crawl", config=config).returncode == 0
        # The digest period has not passed: the alerts wait.
        assert mailbox.messages == []
        conn = sqlite3.connect(tmp_path / "tradewatch.db")
        with conn:
            conn.execute("UPDATE alerts SET created_at = '2000-01-01T00:00:00Z'")  # an hour and more ago
        conn.close()
        result = run_cli("crawl", "summaries", config=config)
        assert result.returncode == 0, result.stderr
    finally:
        controller.stop()
    (raw,) = mailbox.messages
    message = message_from_bytes(raw)
    count = len(query(tmp_path / "tradewatch.db", "SELECT * FROM alerts WHERE hook = 'mail'"))
    assert message["Subject"] == f"[tradewatch] {count} flagged stories"
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert "Rules: tariffs" in text and f"{site.url}/noticias/header-latin1" in text
    attachment = json.loads(message.get_payload()[1].get_payload(decode=True))
    assert len(attachment["alerts"]) == count and attachment["id"].startswith("tw-digest-")


def test_hooks_test_sends_a_sample(receiver, tmp_path):
    config = write_config(tmp_path / "config.yaml", [], hooks=[{"name": "desk", "webhook": receiver.url}])
    result = run_cli("hooks", "test", "desk", config=config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("hook desk: delivered a sample alert (tw-test-")
    assert json.loads(receiver.posts[0][1])["title"].startswith("tradewatch test alert")
    bad = write_config(tmp_path / "bad.yaml", [], hooks=[{"name": "desk", "webhook": "http://127.0.0.1:9/x"}])
    failed = run_cli("hooks", "test", "desk", config=bad)
    assert failed.returncode == 1 and failed.stderr.startswith("Error: hook desk: cannot reach")
    unknown = run_cli("hooks", "test", "nope", config=config)
    assert unknown.returncode == 2 and unknown.stderr == "Error: no hook named 'nope' (known: desk)\n"


def test_hook_config_errors(tmp_path):
    config = write_config(
        tmp_path / "config.yaml", [], hooks=[{"name": "x", "webhook": "http://h/", "secret": "${NOPE_UNSET}"}]
    )
    result = run_cli("check", config=config)
    assert result.returncode == 2
    assert result.stderr == "Error: hooks[1] (x): secret: environment variable NOPE_UNSET is not set\n"
    # Without the optional extra (an apprise module that cannot be imported stands in for it):
    blocker = tmp_path / "no-apprise"
    blocker.mkdir()
    (blocker / "apprise.py").write_text("raise ImportError('No module named apprise')\n")
    config = write_config(tmp_path / "config.yaml", [], hooks=[{"name": "chat", "apprise": "ntfy://topic"}])
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    result = subprocess.run(
        [sys.executable, "-m", "jobs.cli", "--config", str(config), "check"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "Error: hooks[1] (chat): apprise: the apprise hook needs the optional extra: "
        "pip install 'tradewatch[apprise]'\n"
    )


def test_apprise_hook_delivers_through_an_apprise_url(site, receiver, tmp_path):
    pytest.importorskip("apprise")
    target = receiver.url.replace("http://", "json://")  # Apprise's JSON-over-HTTP notifier
    hooks = [{"name": "chat", "apprise": target, "rules": ["usmca"]}]
    config = write_config(tmp_path / "config.yaml", sources_at(site.url, SOURCES[:1]), hooks=hooks)
    result = run_cli("crawl", config=config)
    assert "hook chat: 1 sent, 0 pending, 0 dead" in result.stdout, result.stdout + result.stderr
    (headers, body) = receiver.posts[0]
    message = json.loads(body)
    assert message["title"].startswith("[tradewatch] ") and "Rules: usmca" in message["message"]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here (no network, no openssl binary)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_email_hook_uses_starttls(tmp_path, monkeypatch):
    import ssl

    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox = Mailbox()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=free_port(), tls_context=server_tls, require_starttls=True
    )
    controller.start()
    try:
        email = {
            "to": "desk@example.org",
            "from": "tw@example.org",
            "host": "127.0.0.1",
            "port": controller.port,
        }
        config = write_config(tmp_path / "config.yaml", [], hooks=[{"name": "mail", "email": email}])
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test's certificate only
        result = run_cli("hooks", "test", "mail", config=config)
        assert result.returncode == 0, result.stderr
        monkeypatch.delenv("SSL_CERT_FILE")
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
        untrusted = run_cli("hooks", "test", "mail", config=config)
        assert untrusted.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    finally:
        controller.stop()
    (raw,) = mailbox.messages
    assert (
        message_from_bytes(raw)["Subject"] == "[tradewatch] tradewatch test alert: tariffs on steel (sample)"
    )
