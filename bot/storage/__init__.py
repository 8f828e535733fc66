"""Persistence: question log, feedback, chat settings; ids only as keyed hashes.

SQLite (aiosqlite) by default, PostgreSQL (asyncpg) with ``DATABASE_URL``; see store.py.
"""

from bot.storage.store import Store

__all__ = ["Store"]
