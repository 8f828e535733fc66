"""The SQLite driver: one aiosqlite connection to one file, WAL (the default backend)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from bot.errors import StorageError
from bot.storage.driver import Driver, Group, Params, Row, split_script
from bot.storage.migrations import LATEST, SQLITE

log = logging.getLogger(__name__)

# What aiosqlite raises: the database's errors, and ValueError once the connection is gone.
_FAILURES = (sqlite3.Error, ValueError)


class SqliteDriver(Driver):
    backend = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.connection = conn  # public for tests that break the database on purpose
        self.where = str(path)
        # One connection: a read must not run inside the writer's open transaction.
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> SqliteDriver:
        """Open (creating it 0600 if new) and migrate the file; StorageError if impossible."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, *_FAILURES) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        try:
            await _prepare(conn, path)
        except (*_FAILURES, StorageError) as exc:
            await conn.close()
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"cannot prepare database {path}: {exc}") from exc
        return cls(conn, path)

    async def execute(self, groups: Sequence[Group]) -> None:
        async with self._lock:
            try:
                await self.connection.execute("BEGIN IMMEDIATE")
                for sql, rows in groups:
                    if len(rows) == 1:
                        await self.connection.execute(sql, rows[0])
                    else:
                        await self.connection.executemany(sql, rows)
                await self.connection.execute("COMMIT")
            except _FAILURES as exc:
                with contextlib.suppress(*_FAILURES):
                    await self.connection.execute("ROLLBACK")
                raise StorageError(str(exc)) from exc

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            try:
                async with self.connection.execute(sql, params) as cur:
                    return [tuple(row) for row in await cur.fetchall()]
            except _FAILURES as exc:
                raise StorageError(str(exc)) from exc

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.connection.close()


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds missed questions).

    SQLite would create it with the umask's mode (usually 0644); its -wal and -shm
    files copy the database file's mode.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


async def _version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


SETUP_SECONDS = 60.0  # how long processes starting at once may wait for each other


async def _prepare(conn: aiosqlite.Connection, path: Path) -> None:
    """WAL mode and the schema. Switching to WAL needs the file to itself, and SQLite
    does not wait for that (busy_timeout does not cover it), so processes starting at
    once take turns here, with a bounded backoff."""
    await conn.execute("PRAGMA busy_timeout = 5000")
    deadline = time.monotonic() + SETUP_SECONDS
    pause = 0.02
    while True:
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await _migrate(conn, path)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 1.0)


async def _migrate(conn: aiosqlite.Connection, path: Path) -> None:
    """Bring the file to :data:`LATEST` under SQLite's write lock (``BEGIN IMMEDIATE``):
    processes starting at once migrate it once; the others wait, then find it done."""
    if await _version(conn) == LATEST:
        return
    await conn.execute("BEGIN IMMEDIATE")
    try:
        version = await _version(conn)  # again, now that nobody else can write
        if version > LATEST:
            raise StorageError(
                f"database {path} has schema version {version}, newer than this bot ({LATEST})"
            )
        for number in range(version + 1, LATEST + 1):
            for statement in split_script(SQLITE[number - 1]):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        await conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(*_FAILURES):
            await conn.execute("ROLLBACK")
        raise
    for number in range(version + 1, LATEST + 1):
        log.info("database migrated to schema version %d", number)
