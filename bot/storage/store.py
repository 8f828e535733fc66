"""The bot's data, on either backend: question log, feedback, chat settings, and what
several replicas share (claimed updates, flood counters); ids only as keyed hashes.

Everything the bot does with its data lives here once; a :class:`Driver` runs the SQL
on SQLite (the default, one file) or PostgreSQL (``DATABASE_URL``, for replicas).
Question-log rows go through the batching :class:`BatchWriter`; writes a user is
told about (feedback, /forget, a language change) are awaited until committed. A
storage failure never stops answering: it is logged at most once per interval and
reported by :attr:`Store.healthy`; reads and the few direct writes raise
:class:`StorageError`, which the chat service answers with an apology.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.domain.models import AskContext, Language, Outcome, Reply, as_language
from bot.domain.stats import CloseCall, MissedQuestion, PickedSuggestion, Stats
from bot.errors import StorageError
from bot.storage.driver import Driver, Params, Row, Statement
from bot.storage.hashing import IdHasher, key_path_for, load_or_create_key, read_key_file
from bot.storage.writer import BatchWriter

QUESTION_TEXT_LIMIT = 500  # characters of a missed question kept for curation
CLAIM_KEEP_DAYS = 2  # Telegram keeps an undelivered update for 24 hours at most
_KEEP_TEXT = {Outcome.FALLBACK, Outcome.CLOSE_CALL}


def _utc(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Store:
    def __init__(
        self,
        driver: Driver,
        hasher: IdHasher,
        *,
        flush_interval: float = 0.2,
        batch_size: int = 500,
        error_log_interval: float = 60.0,
        clock: Callable[[], dt.datetime] | None = None,
        ticker: Callable[[], float] = time.monotonic,
        language_cache_seconds: float | None = None,
    ) -> None:
        """``clock`` dates rows and places flood windows; ``ticker`` paces the error log
        and the language cache (both settable for tests). ``language_cache_seconds``:
        how long a chat's /lang setting is remembered (None: until changed here, right for
        one process; with replicas another one may change it)."""
        self.driver = driver
        self.hash = hasher
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._ticker = ticker
        self._writer = BatchWriter(
            driver,
            flush_interval=flush_interval,
            batch_size=batch_size,
            error_log_interval=error_log_interval,
            ticker=ticker,
        )
        self._language_ttl = language_cache_seconds
        self._languages: dict[tuple[str, str], tuple[Language | None, float]] = {}
        self._closed = False

    # -- life cycle ----------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, *, key_file: Path | None = None, **options: Any) -> Store:
        """SQLite at ``path``, migrated. Ids are hashed with ``key_file`` (HASH_KEY_FILE,
        which must exist) or else with ``<path>.key``, created on first start."""
        from bot.storage.sqlite import SqliteDriver

        path = Path(path)
        try:
            if key_file is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                key = load_or_create_key(key_path_for(path))
            else:
                key = read_key_file(key_file)
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        return cls._started(await SqliteDriver.open(path), key, options)

    @classmethod
    async def open_postgres(
        cls,
        url: str,
        *,
        key_file: Path,
        pool_size: int = 10,
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
        **options: Any,
    ) -> Store:
        """PostgreSQL at ``url`` (migrated under an advisory lock); ids hashed with
        ``key_file``, the same file for every replica."""
        from bot.storage.postgres import PostgresDriver

        try:
            key = read_key_file(key_file)
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        driver = await PostgresDriver.open(
            url,
            pool_size=pool_size,
            connect_timeout=connect_timeout,
            command_timeout=command_timeout,
        )
        options.setdefault("language_cache_seconds", 5.0)
        return cls._started(driver, key, options)

    @classmethod
    def _started(cls, driver: Driver, key: bytes, options: dict[str, Any]) -> Store:
        store = cls(driver, IdHasher(key), **options)
        store.start()
        return store

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.driver.backend

    @property
    def healthy(self) -> bool:
        """False since a write failed, until one succeeds again."""
        return self._writer.healthy

    @property
    def dropped_rows(self) -> int:
        """Queued rows lost to failed batches (nobody waited for them)."""
        return self._writer.dropped_rows

    def start(self) -> None:
        self._writer.start()

    async def close(self) -> None:
        """Write everything queued, then close the connection; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._writer.stop()
        finally:
            await self.driver.close()

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (or failed)."""
        await self._writer.flush()

    def _enqueue(self, *statements: Statement) -> None:
        self._writer.enqueue(*statements)

    async def _write_now(self, *statements: Statement) -> None:
        await self._writer.write_now(*statements)

    async def _write_returning(self, sql: str, params: Params) -> list[Row]:
        """One atomic statement whose answer someone waits for, outside the batches."""
        try:
            rows = await self.driver.fetch(sql, params)
        except StorageError as exc:
            self._writer.failed(exc)
            raise
        self._writer.succeeded()
        return rows

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self.driver.fetch(sql, params)

    # -- question log (the engine's sink) ------------------------------------------

    def record_question(self, ctx: AskContext, reply: Reply, latency_ms: float) -> None:
        """Queue one question-log row; the same platform event (``ctx.event_id``)
        delivered again, to this replica or another, keeps the one row."""
        keep_text = reply.outcome in _KEEP_TEXT
        close_call = reply.outcome is Outcome.CLOSE_CALL and bool(reply.id)
        self._enqueue(
            (
                "INSERT INTO questions (asked_at, platform, chat_hash, user_hash, language,"
                " intent, score, outcome, question, latency_ms, reply_id, event_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
                    None if ctx.event_id is None else str(ctx.event_id)[:64],
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
        cached = self._languages.get(key)
        now = self._ticker()
        if cached is not None and (self._language_ttl is None or now < cached[1]):
            return cached[0]
        try:
            rows = await self._rows(
                "SELECT language FROM chat_settings WHERE platform = ? AND chat_hash = ?", key
            )
        except StorageError as exc:
            self._writer.report(exc)
            return None
        language = as_language(rows[0][0]) if rows else None
        self._remember_language(key, language)
        return language

    def _remember_language(self, key: tuple[str, str], language: Language | None) -> None:
        ttl = self._language_ttl
        self._languages[key] = (language, float("inf") if ttl is None else self._ticker() + ttl)
        if len(self._languages) > 50_000:  # bounded: forget the oldest half
            for old in list(self._languages)[:25_000]:
                del self._languages[old]

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
        self._remember_language((ctx.platform, chat), language)

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
            except StorageError as exc:
                self._writer.report(exc)
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
        """Delete every row tied to one user (questions, feedback, picks, flood counters)."""
        user = self.hash(platform, "user", str(user_id))
        await self._write_now(
            ("DELETE FROM questions WHERE platform = ? AND user_hash = ?", (platform, user)),
            ("DELETE FROM feedback WHERE platform = ? AND user_hash = ?", (platform, user)),
            (
                "DELETE FROM suggestion_picks WHERE platform = ? AND user_hash = ?",
                (platform, user),
            ),
            ("DELETE FROM flood_hits WHERE key LIKE ?", (f"{platform}:user:{user}:%",)),
        )

    async def purge(self, older_than_days: int) -> None:
        """Delete log rows older than the retention period, update claims older than
        :data:`CLAIM_KEEP_DAYS` (or the retention, if shorter) and ended flood windows."""
        now = self._clock()
        cutoff = _utc(now - dt.timedelta(days=older_than_days))
        claims = _utc(now - dt.timedelta(days=min(older_than_days, CLAIM_KEEP_DAYS)))
        await self._write_now(
            ("DELETE FROM questions WHERE asked_at < ?", (cutoff,)),
            ("DELETE FROM feedback WHERE given_at < ?", (cutoff,)),
            ("DELETE FROM suggestion_picks WHERE picked_at < ?", (cutoff,)),
            ("DELETE FROM update_claims WHERE claimed_at < ?", (claims,)),
            ("DELETE FROM flood_hits WHERE expires_at < ?", (_utc(now),)),
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

    # -- what replicas share ---------------------------------------------------------

    async def claim_update(self, platform: str, update_id: str | int) -> bool:
        """Record that a platform update (e.g. a Telegram ``update_id``) is being handled:
        True for the first claim, False if this or another replica claimed it before.

        Atomic: of any number of replicas claiming one update at once, exactly one gets
        True. Raises StorageError when the database fails (logged once per interval);
        the caller chooses between a possible duplicate and a possible loss.
        """
        rows = await self._write_returning(
            "INSERT INTO update_claims (platform, update_id, claimed_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING 1",
            (platform, str(update_id)[:64], _utc(self._clock())),
        )
        return bool(rows)

    async def count_hit(self, platform: str, kind: str, raw_id: object, seconds: float) -> int:
        """Count one hit for a user or chat (``kind``; the id is hashed) in the current
        fixed window of ``seconds`` and return the hits in that window, this one included.

        Windows are aligned to the epoch on the store's clock; the count is atomic, so
        replicas counting the same key together never both see the same number. Raises
        StorageError when the database fails (logged once per interval).
        """
        hashed = self.hash(platform, kind, str(raw_id))
        now = self._clock().timestamp()
        bucket = int(now // seconds)
        ends = dt.datetime.fromtimestamp((bucket + 1) * seconds, dt.UTC)
        rows = await self._write_returning(
            "INSERT INTO flood_hits (key, bucket, expires_at, hits) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (key, bucket) DO UPDATE SET hits = flood_hits.hits + 1"
            " RETURNING hits",
            (f"{platform}:{kind}:{hashed}:{seconds:g}", bucket, _utc(ends)),
        )
        return int(rows[0][0])

    # -- reading -------------------------------------------------------------------

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
            " ORDER BY CAST(SUM(helpful) AS DOUBLE PRECISION) / COUNT(*), bad DESC, intent",
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
