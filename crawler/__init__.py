"""tradewatch's crawler: turns feeds, sitemaps and pages into stored, deduplicated, flagged articles."""
