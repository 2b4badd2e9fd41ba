"""The dispatcher: delivers the outbox's due alerts through their hooks, with backoff.

Alerts are rows in the store (written with the matches), so a crash loses none; a
delivery is recorded as soon as it succeeds, so none is sent twice (barring the instant
between the receiver's answer and that commit).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.config import Hook
from crawler.dates import from_iso, utc_in
from crawler.errors import HookError
from crawler.store import utcnow
from jobs.hooks import deliver
from jobs.outbox import Outbox, by_story

logger = logging.getLogger(__name__)


def _age(timestamp: str) -> float:
    return (datetime.now(UTC) - from_iso(timestamp)).total_seconds()


@dataclass
class DispatchReport:
    """What one dispatch pass did, per hook."""

    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    dead: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, counter: dict[str, int], hook: str, n: int) -> None:
        counter[hook] = counter.get(hook, 0) + n


def _batches(hook: Hook, alerts: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """One batch per alert, or for a digest hook one batch once its oldest alert has waited a period."""
    if hook.digest is None:
        return [[alert] for alert in alerts]
    if not alerts or _age(min(a["created_at"] for a in alerts)) < hook.digest:
        return []
    return [alerts]


def dispatch_hook(outbox: Outbox, hook: Hook, report: DispatchReport, *, everything: bool = False) -> None:
    """Deliver ``hook``'s due alerts (every pending one when ``everything``); record each outcome."""
    pending = outbox.due(hook.name, None if everything else utcnow())
    for batch in _batches(hook, pending):
        ids = [a["id"] for a in batch]
        try:
            payloads = [outbox.payload(a) for a in batch]
            deliver(hook, by_story(payloads) if hook.digest is not None else payloads)
        except HookError as error:
            attempts = max(a["attempts"] for a in batch) + 1
            if attempts >= hook.retry.attempts:
                outbox.mark_failed(ids, str(error), None)
                report.add(report.dead, hook.name, len(ids))
            else:
                delay = hook.retry.delay(attempts) * random.uniform(0.9, 1.1)
                outbox.mark_failed(ids, str(error), utc_in(delay))
                report.add(report.failed, hook.name, len(ids))
            report.errors[hook.name] = str(error)
            logger.warning("hook %s: %s", hook.name, error)
        else:
            outbox.mark_sent(ids)
            report.add(report.sent, hook.name, len(ids))


def dispatch_alerts(outbox: Outbox, hooks: Sequence[Hook], *, everything: bool = False) -> DispatchReport:
    """One pass over every hook: deliver what is due. A failing hook never stops the others."""
    report = DispatchReport()
    for hook in hooks:
        dispatch_hook(outbox, hook, report, everything=everything)
    return report


def deliver_pending(outbox: Outbox, hooks: Sequence[Hook], wait: float) -> DispatchReport:
    """Try every pending alert once now, then retry failures on their backoff for up to ``wait`` seconds.

    Digest hooks send only once their period is over; their alerts otherwise wait for a later run.
    """
    total = DispatchReport()
    deadline = time.monotonic() + wait
    immediate = [hook.name for hook in hooks if hook.digest is None]
    everything = True
    while True:
        report = dispatch_alerts(outbox, hooks, everything=everything)
        everything = False
        for name in ("sent", "failed", "dead"):
            for hook, n in getattr(report, name).items():
                total.add(getattr(total, name), hook, n)
        total.errors.update(report.errors)
        due = outbox.next_attempt_at(immediate) if immediate else None
        if due is None:
            return total
        pause = max(-_age(due), 0.2)
        if time.monotonic() + pause > deadline:
            return total
        time.sleep(pause)
