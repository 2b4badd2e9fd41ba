"""Dates: parse what sources and pages say, and choose the one to trust.

A story's ``published_at`` is taken from the most trusted place that gives a believable date,
in ``ORIGINS`` order; the place is kept in ``published_from``. A date in the future (beyond a
little clock skew) or before the web had news sites is not believed, so a feed with bad dates
cannot push its items to the top of every listing.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date

# Month names in English and Spanish, folded, with the abbreviations printed before a day (Nov. 29,
# dic. 1): the number of each. Story facts and trade measures read days with it.
MONTHS = {
    name: n
    for n, names in enumerate(
        [
            "january enero jan ene",
            "february febrero feb",
            "march marzo mar",
            "april abril apr abr",
            "may mayo",
            "june junio jun",
            "july julio jul",
            "august agosto aug ago",
            "september septiembre setiembre sep sept",
            "october octubre oct",
            "november noviembre nov",
            "december diciembre dec dic",
        ],  # fmt: skip
        start=1,
    )
    for name in names.split()
}

ORIGINS = ("news-sitemap", "json-ld", "meta", "feed", "htmldate", "first-seen")
"""Where a publication date may come from, most trusted first."""

FUTURE_SKEW = timedelta(minutes=15)
EARLIEST = "1995-01-01T00:00:00Z"
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso(moment: datetime) -> str:
    """A datetime as ISO 8601 UTC to the second (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)


def iso_from_struct(struct: Any) -> str | None:
    """A UTC ``time.struct_time`` (as feedparser gives) as ISO 8601 UTC."""
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC).strftime(_FORMAT)
    except (OverflowError, ValueError, OSError):
        return None


def parse_date(text: Any) -> str | None:
    """An ISO 8601 or RFC 822 date as ISO 8601 UTC (``2026-11-02T10:00:00Z``); None if unreadable.

    A time without a zone is taken as UTC; a day without a time as its midnight, UTC.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    return iso_from_struct(_parse_date(text.strip()))


def believable(date: str | None, now: datetime | None = None) -> bool:
    """True for a date that is neither in the future (past clock skew) nor before 1995."""
    if not date:
        return False
    latest = iso((now or datetime.now(UTC)) + FUTURE_SKEW)
    return EARLIEST <= date <= latest


def choose(candidates: Iterable[tuple[str, str | None]], now: datetime | None = None) -> tuple[str, str]:
    """The most trusted believable (origin, date) of ``candidates``; first-seen (now) when none is."""
    now = now or datetime.now(UTC)
    rank = {origin: i for i, origin in enumerate(ORIGINS)}
    for origin, date in sorted(candidates, key=lambda c: rank[c[0]]):
        if believable(date, now):
            return origin, date  # type: ignore[return-value]
    return "first-seen", iso(now)


def utc_in(seconds: float = 0.0) -> str:
    """The time ``seconds`` from now (negative: ago) as ISO 8601 UTC, the store's timestamp form."""
    return iso(datetime.now(UTC) + timedelta(seconds=seconds))


def from_iso(text: str) -> datetime:
    """A stored ISO 8601 UTC timestamp as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
