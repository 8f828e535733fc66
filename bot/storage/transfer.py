"""``python -m bot migrate-db``: an SQLite installation's rows into a PostgreSQL database.

Every table is copied as it is, hashes included: they stay valid as long as the bot on
PostgreSQL hashes with the same key, so the key is not copied anywhere (it is not in
the database) and the operator points ``HASH_KEY_FILE`` at the SQLite installation's
key file. The source is migrated to this bot's schema first (like a start would), the
target too (under its advisory lock); all rows go over in one transaction, so a
failure leaves the target as it was. A target that already holds rows is refused
unless ``replace`` is given, which empties it first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bot.errors import StorageError
from bot.storage.driver import Row
from bot.storage.migrations import TABLES
from bot.storage.postgres import PostgresDriver
from bot.storage.sqlite import SqliteDriver

CHUNK_ROWS = 5000


async def copy_sqlite_to_postgres(
    source: Path, url: str, *, replace: bool = False, chunk_rows: int = CHUNK_ROWS
) -> dict[str, int]:
    """Copy every table of ``source`` into ``url``; the rows copied per table."""
    sqlite = await SqliteDriver.open(source)
    try:
        target = await PostgresDriver.open(url, pool_size=2)
        try:
            if not replace:
                filled = [
                    f"{table} {count}"
                    for table in TABLES
                    if (count := (await target.fetch(f"SELECT COUNT(*) FROM {table}"))[0][0])
                ]
                if filled:
                    raise StorageError(
                        f"{target.where} already holds rows ({', '.join(filled)}); "
                        "use --force to replace them"
                    )
            return await target.copy_tables(
                [
                    (table, columns, _chunks(sqlite, table, columns, chunk_rows))
                    for table, columns in TABLES.items()
                ]
            )
        finally:
            await target.close()
    finally:
        await sqlite.close()


async def _chunks(
    sqlite: SqliteDriver, table: str, columns: Sequence[str], size: int
) -> AsyncIterator[list[Row]]:
    """The table's rows in rowid order, ``size`` at a time (never all in memory)."""
    last = 0
    listed = ", ".join(columns)
    while True:
        rows = await sqlite.fetch(
            f"SELECT rowid, {listed} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, size),
        )
        if not rows:
            return
        last = int(rows[-1][0])
        yield [row[1:] for row in rows]
