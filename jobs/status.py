"""Health: each source's and hook's state, and whether anything needs a person's attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.config import Config
from crawler.dates import from_iso, iso, utc_in
from crawler.outbox import Outbox
from crawler.store import Store


def _parse(timestamp: str | None) -> datetime | None:
    return from_iso(timestamp) if timestamp else None


def _short(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


@dataclass(frozen=True)
class SourceHealth:
    """One source's row in ``tradewatch status``."""

    name: str
    last_run: datetime | None
    last_ok: datetime | None
    new_24h: int
    failures: int
    error: str | None
    next_run: datetime | None
    problem: str | None  # why it is unhealthy, or None


def next_run(
    config: Config, source_name: str, last_run: datetime | None, retry_at: datetime | None = None
) -> datetime | None:
    """When the daemon will next crawl the source (jitter and backoff aside; not before ``retry_at``)."""
    source = config.source(source_name)
    now = datetime.now(UTC)
    if source.cron:
        from zoneinfo import ZoneInfo

        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(source.cron, timezone=ZoneInfo(config.timezone))
        return trigger.get_next_fire_time(None, max(now, retry_at or now))
    due = now if last_run is None else last_run + timedelta(seconds=source.every)
    return max(due, retry_at) if retry_at else due


def source_health(config: Config, store: Store) -> list[SourceHealth]:
    """The health of every configured source."""
    rows = store.source_rows()
    counts = store.articles_since(utc_in(-86400))
    result = []
    for source in config.sources:
        row: dict[str, Any] = rows.get(source.name, {})
        last_run, last_ok = _parse(row.get("last_run_at")), _parse(row.get("last_ok_at"))
        failures = row.get("consecutive_failures") or 0
        problem = None
        if failures >= config.max_failures:
            problem = f"failed {failures} times in a row"
        elif last_ok and (datetime.now(UTC) - last_ok).total_seconds() > config.stale_after:
            problem = f"no success since {_short(last_ok)}"
        result.append(
            SourceHealth(
                name=source.name,
                last_run=last_run,
                last_ok=last_ok,
                new_24h=counts.get(source.name, 0),
                failures=failures,
                error=row.get("last_error"),
                next_run=next_run(config, source.name, last_run, _parse(row.get("retry_at"))),
                problem=problem,
            )
        )
    return result


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def status_document(config: Config, store: Store) -> dict[str, Any]:
    """``tradewatch status --json``: {healthy, sources: [...], hooks: [...]} (times ISO 8601 UTC)."""
    health = source_health(config, store)
    counts = Outbox(store).counts()
    sources = [
        {
            "name": h.name,
            "last_run_at": _iso(h.last_run),
            "last_ok_at": _iso(h.last_ok),
            "new_24h": h.new_24h,
            "failures_in_a_row": h.failures,
            "last_error": h.error,
            "next_run_at": _iso(h.next_run),
            "problem": h.problem,
        }  # fmt: skip
        for h in health
    ]
    hooks = [
        {"name": hook.name, **{s: counts.get(hook.name, {}).get(s, 0) for s in ("pending", "sent", "dead")}}
        for hook in config.hooks
    ]
    return {"healthy": not any(h.problem for h in health), "sources": sources, "hooks": hooks}


def render_status(config: Config, store: Store) -> tuple[list[str], bool]:
    """The lines of ``tradewatch status`` and whether everything is healthy."""
    health = source_health(config, store)
    width = max([len(h.name) for h in health] + [6])
    lines = [
        f"{'source':<{width}}  {'last run':<16}  {'last success':<16}  {'new 24h':>7}  {'fails':>5}  next run"
    ]
    for h in health:
        lines.append(
            f"{h.name:<{width}}  {_short(h.last_run):<16}  {_short(h.last_ok):<16}  {h.new_24h:>7}  "
            f"{h.failures:>5}  {_short(h.next_run)}" + (f"  {h.error}" if h.error else "")
        )
    if config.hooks:
        counts = Outbox(store).counts()
        width = max([len(hook.name) for hook in config.hooks] + [4])
        lines.append("")
        lines.append(f"{'hook':<{width}}  {'pending':>7}  {'sent':>6}  {'dead':>5}")
        for hook in config.hooks:
            pending, sent, dead = (counts.get(hook.name, {}).get(s, 0) for s in ("pending", "sent", "dead"))
            lines.append(f"{hook.name:<{width}}  {pending:>7}  {sent:>6}  {dead:>5}")
    problems = [f"{h.name}: {h.problem}" for h in health if h.problem]
    if problems:
        lines.append("")
        lines += [f"UNHEALTHY {p}" for p in problems]
    return lines, not problems
