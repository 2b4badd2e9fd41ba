"""Stories: events that share the desk's subject and are not one story, and one story told in two
languages. A fresh store, two crawls of a local site (the day before, then today), the shipped rules.

What must hold, as a new user would see it: no two events in one story (a false merge hides the
second event's alert), the agency's Spanish and English copies one story with one alert, and
every event that matches a rule alerted once. The texts are this test's own, written for it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from jobs.demo.pages import article_html, rss_xml
from jobs.demo.siteserver import Resource, SiteServer
from tests.conftest import query, run_cli, write_config
from tests.test_stories import collector, payloads

# The day before: a hearing under the agreement; dairy farmers of two provinces.
HEARING = [
    "A USMCA panel heard Mexico and the United States in Washington on Tuesday on the rules of origin for"
    " cars, the first hearing under the agreement since 2023.",
    "Mexico's deputy trade minister Luis Rosendo Gutiérrez said the rules met the USMCA, and the panel will"
    " hear Canada on Wednesday.",
]
DAIRY = [
    "Dairy farmers from Ontario and Quebec rallied in Ottawa on Tuesday against wider CUSMA quotas for U.S."
    " milk, as Canada prepares for the review of the agreement.",
    "Farmers from Toronto, Montreal and Windsor joined the convoy, and the Quebec farm union backed them.",
]
# Today: the same outlet's next step on the agreement, and its short follow-up hours later.
DISPUTE = [
    "Mexico asked for a USMCA dispute panel on Thursday over the quotas Washington set on Mexican steel pipe,"
    " its first complaint under the agreement.",
    "Luis Rosendo Gutiérrez, the deputy trade minister, said the quotas cut shipments by 38% and break the"
    " USMCA, and that Canada could join.",
]
FOLLOW_UP = [
    "Canada will join Mexico's USMCA complaint on U.S. steel pipe quotas, Ottawa said on Thursday evening.",
]
# Today, in the same provinces: counter-tariffs, sharing only the places with the farmers.
COUNTER = [
    "Ontario and Quebec pulled U.S. bourbon from their liquor stores on Thursday in answer to U.S. tariffs"
    " on Canadian aluminum, as Canada weighs its reply.",
    "Stores in Toronto, Montreal and Windsor emptied their shelves, and Ottawa backed the provinces.",
]
# Today, the same officials on two events: a duty of 17% on tomatoes, and a call whose last was on
# April 17.
TOMATO = [
    "The United States set an anti-dumping duty of 17% on tomatoes from Mexico on Thursday, and Claudia"
    " Sheinbaum said Marcelo Ebrard would travel to Washington to negotiate.",
    "Donald Trump said on Thursday the duty protects growers in Florida from unfair trade.",
]
CALL = [
    "Claudia Sheinbaum and Donald Trump spoke by phone on Thursday about the water treaty, their first call"
    " since April 17, and Marcelo Ebrard will travel to Washington next week.",
    "Sheinbaum said Mexico would deliver the water owed by the end of the cycle, and no tariffs were raised.",
]
# Today, an agency's story on its Spanish wire and its English service: the same names, dates and
# figures, each printed its language's way.
WIRE_ES = [
    "Ciudad de México, 4 dic (EFE).- México y Estados Unidos acordaron este jueves un sistema de cupos para"
    " el acero mexicano en el marco del T-MEC, que entrará en vigor el 1 de mayo, informó la Secretaría de"
    " Economía.",
    "El comercio de acero y aluminio entre ambos países sumó 172.000 millones de dólares el año pasado, y la"
    " negociación comenzó el 17 de abril en Washington.",
    "La Cámara Nacional de la Industria del Hierro y del Acero (Canacero), que preside Alfredo Hernández"
    " Castellanos, calificó el acuerdo como un alivio para 90.000 trabajadores.",
    "El acuerdo fija una cuota de 3,5 millones de toneladas anuales libres de aranceles.",
]
WIRE_EN = [
    "MEXICO CITY, Dec 4 (EFE).- Mexico and the United States agreed on Thursday a quota system for Mexican"
    " steel under the USMCA that will take effect on May 1, the Economy Ministry said.",
    "Steel and aluminum trade between the two countries reached 172 billion dollars last year, and the"
    " negotiation began on April 17 in Washington.",
    "The Canacero steel chamber, chaired by Alfredo Hernández Castellanos, called the deal a relief for"
    " 90,000 workers.",
    "The agreement sets a tariff-free quota of 3.5 million tonnes a year.",
]

YESTERDAY = {
    "ledger": ("en", [("USMCA panel opens hearing on Mexico's electric vehicle rules", HEARING, 30)]),
    "prairie": ("en", [("Ontario and Quebec dairy farmers rally in Ottawa against quota plan", DAIRY, 29)]),
}
TODAY = {
    "ledger": ("en", [("Mexico requests USMCA panel over U.S. steel pipe quotas", DISPUTE, 6),
                      ("Canada joins Mexico's steel pipe challenge", FOLLOW_UP, 3)]),
    "north": ("en", [("Ontario and Quebec pull U.S. bourbon in answer to aluminum tariffs", COUNTER, 5)]),
    "farmdesk": ("en", [("U.S. sets 17% anti-dumping duty on Mexican tomatoes", TOMATO, 4)]),
    "gazette": ("en", [("Sheinbaum and Trump discuss water treaty in first call since April", CALL, 4)]),
    "efe": ("es", [("México y EE.UU. acuerdan cupos para el acero en el T-MEC", WIRE_ES, 2)]),
    "efe-english": ("en", [("Mexico, U.S. agree steel quotas under USMCA", WIRE_EN, 1.5)]),
}  # fmt: skip
EVENTS = {"ledger/0", "prairie/0", "ledger/1", "ledger/2", "north/0", "farmdesk/0", "gazette/0", "efe/0"}


def pages(base: str, outlets: dict, now: datetime) -> dict[str, Resource]:
    """Each outlet's feed and article pages, as of ``now`` (items' hours before it)."""
    resources: dict[str, Resource] = {}
    for name, (lang, items) in outlets.items():
        entries = []
        for n, (title, paragraphs, hours) in enumerate(items):
            path = f"/{name}/{n}"
            resources[path] = Resource(article_html(title, paragraphs, site=name.title(), lang=lang).encode())
            when = format_datetime(now - timedelta(hours=hours))
            entries.append({"title": title, "link": base + path, "pubDate": when})
        xml = rss_xml(name, f"{base}/{name}", entries, lang=lang)
        resources[f"/{name}/feed.xml"] = Resource(xml.encode(), content_type="application/rss+xml")
    return resources


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("events")
    now = datetime.now(UTC)
    config = tmp / "config.yaml"
    hooks = [{"name": "desk", "command": collector(tmp / "desk")}]
    with SiteServer() as site:
        sources = [{"name": name, "feed": f"{site.url}/{name}/feed.xml"} for name in {*YESTERDAY, *TODAY}]
        site.resources.update(pages(site.url, YESTERDAY, now))
        write_config(config, [s for s in sources if s["name"] in YESTERDAY], hooks=hooks)
        first = run_cli("crawl", config=config)
        assert first.returncode == 0, first.stderr
        today = {name: (lang, [*YESTERDAY.get(name, (lang, []))[1], *items])  # yesterday's listed too
                 for name, (lang, items) in TODAY.items()}  # fmt: skip
        site.resources.update(pages(site.url, {**YESTERDAY, **today}, now))
        write_config(config, sources, hooks=hooks)
        second = run_cli("crawl", config=config)
        assert second.returncode == 0, second.stderr
    return tmp, tmp / "tradewatch.db"


def stories(db) -> dict[str, int]:
    """Each page (``outlet/n``) and its story."""
    rows = query(db, "SELECT url, story_id FROM articles")
    return {"/".join(r["url"].split("/")[-2:]): r["story_id"] for r in rows}


def test_every_page_was_stored_once(crawled):
    _, db = crawled
    assert set(stories(db)) == EVENTS | {"efe-english/0"}


def test_no_two_events_share_a_story(crawled):
    _, db = crawled
    story = stories(db)
    by_story = {}
    for page in EVENTS:
        by_story.setdefault(story[page], []).append(page)
    reasons = {r["url"].split("/", 3)[-1]: r["reason"] for r in query(
        db, "SELECT url, reason FROM articles JOIN story_links ON article_id = articles.id")}  # fmt: skip
    assert all(len(pages) == 1 for pages in by_story.values()), (by_story, reasons)


def test_the_agency_story_in_two_languages_is_one_story(crawled):
    _, db = crawled
    story = stories(db)
    assert story["efe/0"] == story["efe-english/0"]
    links = query(db, "SELECT evidence, reason FROM story_links JOIN articles ON article_id = articles.id"
                      " WHERE url LIKE '%/efe/0' OR url LIKE '%/efe-english/0'")  # fmt: skip
    (link,) = [r for r in links if r["evidence"] != "new story"]  # the second to arrive joined the first
    assert link["evidence"] == "shared facts" and "across languages" in link["reason"], link
    # The figures and days it joined on, as each language prints them.
    assert "172,000,000,000" in link["reason"] or "04-17" in link["reason"], link
    row = query(db, "SELECT articles, sources, languages FROM stories WHERE id = ?", (story["efe/0"],))[0]
    assert (row["articles"], row["sources"], sorted(json.loads(row["languages"]))) == (2, 2, ["en", "es"])


def test_every_event_that_matches_a_rule_is_alerted_once(crawled):
    tmp, db = crawled
    story = stories(db)
    matched = {r["story_id"] for r in query(db, "SELECT DISTINCT story_id FROM articles JOIN matches"
                                                " ON matches.article_id = articles.id")}  # fmt: skip
    assert matched == {story[page] for page in EVENTS}  # every event matches a shipped rule
    alerts = query(db, "SELECT story_id FROM alerts WHERE hook = 'desk'")
    assert sorted(a["story_id"] for a in alerts) == sorted(matched)
    delivered = [p["story"]["id"] for p in payloads(tmp / "desk")]
    assert sorted(delivered) == sorted(matched)
