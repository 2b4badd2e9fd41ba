"""tradewatch's jobs: the CLI, the daemon, the outbox and its alert hooks, health, and the demo."""
