"""Long polling that never takes more updates from Telegram than it can answer on the way out.

PTB's own ``Updater`` fetches as fast as Telegram delivers, puts everything in
an unbounded queue and confirms it (the next ``getUpdates`` offset) before the
handlers have run. With a backlog, a SIGTERM then loses every update that was
confirmed but not yet answered: measured, everything past about 240, the
number Telegram's 30 messages/s let through in the shutdown grace.

Here the updates fetched but not yet handled are capped at ``window``:
``getUpdates`` asks for at most the free room, and waits while there is none.
The rest stays with Telegram, which delivers it again to the next start. On
stop the fetch in progress is abandoned (its updates were not confirmed, so
Telegram keeps them), and what was taken is confirmed once it has been handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

log = logging.getLogger(__name__)

MAX_BATCH = 100  # Telegram's limit for getUpdates
MAX_BACKOFF = 30.0


class UpdateQueue(asyncio.Queue[object]):
    """PTB's update queue, counting the updates that are taken but not yet handled.

    PTB calls ``task_done()`` once an update's handlers have finished (that is
    what ``Application.stop()`` waits for), so ``in_hand`` counts exactly the
    updates a shutdown has to finish.
    """

    def __init__(self) -> None:
        super().__init__()
        self.in_hand = 0
        self._changed = asyncio.Event()

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self.in_hand += 1

    def task_done(self) -> None:
        super().task_done()
        self.in_hand -= 1
        self._changed.set()

    async def below(self, limit: int) -> None:
        """Return once fewer than ``limit`` updates are in hand."""
        while self.in_hand >= limit:
            self._changed.clear()
            await self._changed.wait()

    async def handled(self, within: float) -> bool:
        """Wait up to ``within`` seconds for every update in hand to be handled."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.below(1)
        return self.in_hand == 0


class Poller:
    def __init__(
        self,
        bot: Bot,
        queue: UpdateQueue,
        *,
        window: int,
        timeout: float,
        allowed_updates: Sequence[str],
        on_error: Callable[[TelegramError], None],
    ) -> None:
        self.bot = bot
        self.queue = queue
        self.window = window
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.on_error = on_error
        self._offset = 0  # the next update id wanted; everything below is taken
        self._confirmed = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop fetching. A long poll in progress is abandoned: Telegram keeps its updates."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def confirm(self) -> None:
        """Tell Telegram that every update taken is done with, so none comes again."""
        if self._offset <= self._confirmed:
            return
        try:
            await self.bot.get_updates(
                offset=self._offset,
                limit=1,
                timeout=dt.timedelta(0),
                allowed_updates=self.allowed_updates,
            )
            self._confirmed = self._offset
        except TelegramError as exc:
            # They come again after a restart, and are answered a second time.
            log.warning("Telegram: could not confirm the last updates taken: %s", exc)

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            await self.queue.below(self.window)
            room = min(MAX_BATCH, self.window - self.queue.in_hand)
            try:
                updates = await self.bot.get_updates(
                    offset=self._offset,
                    limit=room,
                    timeout=dt.timedelta(seconds=self.timeout),
                    allowed_updates=self.allowed_updates,
                )
            except Exception as exc:
                wait, backoff = self._pause(exc, backoff)
                await asyncio.sleep(wait)
                continue
            backoff = 1.0
            self._confirmed = self._offset  # asking from _offset confirmed all below it
            self._take(updates)

    def _pause(self, exc: Exception, backoff: float) -> tuple[float, float]:
        """Report a failed getUpdates: how long to wait now, and the back-off after that."""
        if not isinstance(exc, TelegramError):
            log.exception("Telegram: getUpdates returned something unusable; retrying")
        else:
            self.on_error(exc)
            if isinstance(exc, RetryAfter):
                return _seconds(exc.retry_after), backoff  # Telegram said how long
            if isinstance(exc, InvalidToken | Conflict):
                return MAX_BACKOFF, MAX_BACKOFF  # someone else's move: no point in hurrying
        return backoff, min(backoff * 2, MAX_BACKOFF)

    def _take(self, updates: Sequence[Update]) -> None:
        """Queue new updates in one go: a stop can never come between two of them."""
        for update in updates:
            if update.update_id >= self._offset:
                self.queue.put_nowait(update)
                self._offset = update.update_id + 1


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
