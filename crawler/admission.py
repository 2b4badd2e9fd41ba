"""Admission: the one home of whether a listed entry is fetched, and whether a read page is stored.

The spider asks ``at_listing`` for every entry a listing names (before any request), and the store
pipeline asks ``at_store`` once the page is read (its canonical URL and its own date are known
only then). Each answer is a ``Verdict``; each records what it decided (aliases of a known
article, an entry skipped as too old or as a sitemap's archive) so that the next crawl decides the
same way without fetching.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from crawler.config import Source
from crawler.dates import iso
from crawler.extract import Analysis
from crawler.sources import Entry
from crawler.store import SourceState, Store
from crawler.urls import MAX_URL_LENGTH, normalize_url, url_problem


class Outcome(StrEnum):
    """What becomes of an entry."""

    NEW = "new"  # fetch it (or, once read, store it)
    KNOWN = "known"  # the store has it already: its article_id is in the verdict
    TOO_OLD = "too old"  # older than the source's max_age
    ARCHIVED = "archived"  # listed undated at a sitemap's first crawl: its archive, not news
    IN_FLIGHT = "in flight"  # another entry of this crawl is fetching the same article
    NO_LINK = "no link"  # nothing to fetch
    BAD_LINK = "bad link"  # a link that cannot be fetched (javascript:, a port out of range...)


class SkipReason(StrEnum):
    """Why an entry sits in the ``skipped`` table (the values are what people read there)."""

    TOO_OLD = "older than max_age"
    ARCHIVED = "undated, listed at the first crawl"
    BAD_LINK = "bad link"  # stored as "bad link: <why>", keyed by the link as the listing wrote it


@dataclass(frozen=True)
class Verdict:
    """An admission's answer: the outcome, for a known article its id, for a bad link why."""

    outcome: Outcome
    article_id: int | None = None
    reason: str | None = None

    @property
    def admitted(self) -> bool:
        return self.outcome is Outcome.NEW


NEW = Verdict(Outcome.NEW)


class Admission:
    """Decides, for one crawl of ``sources``, which entries are fetched and which pages are stored."""

    def __init__(
        self,
        store: Store,
        sources: Sequence[Source],
        states: Mapping[str, SourceState],
        now: datetime | None = None,
    ) -> None:
        self.store = store
        now = now or datetime.now(UTC)
        # Entries dated before their source's cutoff are ignored (max_age).
        self.cutoffs = {
            s.name: iso(now - timedelta(seconds=s.max_age)) if s.max_age else None for s in sources
        }
        # Sitemap sources that never finished a crawl: their undated entries are their archive.
        self.first_crawl = {
            s.name for s in sources if s.kind == "sitemap" and states[s.name].last_ok_at is None
        }
        # key (normalised URL or feed id) -> the URL of the entry in flight that claimed it
        self._claims: dict[str, str] = {}
        # URL in flight -> more keys that turned out to name the same entry
        self._extra: dict[str, list[str]] = {}

    def archive(self, entries: list[Entry], source: Source) -> tuple[list[Entry], int]:
        """At a sitemap's first crawl, set its undated entries aside as its archive (recorded, never fetched).

        Returns the entries left to admit and how many were archived. An undated URL that appears
        later is new, and fetched; a stored article is never marked.
        """
        if source.name not in self.first_crawl:
            return entries, 0
        undated = [
            e for e in entries if e.listed_date is None and e.url and self.store.find_article(e.keys) is None
        ]
        self.store.skip([k for e in undated for k in e.keys], source.name, None, SkipReason.ARCHIVED)
        return [e for e in entries if e.listed_date is not None], len(undated)

    def at_listing(self, entry: Entry) -> Verdict:
        """Whether a listed entry is fetched: NEW claims it for this crawl (``release`` it when done)."""
        if not entry.url:
            return Verdict(Outcome.NO_LINK)
        if (problem := url_problem(entry.link or "")) is not None:
            return Verdict(Outcome.BAD_LINK, reason=problem)
        cutoff = self.cutoffs[entry.source]
        if cutoff and entry.listed_date and entry.listed_date < cutoff:
            return Verdict(Outcome.TOO_OLD)  # judged by the listing's date: nothing written
        keys = entry.keys
        known = self.store.remember(keys)
        if known is not None:
            return Verdict(Outcome.KNOWN, known)
        # A bad link's mark names a link, not an entry: a good link under the same feed id is news.
        skipped = {r for r in self.store.skipped(keys) if not r.startswith(SkipReason.BAD_LINK)}
        # An archive mark holds undated listings only: the same URL with a recent date (a news
        # sitemap beside the plain one) is news.
        if skipped - {SkipReason.ARCHIVED}:
            return Verdict(Outcome.TOO_OLD)
        if skipped and entry.listed_date is None:
            return Verdict(Outcome.ARCHIVED)
        if not self._claim(entry.url, keys):
            return Verdict(Outcome.IN_FLIGHT)
        return NEW

    def at_store(self, entry: Entry, analysis: Analysis, page_url: str | None) -> tuple[Verdict, list[str]]:
        """Whether a read entry is stored, and every key it is known by (canonical URL first).

        KNOWN when its canonical URL (or an alias found on the way) names a stored article, whose
        aliases then gain these keys; TOO_OLD when the page's own date lies before the cutoff
        (recorded in ``skipped``, never fetched again); else NEW.
        """
        keys = list(dict.fromkeys(k for k in [analysis.url, *entry.keys, *self.release(entry.url)] if k))
        if page_url is not None and page_url not in keys:
            keys.append(page_url)
        known = self.store.remember(keys)
        if known is not None:
            return Verdict(Outcome.KNOWN, known), keys
        cutoff = self.cutoffs[entry.source]
        if cutoff and analysis.published_from != "first-seen" and analysis.published_at < cutoff:
            self.store.skip(keys, entry.source, analysis.published_at, SkipReason.TOO_OLD)
            return Verdict(Outcome.TOO_OLD), keys
        return NEW, keys

    def set_aside(self, source: str, link: str, reason: str, published_at: str | None = None) -> bool:
        """Record a link that cannot be fetched, or an item that cannot be read, in ``skipped``.

        Keyed by the link as the listing wrote it (cleaned of whitespace), never by a feed id: a
        feed that mends the link later lists a good entry. True when it was not recorded before.
        """
        key = normalize_url(link)[:MAX_URL_LENGTH]
        return self.store.skip([key], source, published_at, f"{SkipReason.BAD_LINK}: {reason}") > 0

    def _claim(self, url: str, keys: Iterable[str]) -> bool:
        keys = list(keys)
        holder = next((self._claims[k] for k in keys if k in self._claims), None)
        if holder is not None:
            self._extra[holder].extend(keys)
            return False
        for key in keys:
            self._claims[key] = url
        self._extra[url] = []
        return True

    def release(self, url: str | None) -> list[str]:
        """Let go of an entry in flight: the extra keys gathered for it (other entries naming it)."""
        return self._extra.pop(url, []) if url else []
