"""The demo's bundled rules stay those of the shipped config.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml

from jobs.demo import RULES_FILE, demo_site

ROOT = Path(__file__).parents[1]


def test_bundled_rules_equal_the_shipped_config():
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["rules"]
    assert yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["rules"] == shipped


def test_demo_site_has_a_feed_a_listing_and_their_articles():
    site = demo_site()
    assert {"/feed.xml", "/prensa"} <= set(site)
    assert {"/agencia/feed.xml", "/diario/feed.xml"} <= set(site)
    assert len([p for p in site if p.startswith(("/news/", "/prensa/", "/agencia/", "/diario/"))]) == 11
