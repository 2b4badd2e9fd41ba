"""HTML for local news sites: article pages and listings wrapped in realistic chrome.

Used by ``tradewatch demo``, the tests and the benchmarks. The chrome (navigation,
"most read", related links, footer) is deliberately full of tracked words, as on real
news sites, so that matching anything but the article text shows up as a false flag.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

NAV = ["Tariffs", "USMCA", "T-MEC", "Trump", "Sheinbaum", "Aranceles", "Markets", "World"]
MOST_READ = [
    "Trump threatens new tariffs on Mexican steel",
    "Sheinbaum y Ebrard defienden el T-MEC ante aranceles",
    "USMCA review: what CUSMA means for Canada",
    "Secretaría de Economía responde a los aranceles",
]


def _chrome_top(site: str) -> str:
    links = "".join(f'<li><a href="/section/{n.lower()}">{html.escape(n)}</a></li>' for n in NAV)
    return (
        f'<header class="site-header"><a class="logo" href="/">{html.escape(site)}</a>'
        f'<nav class="main-nav"><ul>{links}</ul></nav>'
        '<form class="search"><input name="q" placeholder="Search tariffs, USMCA…"></form></header>'
    )


def _chrome_side(extra: int = 0) -> str:
    items = "".join(
        f'<li><a href="/most-read/{i}">{html.escape(t)}</a></li>'
        for i, t in enumerate(MOST_READ * (1 + extra))
    )
    return f'<aside class="most-read"><h3>Most read</h3><ol>{items}</ol></aside>'


def _chrome_bottom(site: str, extra: int = 0) -> str:
    related = "".join(
        f'<li><a href="/related/{i}">Related: {html.escape(t)}</a></li>'
        for i, t in enumerate(MOST_READ * (1 + extra))
    )
    scripts = "".join(
        f"<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{'slot':{i},"
        f"'topic':'tariffs usmca trump','ts':{1700000000 + i}}});</script>"
        for i in range(3 + extra * 20)
    )
    return (
        f'<section class="related"><h3>Related stories</h3><ul>{related}</ul></section>'
        f"<footer><p>© {html.escape(site)}. Newsletters: Tariffs daily, USMCA weekly, "
        "Trump tracker.</p><p>Contact · Privacy · Cookies · Terms</p></footer>"
        f"{scripts}"
    )


def article_html(
    title: str,
    paragraphs: Sequence[str],
    *,
    site: str = "The Ledger",
    lang: str = "en",
    canonical: str | None = None,
    charset_meta: str | None = "utf-8",
    author: str | None = None,
    published: str | None = None,
    chrome: int = 0,
    head_extra: str = "",
) -> str:
    """A full news article page; ``chrome`` adds more navigation, lists and scripts."""
    head = [f'<meta charset="{charset_meta}">' if charset_meta else "", head_extra]
    head.append(f"<title>{html.escape(title)} | {html.escape(site)}</title>")
    if canonical:
        head.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    if author:
        head.append(f'<meta name="author" content="{html.escape(author)}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    byline = f'<p class="byline">By {html.escape(author)}</p>' if author else ""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{"".join(head)}</head><body>'
        f"{_chrome_top(site)}<main><article><h1>{html.escape(title)}</h1>{byline}"
        f'<div class="article-body">{body}</div></article>{_chrome_side(chrome)}</main>'
        f"{_chrome_bottom(site, chrome)}</body></html>"
    )


def listing_html(title: str, links: Sequence[tuple[str, str]], *, lang: str = "es") -> str:
    """A press-release listing page: article links in ``ul.comunicados``, chrome links elsewhere."""
    items = "".join(f'<li><a href="{html.escape(h)}">{html.escape(t)}</a></li>' for h, t in links)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{_chrome_top(title)}"
        f'<main><h1>{html.escape(title)}</h1><ul class="comunicados">{items}</ul></main>'
        f"{_chrome_side()}{_chrome_bottom(title)}</body></html>"
    )


def rss_xml(title: str, link: str, items: Sequence[dict[str, str]], lang: str = "en") -> str:
    """An RSS 2.0 feed; each item may have title, link, guid, description, pubDate, author."""
    parts = []
    for item in items:
        fields = "".join(
            f"<{key}>{html.escape(value, quote=False)}</{key}>"
            for key, value in item.items()
            if key != "guid"
        )
        if "guid" in item:
            fields += f'<guid isPermaLink="false">{html.escape(item["guid"])}</guid>'
        parts.append(f"<item>{fields}</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
        f"<language>{lang}</language>{''.join(parts)}</channel></rss>"
    )


def _xml(root: str, body: str, namespaces: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{namespaces}>{body}</{root}>'
    )


def sitemap_index_xml(sitemaps: Sequence[tuple[str, str | None]]) -> str:
    """A sitemap index: (location, lastmod or None) of each sitemap."""
    body = "".join(
        f"<sitemap><loc>{html.escape(loc)}</loc>"
        + (f"<lastmod>{mod}</lastmod>" if mod else "")
        + "</sitemap>"
        for loc, mod in sitemaps
    )
    return _xml("sitemapindex", body)


def sitemap_xml(urls: Sequence[tuple[str, str | None]]) -> str:
    """A plain sitemap: (location, lastmod or None) of each page."""
    body = "".join(
        f"<url><loc>{html.escape(loc)}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</url>"
        for loc, mod in urls
    )
    return _xml("urlset", body)


def news_sitemap_xml(items: Sequence[dict[str, str]], publication: str = "The Ledger") -> str:
    """A Google News sitemap; each item has loc, title, date, and may have language and keywords."""
    parts = []
    for item in items:
        keywords = (
            f"<news:keywords>{html.escape(item['keywords'])}</news:keywords>" if "keywords" in item else ""
        )
        parts.append(
            f"<url><loc>{html.escape(item['loc'])}</loc><news:news><news:publication>"
            f"<news:name>{html.escape(publication)}</news:name>"
            f"<news:language>{item.get('language', 'en')}</news:language></news:publication>"
            f"<news:publication_date>{item['date']}</news:publication_date>"
            f"<news:title>{html.escape(item['title'])}</news:title>{keywords}</news:news></url>"
        )
    return _xml("urlset", "".join(parts), ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"')


TARIFF_TOPICS = [
    ("steel", "Canada", "Ottawa", "Mélanie Joly", 25),
    ("avocados", "Mexico", "Guadalajara", "Raquel Buenrostro", 17),
    ("solar panels", "China", "Shenzhen", "Wang Wentao", 50),
    ("cars", "Japan", "Nagoya", "Yoji Muto", 15),
    ("wine", "France", "Bordeaux", "Sophie Primas", 200),
    ("lumber", "Canada", "Vancouver", "David Eby", 14),
    ("tomatoes", "Mexico", "Culiacán", "Juan Cortina", 21),
    ("memory chips", "Korea", "Incheon", "Ahn Duk-geun", 32),
    ("beef", "Brazil", "Goiânia", "Carlos Fávaro", 40),
    ("cheese", "Switzerland", "Gruyères", "Helene Budliger", 39),
    ("shrimp", "India", "Visakhapatnam", "Piyush Goyal", 26),
]


def tariff_story(n: int) -> tuple[str, str]:
    """The path and page of tariff story ``n`` (0 to 10): no two tell one event, so each is a story
    of its own (the outbox's tests and bench/stuck_hook.py)."""
    product, country, city, person, rate = TARIFF_TOPICS[n]
    title = f"Tariffs on {product} from {country} rise to {rate}%"
    paragraphs = [
        f"The United States will raise tariffs on {product} imported from {country} to {rate} percent.",
        f"{person} said in {city} that {product} exporters would look for other buyers.",
        f"Shipments of {product} through {city} reached {n + 3} million tonnes in {2010 + n}.",
        f"Traders in {city} expect {product} prices to climb before the duty applies.",
    ]
    return f"/news/{n}", article_html(title, paragraphs, published=f"2026-12-0{1 + n % 5}T10:00:00Z")
