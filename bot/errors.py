"""Every error the bot's parts raise to each other, in one module that imports nothing of ours.

Each message is one line for the operator (KnowledgeError lists one line per problem).
"""

from __future__ import annotations


class ConfigError(Exception):
    """A misconfigured environment variable or settings file."""


class StartupError(Exception):
    """The bot cannot start (a port in use, a refused token, an unreachable platform)."""


class StorageError(Exception):
    """The database could not be opened or a write could not be committed."""


class KnowledgeError(Exception):
    """The knowledge folder is invalid; ``problems`` lists every finding, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid knowledge:\n" + "\n".join(f"  {p}" for p in problems))
