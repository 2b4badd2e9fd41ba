"""Logging for the daemon: one line per event on stderr, as text (with its time, unless journald,
which adds its own, reads it: ``$JOURNAL_STREAM`` is set) or JSON (always with ``time``)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _utc(record: logging.LogRecord) -> str:
    """The record's time, ISO 8601 UTC to the millisecond: 2026-12-01T14:05:09.123Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """``2026-12-01T14:05:09.123Z INFO logger: message``; without the time for journald."""

    def __init__(self, timestamps: bool) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.timestamps = timestamps

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return f"{_utc(record)} {line}" if self.timestamps else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: level, logger, message and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": _utc(record), "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}  # fmt: skip
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Send log lines to stderr, as text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(timestamps=not os.environ.get("JOURNAL_STREAM")))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("scrapy", "twisted", "apscheduler", "py.warnings", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # Download failures are recorded per source and logged once by tradewatch, not with
    # Scrapy's tracebacks.
    if root.level > logging.DEBUG:
        logging.getLogger("scrapy.downloadermiddlewares").setLevel(logging.CRITICAL)
        logging.getLogger("scrapy.core.scraper").setLevel(logging.CRITICAL)
