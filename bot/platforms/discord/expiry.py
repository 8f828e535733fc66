"""Grey out answer buttons after a while, with one timer for all answers.

A discord.py ``View`` with a timeout keeps its own timer task, its button
objects and (through the edit it needs) the whole sent message alive until it
fires: about 40 objects and 7 KB per answer for ten minutes, which under load
meant 7 MB per 1,000 answers and garbage-collection pauses of 200 ms and more.
Every answer's buttons expire after the same delay, so a first-in-first-out
queue read by one task does the same job while keeping only ids per answer.

Expiry is cosmetic: a click on an old button still works (the dynamic item
reads everything from its ``custom_id``). So when more than ``limit`` answers
wait, the oldest are dropped rather than memory growing, and on shutdown the
queue is simply abandoned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.platforms.discord.render import NO_MENTIONS, ButtonSpec
from bot.platforms.discord.views import button_view

log = logging.getLogger(__name__)

PENDING_LIMIT = 10_000  # answers waiting to expire: well under 10 MB
CONCURRENT_EDITS = 4  # a channel's rate limit must not hold up every other edit


@dataclass(frozen=True, slots=True)
class _Due:
    at: float  # time.monotonic() when the buttons expire
    message_id: int
    channel_id: int | None  # a message the bot sent in a channel
    token: str | None  # or one answering an interaction: edited through its webhook
    buttons: tuple[ButtonSpec, ...]


class ButtonExpiry:
    def __init__(
        self, client: discord.Client, timeout: float, *, limit: int = PENDING_LIMIT
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.limit = limit
        self.dropped = 0
        self._queue: deque[_Due] = deque()
        # The newest entry per message: a "did you mean" edited into an answer is queued
        # again with the answer's buttons, and only those may be greyed out later.
        self._newest: dict[int, _Due] = {}
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(CONCURRENT_EDITS)
        self._edits: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._closed = False

    def __len__(self) -> int:
        return len(self._queue)

    def channel_message(
        self, channel_id: int, message_id: int, buttons: Sequence[ButtonSpec]
    ) -> None:
        """Expire the buttons of a message sent with ``channel.send``."""
        self._add(_Due(self._deadline(), message_id, channel_id, None, tuple(buttons)))

    def interaction_message(
        self, token: str, message_id: int, buttons: Sequence[ButtonSpec]
    ) -> None:
        """Expire the buttons of an interaction's response or follow-up."""
        self._add(_Due(self._deadline(), message_id, None, token, tuple(buttons)))

    async def close(self) -> None:
        """Stop the timer and any edit in progress; what is still queued stays enabled."""
        self._closed = True
        self._queue.clear()
        self._newest.clear()
        tasks = [t for t in (self._runner, *self._edits) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- internals -----------------------------------------------------------------

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout

    def _add(self, due: _Due) -> None:
        if self._closed or not due.buttons:
            return
        if len(self._queue) >= self.limit:
            old = self._queue.popleft()
            if self._newest.get(old.message_id) is old:
                del self._newest[old.message_id]
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.info("%d answers keep their buttons enabled: too many waiting", self.dropped)
        self._queue.append(due)
        self._newest[due.message_id] = due
        self._wake.set()
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="discord-button-expiry")

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            delay = self._queue[0].at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue  # the head may have been dropped meanwhile
            due = self._queue.popleft()
            if self._newest.get(due.message_id) is not due:
                continue  # the message was edited since: its newer buttons expire later
            del self._newest[due.message_id]
            await self._slots.acquire()
            task = asyncio.create_task(self._disable(due))
            self._edits.add(task)
            task.add_done_callback(self._edits.discard)

    async def _disable(self, due: _Due) -> None:
        try:
            view = button_view(due.buttons, disabled=True)
            if due.token is not None:
                app_id = self.client.application_id
                if app_id is None:
                    return
                hook = discord.Webhook.partial(app_id, due.token, client=self.client)
                await hook.edit_message(due.message_id, view=view, allowed_mentions=NO_MENTIONS)
            elif due.channel_id is not None:
                channel = self.client.get_partial_messageable(due.channel_id)
                message = channel.get_partial_message(due.message_id)
                await message.edit(view=view, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            # Deleted message, expired token, missing access: the buttons just stay.
            log.info("could not disable expired buttons: %s %s", exc.status, exc.text[:200])
        except Exception:
            log.exception("could not disable expired buttons")
        finally:
            self._slots.release()
