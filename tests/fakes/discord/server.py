"""FakeDiscord: the REST API and the gateway on one aiohttp server on 127.0.0.1.

The parts are mixins, each in its own module: :class:`~.rest.RestApi` (recording,
faults, routes), :class:`~.messages.Messages` (what the routes do with messages and
interactions), :class:`~.gateway.Gateway` (the WebSocket) and :class:`~.events.Events`
(what users do). This class holds their state and the server's life cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from aiohttp import web

from bot.config import Settings
from tests.fakes.discord.events import Events
from tests.fakes.discord.gateway import Gateway, Session
from tests.fakes.discord.ids import TOKEN
from tests.fakes.discord.messages import Messages
from tests.fakes.discord.rest import Fault, Request, RestApi


def settings_for(fake: FakeDiscord, **extra: Any) -> Settings:
    """Bot settings pointing REST and gateway at ``fake``, with the fake's token."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        discord_token=TOKEN,
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        **extra,
    )


class FakeDiscord(RestApi, Messages, Gateway, Events):
    """Discord's REST API and gateway for one bot, one guild, a few users."""

    def __init__(
        self,
        *,
        heartbeat_interval_ms: int = 41250,
        identify_close_code: int | None = None,
        extra_channels: Sequence[int] = (),
    ) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.extra_channels = tuple(extra_channels)
        # Close every IDENTIFY with this code (4004 bad token, 4014 disallowed intents, ...).
        self.identify_close_code = identify_close_code
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self._by_nonce: dict[tuple[int, str], int] = {}  # (channel, nonce) -> message id
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, dict[str, Any]] = {}
        self.gateway_ops: list[int] = []
        self.identify_payloads: list[dict[str, Any]] = []
        self.resumes = 0
        self.invalid_sessions = 0
        self.connections = 0
        self._sessions: dict[str, Session] = {}
        self._current: Session | None = None
        self._ids = itertools.count(1300000000000000000)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._changed = asyncio.Event()

    # -- life cycle ----------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        for session in self._sessions.values():
            if session.ws is not None and not session.ws.closed:
                with contextlib.suppress(Exception):
                    await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, **options: Any) -> AsyncIterator[FakeDiscord]:
        fake = cls(**options)
        await fake.start()
        try:
            yield fake
        finally:
            await fake.close()

    def snowflake(self) -> int:
        return next(self._ids)

    def _notify(self) -> None:
        self._changed.set()

    async def until(
        self, predicate: Callable[[], Any], within: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``predicate()`` is truthy; return its value."""
        deadline = time.monotonic() + within
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))
