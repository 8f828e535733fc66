"""Persistence with aiosqlite: question log, feedback, chat settings; ids only as keyed hashes."""

from bot.storage.store import Stats, StorageError, Store

__all__ = ["Stats", "StorageError", "Store"]
