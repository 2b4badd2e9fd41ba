"""tradewatch's jobs: the CLI, and (next) the daemon that runs crawls over time and sends alerts."""
