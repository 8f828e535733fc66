"""Curated knowledge: the schema and loading with clear errors (the linter is the engine's)."""

from bot.knowledge.loader import Knowledge, default_knowledge_dir, load_knowledge

__all__ = ["Knowledge", "default_knowledge_dir", "load_knowledge"]
