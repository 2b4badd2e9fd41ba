"""Imported only by the analysis pool's fork server, first: it dies with the crawler process,
and it loads once what every worker then shares (copy-on-write): the language model."""

import os

from crawler.lifeline import die_with_parent

die_with_parent(int(os.environ.get("TRADEWATCH_PARENT_PID", "0")) or None)

from crawler.langs import load_detector  # noqa: E402

load_detector()
