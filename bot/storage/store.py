"""The bot's database: one aiosqlite connection, WAL, and a batched writer.

Question-log rows are queued and written in batches by a background task,
so storage never sits on the reply path. Writes a user is told about
(feedback, /forget, a language change) are awaited until committed.
A storage failure (read-only file, full disk) never stops answering: it is
logged at most once per interval and reported by :attr:`Store.healthy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.models import AskContext, Language, Outcome, Reply, as_language
from bot.domain.stats import CloseCall, MissedQuestion, PickedSuggestion, Stats
from bot.errors import StorageError
from bot.storage.hashing import IdHasher, key_path_for, load_or_create_key
from bot.storage.migrations import LATEST, MIGRATIONS

log = logging.getLogger(__name__)

QUESTION_TEXT_LIMIT = 500  # characters of a missed question kept for curation
_KEEP_TEXT = {Outcome.FALLBACK, Outcome.CLOSE_CALL}


Statement = tuple[str, Sequence[Any]]


@dataclass
class _Write:
    statements: list[Statement]
    done: asyncio.Future[None] | None = None


@dataclass
class _Flush:
    done: asyncio.Future[None]


_STOP = object()


def _utc(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Store:
    def __init__(
        self,
        conn: aiosqlite.Connection,
        hasher: IdHasher,
        *,
        flush_interval: float = 0.2,
        batch_size: int = 500,
        error_log_interval: float = 60.0,
        clock: Callable[[], dt.datetime] | None = None,
        ticker: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` dates rows; ``ticker`` paces the error log (both settable for tests)."""
        self._conn = conn
        self.hash = hasher
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._error_log_interval = error_log_interval
        self._last_error_log = float("-inf")
        self._suppressed_errors = 0
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._ticker = ticker
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._languages: dict[tuple[str, str], Language | None] = {}
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.healthy = True
        self.dropped_rows = 0

    # -- life cycle ----------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, **options: Any) -> Store:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            key = load_or_create_key(key_path_for(path))
            _create_private(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, ValueError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        try:
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await _migrate(conn, path)
        except (sqlite3.Error, StorageError) as exc:
            await conn.close()
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"cannot prepare database {path}: {exc}") from exc
        store = cls(conn, IdHasher(key), **options)
        store.start()
        return store

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name="storage-writer")

    async def close(self) -> None:
        """Write everything queued, then close the connection; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._writer is not None:
                self._queue.put_nowait(_STOP)
                await self._writer
                self._writer = None
        finally:
            await self._conn.close()

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (or failed)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Flush(done))
        await done

    # -- writer --------------------------------------------------------------------

    async def _write_loop(self) -> None:
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
        error: BaseException | None = None
        if writes:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                for sql, rows in _grouped(s for w in writes for s in w.statements):
                    if len(rows) == 1:
                        await self._conn.execute(sql, rows[0])
                    else:
                        await self._conn.executemany(sql, rows)
                await self._conn.execute("COMMIT")
                self.healthy = True
            except (sqlite3.Error, ValueError) as exc:
                error = exc
                self.healthy = False
                self.dropped_rows += sum(len(w.statements) for w in writes if w.done is None)
                with contextlib.suppress(sqlite3.Error):
                    await self._conn.execute("ROLLBACK")
                self._report(exc)
        for item in batch:
            done = item.done if isinstance(item, _Write | _Flush) else None
            if done is None or done.done():
                continue
            if error is not None and isinstance(item, _Write):
                done.set_exception(StorageError(f"write failed: {error}"))
            else:
                done.set_result(None)

    def _report(self, exc: BaseException) -> None:
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

    def _enqueue(self, *statements: Statement) -> None:
        self._queue.put_nowait(_Write(list(statements)))

    async def _write_now(self, *statements: Statement) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Write(list(statements), done))
        await done

    # -- question log (the engine's sink) ------------------------------------------

    def record_question(self, ctx: AskContext, reply: Reply, latency_ms: float) -> None:
        keep_text = reply.outcome in _KEEP_TEXT
        close_call = reply.outcome is Outcome.CLOSE_CALL and bool(reply.id)
        self._enqueue(
            (
                "INSERT INTO questions (asked_at, platform, chat_hash, user_hash, language,"
                " intent, score, outcome, question, latency_ms, reply_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _utc(self._clock()),
                    ctx.platform,
                    self.hash(ctx.platform, "chat", ctx.chat_id),
                    self.hash(ctx.platform, "user", ctx.user_id),
                    reply.language,
                    reply.intent,
                    round(reply.score, 1),
                    reply.outcome.value,
                    reply.question[:QUESTION_TEXT_LIMIT] if keep_text else None,
                    round(latency_ms, 3),
                    reply.id[:16] if close_call else None,
                ),
            )
        )

    # -- per-chat settings ---------------------------------------------------------

    async def chat_language(self, ctx: AskContext) -> Language | None:
        """The chat's /lang setting (cached), or None for the language of each question."""
        chat = self.hash(ctx.platform, "chat", ctx.chat_id)
        if chat is None:
            return None
        key = (ctx.platform, chat)
        if key not in self._languages:
            try:
                async with self._conn.execute(
                    "SELECT language FROM chat_settings WHERE platform = ? AND chat_hash = ?",
                    key,
                ) as cur:
                    row = await cur.fetchone()
            except sqlite3.Error as exc:
                self._report(exc)
                return None
            self._languages[key] = as_language(row[0]) if row else None
        return self._languages[key]

    async def set_chat_language(self, ctx: AskContext, language: Language | None) -> None:
        chat = self.hash(ctx.platform, "chat", ctx.chat_id)
        if chat is None:
            return
        await self._write_now(
            (
                "INSERT INTO chat_settings (platform, chat_hash, language, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (platform, chat_hash)"
                " DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
                (ctx.platform, chat, language, _utc(self._clock())),
            )
        )
        self._languages[(ctx.platform, chat)] = language

    # -- feedback and picks --------------------------------------------------------

    async def record_feedback(
        self, ctx: AskContext, reply_id: str, intent: str, helpful: bool
    ) -> None:
        """Store a 👍/👎; a second tap by the same person on the same reply replaces the first."""
        await self._write_now(
            (
                "INSERT INTO feedback (given_at, platform, chat_hash, user_hash, reply_id,"
                " intent, helpful) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (platform, user_hash, reply_id)"
                " DO UPDATE SET helpful = excluded.helpful, given_at = excluded.given_at",
                (
                    _utc(self._clock()),
                    ctx.platform,
                    self.hash(ctx.platform, "chat", ctx.chat_id),
                    self.hash(ctx.platform, "user", ctx.user_id),
                    reply_id[:64],
                    intent,
                    int(helpful),
                ),
            )
        )

    async def close_call(self, platform: str, reply_id: str) -> CloseCall | None:
        """The close call a "did you mean" button was sent with, from the question log.

        The row may still wait in the write queue (a quick tap): then the queue is
        flushed and the log read once more.
        """
        for attempt in range(2):
            try:
                rows = await self._rows(
                    "SELECT question, language, user_hash FROM questions"
                    " WHERE platform = ? AND reply_id = ? AND question IS NOT NULL"
                    " ORDER BY id DESC LIMIT 1",
                    (platform, reply_id[:16]),
                )
            except sqlite3.Error as exc:
                self._report(exc)
                return None
            if rows:
                question, language, user = rows[0]
                lang = as_language(str(language)) or "de"
                return CloseCall(platform, reply_id, str(question), lang, user)
            if attempt == 0:
                await self.flush()
        return None

    def record_pick_of(self, asked: CloseCall, intent: str) -> None:
        """Someone chose ``intent`` for ``asked``: kept under the asker, a candidate example."""
        self._enqueue(
            (
                "INSERT INTO suggestion_picks (picked_at, platform, user_hash, intent, question)"
                " VALUES (?, ?, ?, ?, ?)",
                (_utc(self._clock()), asked.platform, asked.user_hash, intent, asked.question),
            )
        )

    def record_pick(self, ctx: AskContext, intent: str, question: str) -> None:
        """Someone chose suggestion ``intent`` for ``question``: a candidate example."""
        if not question.strip():
            return
        self._enqueue(
            (
                "INSERT INTO suggestion_picks (picked_at, platform, user_hash, intent, question)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    _utc(self._clock()),
                    ctx.platform,
                    self.hash(ctx.platform, "user", ctx.user_id),
                    intent,
                    question[:QUESTION_TEXT_LIMIT],
                ),
            )
        )

    # -- privacy -------------------------------------------------------------------

    async def forget_user(self, platform: str, user_id: str | int) -> None:
        """Delete every row tied to one user (questions, feedback, picks)."""
        user = self.hash(platform, "user", str(user_id))
        await self._write_now(
            ("DELETE FROM questions WHERE platform = ? AND user_hash = ?", (platform, user)),
            ("DELETE FROM feedback WHERE platform = ? AND user_hash = ?", (platform, user)),
            (
                "DELETE FROM suggestion_picks WHERE platform = ? AND user_hash = ?",
                (platform, user),
            ),
        )

    async def purge(self, older_than_days: int) -> None:
        """Delete log rows older than the retention period."""
        cutoff = _utc(self._clock() - dt.timedelta(days=older_than_days))
        await self._write_now(
            ("DELETE FROM questions WHERE asked_at < ?", (cutoff,)),
            ("DELETE FROM feedback WHERE given_at < ?", (cutoff,)),
            ("DELETE FROM suggestion_picks WHERE picked_at < ?", (cutoff,)),
        )

    async def user_rows(self, platform: str, user_id: str | int) -> int:
        """How many rows are tied to one user (what :meth:`forget_user` would delete)."""
        user = self.hash(platform, "user", str(user_id))
        total = 0
        for table in ("questions", "feedback", "suggestion_picks"):
            rows = await self._rows(
                f"SELECT COUNT(*) FROM {table} WHERE platform = ? AND user_hash = ?",
                (platform, user),
            )
            total += int(rows[0][0])
        return total

    # -- reading -------------------------------------------------------------------

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def missed_questions(self, days: int) -> list[MissedQuestion]:
        """Fallbacks and close calls of the last ``days`` days, oldest first."""
        since = _utc(self._clock() - dt.timedelta(days=days))
        rows = await self._rows(
            "SELECT asked_at, platform, language, outcome, question FROM questions"
            " WHERE asked_at >= ? AND question IS NOT NULL AND outcome IN (?, ?)"
            " ORDER BY asked_at, id",
            (since, Outcome.FALLBACK.value, Outcome.CLOSE_CALL.value),
        )
        return [
            MissedQuestion(str(a), str(p), as_language(str(lang)) or "de", Outcome(o), str(q))
            for a, p, lang, o, q in rows
        ]

    async def suggestion_picks(self, days: int) -> list[PickedSuggestion]:
        """The "did you mean" choices of the last ``days`` days, oldest first."""
        since = _utc(self._clock() - dt.timedelta(days=days))
        rows = await self._rows(
            "SELECT picked_at, platform, intent, question FROM suggestion_picks"
            " WHERE picked_at >= ? ORDER BY picked_at, id",
            (since,),
        )
        return [PickedSuggestion(str(a), str(p), str(i), str(q)) for a, p, i, q in rows]

    async def stats(self, days: int = 7, limit: int = 5) -> Stats:
        since = _utc(self._clock() - dt.timedelta(days=days))
        outcomes = await self._rows(
            "SELECT outcome, COUNT(*) FROM questions WHERE asked_at >= ? GROUP BY outcome",
            (since,),
        )
        by_outcome = {str(o): int(n) for o, n in outcomes}
        by_day = await self._rows(
            "SELECT substr(asked_at, 1, 10) AS day, platform, COUNT(*) FROM questions"
            " WHERE asked_at >= ? GROUP BY day, platform ORDER BY day, platform",
            (since,),
        )
        top = await self._rows(
            "SELECT intent, COUNT(*) AS n FROM questions WHERE asked_at >= ?"
            " AND outcome = 'answered' GROUP BY intent ORDER BY n DESC, intent LIMIT ?",
            (since, limit),
        )
        feedback = await self._rows(
            "SELECT intent, SUM(helpful), SUM(1 - helpful) AS bad FROM feedback"
            " WHERE given_at >= ? GROUP BY intent"
            " ORDER BY CAST(SUM(helpful) AS REAL) / COUNT(*), bad DESC, intent",
            (since,),
        )
        recent = await self._rows(
            "SELECT question FROM questions WHERE asked_at >= ? AND question IS NOT NULL"
            " ORDER BY asked_at DESC, id DESC LIMIT ?",
            (since, limit),
        )
        return Stats(
            days=days,
            total=sum(by_outcome.values()),
            by_outcome=by_outcome,
            by_day=[(str(d), str(p), int(n)) for d, p, n in by_day],
            top_intents=[(str(i), int(n)) for i, n in top],
            feedback=[(str(i), int(g), int(b)) for i, g, b in feedback],
            recent_unanswered=[str(q) for (q,) in recent],
        )


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds missed questions).

    SQLite would create it with the umask's mode (usually 0644); its -wal and -shm
    files copy the database file's mode.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _urgent(item: Any) -> bool:
    """Someone waits for this item: commit without gathering more."""
    return isinstance(item, _Flush) or (isinstance(item, _Write) and item.done is not None)


def _grouped(statements: Any) -> list[tuple[str, list[Sequence[Any]]]]:
    """Consecutive statements with the same SQL become one executemany."""
    groups: list[tuple[str, list[Sequence[Any]]]] = []
    for sql, params in statements:
        if groups and groups[-1][0] == sql:
            groups[-1][1].append(params)
        else:
            groups.append((sql, [params]))
    return groups


async def _migrate(conn: aiosqlite.Connection, path: Path) -> None:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > LATEST:
        raise StorageError(
            f"database {path} has schema version {version}, newer than this bot ({LATEST})"
        )
    for number in range(version + 1, LATEST + 1):
        script = MIGRATIONS[number - 1]
        await conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
        log.info("database migrated to schema version %d", number)
