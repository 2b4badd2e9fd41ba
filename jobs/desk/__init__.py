"""The analyst's desk: datasette over the store, configured.

``metadata()`` is the datasette metadata for one store: what each table and column means
(``metadata.yaml``), the internal tables hidden, raw full-text search (``arancel*``,
``steel AND tariff*``) and the canned queries an analyst runs daily. ``serve_command()`` is the
datasette command that serves a store read-only (datasette's queries run on ``mode=ro``
connections; a WAL store is never opened immutable, so the daemon may write beside it).
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from crawler.store import MENTIONS_SQL

INSTALL_HINT = "datasette is not installed: pip install 'tradewatch[web]'"
# datasette-vega draws a query's rows when the page's fragment says how: mentions per day, by rule.
CHART = (
    "g.mark=bar&g.x_column=day&g.x_type=ordinal&g.y_column=stories&g.y_type=quantitative&g.color_column=rule"
)

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', {offset})"
_STORIES = """
SELECT stories.id, stories.title,
       (SELECT group_concat(rule, ', ') FROM (SELECT DISTINCT m.rule FROM articles a
         JOIN matches m ON m.article_id = a.id WHERE a.story_id = stories.id ORDER BY m.rule)) AS rules,
       stories.articles AS copies, stories.sources AS outlets, stories.languages,
       stories.first_source, stories.first_seen_at, stories.last_seen_at, stories.first_url
FROM stories
WHERE stories.last_seen_at >= {since}
  AND EXISTS (SELECT 1 FROM articles a JOIN matches m ON m.article_id = a.id
              WHERE a.story_id = stories.id AND (:rule = '' OR m.rule = :rule))
ORDER BY stories.first_seen_at DESC, stories.id DESC
"""

QUERIES: dict[str, dict[str, Any]] = {
    "stories_today": {
        "title": "Today's flagged stories",
        "description": "Stories with a copy in the last 24 hours that match a rule (or the rule given),"
        " with their copies, outlets and who reported first.",
        "sql": _STORIES.format(since=_NOW.format(offset="'-1 day'")),
    },
    "stories_this_week": {
        "title": "This week's flagged stories",
        "description": "The same over the last 7 days.",
        "sql": _STORIES.format(since=_NOW.format(offset="'-7 days'")),
    },
    "story": {
        "title": "One story's copies, who reported first",
        "description": "The copies of a story in first-seen order, with the evidence that joined each.",
        "sql": "SELECT fetched_at, source, lang, title, url, evidence, score, reason, article_id"
        " FROM story_copies WHERE story_id = :story ORDER BY fetched_at, article_id",
    },
    "mentions_per_day": {
        "title": "Mentions per rule per day",
        "description": "Over the last 30 days (or :days), by day of publication: stories (a story"
        " counts once a day however many outlets republish it) and articles.",
        "sql": MENTIONS_SQL.replace(
            ":since", _NOW.format(offset="'-' || coalesce(nullif(:days, ''), '30') || ' days'")
        ),
    },
    "source_health": {
        "title": "Sources: health",
        "description": "Each source's last success, failures in a row, last error and articles per"
        " day (published in the last 7 days).",
        "sql": """
SELECT sources.name, sources.kind, sources.last_ok_at, sources.consecutive_failures AS failures_in_a_row,
       sources.last_status, sources.last_error, sources.retry_at,
       round(coalesce(recent.n, 0) / 7.0, 1) AS articles_per_day
FROM sources LEFT JOIN (
  SELECT source, count(*) AS n FROM articles
  WHERE published_at >= {since} GROUP BY source
) AS recent ON recent.source = sources.name
ORDER BY sources.consecutive_failures DESC, sources.name
""".format(since=_NOW.format(offset="'-7 days'")),
    },
    "outbox": {
        "title": "Alert outbox by status",
        "description": "Alerts per hook and status: pending ones and when the next is due, dead ones"
        " and their last error.",
        "sql": """
SELECT hook, status, count(*) AS alerts, min(next_attempt_at) AS next_due, max(sent_at) AS last_sent,
       max(last_error) AS a_last_error
FROM alerts GROUP BY hook, status ORDER BY hook, status
""",
    },
}


def metadata(database: Path) -> dict[str, Any]:
    """The datasette metadata for the store at ``database`` (datasette names it by its stem)."""
    name = Path(database).stem
    template = yaml.safe_load(files("jobs.desk").joinpath("metadata.yaml").read_text(encoding="utf-8"))
    tables = template.pop("tables")
    html = template["description_html"].replace("{db}", name).replace("{chart}", CHART.replace("&", "&amp;"))
    template["description_html"] = html
    queries = {
        key: {**query, "sql": query["sql"].strip(), "hide_sql": True} for key, query in QUERIES.items()
    }
    return {**template, "databases": {name: {"tables": tables, "queries": queries}}}


def available() -> bool:
    """Whether datasette is installed (the ``web`` extra)."""
    return importlib.util.find_spec("datasette") is not None


def serve_command(database: Path, metadata_file: Path, host: str, port: int) -> list[str]:
    """The datasette command serving ``database`` with ``metadata_file`` on ``host``:``port``."""
    return [
        sys.executable, "-m", "datasette", "serve", str(database),
        "--metadata", str(metadata_file), "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", "5000",
    ]  # fmt: skip
