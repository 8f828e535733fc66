"""Curated knowledge: the schema, loading with clear errors, and the linter."""

from bot.knowledge.loader import Knowledge, KnowledgeError, default_knowledge_dir, load_knowledge

__all__ = ["Knowledge", "KnowledgeError", "default_knowledge_dir", "load_knowledge"]
