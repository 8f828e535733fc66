"""What the store needs from a database, and nothing more: two backends behind it.

:class:`bot.storage.store.Store` holds everything the bot does with its data (the
batching writer, hashing, retention, the queries) once; a driver only runs SQL.
Statements are written once, in the dialect both backends share, with ``?``
placeholders; the PostgreSQL driver numbers them. A driver raises
:class:`bot.errors.StorageError` for every database failure, with the database's own
one-line reason (never a password), so the store handles both backends alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

Params = Sequence[Any]
Statement = tuple[str, Params]
Row = tuple[Any, ...]
# One SQL text and the parameter rows it runs with (one row: execute; more: executemany).
Group = tuple[str, Sequence[Params]]


class Driver(ABC):
    """One database: a SQLite file or a PostgreSQL server, migrated when opened."""

    backend: str  # "sqlite" or "postgresql"
    where: str  # for messages: the file, or the URL without its password

    @abstractmethod
    async def execute(self, groups: Sequence[Group]) -> None:
        """Run every group in one transaction: all of it committed, or none of it."""

    @abstractmethod
    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        """The rows of one statement. It may write (``INSERT … RETURNING``): then it is
        committed, on its own, when this returns."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connection (or pool); a second call does nothing."""


def grouped(statements: Sequence[Statement]) -> list[Group]:
    """Consecutive statements with the same SQL become one group (one executemany)."""
    groups: list[tuple[str, list[Params]]] = []
    for sql, params in statements:
        if groups and groups[-1][0] == sql:
            groups[-1][1].append(params)
        else:
            groups.append((sql, [params]))
    return [(sql, rows) for sql, rows in groups]


def split_script(script: str) -> list[str]:
    """A migration script's statements (they hold no ``;`` inside a statement)."""
    return [part.strip() for part in script.split(";") if part.strip()]
