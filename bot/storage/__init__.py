"""Persistence with aiosqlite: question log, feedback, chat settings; ids only as keyed hashes."""

from bot.storage.store import MissedQuestion, PickedSuggestion, Stats, StorageError, Store

__all__ = ["MissedQuestion", "PickedSuggestion", "Stats", "StorageError", "Store"]
