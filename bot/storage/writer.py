"""The store's writer: one background task commits queued statements in batches.

Question-log rows are queued and written in batches, so storage never sits on the
reply path. Writes a user is told about are awaited until committed. A failure (a
read-only file, a full disk, a database server away) never stops answering: the
batch is rolled back, logged at most once per interval (with a count of what was
held back), and :attr:`BatchWriter.healthy` says so until a write succeeds again.
Written once for both backends: the driver only runs the SQL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import StorageError
from bot.storage.driver import Driver, Statement, grouped

log = logging.getLogger(__name__)


@dataclass
class _Write:
    statements: list[Statement]
    done: asyncio.Future[None] | None = None


@dataclass
class _Flush:
    done: asyncio.Future[None]


_STOP = object()


class BatchWriter:
    def __init__(
        self,
        driver: Driver,
        *,
        flush_interval: float = 0.2,
        batch_size: int = 500,
        error_log_interval: float = 60.0,
        ticker: Callable[[], float] = time.monotonic,
    ) -> None:
        """``ticker`` paces the error log (settable for tests)."""
        self._driver = driver
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._error_log_interval = error_log_interval
        self._last_error_log = float("-inf")
        self._suppressed_errors = 0
        self._ticker = ticker
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.healthy = True
        self.dropped_rows = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="storage-writer")

    async def stop(self) -> None:
        """Commit everything queued, then end the task."""
        if self._task is not None:
            self._queue.put_nowait(_STOP)
            await self._task
            self._task = None

    def enqueue(self, *statements: Statement) -> None:
        """Queue statements to be committed with the next batch (nobody waits for them)."""
        self._queue.put_nowait(_Write(list(statements)))

    async def write_now(self, *statements: Statement) -> None:
        """Commit statements in one transaction before returning; StorageError if it failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Write(list(statements), done))
        await done

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (or failed)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Flush(done))
        await done

    def succeeded(self) -> None:
        """A write outside the batches (a claim, a flood counter) was committed."""
        self.healthy = True

    def failed(self, exc: BaseException) -> None:
        """A write failed: unhealthy, and logged unless one was logged within the interval."""
        self.healthy = False
        now = self._ticker()
        if now - self._last_error_log >= self._error_log_interval:
            extra = (
                f" ({self._suppressed_errors} more since last report)"
                if self._suppressed_errors
                else ""
            )
            log.error("storage write failed, answering goes on: %s%s", exc, extra)
            self._last_error_log = now
            self._suppressed_errors = 0
        else:
            self._suppressed_errors += 1

    def report(self, exc: BaseException) -> None:
        """A read failed: logged like a write failure (once per interval), health unchanged."""
        healthy = self.healthy
        self.failed(exc)
        self.healthy = healthy

    # -- the task ------------------------------------------------------------------

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            item = await self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            deadline = loop.time() + self._flush_interval
            while len(batch) < self._batch_size and not _urgent(batch[-1]):
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    timeout = deadline - loop.time()
                    if timeout <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), timeout)
                    except TimeoutError:
                        break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            await self._commit(batch)
        # Drain what arrived before the stop.
        rest = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not _STOP:
                rest.append(item)
        if rest:
            await self._commit(rest)

    async def _commit(self, batch: list[Any]) -> None:
        writes = [w for w in batch if isinstance(w, _Write)]
        error: StorageError | None = None
        if writes:
            try:
                await self._driver.execute(grouped([s for w in writes for s in w.statements]))
                self.healthy = True
            except StorageError as exc:
                error = exc
                self.dropped_rows += sum(len(w.statements) for w in writes if w.done is None)
                self.failed(exc)
        for item in batch:
            done = item.done if isinstance(item, _Write | _Flush) else None
            if done is None or done.done():
                continue
            if error is not None and isinstance(item, _Write):
                done.set_exception(StorageError(f"write failed: {error}"))
            else:
                done.set_result(None)


def _urgent(item: Any) -> bool:
    """Someone waits for this item: commit without gathering more."""
    return isinstance(item, _Flush) or (isinstance(item, _Write) and item.done is not None)
