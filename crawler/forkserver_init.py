"""Imported only by the analysis pool's fork server, first: it dies with the crawler process."""

from crawler.lifeline import die_with_parent

die_with_parent()
