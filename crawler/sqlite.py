"""The SQLite boundary: ``sqlite3.Error`` leaves our code as StoreError, list cells are JSON, times ISO.

Shared by the store (``crawler.store``) and the outbox (``crawler.outbox``), the two modules that
write the database.
"""

from __future__ import annotations

import functools
import inspect
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from crawler.dates import utc_in
from crawler.errors import StoreError

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def sqlite_errors(what: str) -> Iterator[None]:
    """The store's boundary: ``sqlite3.Error`` leaves as StoreError ("cannot <what>: <reason>")."""
    try:
        yield
    except sqlite3.Error as error:
        raise StoreError(f"cannot {what}: {error}") from None


def guarded(what: str) -> Callable[[F], F]:
    """Decorate a store method (generators too) so that no ``sqlite3.Error`` escapes it."""

    def decorate(method: F) -> F:
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def generator(*args: Any, **kwargs: Any) -> Any:
                with sqlite_errors(what):
                    yield from method(*args, **kwargs)

            return generator  # type: ignore[return-value]

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with sqlite_errors(what):
                return method(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def json_list(values: Iterable[str]) -> str:
    """A list column's value: a JSON array (a term with a comma in it survives)."""
    return json.dumps(list(values), ensure_ascii=False)


def read_json_list(cell: Any) -> list[str]:
    """A list column's value as a list; a cell edited by hand into something else reads as empty."""
    try:
        values = json.loads(cell or "[]")
    except (TypeError, ValueError):
        return []
    return [str(v) for v in values] if isinstance(values, list) else []


def utcnow() -> str:
    """The current time as an ISO 8601 UTC string, to the second."""
    return utc_in()
