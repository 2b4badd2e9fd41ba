"""The dispatcher: delivers the outbox's due alerts through their hooks, with backoff.

Alerts are rows in the store (written with the matches), so a crash loses none; a
delivery is recorded as soon as it succeeds, so none is sent twice (barring the instant
between the receiver's answer and that commit, after which the alert goes again with its id).

Failures stay local, at three levels:
- **an alert**: anything that goes wrong building or delivering it (its article deleted by hand,
  a cell that is not JSON, an exception from a hook kind) marks that alert failed with the
  error, on its hook's backoff, then dead after its attempts; the pass goes on to the next one.
  A digest holding a bad alert sends the others.
- **a hook**: each hook is a lane of its own (``Lanes`` in the daemon, one thread per hook in
  ``deliver_pending``), so a receiver that hangs delays only its own alerts; once it is found
  unreachable (a refused connection, a timeout), its other due alerts wait for its backoff
  (``Outbox.postpone``) instead of each timing out in turn.
- **a pass**: a store error while marking ends that hook's pass, logged; the others go on.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.config import Hook
from crawler.dates import from_iso, utc_in
from crawler.errors import HookError, TradewatchError
from crawler.outbox import Outbox, attempts, by_story
from crawler.sqlite import utcnow
from crawler.store import Store
from jobs.hooks import deliver, payload_json

logger = logging.getLogger(__name__)
STOP_GRACE = 2.0  # seconds the lanes get to finish a delivery when the process stops
LEASE_MARGIN = 5.0  # seconds an alert is held beyond its hook's timeout while it is delivered


def _age(timestamp: str) -> float:
    return (datetime.now(UTC) - from_iso(timestamp)).total_seconds()


@dataclass
class DispatchReport:
    """What dispatch passes did, per hook."""

    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    dead: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, counter: dict[str, int], hook: str, n: int) -> None:
        with self._lock:
            counter[hook] = counter.get(hook, 0) + n


def _batches(hook: Hook, alerts: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """One batch per alert, or for a digest hook one batch once its oldest alert has waited a period."""
    if hook.digest is None:
        return [[alert] for alert in alerts]
    try:
        oldest = _age(min(str(a["created_at"]) for a in alerts)) if alerts else 0.0
    except ValueError:  # a created_at edited into something else: send now rather than never
        oldest = float("inf")
    if not alerts or oldest < hook.digest:
        return []
    return [alerts]


def _fail(
    outbox: Outbox, hook: Hook, batch: list[dict[str, Any]], error: str, report: DispatchReport
) -> float:
    """Record a failed attempt of ``batch``: retried on the hook's backoff, dead after its attempts.

    Returns the backoff's delay in seconds (what the hook's other alerts wait, if it is unreachable).
    """
    tried = max(attempts(a) for a in batch) + 1
    delay = hook.retry.delay(tried) * random.uniform(0.9, 1.1)
    ids = [a["id"] for a in batch]
    if tried >= hook.retry.attempts:
        outbox.mark_failed(ids, error, None)
        report.add(report.dead, hook.name, len(ids))
    else:
        outbox.mark_failed(ids, error, utc_in(delay))
        report.add(report.failed, hook.name, len(ids))
    report.errors[hook.name] = error
    logger.warning("hook %s: %s: %s", hook.name, ", ".join(ids)[:200], error)
    return delay


def _deliver_batch(
    outbox: Outbox, hook: Hook, batch: list[dict[str, Any]], report: DispatchReport
) -> float | None:
    """Build and deliver one batch, each alert's failure its own; the delay the hook's other alerts
    must wait when its receiver turned out unreachable, else None.

    Only the alerts this dispatcher could claim are delivered: another process on the store (the
    daemon beside a manual crawl) may be delivering the others.
    """
    claimed = outbox.claim([a["id"] for a in batch], hook.timeout + LEASE_MARGIN)
    good, payloads = [], []
    for alert in (a for a in batch if a["id"] in claimed):
        try:
            payload = outbox.payload(alert)
            payload_json([payload], digest=False)  # a cell JSON cannot hold (a BLOB) fails here, alone
        except Exception as error:  # whatever a row holds: that alert fails, the rest go on
            _fail(outbox, hook, [alert], f"cannot build the alert: {error}", report)
        else:
            payloads.append(payload)
            good.append(alert)
    if not good:
        return None
    try:
        deliver(hook, by_story(payloads) if hook.digest is not None else payloads)
    except HookError as error:
        delay = _fail(outbox, hook, good, str(error), report)
        return delay if error.unreachable else None
    except Exception as error:  # a hook kind's own bug or a library's surprise: recorded like a failure
        _fail(outbox, hook, good, f"{type(error).__name__}: {error}", report)
        return None
    outbox.mark_sent([a["id"] for a in good])
    report.add(report.sent, hook.name, len(good))
    return None


def dispatch_hook(outbox: Outbox, hook: Hook, report: DispatchReport, *, everything: bool = False) -> None:
    """Deliver ``hook``'s due alerts (every pending one when ``everything``); record each outcome.

    Once the receiver is found unreachable, the rest of the hook's alerts wait for its backoff.
    """
    try:
        pending = outbox.due(hook.name, None if everything else utcnow())
        for batch in _batches(hook, pending):
            delay = _deliver_batch(outbox, hook, batch, report)
            if delay is not None:
                outbox.postpone(hook.name, utc_in(delay))
                return
    except TradewatchError as error:  # the store itself (locked, gone): this pass ends, logged
        report.errors[hook.name] = str(error)
        logger.error("hook %s: %s", hook.name, error)


def _drain(database: str | Path, hook: Hook, report: DispatchReport, deadline: float) -> None:
    """One hook's lane of ``deliver_pending``: every pending alert once, then retries until ``deadline``."""
    store = Store(database)
    try:
        outbox = Outbox(store)
        dispatch_hook(outbox, hook, report, everything=True)
        while hook.digest is None:
            due = outbox.next_attempt_at([hook.name])
            if due is None:
                return
            pause = max(-_age(due), 0.2)
            if time.monotonic() + pause > deadline:
                return
            time.sleep(pause)
            dispatch_hook(outbox, hook, report)
    except TradewatchError as error:
        report.errors[hook.name] = str(error)
        logger.error("hook %s: %s", hook.name, error)
    finally:
        store.close()


def deliver_pending(database: str | Path, hooks: Sequence[Hook], wait: float) -> DispatchReport:
    """Try every pending alert once now, then retry failures on their backoff for up to ``wait`` seconds.

    Each hook in a thread of its own: one that hangs delays only itself. The run ends by ``wait``
    plus the longest hook ``timeout`` (a delivery under way is let finish that long); a lane still
    delivering then is left behind, its alert not marked sent, so sent again (with its id) next run.
    Digest hooks send only once their period is over; their alerts otherwise wait for a later run.
    """
    report = DispatchReport()
    deadline = time.monotonic() + wait
    lanes = [
        threading.Thread(
            target=_drain, args=(database, hook, report, deadline), name=f"hook-{hook.name}", daemon=True
        )
        for hook in hooks
    ]
    for lane in lanes:
        lane.start()
    end = deadline + max((hook.timeout for hook in hooks), default=0.0) + 1.0
    for lane in lanes:
        lane.join(max(end - time.monotonic(), 0.0))
    return report


class Lanes:
    """The daemon's deliveries: one thread per hook, each with its own store connection.

    ``kick`` asks every lane that is idle for a pass; a lane still delivering (a receiver that
    hangs) is left to it, and the others go on. ``stop`` waits ``STOP_GRACE`` at most: a lane
    stuck in a delivery is abandoned, and its alert, not marked sent, goes again after a restart.
    """

    def __init__(self, database: str | Path) -> None:
        self.database = database
        self._lanes: dict[str, _Lane] = {}
        self._stopping = threading.Event()

    def kick(self, hooks: Sequence[Hook]) -> None:
        """Ask each hook's lane for a pass with ``hooks``' current settings (the config's, after a reload)."""
        if self._stopping.is_set():
            return
        for hook in hooks:
            lane = self._lanes.get(hook.name)
            if lane is None:
                lane = self._lanes[hook.name] = _Lane(self.database, self._stopping)
            lane.kick(hook)
        for name in set(self._lanes) - {hook.name for hook in hooks}:
            self._lanes.pop(name).retire()

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Let lanes finish what they deliver for up to ``grace`` seconds, then leave them."""
        self._stopping.set()
        end = time.monotonic() + grace
        for lane in self._lanes.values():
            lane.retire()
        for lane in self._lanes.values():
            lane.thread.join(max(end - time.monotonic(), 0.0))


class _Lane:
    """One hook's thread: a pass each time it is kicked, with the hook's settings of that kick."""

    def __init__(self, database: str | Path, stopping: threading.Event) -> None:
        self.database = database
        self.stopping = stopping
        self.wake = threading.Event()
        self.hook: Hook | None = None
        self.retired = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = False

    def kick(self, hook: Hook) -> None:
        self.hook = hook
        self.wake.set()
        if not self.started:
            self.thread.name = f"hook-{hook.name}"
            self.started = True
            self.thread.start()

    def retire(self) -> None:
        self.retired = True
        self.wake.set()

    def _run(self) -> None:
        store: Store | None = None
        try:
            while True:
                self.wake.wait()
                self.wake.clear()
                if self.retired or self.stopping.is_set() or self.hook is None:
                    return
                hook, report = self.hook, DispatchReport()
                try:
                    store = store or Store(self.database)
                    dispatch_hook(Outbox(store), hook, report)
                except TradewatchError as error:  # the store cannot be opened: the next kick tries again
                    logger.error("hook %s: %s", hook.name, error)
                    continue
                except Exception:  # a bug of ours must not end the lane: its hook would go silent
                    logger.exception("hook %s: delivery pass failed", hook.name)
                    continue
                for name, n in report.sent.items():
                    logger.info(
                        "hook %s: %d sent", name, n, extra={"event": "sent", "hook": name, "count": n}
                    )
        finally:
            if store is not None:
                store.close()
