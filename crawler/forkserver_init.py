"""Imported only by the analysis pool's fork server, first: it dies with the crawler process."""

import os

from crawler.lifeline import die_with_parent

die_with_parent(int(os.environ.get("TRADEWATCH_PARENT_PID", "0")) or None)
