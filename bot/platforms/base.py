"""What every platform adapter is given and what it offers the runtime.

An adapter translates: platform events become chat requests for the one
:class:`~bot.chat.service.ChatService`, its responses become platform messages.
It keeps the transport concerns (polling or webhooks, deferring within Discord's
3 seconds, button expiry, retries and nonces) and nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Protocol

from bot.chat.service import ChatService
from bot.config import Settings


class Telemetry(Protocol):
    """What adapters report about their transport (bot.runtime.metrics implements it)."""

    def send_retried(self, platform: str) -> None: ...

    def rate_limited(self, platform: str) -> None: ...


class NoTelemetry:
    def send_retried(self, platform: str) -> None:
        pass

    def rate_limited(self, platform: str) -> None:
        pass


class Adapter(ABC):
    name: ClassVar[str]

    def __init__(
        self, chat: ChatService, settings: Settings, telemetry: Telemetry | None = None
    ) -> None:
        self.chat = chat
        self.settings = settings
        self.telemetry: Telemetry = telemetry or NoTelemetry()

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
