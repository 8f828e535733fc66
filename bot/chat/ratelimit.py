"""Flood control shared by the adapters: per-user and per-chat limits.

Over the limit, the first refused message in a window gets one polite notice
(``Verdict.NOTIFY``); everything after that is ignored silently
(``Verdict.SILENT``) until the window has room again.

:class:`FloodGate` keeps sliding windows in this process (SQLite, one process: the
default). :class:`SharedFloodGate` counts in the shared database instead, so the
limits hold across replicas (PostgreSQL); both answer :meth:`verdict`.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from bot.errors import StorageError

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"
    SILENT = "silent"


@dataclass(frozen=True)
class Rate:
    """``count`` events per ``seconds``; parsed from "5/60", "5/1m", "100/1h"."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        found = _RATE.match(text)
        if not found:
            raise ValueError("must look like COUNT/SECONDS, e.g. 5/60 or 20/1m")
        count, amount, unit = int(found[1]), float(found[2]), found[3] or "s"
        seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
        if count < 1 or seconds <= 0:
            raise ValueError("count and period must be positive")
        return cls(count, seconds)

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}s"


class _Window:
    __slots__ = ("events", "notified")

    def __init__(self) -> None:
        self.events: deque[float] = deque()
        self.notified = False


class FloodGate:
    def __init__(
        self, per_user: Rate, per_chat: Rate, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_user = per_user
        self.per_chat = per_chat
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._last_sweep = clock()

    async def verdict(self, platform: str, chat_id: object, user_id: object) -> Verdict:
        """Record one message and say whether to answer it (the chat service's call)."""
        return self.check(platform, chat_id, user_id)

    def check(self, platform: str, chat_id: object, user_id: object) -> Verdict:
        """Record one message and say whether to answer it."""
        now = self._clock()
        self._sweep(now)
        keys = [(f"{platform}:user", str(user_id), self.per_user)]
        if chat_id is not None and chat_id != user_id:
            keys.append((f"{platform}:chat", str(chat_id), self.per_chat))
        windows = []
        for kind, ident, rate in keys:
            window = self._windows.setdefault((kind, ident), _Window())
            while window.events and now - window.events[0] >= rate.seconds:
                window.events.popleft()
            if not window.events:
                window.notified = False
            windows.append((window, rate))
        over = [w for w, rate in windows if len(w.events) >= rate.count]
        if not over:
            for window, _ in windows:
                window.events.append(now)
            return Verdict.ALLOW
        if any(not w.notified for w in over):
            for window in over:
                window.notified = True
            return Verdict.NOTIFY
        return Verdict.SILENT

    def _sweep(self, now: float) -> None:
        """Forget idle windows so memory stays bounded."""
        horizon = max(self.per_user.seconds, self.per_chat.seconds)
        if now - self._last_sweep < horizon:
            return
        self._last_sweep = now
        stale = [
            k for k, w in self._windows.items() if not w.events or now - w.events[-1] >= horizon
        ]
        for key in stale:
            del self._windows[key]


class HitCounter(Protocol):
    """Atomic hit counts per key and fixed window (bot.storage.Store.count_hit)."""

    async def count_hit(self, platform: str, kind: str, raw_id: object, seconds: float) -> int: ...


class SharedFloodGate:
    """The same limits, counted in the shared database so they hold across replicas.

    Windows are fixed (aligned to the epoch, like a Redis ``INCR`` per window) rather
    than sliding: each window of ``seconds`` admits ``count`` messages per user and per
    chat, whichever replica takes them; a burst across a window's end may get up to
    twice that. A message its sender may not send does not count for the chat (a
    flooder fills only his own window); one the chat refuses still counts for its
    sender, until the window ends. While the database fails, this replica's own
    :class:`FloodGate` decides (the limits then hold per replica) and the database is
    tried again after ``retry_seconds``, so an outage never stops answering nor slows
    every message.
    """

    def __init__(
        self,
        per_user: Rate,
        per_chat: Rate,
        counter: HitCounter,
        *,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_user = per_user
        self.per_chat = per_chat
        self._counter = counter
        self._local = FloodGate(per_user, per_chat, clock)
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._retry_at = float("-inf")

    async def verdict(self, platform: str, chat_id: object, user_id: object) -> Verdict:
        if self._clock() < self._retry_at:
            return self._local.check(platform, chat_id, user_id)
        try:
            hits = await self._counter.count_hit(platform, "user", user_id, self.per_user.seconds)
            if hits <= self.per_user.count and chat_id is not None and chat_id != user_id:
                # Only a message its sender may send counts for the chat: a flooder
                # fills his own window, not the group's.
                rate = self.per_chat
                hits = await self._counter.count_hit(platform, "chat", chat_id, rate.seconds)
            else:
                rate = self.per_user
        except StorageError:  # logged by the store, once per interval
            self._retry_at = self._clock() + self._retry_seconds
            return self._local.check(platform, chat_id, user_id)
        if hits <= rate.count:
            return Verdict.ALLOW
        # The first refused message in this window gets the notice.
        return Verdict.NOTIFY if hits == rate.count + 1 else Verdict.SILENT


class NoLimit:
    """The console's gate: one person at their own terminal floods nobody."""

    async def verdict(self, platform: str, chat_id: object, user_id: object) -> Verdict:
        return Verdict.ALLOW
