"""Persistence with aiosqlite: question log, feedback, chat settings; ids only as keyed hashes."""

from bot.storage.store import Store

__all__ = ["Store"]
