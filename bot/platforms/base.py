"""What every adapter is given and what it must offer the runtime.

Adapters are thin: they turn platform events into :class:`Engine` calls and
engine replies into platform messages. Matching, knowledge, wording and flood
control live in the core; storage in :mod:`bot.storage`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from bot.chat.ratelimit import FloodGate
from bot.config import Settings
from bot.engine.engine import Engine
from bot.storage import Store


@dataclass
class Services:
    """Shared by all adapters in one process: one engine, one knowledge load, one database."""

    engine: Engine
    store: Store | None
    settings: Settings
    gate: FloodGate


class Adapter(ABC):
    name: ClassVar[str]

    def __init__(self, services: Services) -> None:
        self.services = services

    @abstractmethod
    async def start(self) -> None:
        """Connect and begin handling updates; return once running."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop taking updates, finish replies in flight, disconnect."""

    @property
    @abstractmethod
    def connected(self) -> bool:
        """Whether the platform connection is currently up (for /healthz)."""
