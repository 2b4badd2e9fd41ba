"""Alert hooks: small classes registered by their config key in ``HOOKS``.

Each kind holds all of itself: ``parse`` checks its config value (``load_config`` asks it, at
start), ``options`` names the keys it takes beyond the common ones, ``deliver`` sends one message.
A message is one alert, or a digest of several; its payload is JSON (see ``payload_json``).
A failed delivery raises HookError; the dispatcher records it and retries later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from crawler import version
from crawler.config import Hook, boolean_value, check_keys, http_url_value, text_value
from crawler.errors import HookError
from crawler.urls import redact_url


def payload_json(alerts: Sequence[dict[str, Any]], digest: bool) -> tuple[str, bytes]:
    """The message's id and body: one alert object, or ``{"id", "alerts": [...]}`` for a digest,
    as compact JSON on one line ending in a newline (a command hook's ``>> alerts.jsonl`` works)."""
    if not digest:
        data: dict[str, Any] = alerts[0]
    else:
        ids = "\n".join(a["id"] for a in alerts)
        data = {"id": "tw-digest-" + hashlib.sha1(ids.encode()).hexdigest()[:24], "alerts": list(alerts)}
    return data["id"], (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def plain_text(alerts: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """(subject, body) of a readable message for people: title, source, rules, snippet, link."""
    if len(alerts) == 1:
        update = "update: " if alerts[0].get("kind") == "update" else ""
        subject = f"[tradewatch] {update}{alerts[0]['title'] or alerts[0]['url']}"
    else:
        subject = f"[tradewatch] {len(alerts)} flagged stories"
    blocks = []
    for alert in alerts:
        lines = [
            ("Update: " if alert.get("kind") == "update" else "") + (alert["title"] or "(no title)"),
            f"Source: {alert['source']}   Rules: {', '.join(alert['rules'])}",
        ]
        if (story := alert.get("story")) and story.get("articles", 1) > 1:
            langs = ", ".join(story["languages"])
            lines.append(f"Story: {story['articles']} copies from {story['sources']} sources ({langs})")
        if alert.get("published_at"):
            lines.append(f"Published: {alert['published_at']}")
        lines += [f"[{m['rule']}] {m['snippet']}" for m in alert["matches"] if m.get("snippet")]
        lines.append(alert["url"])
        blocks.append("\n".join(lines))
    return subject, "\n\n".join(blocks) + "\n"


@dataclass(frozen=True)
class EmailSettings:
    """SMTP delivery: recipients, sender and server."""

    to: tuple[str, ...]
    sender: str
    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None


class WebhookHook:
    """POST the JSON payload to a URL; signed with HMAC-SHA256 when ``secret`` is set."""

    options = frozenset({"secret"})
    parse = staticmethod(http_url_value)

    @staticmethod
    def deliver(hook: Hook, alerts: Sequence[dict[str, Any]], message_id: str, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"tradewatch/{version()} (alert hook)",
            "Idempotency-Key": message_id,
        }
        if hook.secret:
            digest = hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Tradewatch-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(str(hook.target), data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=hook.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as error:
            raise HookError(f"HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error) or "timed out"
            target = redact_url(str(hook.target))
            raise HookError(f"cannot reach {target}: {reason}", unreachable=True) from None


class CommandHook:
    """Run a program (argv list, no shell) with the JSON payload on stdin; exit 0 means delivered."""

    options: frozenset[str] = frozenset()

    @staticmethod
    def parse(value: Any) -> tuple[str, ...]:
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(a, str | int | float) for a in value)
        ):
            raise ValueError("must be a non-empty list: the program and its arguments (no shell)")
        return tuple(str(a) for a in value)

    @staticmethod
    def deliver(hook: Hook, alerts: Sequence[dict[str, Any]], message_id: str, body: bytes) -> None:
        argv = list(hook.target)  # type: ignore[arg-type]
        try:
            result = subprocess.run(argv, input=body, capture_output=True, timeout=hook.timeout, check=False)
        except FileNotFoundError:
            raise HookError(f"command not found: {argv[0]}") from None
        except subprocess.TimeoutExpired:
            raise HookError(f"command timed out after {hook.timeout:g} s", unreachable=True) from None
        except OSError as error:
            raise HookError(f"cannot run {argv[0]}: {error.strerror}") from None
        if result.returncode != 0:
            last = (result.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
            raise HookError(f"command exited {result.returncode}" + (f": {last[:200]}" if last else ""))


class EmailHook:
    """Send a plain-text email (SMTP, STARTTLS by default) with the JSON payload attached."""

    options: frozenset[str] = frozenset()

    @staticmethod
    def parse(value: Any) -> EmailSettings:
        if not isinstance(value, Mapping):
            raise ValueError("must be a mapping with to, from and host")
        check_keys(value, {"to", "from", "host", "port", "starttls", "username", "password"})
        for key in ("to", "from", "host"):
            if not value.get(key):
                raise ValueError(f"{key}: required")
        to = value["to"] if isinstance(value["to"], list) else [value["to"]]
        port = value.get("port", EmailSettings.port)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"port: {port!r} is not a port number")
        return EmailSettings(
            to=tuple(text_value(t) for t in to),
            sender=text_value(value["from"]),
            host=text_value(value["host"]),
            port=port,
            starttls=boolean_value(value.get("starttls", EmailSettings.starttls)),
            username=value.get("username") or None,
            password=value.get("password") or None,
        )

    @staticmethod
    def deliver(hook: Hook, alerts: Sequence[dict[str, Any]], message_id: str, body: bytes) -> None:
        settings: EmailSettings = hook.target  # type: ignore[assignment]
        subject, text = plain_text(alerts)
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, settings.sender, ", ".join(settings.to)
        message["Message-ID"] = f"<{message_id}@tradewatch>"
        message.set_content(text)
        message.add_attachment(body, maintype="application", subtype="json", filename="alert.json")
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=hook.timeout) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(message)
        except smtplib.SMTPException as error:
            raise HookError(f"SMTP {settings.host}:{settings.port}: {error}") from None
        except OSError as error:  # refused, timed out: no server answered
            raise HookError(f"SMTP {settings.host}:{settings.port}: {error}", unreachable=True) from None


class AppriseHook:
    """Notify any Apprise URL (Slack, Teams, Telegram, ntfy, ...); needs tradewatch[apprise]."""

    options: frozenset[str] = frozenset()

    @staticmethod
    def parse(value: Any) -> str:
        text = text_value(value)
        try:
            import apprise  # noqa: F401
        except ImportError:
            raise ValueError(
                "the apprise hook needs the optional extra: pip install 'tradewatch[apprise]'"
            ) from None
        if "://" not in text:
            raise ValueError(f"{text!r} is not an Apprise URL such as slack://... or ntfy://...")
        return text

    @staticmethod
    def deliver(hook: Hook, alerts: Sequence[dict[str, Any]], message_id: str, body: bytes) -> None:
        import apprise

        subject, text = plain_text(alerts)
        notifier = apprise.Apprise()
        if not notifier.add(str(hook.target)):
            raise HookError(f"Apprise does not understand the URL {redact_url(str(hook.target))}")
        if not notifier.notify(title=subject, body=text):
            raise HookError("Apprise could not deliver the notification")


HOOKS: dict[str, type[WebhookHook | CommandHook | EmailHook | AppriseHook]] = {
    "webhook": WebhookHook,
    "command": CommandHook,
    "email": EmailHook,
    "apprise": AppriseHook,
}


def deliver(hook: Hook, alerts: Sequence[dict[str, Any]]) -> None:
    """Deliver ``alerts`` (one, or a digest) through ``hook``; HookError when it fails."""
    HOOKS[hook.kind].deliver(hook, alerts, *payload_json(alerts, digest=hook.digest is not None))
