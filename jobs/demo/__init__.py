"""``tradewatch demo``: a small bundled news site, crawled into demo.db with the shipped rules."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from crawler import queries
from crawler.config import Config, Hook, Source, parse_config
from crawler.queries import MatchEntry
from crawler.report import CrawlReport
from crawler.store import Store
from jobs.demo.pages import article_html, listing_html, rss_xml
from jobs.demo.receiver import Receiver
from jobs.demo.siteserver import Resource, SiteServer

RULES_FILE = Path(__file__).with_name("site") / "rules.yaml"

# (path, title, lang, paragraphs)
STORIES = [
    (
        "/news/usmca-review-opens",
        "US, Mexico and Canada open the USMCA joint review",
        "en",
        [
            "Trade officials from the United States, Mexico and Canada opened the first joint "
            "review of the USMCA on Monday, a process that will decide whether the agreement is "
            "extended for another sixteen years.",
            "Mexico's economy minister Marcelo Ebrard said his delegation arrived with proposals on "
            "rules of origin for automobiles and on energy investment, and that Mexico wanted the "
            "review concluded before the end of the year.",
            "Canadian officials, who refer to the pact as CUSMA, said they would press for the "
            "removal of duties on softwood lumber and for clearer dispute settlement procedures.",
            "Business groups on both sides of the border urged negotiators to avoid new barriers, "
            "warning that uncertainty over the treaty was already delaying investment decisions.",
        ],
    ),
    (
        "/news/steel-tariffs-raised",
        "Washington raises steel and aluminum tariffs to 50%",
        "en",
        [
            "President Donald Trump signed a proclamation raising tariffs on imported steel and "
            "aluminum to 50 percent, doubling the duties first imposed in 2018.",
            "The White House said the measure would protect domestic producers from a flood of "
            "cheap metal, while importers warned that construction and car manufacturing costs "
            "would rise within weeks.",
            "Mexico and Canada, the largest suppliers of steel to the United States, said they were "
            "studying the proclamation and did not rule out retaliatory measures.",
            "Analysts noted that the order exempts products already in transit and sets a review "
            "of the exclusions process within ninety days.",
        ],
    ),
    (
        "/news/minor-league-final",
        "Riverside Rovers win the minor league final",
        "en",
        [
            "The Riverside Rovers won the minor league championship on Sunday after a dramatic "
            "penalty shoot-out in front of a sold-out home crowd.",
            "Goalkeeper Sam Ortiz saved two penalties, and captain Lee Park scored the decisive "
            "kick to give the club its first title in twenty-two years.",
            "Thousands of fans gathered downtown for the celebration, and the mayor promised a "
            "parade along the riverfront next weekend.",
            "The coach thanked the youth academy, which produced seven of the eleven starters, and "
            "said the club would keep its young squad together for next season.",
        ],
    ),
]
COMUNICADOS = [
    (
        "/prensa/comunicado-101",
        "Sheinbaum responde a los aranceles anunciados por Trump",
        "es",
        [
            "La presidenta Claudia Sheinbaum afirmó que México responderá con serenidad a los "
            "aranceles anunciados por el gobierno de Estados Unidos y que buscará una solución "
            "negociada antes de aplicar cualquier medida de represalia.",
            "La mandataria explicó que el secretario de Economía, Marcelo Ebrard, viajará a "
            "Washington esta semana para reunirse con el representante comercial estadounidense.",
            "Sheinbaum subrayó que el T-MEC ofrece mecanismos para resolver diferencias y que su "
            "gobierno confía en que la revisión del tratado fortalecerá la integración regional.",
            "Organizaciones empresariales respaldaron la postura del gobierno y pidieron mantener "
            "el diálogo con las autoridades de ambos países.",
        ],
    ),
    (
        "/prensa/comunicado-102",
        "La Secretaría de Economía publica el decreto de aranceles al acero",
        "es",
        [
            "La Secretaría de Economía publicó en el Diario Oficial de la Federación un decreto "
            "que modifica los aranceles a las importaciones de acero y aluminio provenientes de "
            "países con los que México no tiene tratados comerciales.",
            "El decreto establece aranceles de entre 10 y 50 por ciento para 155 fracciones "
            "arancelarias y entrará en vigor al día siguiente de su publicación.",
            "Según la dependencia, la medida busca proteger a la industria nacional y evitar la "
            "triangulación de productos a través del territorio mexicano.",
            "Las importaciones de Estados Unidos y Canadá no se verán afectadas, conforme a lo "
            "previsto en el tratado comercial de América del Norte.",
        ],
    ),
    (
        "/prensa/comunicado-103",
        "Festival de cine de Guadalajara anuncia su programa",
        "es",
        [
            "El Festival Internacional de Cine de Guadalajara presentó su programa, con más de "
            "doscientas películas de cuarenta países y una sección dedicada al cine documental.",
            "La directora del festival destacó la participación de jóvenes cineastas mexicanos y "
            "la ampliación de las sedes a cinco municipios de la zona metropolitana.",
            "Las funciones al aire libre serán gratuitas y la venta de boletos para las salas "
            "comenzará la próxima semana en la taquilla y en línea.",
            "Los organizadores esperan la visita de más de cien mil espectadores durante los diez "
            "días del encuentro.",
        ],
    ),
]

# One wire story told by three outlets: the agency's Spanish wire, a Spanish daily's trimmed reprint
# under its own headline, and the agency's English service (paths under /agencia, /diario, /news).
WIRE_ES = [
    "Ciudad de México, 3 dic (EFE).- México y Estados Unidos acordaron este miércoles un sistema de cupos"
    " para el acero mexicano en el marco del T-MEC, que entrará en vigor el 1 de febrero, informó la"
    " Secretaría de Economía.",
    "El comercio de acero entre ambos países sumó 21.400 millones de dólares el año pasado, y la"
    " negociación comenzó el 17 de octubre en Washington con el representante comercial Jamieson Greer.",
    "La Cámara Nacional de la Industria del Hierro y del Acero (Canacero), que preside Jorge Ocampo Lazcano,"
    " calificó el acuerdo como un alivio para 69.000 trabajadores de Coahuila y Nuevo León.",
    "El acuerdo fija una cuota de 3,2 millones de toneladas anuales libres de aranceles, y las toneladas"
    " por encima de ella pagarán el arancel de 50 % vigente desde junio.",
]
WIRE_EN = [
    "MEXICO CITY, Dec 3 (EFE).- Mexico and the United States agreed on Wednesday a quota system for Mexican"
    " steel under the USMCA that will take effect on February 1, the Economy Ministry said.",
    "Steel trade between the two countries reached 21.4 billion dollars last year, and the negotiation began"
    " on October 17 in Washington with trade representative Jamieson Greer.",
    "The Canacero steel chamber, chaired by Jorge Ocampo Lazcano, called the deal a relief for 69,000"
    " workers in Coahuila and Nuevo León.",
    "The agreement sets a tariff-free quota of 3.2 million tonnes a year, and tonnes above it will pay the"
    " 50% tariff in force since June.",
]
WIRE = [
    ("/agencia/cupos-acero", "México y EE.UU. acuerdan cupos para el acero en el T-MEC", "es", WIRE_ES),
    ("/diario/acero-sin-aranceles", "Acero mexicano: 3,2 millones de toneladas sin aranceles", "es",
     WIRE_ES[:3]),
    ("/news/steel-quotas-agreed", "Mexico, U.S. agree steel quotas under USMCA", "en", WIRE_EN),
]  # fmt: skip


def _feed(title: str, items: list[tuple[str, str, str, list[str]]]) -> dict[str, Resource]:
    """An outlet's feed (at ``/<first path part>/feed.xml``... or ``/feed.xml``) and its pages."""
    resources, entries = {}, []
    for path, headline, lang, paragraphs in items:
        resources[path] = Resource(article_html(headline, paragraphs, lang=lang, site=title).encode())
        entries.append({"title": headline, "link": path, "description": paragraphs[0]})
    return resources | {"feed": Resource(rss_xml(title, "/", entries).encode(), "application/rss+xml")}


def demo_site() -> dict[str, Resource]:
    """The bundled site: an English feed with its stories, a Spanish press listing with its releases,
    and a wire story told by an agency, a daily that trims it, and the English feed."""
    resources: dict[str, Resource] = {}
    for feed, title, items in (
        ("/feed.xml", "The Ledger: trade", [*STORIES, WIRE[2]]),
        ("/agencia/feed.xml", "Agencia EFE", [WIRE[0]]),
        ("/diario/feed.xml", "El Diario del Norte", [WIRE[1]]),
    ):
        pages = _feed(title, items)
        resources[feed] = pages.pop("feed")
        resources.update(pages)
    links = []
    for path, title, lang, paragraphs in COMUNICADOS:
        html = article_html(title, paragraphs, lang=lang, site="Secretaría de Economía")
        resources[path] = Resource(html.encode())
        links.append((path, title))
    resources["/prensa"] = Resource(listing_html("Comunicados de prensa", links).encode())
    return resources


def shipped_config(database: Path) -> Config:
    """A config of the shipped rules, no source, on ``database``: for reading a store (the demo's)
    where there is no config file."""
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    config = parse_config({"rules": rules["rules"]}, Path(database).absolute())
    return replace(config, database=Path(database).resolve())


def demo_config(
    base: Config | None, server: SiteServer, database: Path, hooks: tuple[Hook, ...] = ()
) -> Config:
    """A config crawling the demo site into ``database`` with ``base``'s rules (or the bundled ones)
    and ``hooks`` (not ``base``'s: the demo alerts no one)."""
    if base is None:
        base = shipped_config(database)
    sources = (
        Source(name="demo-ledger", kind="feed", url=f"{server.url}/feed.xml"),
        Source(name="demo-economia", kind="page", url=f"{server.url}/prensa", links="ul.comunicados a"),
        Source(name="demo-agencia", kind="feed", url=f"{server.url}/agencia/feed.xml"),
        Source(name="demo-diario", kind="feed", url=f"{server.url}/diario/feed.xml"),
    )
    # The demo site is ours, on this machine: no politeness delay.
    fetch = replace(base.fetch, delay=0.0, autothrottle=False)
    return replace(base, database=database.resolve(), sources=sources, hooks=hooks, fetch=fetch)


@dataclass(frozen=True)
class DemoRun:
    """What the demo did: the crawl's report, the flagged stories, and the alerts a local webhook got."""

    report: CrawlReport
    flagged: list[MatchEntry]
    alerts: list[dict]  # the payloads, as delivered


def run_demo(base: Config | None, database: Path) -> DemoRun:
    """Serve the demo site, crawl it into ``database``, deliver its alerts to a local webhook, and
    return what was flagged and delivered."""
    from crawler.run import crawl
    from jobs.dispatch import deliver_pending
    from jobs.process import one_shot_crawl

    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    receiver = Receiver()
    try:
        hooks = (Hook(name="demo-webhook", kind="webhook", target=receiver.url),)
        with SiteServer(demo_site()) as server:
            report = crawl(demo_config(base, server, database, hooks), before_start=one_shot_crawl)
        deliver_pending(database, hooks, wait=5.0)
        alerts = [json.loads(body) for _, body in receiver.posts]
    finally:
        receiver.close()
    store = Store(database, readonly=True)
    try:
        flagged, _ = queries.flagged(store, rule=None, since=None, limit=100)
    finally:
        store.close()
    return DemoRun(report, flagged, alerts)
