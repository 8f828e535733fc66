"""FakeTelegram: a fake Bot API server (aiohttp, 127.0.0.1) that records every call.

It serves the methods of :class:`~.methods.BotApi` and the updates of
:class:`~.updates.Updates` (mixins in their own modules); this module holds the
server's life cycle, fault injection, the record of calls and the HTTP handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.config import Settings
from tests.fakes.telegram.methods import BotApi
from tests.fakes.telegram.parse_mode import ApiError
from tests.fakes.telegram.updates import Updates

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmn"
BOT_ID = 123456789
BOT_USERNAME = "DeepSeekFaqBot"

# Parameters PTB sends as JSON text inside the form body.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "commands",
        "scope",
        "results",
        "allowed_updates",
        "button",
    }
)
INT_FIELDS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "max_connections"}
)


def settings_for(fake: FakeTelegram, **extra: Any) -> Settings:
    """Bot settings pointing the Bot API at ``fake``, with the fake's token."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_token=TOKEN, telegram_base_url=fake.base_url, **extra
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Call:
    """One request the client made, with decoded parameters and what the fake answered."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 0  # 0 while in flight
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard buttons of the call, row after row."""
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Fault:
    """What to do instead of answering one request."""

    status: int = 500
    description: str = "Internal Server Error"
    retry_after: float | None = None
    drop: bool = False  # close the connection without an answer
    delay: float = 0.0  # wait before answering (or failing)


class FakeTelegram(BotApi, Updates):
    """The Bot API for one bot: its calls recorded, its updates queued, its faults injected."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        bot_id: int = BOT_ID,
        username: str = BOT_USERNAME,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "DeepSeek FAQ",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.host = host
        self.port = port
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._pending: list[dict[str, Any]] = []
        self.last_update_id = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._waiters: set[asyncio.Future[None]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False

    # -- life cycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Listen (again) on the same port as before, or on a free one the first time."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        """Go away: release long polls, close connections, stop listening."""
        if self._runner is None:
            return
        self._closing = True
        self._wake()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    # -- fault injection ---------------------------------------------------------------

    def fail(self, method: str, *faults: Fault, times: int = 1, **fault: Any) -> None:
        """Make the next call(s) to ``method`` fail: ``fail("sendMessage", status=429, ...)``."""
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(faults or [Fault(**fault) for _ in range(times)])

    def clear_faults(self) -> None:
        self._faults.clear()

    # -- inspection --------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = True) -> list[Call]:
        """Calls to ``method``: answered OK (True), answered with an error (False), or all."""
        return [
            c
            for c in self.calls
            if c.method.lower() == method.lower()
            and (ok is None or (c.ok if ok else c.status not in (0, 200)))
        ]

    def sent(self) -> list[Call]:
        """Successful sendMessage calls, in order."""
        return self.calls_to("sendMessage")

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        where: Callable[[Call], bool] | None = None,
        ok: bool | None = True,
        within: float = 5.0,
    ) -> list[Call]:
        """Wait until at least ``count`` matching calls were answered; return them all."""

        def found() -> list[Call]:
            return [
                c for c in self.calls_to(method, ok=ok) if c.status and (where is None or where(c))
            ]

        await self.wait_until(lambda: len(found()) >= count, f"{count} x {method}", within)
        return found()

    async def wait_until(self, condition: Callable[[], bool], what: str, within: float) -> None:
        """Wait until ``condition()`` holds; it is checked again whenever a request starts
        or ends, so nothing here depends on how fast the machine is."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [f"{c.method}:{c.status}" for c in self.calls[-15:]]
                raise AssertionError(f"waited {within:g} s for {what}; last calls: {seen}")
            waiter = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=min(remaining, 0.5))
            finally:
                self._waiters.discard(waiter)

    async def settle(self, seconds: float = 0.3) -> None:
        """Give the client time to do anything more it was going to do."""
        await asyncio.sleep(seconds)

    def taken(self) -> int:
        """The highest update id the bot has taken in: it asked for the ones after it.

        (Fetched is not enough: the client queues what it fetched only after the
        answer has reached it, and then asks from the next offset.)
        """
        offsets = [int(c.params.get("offset") or 0) for c in self.calls_to("getUpdates", ok=None)]
        return max(offsets, default=1) - 1

    def message_of(self, call: Call) -> dict[str, Any]:
        """The message object the fake returned for a sendMessage call."""
        assert isinstance(call.result, dict), call
        return self.messages[(call.result["chat"]["id"], call.result["message_id"])]

    # -- HTTP --------------------------------------------------------------------------

    def _wake(self) -> None:
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call = Call(method, await _params(request))
        self.calls.append(call)
        self._wake()  # "in flight" is an event too
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            queue = self._faults.get(method.lower())
            if queue:
                fault = queue.popleft()
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.drop:
                    call.status = -1
                    self._wake()
                    if request.transport is not None:
                        request.transport.abort()
                    return web.Response(status=500)
                if fault.status != 200:
                    raise ApiError(fault.status, fault.description, fault.retry_after)
            handler = getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            call.result = await handler(call.params)
        except ApiError as exc:
            call.status = exc.status
            self._wake()
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return web.json_response(body, status=exc.status)
        call.status = 200
        self._wake()
        return web.json_response({"ok": True, "result": call.result})


async def _params(request: web.Request) -> dict[str, Any]:
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query)
    elif request.content_type == "application/json":
        raw = await request.json()
    else:
        raw = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in JSON_FIELDS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif key in INT_FIELDS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        params[key] = value
    return params
