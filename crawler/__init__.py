"""tradewatch's crawler: turns feeds and pages into stored, deduplicated, flagged articles."""
