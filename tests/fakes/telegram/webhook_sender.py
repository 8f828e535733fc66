"""A Telegram-like webhook sender: posts updates to a webhook URL the way Telegram does.

Why: a load test must reproduce Telegram's delivery rules (one update in flight per chat,
retry on non-2xx / timeout / broken connection, the secret-token header) to count lost and
answered-twice questions honestly.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Delivery:
    """What happened to one update: attempts made and whether a 2xx was finally seen."""

    update_id: int
    chat_id: int
    attempts: int = 0
    delivered: bool = False
    errors: list[str] = field(default_factory=list)


class WebhookSender:
    """Posts updates to ``url``; per chat strictly in order, chats in parallel."""

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        timeout: float = 10.0,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
        max_attempts: int = 50,
    ) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self.deliveries: dict[int, Delivery] = {}
        self.order: dict[int, list[int]] = defaultdict(list)  # chat -> update ids as accepted

    async def send_all(self, updates: Iterable[dict[str, Any]]) -> dict[int, Delivery]:
        """Deliver every update; returns the delivery record by update_id."""
        by_chat: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for update in updates:
            by_chat[_chat_of(update)].append(update)
        headers = {SECRET_HEADER: self.secret} if self.secret else {}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            await asyncio.gather(*(self._chat(session, c, u) for c, u in by_chat.items()))
        return self.deliveries

    async def _chat(
        self, session: aiohttp.ClientSession, chat_id: int, updates: list[dict[str, Any]]
    ) -> None:
        for update in updates:  # one in flight per chat: the next waits for a 2xx
            record = Delivery(update["update_id"], chat_id)
            self.deliveries[record.update_id] = record
            await self._deliver(session, update, record)

    async def _deliver(
        self, session: aiohttp.ClientSession, update: dict[str, Any], record: Delivery
    ) -> None:
        delay = self.backoff
        while record.attempts < self.max_attempts:
            record.attempts += 1
            try:
                async with session.post(self.url, json=update) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        record.delivered = True
                        self.order[record.chat_id].append(record.update_id)
                        return
                    record.errors.append(f"HTTP {response.status}")
            except (TimeoutError, aiohttp.ClientError) as exc:
                record.errors.append(type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)


def _chat_of(update: dict[str, Any]) -> int:
    for key in ("message", "edited_message", "callback_query"):
        if key in update:
            body = update[key]
            message = body.get("message", body)
            return int(message["chat"]["id"])
    return 0


def reply_tally(sent: Iterable[Any]) -> dict[tuple[int, int], int]:
    """Count replies by (chat_id, reply_to_message_id) from the fake's sendMessage log."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for call in sent:
        params = call.params
        reply_to = params.get("reply_to_message_id")
        if reply_to is None:
            reply_to = (params.get("reply_parameters") or {}).get("message_id")
        if reply_to is not None:
            counts[(int(params["chat_id"]), int(reply_to))] += 1
    return counts


def lost_and_twice(
    asked: Iterable[tuple[int, int]], tally: dict[tuple[int, int], int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Questions (chat, message_id) never answered, and those answered more than once."""
    asked = list(asked)
    return [q for q in asked if tally.get(q, 0) == 0], [q for q in asked if tally.get(q, 0) > 1]
