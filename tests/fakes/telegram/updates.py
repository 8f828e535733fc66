"""Updates as Telegram makes them: users, chats, messages with entities, taps, inline queries.

:meth:`Updates.say`, :meth:`Updates.tap` and :meth:`Updates.inline` build Telegram-shaped
payloads (entities with UTF-16 offsets, ``reply_to_message``) and queue them for
``getUpdates``.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from tests.fakes.telegram.parse_mode import utf16_len

_MENTION = re.compile(r"@[A-Za-z0-9_]{5,32}")


class Updates:
    """Making updates, for :class:`~tests.fakes.telegram.server.FakeTelegram` (a mixin)."""

    messages: dict[tuple[int, int], dict[str, Any]]
    chats: dict[int, dict[str, Any]]
    last_update_id: int
    _pending: list[dict[str, Any]]
    _update_ids: itertools.count[int]
    _message_ids: itertools.count[int]
    _callback_ids: itertools.count[int]

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
            msg["reply_to_message"] = shallow(reply_to)
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


def shallow(message: dict[str, Any]) -> dict[str, Any]:
    """A message as it appears inside another (Telegram does not nest replies)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}
