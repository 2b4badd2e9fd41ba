"""The one exception tree of tradewatch.

    TradewatchError
    ├── ConfigError      config.yaml is missing, malformed or invalid (exit 2)
    │   ├── ConfigErrors every error of the file, in file order
    │   └── QueryError   a rule query does not parse
    ├── FetchError       a source could not be fetched or parsed
    │   └── InvalidURL   a link is not an http(s) URL that can be fetched (a listed entry's, a source's)
    ├── StoreError       the SQLite store cannot be opened or written
    └── HookError        an alert hook failed

The CLI turns any of these into ``Error: <message>`` on stderr (one line per error) and a
non-zero exit.
"""

from __future__ import annotations


class TradewatchError(Exception):
    """Base class of every error tradewatch reports to its users."""

    exit_code = 1


class ConfigError(TradewatchError):
    """The configuration is invalid; the message names the offending key."""

    exit_code = 2


class ConfigErrors(ConfigError):
    """Several errors of one config file; its message has one line per error, in file order."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class QueryError(ConfigError):
    """A rule query does not parse; the message says where."""


class FetchError(TradewatchError):
    """A source could not be fetched or its body could not be parsed."""


class InvalidURL(FetchError, ValueError):
    """A link is not an absolute http(s) URL that can be fetched; the message says why."""


class StoreError(TradewatchError):
    """The SQLite store could not be opened or written."""


class HookError(TradewatchError):
    """An alert hook failed to deliver; ``unreachable`` when its receiver never answered (a refused
    connection, a timeout), so that its other alerts wait for its backoff instead of each timing out."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable
