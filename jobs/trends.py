"""Mentions per rule per day (``tradewatch trends``): the counts, terminal bars and a chart.

The counts come from ``Store.mentions`` (the query the desk's ``mentions_per_day`` runs too),
by day of publication (UTC). By stories, a story counts once a day however many copies name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.errors import TradewatchError

if TYPE_CHECKING:
    from crawler.store import Store

WIDTH = 40  # characters of the longest bar
_EIGHTHS = " ▏▎▍▌▋▊▉"
PLOT_HINT = "matplotlib is not installed: pip install 'tradewatch[plot]'"


@dataclass(frozen=True)
class Series:
    """Per rule, a count for each of ``days`` (ISO dates, oldest first)."""

    days: list[str]
    counts: dict[str, list[int]]


def series(store: Store, rules: list[str] | tuple[str, ...], days: int, by: str = "stories") -> Series:
    """The last ``days`` days (today included) of ``rules``' mentions, by ``stories`` or ``articles``."""
    today = datetime.now(UTC).date()
    dates = [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    index = {day: n for n, day in enumerate(dates)}
    counts = {rule: [0] * days for rule in rules}
    for row in store.mentions(f"{dates[0]}T00:00:00Z"):
        if row["rule"] in counts and row["day"] in index:
            counts[row["rule"]][index[row["day"]]] = row[by]
    return Series(dates, counts)


def _bar(value: int, peak: int) -> str:
    eighths = round(value * WIDTH * 8 / peak) if peak else 0
    if value and not eighths:
        eighths = 1  # a mention is never drawn as none
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def bars(data: Series, by: str) -> list[str]:
    """Lines of text: per rule a summary, then one bar per day (all scaled to the highest day)."""
    peak = max((max(c) for c in data.counts.values() if c), default=0)
    lines = [f"Mentions per day by {by}, {data.days[0]} to {data.days[-1]} (UTC days of publication)"]
    for rule, counts in data.counts.items():
        total, top = sum(counts), max(counts, default=0)
        busiest = f", most on {data.days[counts.index(top)]} ({top})" if top else ""
        lines.append("")
        noun = by if total != 1 else {"stories": "story", "articles": "article"}[by]
        lines.append(f"{rule}: {total} {noun} in {len(data.days)} days{busiest}")
        for day, value in zip(data.days, counts, strict=True):
            lines.append(f"  {day[5:]} {_bar(value, peak)}{' ' + str(value) if value else ''}".rstrip())
    return lines


def chart(data: Series, by: str, path: Path, kind: str) -> None:
    """Write a bar chart (one colour per rule) to ``path`` as ``kind`` (png or svg)."""
    try:
        import matplotlib
    except ImportError:
        raise TradewatchError(PLOT_HINT) from None
    matplotlib.use("Agg")
    from matplotlib import pyplot

    rules = list(data.counts)
    figure, axes = pyplot.subplots(figsize=(10, 4.5), layout="constrained")
    width = 0.8 / max(len(rules), 1)
    for n, rule in enumerate(rules):
        positions = [day + (n - (len(rules) - 1) / 2) * width for day in range(len(data.days))]
        axes.bar(positions, data.counts[rule], width=width, label=rule)
    step = max(1, len(data.days) // 10)
    axes.set_xticks(range(0, len(data.days), step), [d[5:] for d in data.days[::step]])
    axes.set_ylabel(f"{by} per day")
    axes.set_title(f"Mentions per rule per day ({by}), {data.days[0]} to {data.days[-1]}")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    if rules:
        axes.legend(frameon=False)
    try:
        figure.savefig(path, format=kind, dpi=120)
    except OSError as error:
        raise TradewatchError(f"cannot write {path}: {error.strerror}") from None
    finally:
        pyplot.close(figure)
