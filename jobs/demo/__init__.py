"""``tradewatch demo``: a small bundled news site, crawled into demo.db with the shipped rules."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from crawler.config import Config, Source, parse_config
from crawler.report import CrawlReport
from crawler.store import Store
from jobs.demo.pages import article_html, listing_html, rss_xml
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


def demo_site() -> dict[str, Resource]:
    """The bundled site: an English feed with its stories, a Spanish press listing with its releases."""
    resources: dict[str, Resource] = {}
    items = []
    for path, title, lang, paragraphs in STORIES:
        resources[path] = Resource(article_html(title, paragraphs, lang=lang).encode())
        items.append({"title": title, "link": path, "description": paragraphs[0]})
    resources["/feed.xml"] = Resource(
        rss_xml("The Ledger: trade", "/", items).encode(), "application/rss+xml"
    )
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


def demo_config(base: Config | None, server: SiteServer, database: Path) -> Config:
    """A config crawling the demo site into ``database`` with ``base``'s rules (or the bundled ones)."""
    if base is None:
        base = shipped_config(database)
    sources = (
        Source(name="demo-ledger", kind="feed", url=f"{server.url}/feed.xml"),
        Source(name="demo-economia", kind="page", url=f"{server.url}/prensa", links="ul.comunicados a"),
    )
    # The demo site is ours, on this machine: no politeness delay.
    fetch = replace(base.fetch, delay=0.0, autothrottle=False)
    return replace(base, database=database.resolve(), sources=sources, hooks=(), fetch=fetch)


def run_demo(base: Config | None, database: Path) -> tuple[CrawlReport, list[dict]]:
    """Serve the demo site, crawl it into ``database`` and return the report and flagged rows."""
    from crawler.run import crawl
    from jobs.process import one_shot_crawl

    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    with SiteServer(demo_site()) as server:
        report = crawl(demo_config(base, server, database), before_start=one_shot_crawl)
    store = Store(database)
    try:
        return report, store.flagged()
    finally:
        store.close()
