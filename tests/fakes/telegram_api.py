"""A fake Telegram Bot API server (aiohttp, 127.0.0.1) for end-to-end tests of the real client.

python-telegram-bot talks to it over real HTTP (``base_url``). It serves the methods the
adapter uses, validates what Telegram validates where it matters for us (HTML parse mode,
the 4096-character limit, command names), records every call with its decoded
parameters, and can inject faults (HTTP errors such as ``429`` with ``retry_after``,
dropped connections, delays) and go away and come back on the same port.

Updates are made with :meth:`FakeTelegram.say`, :meth:`FakeTelegram.tap` and
:meth:`FakeTelegram.inline`, which build Telegram-shaped payloads (entities with UTF-16
offsets, ``reply_to_message``) and queue them for ``getUpdates``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
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

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmn"
BOT_ID = 123456789
BOT_USERNAME = "DeepSeekFaqBot"
MAX_TEXT = 4096

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

_TAG = re.compile(r'<(/?)([a-z][a-z-]*)((?:\s+[a-z-]+="[^"<>]*")*)\s*>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_MENTION = re.compile(r"@[A-Za-z0-9_]{5,32}")


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Apply Telegram's HTML parse-mode rules; return the visible text or raise ApiError(400).

    Stricter than Telegram where Telegram is lenient: every ``<``, ``>`` and ``&`` that is
    not part of a supported tag or entity is an error, so unescaped input cannot slip by.
    """
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            found = _TAG.match(text, i)
            if not found or found[2] not in _ALLOWED_TAGS:
                raise ApiError(400, f"Bad Request: can't parse entities: unsupported tag at {i}")
            closing, name, attrs = found[1], found[2], found[3]
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(400, f"Bad Request: can't parse entities: unexpected </{name}>")
                stack.pop()
            else:
                if name == "a" and 'href="' not in attrs:
                    raise ApiError(400, "Bad Request: can't parse entities: <a> without href")
                stack.append(name)
            i = found.end()
        elif char == "&":
            found = _ENTITY.match(text, i)
            if not found:
                raise ApiError(400, f"Bad Request: can't parse entities: bare & at {i}")
            out.append(html.unescape(found[0]))
            i = found.end()
        elif char == ">":
            raise ApiError(400, f"Bad Request: can't parse entities: bare > at {i}")
        else:
            out.append(char)
            i += 1
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed <{stack[-1]}>")
    return "".join(out)


def visible(text: str, parse_mode: str | None) -> str:
    """The text a user would see, validated like the Bot API does."""
    shown = parse_html(text) if parse_mode == "HTML" else text
    if not shown.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(shown) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return shown


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


class FakeTelegram:
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

    # -- making updates ----------------------------------------------------------------

    @staticmethod
    def user(
        user_id: int = 1001,
        first_name: str = "Ada",
        language_code: str | None = "de",
        username: str | None = None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        return user

    @staticmethod
    def group(
        chat_id: int = -1001234567890, title: str = "DeepSeek-Runde", kind: str = "supergroup"
    ) -> dict[str, Any]:
        return {"id": chat_id, "type": kind, "title": title}

    def say(
        self,
        text: str,
        *,
        user: dict[str, Any] | None = None,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user sends ``text``; entities are computed like Telegram does. Returns the message.

        ``extra`` adds message fields (``via_bot``, ``message_thread_id``, ...).
        """
        user = user or self.user()
        if chat is None:
            chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.chats[chat["id"]] = chat
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        entities = _entities(text)
        if entities:
            msg["entities"] = entities
        if reply_to is not None:
            msg["reply_to_message"] = _shallow(reply_to)
        msg.update(extra or {})
        self.messages[(chat["id"], msg["message_id"])] = msg
        self.push({"message": msg})
        return msg

    def tap(self, message: dict[str, Any], data: str, *, user: dict[str, Any] | None = None) -> str:
        """A user taps an inline button with ``data`` under ``message``; returns the query id."""
        query_id = f"cbq{next(self._callback_ids)}"
        current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user or self.user(),
                    "chat_instance": "42",
                    "data": data,
                    "message": current,
                }
            }
        )
        return query_id

    def inline(self, query: str, *, user: dict[str, Any] | None = None) -> str:
        query_id = f"iq{next(self._callback_ids)}"
        self.push(
            {
                "inline_query": {
                    "id": query_id,
                    "from": user or self.user(),
                    "query": query,
                    "offset": "",
                }
            }
        )
        return query_id

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self._pending.append(update)
        self.last_update_id = max(self.last_update_id, int(update["update_id"]))
        self._wake()
        return update

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

    # -- Bot API methods ---------------------------------------------------------------

    async def _api_getme(self, params: dict[str, Any]) -> Any:
        return self.bot

    async def _api_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not _COMMAND.match(command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[params.get("language_code", "")] = commands
        return True

    async def _api_deletemycommands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(params.get("language_code", ""), None)
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = dict(params)
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def _api_getupdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = self._pending[:limit]
            remaining = deadline - loop.time()
            if ready or self._closing or remaining <= 0:
                return ready
            waiter = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                self._waiters.discard(waiter)

    async def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        shown = visible(str(params.get("text", "")), params.get("parse_mode"))
        chat = self.chats.get(chat_id) or {
            "id": chat_id,
            "type": "private" if chat_id > 0 else "supergroup",
        }
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": {k: v for k, v in self.bot.items() if k in ("id", "is_bot", "first_name")}
            | {"username": self.bot["username"]},
            "chat": chat,
            "date": int(time.time()),
            "text": shown,
        }
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        if reply_to is not None and (chat_id, int(reply_to)) in self.messages:
            msg["reply_to_message"] = _shallow(self.messages[(chat_id, int(reply_to))])
        elif reply_to is not None and not params["reply_parameters"].get(
            "allow_sending_without_reply"
        ):
            raise ApiError(400, "Bad Request: message to be replied not found")
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, msg["message_id"])] = msg
        return msg

    async def _api_editmessagetext(self, params: dict[str, Any]) -> Any:
        shown = visible(str(params.get("text", "")), params.get("parse_mode"))
        if params.get("inline_message_id"):
            return True
        key = (int(params["chat_id"]), int(params["message_id"]))
        msg = self.messages.get(key)
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if msg.get("text") == shown and msg.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        msg["text"] = shown
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        return msg

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_answerinlinequery(self, params: dict[str, Any]) -> Any:
        results = params.get("results") or []
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        if len({r.get("id") for r in results}) != len(results):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            content = result.get("input_message_content") or {}
            visible(str(content.get("message_text", "")), content.get("parse_mode"))
        return True

    async def _api_sendchataction(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_logout(self, params: dict[str, Any]) -> Any:
        return True


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


def _entities(text: str) -> list[dict[str, Any]]:
    """bot_command at the start and @mentions, with UTF-16 offsets like Telegram."""
    entities = []
    if text.startswith("/"):
        word = text.split(maxsplit=1)[0]
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(word)})
    for found in _MENTION.finditer(text):
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: found.start()]),
                "length": utf16_len(found[0]),
            }
        )
    return entities


def _shallow(message: dict[str, Any]) -> dict[str, Any]:
    """A message as it appears inside another (Telegram does not nest replies)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


async def _serve_forever(port: int) -> None:
    """Stand-alone mode for checks outside pytest (the container check in .ci/run)."""
    fake = FakeTelegram(port=port)
    await fake.start()
    print(f"fake Bot API on {fake.base_url} (token {TOKEN})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


if __name__ == "__main__":
    import sys

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
