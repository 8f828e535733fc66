"""The PostgreSQL driver (``DATABASE_URL=postgresql://…``): an asyncpg pool, for replicas.

Opening migrates the schema under ``pg_advisory_lock``: replicas starting at once
migrate it exactly once, the others wait and find it done. The pool replaces a
connection the server dropped (a restart, a fail-over) on its next use, so writes
resume by themselves once the server is back; until then every statement fails at
once with :class:`StorageError` (a refused connection) or after ``command_timeout``.
The URL's password never appears in a message: :func:`redact` shows the rest.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from bot.errors import StorageError
from bot.storage.driver import Driver, Group, Params, Row
from bot.storage.migrations import LATEST, POSTGRES

log = logging.getLogger(__name__)

SCHEMES = ("postgresql", "postgres")
# pg_advisory_lock key for "the bot's schema" (advisory locks are per database).
MIGRATION_LOCK = 0x66617162_6F74  # "faqbot"
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


def redact(url: str) -> str:
    """The URL without its password (also one given as ``?password=``), for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))


def _reason(exc: BaseException, url: str) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """``?`` placeholders (the statements' shared dialect) as PostgreSQL's ``$1, $2, …``."""
    out: list[str] = []
    count = 0
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "?" and not quoted:
            count += 1
            out.append(f"${count}")
        else:
            out.append(char)
    return "".join(out)


class PostgresDriver(Driver):
    backend = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str, acquire_timeout: float) -> None:
        self._pool = pool
        self._url = url
        self.where = redact(url)
        self._acquire_timeout = acquire_timeout
        self._closed = False

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        pool_size: int = 10,
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
    ) -> PostgresDriver:
        """Migrate, then open the pool; StorageError (one line, no password) if impossible."""
        where = redact(url)
        try:
            await _migrate(url, where, connect_timeout)
            pool = await asyncpg.create_pool(
                url,
                # No floor to keep: asyncpg would retry it in the background during an
                # outage, logging a traceback each time. Opening has connected already.
                min_size=0,
                max_size=pool_size,
                timeout=connect_timeout,
                command_timeout=command_timeout,
            )
        except _FAILURES as exc:
            raise StorageError(f"cannot open database {where}: {_reason(exc, url)}") from None
        except (ValueError, asyncpg.ClientConfigurationError) as exc:  # a malformed URL
            raise StorageError(f"cannot open database {where}: {_reason(exc, url)}") from None
        return cls(pool, url, acquire_timeout=connect_timeout + command_timeout)

    async def execute(self, groups: Sequence[Group]) -> None:
        try:
            async with (
                self._pool.acquire(timeout=self._acquire_timeout) as conn,
                conn.transaction(),
            ):
                for sql, rows in groups:
                    if len(rows) == 1:
                        await conn.execute(numbered(sql), *rows[0])
                    else:
                        await conn.executemany(numbered(sql), rows)
        except _FAILURES as exc:
            raise StorageError(_reason(exc, self._url)) from exc

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                records = await conn.fetch(numbered(sql), *params)
        except _FAILURES as exc:
            raise StorageError(_reason(exc, self._url)) from exc
        return [tuple(record) for record in records]

    async def copy_tables(
        self, tables: Sequence[tuple[str, Sequence[str], AsyncIterator[list[Row]]]]
    ) -> dict[str, int]:
        """Replace the rows of each table with the given ones, all in one transaction (COPY).

        For ``migrate-db``: each table gets ``(name, columns, chunks of rows)``; it is
        emptied first, and its identity sequence is moved past the highest id copied, so
        new rows get new ids. Returns the rows copied per table.
        """
        copied: dict[str, int] = {}
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                for table, columns, chunks in tables:
                    await conn.execute(f"DELETE FROM {table}")
                    copied[table] = 0
                    async for rows in chunks:
                        await conn.copy_records_to_table(table, records=rows, columns=list(columns))
                        copied[table] += len(rows)
                    if "id" in columns:
                        await conn.execute(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                        )
        except _FAILURES as exc:
            raise StorageError(_reason(exc, self._url)) from exc
        return copied

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._pool.close()


async def _migrate(url: str, where: str, connect_timeout: float) -> None:
    """Bring the database to :data:`LATEST`, holding the migration lock meanwhile."""
    conn = await asyncpg.connect(url, timeout=connect_timeout)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        version = int(
            await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        )
        if version > LATEST:
            raise StorageError(
                f"database {where} has schema version {version}, newer than this bot ({LATEST})"
            )
        for number in range(version + 1, LATEST + 1):
            async with conn.transaction():
                await conn.execute(POSTGRES[number - 1])
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", number)
            log.info("database migrated to schema version %d", number)
    finally:
        await conn.close()  # also releases the lock, whatever happened
