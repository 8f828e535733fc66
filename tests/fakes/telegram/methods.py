"""The Bot API methods the fake serves, each checked where Telegram's checks matter to us."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from typing import Any

from tests.fakes.telegram.parse_mode import ApiError, visible
from tests.fakes.telegram.updates import shallow

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class BotApi:
    """The ``_api_<method>`` handlers of :class:`~tests.fakes.telegram.server.FakeTelegram`
    (a mixin): one per Bot API method, given the call's decoded parameters."""

    bot: dict[str, Any]
    webhook: dict[str, Any]
    commands: dict[str, list[dict[str, str]]]
    messages: dict[tuple[int, int], dict[str, Any]]
    chats: dict[int, dict[str, Any]]
    _pending: list[dict[str, Any]]
    _message_ids: itertools.count[int]
    _waiters: set[asyncio.Future[None]]
    _closing: bool

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
            msg["reply_to_message"] = shallow(self.messages[(chat_id, int(reply_to))])
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
