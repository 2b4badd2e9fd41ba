"""The tradewatch command line: a thin layer over the crawler library."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.config import Config, load_config, parse_duration
from crawler.dates import from_iso, utc_in
from crawler.errors import ConfigError, TradewatchError
from crawler.report import CrawlReport, SourceCounts, SourceRun

if TYPE_CHECKING:
    from crawler.store import Store

DEFAULT_CONFIG = "config.yaml"


class _Errors(click.Group):
    """Turns every TradewatchError into ``Error: …`` and its exit code, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except TradewatchError as error:
            for line in str(error).splitlines() or [""]:
                click.echo(f"Error: {line}", err=True)
            sys.exit(error.exit_code)


def _config(ctx: click.Context) -> Config:
    """The config file, checked; ``--database`` before the command replaces its database."""
    from jobs.hooks import HOOKS

    root = ctx.find_root()
    path, database = root.obj["config_path"], root.obj["database"]
    defaulted = root.get_parameter_source("config_path") is click.core.ParameterSource.DEFAULT
    if database and defaulted and not Path(path).exists():
        from jobs.demo import shipped_config

        return shipped_config(Path(database))  # reading a store, the demo's, with no config file
    return load_config(path, HOOKS, database)


@click.group(cls=_Errors)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=lambda: os.environ.get("TRADEWATCH_CONFIG", DEFAULT_CONFIG),
    show_default="$TRADEWATCH_CONFIG or ./config.yaml",
    help="The config file.",
)
@click.option(
    "-d",
    "--database",
    type=click.Path(dir_okay=False),
    help="The store to use instead of the config's database (for example demo.db).",
)
@click.version_option(package_name="tradewatch")
@click.pass_context
def cli(ctx: click.Context, config_path: str, database: str | None) -> None:
    """tradewatch: monitor trade-policy news feeds, sitemaps and pages, flag what matters."""
    ctx.obj = {"config_path": config_path, "database": database}


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the config file: the first error of each section, source, rule and hook, in file
    order, each with its place; else a one-line summary (and a warning when it has no sources or
    no rules: run would refuse it)."""
    from crawler.config import warnings

    config = _config(ctx)
    for warning in warnings(config):
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"{ctx.obj['config_path']}: OK: {len(config.sources)} sources, "
        f"{len(config.rules)} rules, {len(config.hooks)} hooks, database {config.database}"
    )


def _progress_line(report: CrawlReport) -> str:
    return (
        f"\r{report.done()}/{len(report.runs)} sources  {report.total('new')} new  "
        f"{report.total('duplicate')} duplicate  {report.total('flagged')} flagged  "
        f"{report.total('errors')} errors"
    )


def _source_status(counts: SourceCounts, run: SourceRun) -> str:
    status = run.status if run.error is None else f"{run.status}: {run.error}"
    if counts.deferred:
        status += f" ({counts.deferred} left for later: the site asked us to wait)"
    if run.retry_after:
        status += f" (next run not before {run.retry_after:.0f} s from now)"
    return status


def _since(value: str | None) -> str | None:
    """``--since 2d``: the moment that long ago (ISO 8601 UTC), or None when not given."""
    return utc_in(-_seconds("--since", value)) if value else None


def _check_rules(config: Config, rules: Sequence[str]) -> None:
    """``--rule`` names rules of the config."""
    known = {r.name for r in config.rules}
    for rule in rules:
        if rule not in known:
            raise ConfigError(f"--rule: no rule named {rule!r}")


def _seconds(option: str, value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as error:
        raise ConfigError(f"{option}: {error}") from None


@cli.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--wait",
    default="30s",
    show_default=True,
    help="How long to keep retrying failed alert deliveries before exiting.",
)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.pass_context
def crawl(ctx: click.Context, sources: tuple[str, ...], wait: str, verbose: int) -> None:
    """Crawl all sources, or the named SOURCES, once; print what each found; deliver alerts.

    Exits 0 when the run completed, even if some sources or hooks failed: their errors
    are printed and kept in the sources and alerts tables. Every pending alert is tried
    once, then failures are retried on their backoff for up to --wait; what is left
    stays pending for the next run.
    """
    from crawler.run import crawl as run_crawl
    from jobs.process import one_shot_crawl

    config = _config(ctx)
    for name in sources:
        config.source(name)
    wait_seconds = _seconds("--wait", wait)
    live = sys.stderr.isatty()

    def show(report: CrawlReport) -> None:
        click.echo(_progress_line(report), nl=False, err=True)

    level = ("WARNING", "INFO", "DEBUG")[min(verbose, 2)]
    report = run_crawl(
        config, sources, on_change=show if live else None, log_level=level, before_start=one_shot_crawl
    )
    if live:
        click.echo(err=True)
    width = max([len("source"), *(len(name) for name in report.counts)])
    counters = ("new", "duplicate", "flagged", "old", "refused", "bad", "errors")
    click.echo(
        f"{'source':<{width}}  {'new':>5} {'dup':>5} {'flag':>5} {'old':>5} {'ref':>5} {'bad':>5} {'err':>4}"
        "  status"
    )
    for r in report.counts.values():
        counts = " ".join(f"{getattr(r, c):>{4 if c == 'errors' else 5}}" for c in counters)
        click.echo(f"{r.name:<{width}}  {counts}  {_source_status(r, report.run(r.name))}")
    totals = " ".join(f"{report.total(c):>{4 if c == 'errors' else 5}}" for c in counters)
    click.echo(f"{'total':<{width}}  {totals}")
    if config.hooks:
        _deliver(config, wait_seconds)


def _deliver(config: Config, wait: float) -> None:
    from crawler.outbox import Outbox
    from crawler.store import Store
    from jobs.dispatch import deliver_pending

    report = deliver_pending(config.database, config.hooks, wait)
    store = Store(config.database)
    try:
        counts = Outbox(store).counts()
    finally:
        store.close()
    for hook in config.hooks:
        left = counts.get(hook.name, {})
        line = (
            f"hook {hook.name}: {report.sent.get(hook.name, 0)} sent, "
            f"{left.get('pending', 0)} pending, {left.get('dead', 0)} dead"
        )
        if hook.name in report.errors:
            line += f" (last error: {report.errors[hook.name]})"
        click.echo(line)


@cli.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print what was found as JSON.")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.pass_context
def discover(ctx: click.Context, url: str, as_json: bool, verbose: int) -> None:
    """Find the feeds and sitemaps of the site at URL and print ready-to-paste sources.

    Looks at the page's <link rel=alternate> and feed-like links, the site's robots.txt
    (Sitemap: lines) and common paths (/feed, /rss.xml, /sitemap.xml, news sitemaps), reads
    each one found and says how many items it lists and how recent the newest is. Uses the
    config file's fetch: settings when there is one (robots.txt is obeyed by default).
    Exits 1 when nothing was found.
    """
    import json

    from crawler.config import FetchConfig, http_url_value
    from crawler.discover import discover as find
    from crawler.discover import suggested_sources

    try:
        http_url_value(url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="URL") from None
    path = Path(ctx.obj["config_path"])
    fetch = _config(ctx).fetch if path.exists() else FetchConfig()
    # On a terminal, one line per probe as it answers (on stderr: stdout stays pasteable).
    progress = (lambda line: click.echo(f"  {line}", err=True)) if sys.stderr.isatty() else None
    found = find(url, fetch, ("WARNING", "INFO", "DEBUG")[min(verbose, 2)], progress)
    sources = suggested_sources(found)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps({"found": [asdict(f) for f in found], "sources": sources}, indent=2))
        sys.exit(0 if sources else 1)
    for item in found:
        if item.error:
            click.echo(f"# {item.url}: {item.error}")
    listed = [f for f in found if not f.error and f.kind != "page"]
    if not listed:
        click.echo(f"# no feed or sitemap found from {url}")
        sys.exit(1)
    click.echo(f"# found from {url}: paste under sources: in {DEFAULT_CONFIG}")
    for item, source in zip(listed, sources, strict=True):
        click.echo(f"# {_found_line(item)}")
        keys = list(source)
        click.echo(f"- {keys[0]}: {source[keys[0]]}")
        click.echo(f"  {keys[1]}: {json.dumps(source[keys[1]])}")


def _found_line(item) -> str:
    what = "news sitemap" if item.news else item.kind
    if item.sitemaps:
        what += f" index of {item.sitemaps} sitemaps"
    line = f"{what} ({item.how}): {item.items} items"
    if item.newest:
        age = datetime.now(UTC) - from_iso(item.newest)
        line += f", newest {item.newest} ({_age(age)} ago)"
    return line + (f": {item.title}" if item.title else "")


def _age(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _story_line(story: dict) -> str:
    """``3 copies from 2 sources (es, en), first: milenio`` for a story of more than one article."""
    if story["articles"] < 2:
        return ""
    langs = ", ".join(story["languages"]) or "language unknown"
    sources = _plural(story["sources"], "source", "sources")
    return f"  {story['articles']} copies from {sources} ({langs}), first: {story['first_source']}\n"


def _echo_copies(store, story_id: int) -> None:
    for copy in store.copies(story_id):
        how = (
            copy["evidence"]
            if copy["joined_article_id"] is None
            else f"{copy['evidence']} ({copy['score']:.2f})"
        )
        click.echo(
            f"    - {copy['fetched_at']}  {copy['source']}  {copy['title']}\n      {copy['url']}  [{how}]"
        )


def _echo_entry(store, story, head: str, url: str, terms, snippet: str, copies: bool) -> None:
    """One story's entry in ``search`` and ``matches``: the copy found, then the story's counts."""
    click.echo(f"{head}\n  {url}\n  [{', '.join(terms)}] {snippet}")
    click.echo(_story_line(story) if story else "", nl=False)
    if copies and story:
        _echo_copies(store, story["id"])
    click.echo()


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@cli.command()
@click.argument("query")
@click.option("--since", help="Only articles published this recently, e.g. 2d or 12h.")
@click.option("--lang", help="Only articles in this language (es, en).")
@click.option("--source", help="Only articles of this source.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Stories to show.")
@click.option("--copies", is_flag=True, help="List every copy of each story.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document: a list of {story, articles}.")
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    since: str | None,
    lang: str | None,
    source: str | None,
    limit: int,
    copies: bool,
    as_json: bool,
) -> None:
    """Run QUERY (the rule language) over the stored articles: one entry per story, newest first.

    A backtest of a rule before you add it: for example
    tradewatch search '(steel OR acero) AND tariff*'.
    """
    from crawler import queries
    from crawler.rules import parse_query

    config = _config(ctx)
    try:
        parse_query(query)
    except ConfigError as error:
        raise ConfigError(f"query: {error}") from None
    with _reading(config) as store:
        hits, articles = queries.search(
            store, query, since=_since(since), lang=lang, source=source, limit=limit
        )
        if as_json:
            return _echo_json([hit.to_json() for hit in hits])
        for hit in hits:
            article, match = hit.articles[0]
            head = f"{article['published_at'] or article['fetched_at']}  {article['title']}"
            _echo_entry(store, hit.story, head, article["url"], match.terms, match.snippet, copies)
    click.echo(f"{_plural(len(hits), 'story', 'stories')}, {_plural(articles, 'article', 'articles')}")


@cli.command()
@click.option("--rule", help="Only this rule's matches.")
@click.option("--since", help="Only matches this recent, e.g. 2d or 12h.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Stories to show.")
@click.option("--copies", is_flag=True, help="List every copy of each story.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document: a list of {story, rules, matches}.")
@click.pass_context
def matches(
    ctx: click.Context, rule: str | None, since: str | None, limit: int, copies: bool, as_json: bool
) -> None:
    """List flagged stories, newest match first: one entry per story with all its rules, terms,
    snippet and how many copies."""
    from crawler import queries

    config = _config(ctx)
    _check_rules(config, [rule] if rule else [])
    with _reading(config) as store:
        entries, shown = queries.flagged(store, rule=rule, since=_since(since), limit=limit)
        if as_json:
            return _echo_json([entry.to_json() for entry in entries])
        for entry in entries:
            first = entry.matches[0]
            head = f"{first['matched_at']}  {', '.join(entry.rules)}  {first['title']}"
            _echo_entry(store, entry.story, head, first["url"], first["terms"], first["snippet"], copies)
    click.echo(f"{_plural(len(entries), 'story', 'stories')}, {_plural(shown, 'match', 'matches')}")


@contextmanager
def _reading(config: Config) -> Iterator[Store]:
    """The store opened read-only (never migrated) for a command that only reads, closed after."""
    from crawler.store import Store

    store = Store(config.database, readonly=True)
    try:
        yield store
    finally:
        store.close()


def _echo_json(document: object) -> None:
    """Print a ``--json`` document: the read models' ``to_json()``, indented, non-ASCII as it is."""
    import json

    click.echo(json.dumps(document, ensure_ascii=False, indent=1))


@cli.group(invoke_without_command=True)
@click.option("--since", help="Only stories with a copy this recent, e.g. 2d or 12h.")
@click.option("--rule", help="Only stories a copy of which matched this rule.")
@click.option("--lang", help="Only stories with a copy in this language (es, en).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON document: a list of stories.")
@click.pass_context
def stories(
    ctx: click.Context, since: str | None, rule: str | None, lang: str | None, limit: int, as_json: bool
) -> None:
    """Stories, newest first: copies, outlets, languages, rules, and who reported first.

    `tradewatch stories show ID` lists one story's copies and the evidence that joined each.
    """
    if ctx.invoked_subcommand is not None:
        return
    from crawler import queries

    config = _config(ctx)
    _check_rules(config, [rule] if rule else [])
    with _reading(config) as store:
        found = queries.stories(store, since=_since(since), rule=rule, lang=lang, limit=limit)
    if as_json:
        return _echo_json([story.to_json() for story in found])
    for story in found:
        langs = ", ".join(story["languages"]) or "-"
        rules = ", ".join(story["rules"]) or "no rule"
        click.echo(f"#{story['id']}  {story['first_seen_at']}  {story['title']}")
        copies = _plural(story["articles"], "copy", "copies")
        sources = _plural(story["sources"], "source", "sources")
        click.echo(f"  {copies}, {sources}, {langs}; first: {story['first_source']}; rules: {rules}")
    click.echo(_plural(len(found), "story", "stories"))


@stories.command("rebuild")
@click.pass_context
def stories_rebuild(ctx: click.Context) -> None:
    """Regroup every stored article into stories from scratch, with the config's stories: settings.

    In first-seen order, as if the articles arrived one by one, in one transaction (the daemon
    may run beside it); each alert follows its article to its new story, and none is sent again.
    """
    from crawler.sqlite import utcnow
    from crawler.store import Store
    from crawler.stories.index import rebuild

    config = _config(ctx)
    store = Store(config.database)
    try:
        with store.db.atomic():
            articles, stories = rebuild(store.db.conn, config.stories.window, utcnow())
    finally:
        store.close()
    click.echo(
        f"{_plural(articles, 'article', 'articles')} regrouped into {_plural(stories, 'story', 'stories')}"
    )


@stories.command("show")
@click.argument("story_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON document: the story and its copies.")
@click.pass_context
def stories_show(ctx: click.Context, story_id: int, as_json: bool) -> None:
    """List the copies of story STORY_ID in first-seen order, with the evidence that joined each."""
    from crawler import queries

    with _reading(_config(ctx)) as store:
        found = queries.story(store, story_id)
    if found is None:
        raise TradewatchError(f"no story {story_id}")
    if as_json:
        return _echo_json(found.to_json())
    story, copies = found.story, found.copies
    click.echo(f"#{story['id']}  {story['title']}")
    copies_n = _plural(story["articles"], "copy", "copies")
    counts = f"{copies_n} from {_plural(story['sources'], 'source', 'sources')}"
    click.echo(
        f"  {counts} ({', '.join(story['languages']) or '-'}); rules: {', '.join(story['rules']) or 'none'}"
    )
    for copy in copies:
        click.echo(f"- {copy['fetched_at']}  {copy['source']}  [{copy['lang'] or '-'}]  {copy['title']}")
        click.echo(f"    {copy['url']}")
        click.echo(f"    {copy['reason']}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the store in datasette, configured as a desk: tables explained, internal ones hidden,
    full-text search with prefixes and operators (arancel*, steel AND tariff*), the day's
    stories, a story's copies, mentions per day (with a chart), source health, the outbox.

    Read-only for its visitors, and safe beside a running daemon. Needs the web extra:
    pip install 'tradewatch[web]'.
    """
    import json
    import tempfile

    from crawler.store import Store
    from jobs import desk

    config = _config(ctx)
    if not desk.available():
        raise TradewatchError(desk.INSTALL_HINT)
    # Read-only, never migrated: the desk's queries need the current schema, and say so.
    Store(config.database, readonly=True).close()
    metadata = Path(tempfile.gettempdir()) / f"tradewatch-desk-{config.database.stem}.json"
    metadata.write_text(json.dumps(desk.metadata(config.database), ensure_ascii=False), encoding="utf-8")
    command = desk.serve_command(config.database, metadata, host, port)
    click.echo(f"Serving {config.database} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    sys.stdout.flush()
    os.execv(command[0], command)  # datasette takes this process's place (and its signals)


@cli.command()
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeat for more).")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True)
@click.option(
    "--by",
    type=click.Choice(["stories", "articles"]),
    default="stories",
    show_default=True,
    help="Count stories (forty outlets printing one wire story: one mention) or articles.",
)
@click.option("--png", "png", type=click.Path(dir_okay=False), help="Also write a chart to this PNG file.")
@click.option("--svg", "svg", type=click.Path(dir_okay=False), help="Also write a chart to this SVG file.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document: {days, by, rules: {rule: counts}}.")
@click.pass_context
def trends(
    ctx: click.Context,
    rules: tuple[str, ...],
    days: int,
    by: str,
    png: str | None,
    svg: str | None,
    as_json: bool,
) -> None:
    """Mentions per rule per day, as bars: how often each rule was in the news, day by day.

    --png or --svg also draws a chart (needs the plot extra: pip install 'tradewatch[plot]').
    """
    import json

    from jobs.trends import bars, chart, series

    config = _config(ctx)
    _check_rules(config, rules)
    with _reading(config) as store:
        data = series(store, rules or [r.name for r in config.rules], days, by)
    for path, kind in ((png, "png"), (svg, "svg")):
        if path:
            chart(data, by, Path(path), kind)
    if as_json:
        click.echo(json.dumps({"days": data.days, "by": by, "rules": data.counts}, ensure_ascii=False))
        return
    for line in bars(data, by):
        click.echo(line)
    for path in (png, svg):
        if path:
            click.echo(f"wrote {path}")


def _demo_store(database: str) -> Config:
    from jobs.demo import shipped_config

    return shipped_config(Path(database))


@cli.command()
@click.option(
    "--database",
    "demo_database",
    type=click.Path(dir_okay=False),
    help="Where to store the demo's articles, replaced on each run  [default: -d, else demo.db]",
)
@click.pass_context
def demo(ctx: click.Context, demo_database: str | None) -> None:
    """Crawl a small bundled news site (English and Spanish) on localhost and show what was flagged.

    One entry per story, with its copies (a wire story told by three outlets in two languages is
    one story), and the alerts a local webhook got: one per story. Uses the rules of the config
    file when it exists, else the shipped ones. Needs no internet.
    """
    import shlex
    from collections import Counter

    from jobs.demo import run_demo

    database = demo_database or ctx.obj["database"] or "demo.db"
    config_path = Path(ctx.obj["config_path"])
    base = _config(ctx) if config_path.exists() else None
    done = run_demo(base, Path(database))
    report = done.report
    click.echo(
        f"Crawled {len(report.counts)} demo sources into {database}: "
        f"{report.total('new')} articles, {report.total('flagged')} flagged, "
        f"{report.total('errors')} errors.\n"
        f"\n{_plural(len(done.flagged), 'story', 'stories')} flagged, one entry per story:"
    )
    alerted = Counter(alert["story"]["id"] for alert in done.alerts)
    with _reading(_demo_store(database)) as store:
        for entry in done.flagged:
            first = entry.matches[-1]
            story, sent = entry.story, alerted[entry.story["id"]]
            click.echo(f"- {story['title']}\n  [{', '.join(entry.rules)}] {first['snippet']}")
            click.echo(_story_line(story), nl=False)
            if story["articles"] > 1:
                _echo_copies(store, story["id"])
            click.echo(f"  {_plural(sent, 'alert', 'alerts')} sent")
    click.echo(
        f"\n{_plural(len(done.alerts), 'alert', 'alerts')} delivered to a local webhook:"
        f" one per story, however many outlets told it."
    )
    store = f"tradewatch -d {shlex.quote(database)}"
    click.echo(
        "\nNext, on the demo's store:\n"
        f"  {store} stories            # one entry per story, with its copies\n"
        f"  {store} search 'arancel*'  # the rule language over every article\n"
        f"  {store} trends --days 7    # mentions per rule per day\n"
        f"  {store} serve              # the desk in datasette (pip install 'tradewatch[web]')"
    )


@cli.command()
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One line per event on stderr, as text or JSON.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages too.")
@click.pass_context
def run(ctx: click.Context, log_format: str, verbose: bool) -> None:
    """Run the daemon: crawl each source on its schedule and deliver alerts until stopped.

    For systemd (Type=notify): READY, WATCHDOG and STATUS go to $NOTIFY_SOCKET.
    SIGTERM or SIGINT stops it cleanly; SIGHUP reloads the config file (a bad one is
    logged and the running one kept).
    """
    from crawler.config import warnings
    from jobs.daemon import Daemon
    from jobs.logs import configure_logging

    if problems := warnings(_config(ctx)):
        raise ConfigError(f"{ctx.obj['config_path']}: {problems[0]}; not starting")
    configure_logging(log_format, "DEBUG" if verbose else "INFO")
    daemon = Daemon(Path(ctx.obj["config_path"]), ctx.obj["database"])
    sys.exit(daemon.run())


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the store's schema up to date (crawl, run and demo do it too when they open it).

    The commands that only read (search, matches, stories, status, trends, serve, alerts) never
    migrate: on a store older than the code they ask for this command.
    """
    from crawler.store import Store

    store = Store(_config(ctx).database)
    store.close()
    applied = store.migrated
    click.echo(f"{store.path}: " + (f"{applied} migrations applied" if applied else "up to date"))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document: {healthy, sources, hooks}.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each source's and hook's state; exit 1 when a source needs attention.

    A source needs attention when it has failed health.max_failures times in a row
    (default 5) or has had no success for longer than health.stale_after (default 1d),
    so the command can serve as a health check.
    """
    import json

    from crawler.store import Store
    from jobs.status import render_status, status_document

    config = _config(ctx)
    store = Store(config.database, readonly=True)
    try:
        if as_json:
            document = status_document(config, store)
            click.echo(json.dumps(document, ensure_ascii=False, indent=1))
            healthy = document["healthy"]
        else:
            lines, healthy = render_status(config, store)
            click.echo("\n".join(lines))
    finally:
        store.close()
    if not healthy:
        sys.exit(1)


@cli.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]), help="Only alerts in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON document: a list of alerts.")
@click.pass_context
def alerts(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """List alerts (the outbox), newest first; `alerts retry` sends failed ones again."""
    if ctx.invoked_subcommand is not None:
        return

    from crawler.outbox import Outbox

    with _reading(_config(ctx)) as store:
        rows = Outbox(store).alerts(status, limit)
    if as_json:
        return _echo_json(rows)
    for row in rows:
        when = row["sent_at"] or row["next_attempt_at"]
        error = f"  ({row['last_error']})" if row["last_error"] and row["status"] != "sent" else ""
        click.echo(
            f"{row['id']}  {row['hook']}  {row['status']}  attempts {row['attempts']}  {when}{error}\n"
            f"  [{', '.join(row['rules'])}] "
            + (f"{row['title']}\n  {row['url']}" if row["url"] else f"(article {row['article_id']} is gone)")
        )
    click.echo(f"{len(rows)} alert{'s' if len(rows) != 1 else ''}")


@alerts.command("retry")
@click.argument("alert_id", required=False)
@click.option("--dead", is_flag=True, help="Retry every dead alert.")
@click.pass_context
def alerts_retry(ctx: click.Context, alert_id: str | None, dead: bool) -> None:
    """Make an alert (ALERT_ID) or every --dead one due again; the next crawl or run sends it."""
    from crawler.outbox import Outbox
    from crawler.store import Store

    if bool(alert_id) == dead:
        raise click.UsageError("give an ALERT_ID or --dead")
    store = Store(_config(ctx).database)
    try:
        count = Outbox(store).retry(alert_id, dead)
    finally:
        store.close()
    if alert_id and not count:
        raise ConfigError(f"no unsent alert with id {alert_id!r}")
    click.echo(f"{count} alert{'s' if count != 1 else ''} due again")


@cli.group()
def hooks() -> None:
    """Alert hooks: check them before you rely on them."""


@hooks.command("test")
@click.argument("name")
@click.pass_context
def hooks_test(ctx: click.Context, name: str) -> None:
    """Send a sample alert through hook NAME and report the outcome (exit 1 if it fails)."""
    from crawler.errors import HookError
    from crawler.outbox import alert_payload
    from crawler.sqlite import utcnow
    from jobs.hooks import deliver

    hook = _config(ctx).hook(name)
    article = {
        "url": "https://example.org/tradewatch-test",
        "title": "tradewatch test alert: tariffs on steel (sample)",
        "source": "tradewatch",
        "published_at": utcnow(),
        "fetched_at": utcnow(),
        "lang": "en",
    }
    match = {"rule": "test", "terms": ["tariffs"], "hits": 1, "snippet": "A sample: tariffs on steel."}
    sample = alert_payload(f"tw-test-{utcnow()}", hook.name, article, ["test"], [match])
    try:
        deliver(hook, [sample])
    except HookError as error:
        raise HookError(f"hook {name}: {error}") from None
    click.echo(f"hook {name}: delivered a sample alert ({sample['id']})")


def main() -> None:
    """Console entry point."""
    cli(prog_name="tradewatch")


if __name__ == "__main__":
    main()
