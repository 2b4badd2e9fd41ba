"""Stories: real crawls of a local news site whose outlets republish, rewrite and translate one
wire story, beside stories that everything superficial says are the same and are not.

The texts are this test's own (written for it, not taken from a corpus).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from crawler.ingest import save_article
from crawler.migrations import migrations
from crawler.store import Store
from crawler.stories import FLUSH, WINDOW, Frequencies
from jobs.demo.pages import article_html, rss_xml
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import query, run_cli, write_config

WIRE = [
    "Ciudad de México, 1 dic (EFE).- La presidenta de México, Claudia Sheinbaum, acordó este lunes con el"
    " presidente de Estados Unidos, Donald Trump, una tregua de 90 días en los aranceles de 25 % al acero y"
    " al aluminio mexicanos, tras una llamada telefónica de 40 minutos.",
    "Sheinbaum explicó en su conferencia matutina en Palacio Nacional que el secretario de Economía, Marcelo"
    " Ebrard, viajará a Washington el jueves para negociar con el representante comercial Jamieson Greer un"
    " mecanismo de cupos dentro del T-MEC.",
    "Según la Secretaría de Economía, las exportaciones mexicanas de acero a Estados Unidos sumaron 3.200"
    " millones de dólares en 2025, y la siderúrgica Ternium, con plantas en Monterrey y Pesquería, es la más"
    " expuesta a los gravámenes.",
    "La Cámara Nacional de la Industria del Hierro y del Acero (Canacero) celebró la tregua, aunque advirtió"
    " que 14.000 empleos dependen de que el acuerdo se cierre antes de marzo.",
    "Trump escribió en su red social que la llamada fue muy productiva y que México se comprometió a frenar"
    " las importaciones de acero asiático que entran por el puerto de Lázaro Cárdenas.",
    "La revisión conjunta del tratado está prevista para julio de 2026, y Canadá sigue negociando por"
    " separado sus propios aranceles con Washington.",
]
WIRE_TITLE = "Sheinbaum y Trump pactan una tregua de 90 días en los aranceles al acero"
UPDATE = "Actualiza con la reacción de la Canacero y el calendario de la revisión del tratado."
EDITED = [p.replace("acordó este lunes", "pactó el lunes").replace("explicó", "dijo") for p in WIRE]
TRANSLATION = [
    "MEXICO CITY (AP) — Mexican President Claudia Sheinbaum agreed on Monday with U.S. President Donald"
    " Trump to a 90-day truce on the 25% tariffs on Mexican steel and aluminum, after a 40-minute phone"
    " call.",
    "Sheinbaum said at her morning news conference at the National Palace that Economy Secretary Marcelo"
    " Ebrard will travel to Washington on Thursday to negotiate a quota system under the USMCA with trade"
    " representative Jamieson Greer.",
    "Mexican steel exports to the United States reached $3.2 billion in 2025, and steelmaker Ternium, with"
    " mills in Monterrey and Pesquería, is the most exposed to the duties, the Economy Ministry said.",
    "The Canacero steel chamber welcomed the truce but warned that 14,000 jobs depend on closing a deal"
    " before March.",
]
REWRITE = [
    "Mexico won a 90-day reprieve from 25% U.S. tariffs on its steel and aluminum after Claudia Sheinbaum"
    " spoke with Donald Trump by phone, easing pressure on Ternium and the other mills around Monterrey.",
    "Marcelo Ebrard, the economy minister, is due in Washington this week to design quotas with Jamieson"
    " Greer, Sheinbaum told reporters. The industry group Canacero put 14,000 jobs at stake.",
    "Shipments of Mexican steel to the U.S. were worth $3.2 billion last year, official figures show.",
]
DETROIT = [
    "Mexican Economy Secretary Marcelo Ebrard met executives of General Motors, Ford and Stellantis in"
    " Detroit on Tuesday to discuss rules of origin for cars under the USMCA, as Donald Trump threatens"
    " tariffs on vehicles assembled in Mexico.",
    "Ebrard told the executives that Mexico would propose raising regional content to 80% in the 2026"
    " review, and Mary Barra said the plants in Silao and Ramos Arizpe were working normally.",
    "Stellantis chairman John Elkann asked for clarity before the company commits 1,500 million dollars to"
    " its truck plant in Saltillo, Coahuila.",
]
CANADA = [
    "Canada's Finance Minister François-Philippe Champagne said in Ottawa on Monday that Canada is preparing"
    " counter-tariffs on 30 billion Canadian dollars of U.S. steel, aluminum and consumer goods if Donald"
    " Trump does not lift the 25% duties on Canadian metals.",
    "Prime Minister Mark Carney spoke with premiers Doug Ford and François Legault, and Algoma Steel in"
    " Sault Ste. Marie announced 1,000 temporary layoffs.",
    "The CUSMA review would not be held hostage, Champagne told reporters on Parliament Hill.",
]
DOUBLING = [
    "President Donald Trump signed a proclamation on Monday doubling tariffs on imported steel to 50%,"
    " Commerce Secretary Howard Lutnick said at the White House.",
    "The order takes effect on Dec. 15 and exempts steel from the United Kingdom under a separate deal;"
    " shares of Nucor and Cleveland-Cliffs rose 6% in New York.",
    "Lutnick said Mexico and Canada would keep negotiating under the USMCA, and that Jamieson Greer would"
    " lead the talks.",
]
DISCLAIMER = (
    "Este boletín es un servicio informativo de Comercio Global para sus suscriptores. Las opiniones"
    " expresadas no reflejan la posición de la empresa. Si no desea recibir más correos, puede darse de baja"
    " en cualquier momento desde su perfil de suscriptor en Comercio Global, Monterrey, Nuevo León."
)
BULLETINS = [
    ("El peso cierra en 17,85 por dólar", "El peso mexicano cerró en 17,85 unidades por dólar ante la"
     " expectativa por los nuevos aranceles de Washington."),
    ("Arancel de 35 % al calzado chino", "La Secretaría de Economía publicó en el Diario Oficial un arancel"
     " de 35 % a las importaciones de calzado de China y Vietnam."),
    ("La bolsa sube 1,2 %", "La Bolsa Mexicana de Valores subió 1,2 % impulsada por Walmex y América Móvil,"
     " mientras los inversionistas esperan la decisión de Banxico."),
]  # fmt: skip
COLUMN_TITLE = "Tariff tracker: what changed this week"
COLUMN_INTRO = (
    "Every week our trade desk lists the tariff decisions that matter to importers and exporters in North"
    " America, with links to the official texts and the dates they take effect."
)
COLUMNS = [
    "Brazil raised its tariff on imported electric vehicles to 35% from January, and India cut duties on"
    " almonds from California.",
    "Japan and Vietnam signed a customs agreement on rice, and the European Union delayed its carbon border"
    " levy on fertilizers until 2028.",
]


def history() -> list[tuple[str, list[str], float]]:
    """A desk's last days: short items on other events that name the same people and places, so
    that, as in a running store, Trump, Mexico or Ebrard are no longer what tells stories apart."""
    people = ["Donald Trump", "Claudia Sheinbaum", "Marcelo Ebrard", "Mark Carney", "Jamieson Greer"]
    places = ["Mexico", "Canada", "Washington", "Ottawa", "Monterrey", "Detroit", "Mexico City"]
    topics = ["avocado exports", "auto parts", "energy permits", "water treaty", "migration talks",
              "rail cargo", "solar panels", "beef quotas", "port fees", "textile rules"]  # fmt: skip
    items = []
    for n in range(36):
        who, where, what = people[n % 5], places[n % 7], topics[n % 10]
        text = (
            f"{who} discussed {what} in {where} on day {n + 3} of the talks, the Mexican and U.S. delegations"
            f" said, with {n * 7 + 11} companies and the USMCA secretariat taking part."
        )
        items.append(
            (
                f"{who} on {what}: update {n + 1}",
                [text, f"Officials expect a decision on {what} soon."],
                60 + n,
            )
        )
    return items


def rfc822(hours_ago: float) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(hours=hours_ago))


def feed(body: str) -> Resource:
    return Resource(body.encode(), content_type="application/rss+xml")


def outlet(base: str, name: str, lang: str, items: list[tuple[str, list[str], float]]) -> dict[str, Resource]:
    """A feed at /<name>/feed.xml and its article pages: (title, paragraphs, hours ago) each."""
    resources, entries = {}, []
    for n, (title, paragraphs, hours) in enumerate(items):
        path = f"/{name}/{n}"
        html = article_html(title, paragraphs, site=name.title(), lang=lang)
        resources[path] = Resource(html.encode())
        entries.append({"title": title, "link": base + path, "pubDate": rfc822(hours)})
    resources[f"/{name}/feed.xml"] = feed(rss_xml(name, f"{base}/{name}", entries, lang=lang))
    return resources


def scenario(base: str) -> tuple[dict[str, Resource], list[dict]]:
    """The site at ``base`` (every outlet on one local server) and its sources."""
    outlets = {
        "efe": ("es", [(WIRE_TITLE, WIRE, 5),  # and again, trimmed, at another URL, and updated
                       ("Sheinbaum y Trump acuerdan una tregua arancelaria", WIRE[:5], 4.9),
                       (f"{WIRE_TITLE} (actualización)", [*WIRE, UPDATE], 4.8)]),
        "reprint": ("es", [(WIRE_TITLE, WIRE, 4.5)]),  # the same text at another URL
        "regional": ("es", [("Tregua arancelaria: México y EU dan 90 días al acero",
                             ["En Nuevo León, donde la industria del acero emplea a miles de trabajadores, la"
                              " noticia fue recibida con alivio por los productores locales.", *WIRE[:3],
                              "Con información de EFE."], 4)]),
        "edited": ("es", [("México consigue 90 días de respiro para su acero", EDITED, 3.5)]),
        "ap": ("en", [("Sheinbaum and Trump agree 90-day truce on steel tariffs", TRANSLATION, 3)]),
        "wirerewrite": ("en", [("Mexico wins reprieve from U.S. steel tariffs", REWRITE, 2.5)]),
        "detroit": ("en", [("Ebrard meets carmakers in Detroit over USMCA rules", DETROIT, 2)]),
        "ottawa": ("en", [("Canada prepares counter-tariffs on U.S. steel", CANADA, 2)]),
        "washington": ("en", [("Trump doubles tariffs on steel imports to 50%", DOUBLING, 1.5)]),
        "boletin": ("es", [(t, [p, DISCLAIMER], 3 - n * 0.5) for n, (t, p) in enumerate(BULLETINS)]),
        "column": ("en", [(COLUMN_TITLE, [COLUMN_INTRO, t], 40 - n * 36) for n, t in enumerate(COLUMNS)]),
        "archive": ("es", [(WIRE_TITLE, WIRE, 24 * 10)]),  # the same text ten days earlier: another story
        "history": ("en", history()),
    }  # fmt: skip
    resources: dict[str, Resource] = {}
    sources = []
    for name, (lang, items) in outlets.items():
        resources.update(outlet(base, name, lang, items))
        sources.append({"name": name, "feed": f"{base}/{name}/feed.xml"})
    google = [
        {"title": f"{WIRE_TITLE} - El Universal", "link": f"{base}/gn/1", "pubDate": rfc822(2)},
        {"title": f"{WIRE_TITLE} - Milenio", "link": f"{base}/gn/2", "pubDate": rfc822(1.5)},
        {"title": "Sheinbaum y Trump hablan otra vez del acero - Reforma", "link": f"{base}/gn/3",
         "pubDate": rfc822(1)},
    ]  # fmt: skip
    resources["/gn/feed.xml"] = feed(rss_xml("gn", f"{base}/gn", google, lang="es"))
    sources.append({"name": "gnews", "feed": f"{base}/gn/feed.xml", "follow": False})
    return resources, sources


@contextmanager
def serve() -> Iterator[tuple[SiteServer, list[dict]]]:
    """The scenario's site, serving, and its sources."""
    with SiteServer() as site:
        resources, sources = scenario(site.url)
        site.resources.update(resources)
        yield site, sources


def collector(folder: Path) -> list[str]:
    """A command hook that keeps each payload it is given as a file in ``folder``."""
    folder.mkdir(exist_ok=True)
    script = (
        "import sys, uuid, pathlib;"
        " pathlib.Path(sys.argv[1], uuid.uuid4().hex).write_bytes(sys.stdin.buffer.read())"
    )
    return [sys.executable, "-c", script, str(folder)]


def payloads(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in folder.iterdir()]


def story_of(db: Path, source: str, n: int = 0) -> int:
    rows = query(db, "SELECT story_id FROM articles WHERE url LIKE ? ORDER BY id", (f"%/{source}/{n}",))
    assert len(rows) == 1, (source, n, rows)
    return rows[0]["story_id"]


def gnews_story(db: Path, n: int) -> int:
    return query(db, "SELECT story_id FROM articles WHERE url LIKE ?", (f"%/gn/{n}",))[0]["story_id"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stories")
    with serve() as (site, sources):
        hooks = [
            {"name": "desk", "command": collector(tmp / "desk")},
            {"name": "follow-ups", "command": collector(tmp / "follow-ups"), "updates": True},
        ]
        config = tmp / "config.yaml"
        # The desk's history, then the day's news, then the same again with Google News items (a
        # title-only item that came before every copy with text would keep its own story).
        for names in ({"history"}, {s["name"] for s in sources} - {"gnews"}, {s["name"] for s in sources}):
            write_config(config, [s for s in sources if s["name"] in names], hooks=hooks)
            result = run_cli("crawl", config=config)
            assert result.returncode == 0, result.stderr
    return tmp, config, tmp / "tradewatch.db"


def test_copies_of_each_kind_join_the_wire_story(crawled):
    _, _, db = crawled
    story = story_of(db, "efe")
    evidence = {
        "/".join(row["url"].split("/")[-2:]): row["evidence"]
        for row in query(
            db,
            "SELECT articles.url, story_links.evidence FROM articles JOIN story_links"
            " ON story_links.article_id = articles.id WHERE articles.story_id = ?",
            (story,),
        )
    }
    # Pages arrive in any order: the first is the story's start, each other joined with its evidence.
    # efe/1 and efe/2: the agency's text again at other URLs, trimmed and updated (a source printing
    # its own article again is not its boilerplate)
    outlets = [
        "efe/0",
        "efe/1",
        "efe/2",
        "reprint/0",
        "regional/0",
        "edited/0",
        "ap/0",
        "wirerewrite/0",
        "gn/1",
        "gn/2",
    ]
    assert sorted(evidence) == sorted(outlets), evidence
    assert list(evidence.values()).count("new story") == 1
    assert evidence["gn/1"] == evidence["gn/2"] == "same title"  # no text: "- El Universal", "- Milenio"
    assert "exact copy" in evidence.values() and "wire copy" in evidence.values()
    assert evidence["regional/0"] in ("wire copy", "new story")  # a lede, trimmed, "Con información de EFE"
    assert evidence["ap/0"] in ("shared facts", "new story") and evidence["wirerewrite/0"] in (
        "shared facts",
        "new story",
    )
    assert gnews_story(db, 1) == gnews_story(db, 2) == story
    row = query(db, "SELECT * FROM stories WHERE id = ?", (story,))[0]
    assert row["articles"] == 10 and row["sources"] == 7 and set(json.loads(row["languages"])) == {"es", "en"}
    reasons = [r["reason"] for r in query(db, "SELECT reason FROM story_links WHERE story_id = ?", (story,))]
    assert any("across languages" in r for r in reasons), reasons  # the translation, or the wire to it


def test_the_traps_stay_apart(crawled):
    _, _, db = crawled
    wire = story_of(db, "efe")
    others = [story_of(db, name) for name in ("detroit", "ottawa", "washington", "archive")]
    others += [story_of(db, "boletin", n) for n in range(3)] + [story_of(db, "column", n) for n in range(2)]
    others.append(gnews_story(db, 3))  # a title sharing words, not the title
    assert len({wire, *others}) == 1 + len(others), others
    # The newsletter's disclaimer was learnt as the source's boilerplate and left out.
    second = query(db, "SELECT reason FROM story_links WHERE article_id = (SELECT id FROM articles"
                       " WHERE url LIKE '%/boletin/1')")[0]["reason"]  # fmt: skip
    assert second.startswith("no copy"), second


def test_one_alert_per_story_and_hook_across_runs(crawled):
    tmp, _, db = crawled
    alerts = query(db, "SELECT hook, story_id, kind FROM alerts ORDER BY created_at")
    stories = {r["story_id"] for r in query(db, "SELECT DISTINCT story_id FROM articles JOIN matches"
                                                " ON matches.article_id = articles.id")}  # fmt: skip
    desk = [a for a in alerts if a["hook"] == "desk"]
    assert sorted(a["story_id"] for a in desk) == sorted(stories)  # one each, none twice
    delivered = payloads(tmp / "desk")
    assert len(delivered) == len(desk)
    wire = story_of(db, "efe")
    (first,) = [p for p in delivered if p["story"]["id"] == wire]
    assert first["url"] == first["story"]["first_url"] and first["kind"] == "story"  # the first copy's
    assert set(first["story"]) == {
        "id",
        "title",
        "articles",
        "sources",
        "languages",
        "first_seen_at",
        "first_url",
    }


def test_updates_true_sends_one_follow_up_for_rules_no_earlier_copy_matched(crawled):
    tmp, _, db = crawled
    wire = story_of(db, "efe")
    follow = query(db, "SELECT kind, rules, article_id FROM alerts WHERE hook = 'follow-ups' AND story_id = ?"
                       " ORDER BY created_at", (wire,))  # fmt: skip
    first_rules = set(json.loads(follow[0]["rules"]))
    assert follow[0]["kind"] == "story"
    sql = "SELECT DISTINCT rule FROM matches JOIN articles ON articles.id = article_id WHERE story_id = ?"
    matched = {r["rule"] for r in query(db, sql, (wire,))}
    updates = [json.loads(r["rules"]) for r in follow if r["kind"] == "update"]
    named = set(first_rules).union(*map(set, updates))
    assert named == matched  # every rule a copy matched was told once
    assert all(not set(u) & first_rules for u in updates)
    assert len(updates) == len({tuple(u) for u in updates})


def test_stories_command_lists_and_shows(crawled):
    _, config, db = crawled
    wire = story_of(db, "efe")
    listed = run_cli("stories", "--json", config=config)
    assert listed.returncode == 0, listed.stderr
    stories = json.loads(listed.stdout)
    (mine,) = [s for s in stories if s["id"] == wire]
    first = query(db, "SELECT source FROM articles WHERE story_id = ? ORDER BY id LIMIT 1", (wire,))[0]
    assert mine["articles"] == 10 and mine["first_source"] == first["source"] and "usmca" in mine["rules"]
    spanish = json.loads(run_cli("stories", "--json", "--lang", "en", config=config).stdout)
    assert wire in {s["id"] for s in spanish} and story_of(db, "boletin") not in {s["id"] for s in spanish}
    shown = run_cli("stories", "show", str(wire), config=config)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("\n- ") == 10 and "wire copy: " in shown.stdout and "exact copy" in shown.stdout
    missing = run_cli("stories", "show", "99999", config=config)
    assert missing.returncode == 1 and missing.stderr == "Error: no story 99999\n"
    flagged = query(db, "SELECT count(DISTINCT story_id) AS n FROM articles JOIN matches ON article_id = id")[
        0
    ]["n"]
    matches = run_cli("matches", config=config).stdout
    assert matches.count("10 copies from 7 sources") == 1  # one entry for the story, not one per copy
    assert f"10 copies from 7 sources ({', '.join(mine['languages'])}), first: {first['source']}" in matches
    assert matches.strip().splitlines()[-1].startswith(f"{flagged} stories, ")
    listed_copies = run_cli("matches", "--copies", config=config).stdout
    assert listed_copies.count("/efe/0  [") == 1 and listed_copies.count("    - ") > flagged


def test_stories_false_keeps_one_story_and_alert_per_article(tmp_path):
    keep = {"efe", "reprint", "regional"}
    with serve() as (site, sources):
        config = write_config(
            tmp_path / "config.yaml",
            [s for s in sources if s["name"] in keep],
            hooks=[{"name": "desk", "command": collector(tmp_path / "desk")}],
            stories=False,
        )
        assert run_cli("crawl", config=config).returncode == 0
    db = tmp_path / "tradewatch.db"
    rows = query(db, "SELECT story_id FROM articles")
    assert len(rows) == 5 and len({r["story_id"] for r in rows}) == 5  # efe's three, reprint, regional
    assert len(query(db, "SELECT id FROM alerts")) == 5
    evidence = {r["evidence"] for r in query(db, "SELECT evidence FROM story_links")}
    assert evidence == {"grouping off"}


@pytest.mark.parametrize(
    ("stories", "message"),
    [
        ({"window": "soon"}, "stories: window: 'soon' is not a duration such as 500ms, 30s, 15m, 2h or 1d"),
        ({"windows": "3d"}, "stories: windows: unknown key (allowed: window)"),
        ("yes", "stories: must be false, or a mapping with window (such as window: 3d)"),
    ],
)
def test_a_bad_stories_key_is_named(tmp_path, stories, message):
    config = write_config(tmp_path / "config.yaml", [], stories=stories)
    result = run_cli("check", config=config)
    assert result.returncode == 2 and result.stderr == f"Error: {message}\n", result.stderr


def test_kill_9_mid_crawl_loses_no_alert_and_doubles_none(tmp_path):
    with serve() as (site, sources):
        expected = sum(not path.endswith(".xml") for path in site.resources) + 3  # and Google News's items
        for path, resource in list(site.resources.items()):
            if not path.endswith(".xml"):  # article pages answer slowly
                site.resources[path] = Resource(resource.body, delay=0.4)
        config = write_config(
            tmp_path / "config.yaml",
            sources,
            hooks=[{"name": "desk", "command": collector(tmp_path / "desk")}],
        )
        db = tmp_path / "tradewatch.db"
        command = [sys.executable, "-m", "jobs.cli", "--config", str(config), "crawl"]
        process = subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if db.exists() and _count(db, "SELECT count(*) FROM articles") >= 3:
                break
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        stored = _count(db, "SELECT count(*) FROM articles")
        assert 3 <= stored < expected, stored  # killed mid-crawl
        result = run_cli("crawl", config=config)
        assert result.returncode == 0, result.stderr
    assert _count(db, "SELECT count(*) FROM articles") == expected
    per_story = query(db, "SELECT story_id, count(*) AS n FROM alerts GROUP BY story_id")
    flagged = {r["story_id"] for r in query(db, "SELECT DISTINCT story_id FROM articles JOIN matches"
                                                " ON matches.article_id = articles.id")}  # fmt: skip
    assert {r["story_id"] for r in per_story} == flagged and {r["n"] for r in per_story} == {1}
    ids = [p["id"] for p in payloads(tmp_path / "desk")]
    assert len(ids) == len(set(ids))


def _count(db: Path, sql: str) -> int:
    try:
        return query(db, sql)[0]["count(*)"]
    except Exception:  # the killed process may not have made the tables yet
        return 0


def test_the_migration_groups_an_existing_store(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    old = Migrations("tradewatch")
    old._migrations = migrations._migrations[:5]  # the store as the release before stories left it
    old.apply(db)
    now = datetime.now(UTC)
    texts = [("efe", WIRE), ("reprint", WIRE), ("ap", TRANSLATION), ("ottawa", CANADA)]
    for n, (source, paragraphs) in enumerate(texts, 1):
        seen = (now - timedelta(minutes=60 - n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        db["articles"].insert(
            {
                "id": n,
                "url": f"https://{source}.example/{n}",
                "title": f"{source} {n}",
                "text": "\n".join(paragraphs),
                "source": source,
                "lang": "en" if source in ("ap", "ottawa") else "es",
                "published_at": seen,
                "fetched_at": seen,
                "content_hash": str(hash(tuple(paragraphs))),
            }  # fmt: skip
        )
        match = {"article_id": n, "rule": "tariffs", "terms": '["tariffs"]', "hits": 1, "snippet": "x"}
        db["matches"].insert({**match, "matched_at": seen})
        db["alerts"].insert({"id": f"tw-{n}", "hook": "desk", "article_id": n, "rules": '["tariffs"]',
                             "status": "sent", "attempts": 1, "created_at": seen})  # fmt: skip
    db.close()
    store = Store(path)  # m006 runs here
    stories = [r["story_id"] for r in store.db.query("SELECT story_id FROM articles ORDER BY id")]
    assert stories[0] == stories[1] == stories[2] != stories[3]
    assert store.db.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0
    alerts = list(store.db.query("SELECT id, story_id FROM alerts ORDER BY id"))
    assert [a["story_id"] for a in alerts] == stories
    first = next(store.db.query("SELECT * FROM stories WHERE id = ?", [stories[0]]))
    assert first["first_article_id"] == 1 and first["articles"] == 3 and first["sources"] == 3
    store.close()


def test_the_fact_kinds_migration_reads_the_recent_signatures_again(tmp_path):
    path = tmp_path / "tw.db"
    store = Store(path)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for n, (paragraphs, lang) in enumerate([(WIRE, "es"), (TRANSLATION, "en"), (CANADA, "en")]):
        text = "\n".join(paragraphs)
        row = {"url": f"https://example.org/{n}", "title": f"t{n}", "text": text, "source": f"s{n}",
               "lang": lang, "published_at": now, "content_hash": f"{n:040d}"}  # fmt: skip
        save_article(store, row, [], [], window=WINDOW)
    store.close()
    stories = query(path, "SELECT id, story_id FROM articles ORDER BY id")
    with closing(sqlite3.connect(path)) as conn:  # as the release before kinds of fact left them
        conn.execute("""UPDATE story_signatures SET facts = '["d:25", "n:mexico"]'""")
        conn.execute("DELETE FROM story_facts")
        conn.execute("DELETE FROM story_keys WHERE key LIKE 'g:%' OR key LIKE 'p:%'")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm009_fact_kinds'")
        conn.commit()
    Store(path).close()  # m009 runs here
    facts = [
        set(json.loads(r["facts"]))
        for r in query(path, "SELECT facts FROM story_signatures ORDER BY article_id")
    ]
    assert all("n:mexico" not in f for f in facts) and {"g:MEX", "p:25"} <= facts[0] & facts[1]
    counts = dict((r["fact"], r["n"]) for r in query(path, "SELECT fact, n FROM story_facts"))
    assert counts["g:MEX"] == sum("g:MEX" in f for f in facts) and counts[""] == len(stories)
    keys = query(path, "SELECT DISTINCT article_id FROM story_keys WHERE key LIKE 'g:%' OR key LIKE 'p:%'")
    assert len(keys) >= 2
    assert query(path, "SELECT id, story_id FROM articles ORDER BY id") == stories  # decided: unchanged


def test_look_up_keys_older_than_ten_days_are_forgotten_and_counts_kept(tmp_path):
    def article(n: int, days_ago: float) -> dict:
        text = " ".join(WIRE)
        published = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"url": f"https://example.org/{n}", "title": WIRE_TITLE, "text": text, "source": f"s{n}",
                "lang": "es", "published_at": published, "content_hash": f"{n:040d}"}  # fmt: skip

    path = tmp_path / "tw.db"
    store = Store(path)
    old = save_article(
        store, article(1, 20), [], [], window=WINDOW
    )  # pruning runs at a store's first save: none yet
    store.close()
    store = Store(path)
    new = save_article(
        store, article(2, 0), [], [], window=WINDOW
    )  # the second store's first save prunes the old keys
    store.close()
    keys = {r["article_id"] for r in query(path, "SELECT DISTINCT article_id FROM story_keys")}
    paragraphs = {r["article_id"] for r in query(path, "SELECT DISTINCT article_id FROM story_paragraphs")}
    assert keys == paragraphs == {new}
    stories = {r["id"]: r["story_id"] for r in query(path, "SELECT id, story_id FROM articles")}
    assert stories[old] != stories[new]  # 20 days apart: two stories, as before the pruning
    # The fact counts still count both (they are not pruned): Sheinbaum is in two articles.
    with closing(sqlite3.connect(path)) as conn:
        assert Frequencies(conn).counts(["n:sheinbaum", "n:nobody"]) == {"n:sheinbaum": 2}


def _save_item(store: Store, n: int, paragraphs: list[str], sources: int) -> None:
    """Item ``n`` of a stream whose texts are rotations of ``paragraphs``, from ``sources`` sources."""
    text = " ".join(paragraphs[n % len(paragraphs) :] + paragraphs[: n % 7])
    article = {"url": f"https://example.org/{n}", "title": f"Item {n}", "text": text,
               "source": f"s{n % sources}", "lang": "es", "content_hash": f"{n:040d}"}  # fmt: skip
    save_article(store, article, [], [], window=WINDOW)


def _exact_counts(path: Path) -> dict[str, int]:
    """The number of stored articles each fact is in, counted afresh from story_signatures."""
    counts: dict[str, int] = {}
    for row in query(path, "SELECT facts FROM story_signatures"):
        for fact in json.loads(row["facts"]):
            counts[fact] = counts.get(fact, 0) + 1
    return counts


def test_fact_counts_are_exact_across_batches_and_reopening(tmp_path):
    path = tmp_path / "tw.db"
    paragraphs = [*WIRE, *TRANSLATION, *DETROIT, *CANADA, *DOUBLING]
    store = Store(path)
    for n in range(FLUSH + 6):  # one batch written to story_facts, six pending
        _save_item(store, n, paragraphs, 5)
    store.close()
    assert query(path, "SELECT n FROM story_facts WHERE fact = ''")[0]["n"] == FLUSH
    store = Store(path)  # the pending six are read back from story_signatures
    _save_item(store, FLUSH + 6, paragraphs, 5)
    store.close()
    with closing(sqlite3.connect(path)) as conn:
        facts = _exact_counts(path)
        assert Frequencies(conn).counts(facts) == facts


def test_fact_counts_follow_a_second_writer(tmp_path):
    # Two stores on one file (the daemon and a manual crawl): each writer's counts (kept in
    # memory between its saves) take in the other's articles and batches, never twice.
    path = tmp_path / "tw.db"
    paragraphs = [*WIRE, *TRANSLATION, *DETROIT]
    first, second = Store(path), Store(path)
    try:
        _save_item(first, 0, paragraphs, 3)
        counts = first.writer.frequencies.counts
        assert counts(_exact_counts(path)) == _exact_counts(path)  # now in the first's memory
        for n in range(1, FLUSH + 6):  # a batch of the second's written to story_facts, with the first's
            _save_item(second, n, paragraphs, 3)
        assert query(path, "SELECT n FROM story_facts WHERE fact = ''")[0]["n"] == FLUSH + 1
        assert counts(_exact_counts(path)) == _exact_counts(path)
        _save_item(first, FLUSH + 6, paragraphs, 3)
        assert counts(_exact_counts(path)) == _exact_counts(path)
    finally:
        first.close()
        second.close()


def test_the_traps_stay_apart_in_a_new_store_crawled_at_once(tmp_path):
    # No history to tell that Trump, Mexico or Ebrard are common: first names before a rule's
    # terms (Donald Trump, Marcelo Ebrard) are that rule's concept, not names in common.
    with serve() as (_, sources):
        config = write_config(tmp_path / "config.yaml", sources)
        assert run_cli("crawl", config=config).returncode == 0
    db = tmp_path / "tradewatch.db"
    wire = story_of(db, "efe")
    rows = query(db, "SELECT source FROM articles WHERE story_id = ?", (wire,))
    assert {r["source"] for r in rows} <= {
        "efe",
        "reprint",
        "regional",
        "edited",
        "ap",
        "wirerewrite",
        "gnews",
    }
    assert len({wire, story_of(db, "detroit"), story_of(db, "ottawa"), story_of(db, "washington")}) == 4


def _groups(rows: list[dict]) -> list[list[int]]:
    """Articles as grouped: the sorted ids of each story's copies."""
    return sorted(sorted(r["id"] for r in rows if r["story_id"] == s) for s in {r["story_id"] for r in rows})


def test_stories_rebuild_regroups_every_article_and_alerts_follow(site, tmp_path):
    from tests.test_crawl import sources_at

    config = write_config(tmp_path / "config.yaml", sources_at(site.url), hooks=[
        {"name": "desk", "webhook": "http://127.0.0.1:9/hook", "rules": ["tariffs"]}])  # fmt: skip
    assert run_cli("crawl", "--wait", "0s", config=config).returncode == 0
    db = tmp_path / "tradewatch.db"
    before = query(db, "SELECT id, story_id FROM articles ORDER BY id")
    alerts = query(db, "SELECT id, status, attempts FROM alerts ORDER BY id")
    result = run_cli("stories", "rebuild", config=config)
    assert result.returncode == 0, result.stderr
    stories = query(db, "SELECT count(*) AS n FROM stories")[0]["n"]
    assert result.stdout.strip() == f"{len(before)} articles regrouped into {stories} stories"
    # The same articles in the same order and window: the same grouping, decided again.
    assert _groups(query(db, "SELECT id, story_id FROM articles")) == _groups(before)
    assert len(query(db, "SELECT article_id FROM story_links")) == len(before)
    assert (
        query(
            db,
            "SELECT a.id FROM alerts a JOIN articles r ON r.id = a.article_id WHERE a.story_id != r.story_id",
        )
        == []
    )
    assert (
        query(db, "SELECT id, status, attempts FROM alerts ORDER BY id") == alerts
    )  # none owed or sent again
    # With stories: false, every article is its own story.
    write_config(config, sources_at(site.url), stories=False)
    assert run_cli("stories", "rebuild", config=config).stdout.strip() == (
        f"{len(before)} articles regrouped into {len(before)} stories"
    )
