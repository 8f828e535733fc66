"""Storage on a real SQLite file: hashed ids, batching, durability, retention, failures."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.domain.models import AskContext
from bot.engine.engine import Engine
from bot.errors import StorageError
from bot.storage.migrations import LATEST
from tests.conftest import OpenStore

CTX = AskContext(platform="telegram", chat_id="-100777", user_id="424242")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _rows(path: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def test_schema_wal_and_key_file(open_store: OpenStore, tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.sqlite3"
    store = await open_store(db)
    await store.close()
    assert _rows(db, "PRAGMA user_version") == [(LATEST,)]
    assert _rows(db, "PRAGMA journal_mode") == [("wal",)]
    key = db.with_name("bot.sqlite3.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    reopened = await open_store(db)  # migrations are idempotent
    await reopened.close()


async def test_question_log_keeps_text_only_for_misses_and_no_raw_ids(
    open_store: OpenStore, tmp_path: Path, knowledge
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "bot.sqlite3"
    store = await open_store(db)
    engine = Engine(knowledge, sink=store)
    await engine.ask("Wer ist Liang Wenfeng?", CTX)
    await engine.ask("Wie wird das Wetter morgen in Hamburg?", CTX)
    await store.record_feedback(CTX, "r1", "people.liang_wenfeng", True)
    await store.close()
    rows = _rows(db, "SELECT outcome, intent, question, chat_hash, user_hash FROM questions")
    assert rows[0][0] == "answered" and rows[0][2] is None
    assert rows[1][0] in {"fallback", "close_call"} and "Wetter" in rows[1][2]
    assert rows[0][3] and rows[0][3] != CTX.chat_id and len(rows[0][4]) == 32
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"424242" not in raw and b"-100777" not in raw


async def test_feedback_is_durable_when_acknowledged_and_one_vote_per_reply(
    open_store: OpenStore,
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await open_store(db, flush_interval=30)  # batching must not delay acknowledged writes
    await store.record_feedback(CTX, "reply-1", "bans.italy", True)
    assert _rows(db, "SELECT helpful FROM feedback") == [(1,)]  # committed before returning
    await store.record_feedback(CTX, "reply-1", "bans.italy", False)
    assert _rows(db, "SELECT helpful FROM feedback") == [(0,)]
    await store.close()


async def test_language_setting_persists(open_store: OpenStore, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await open_store(db)
    assert await store.chat_language(CTX) is None
    await store.set_chat_language(CTX, "en")
    await store.close()
    store = await open_store(db)
    assert await store.chat_language(CTX) == "en"
    assert await store.chat_language(AskContext("discord", "1", "2")) is None
    await store.close()


async def test_forget_removes_every_row_of_that_user_only(
    open_store: OpenStore, tmp_path: Path, knowledge
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "bot.sqlite3"
    store = await open_store(db)
    engine = Engine(knowledge, sink=store)
    other = AskContext(platform="telegram", chat_id="-100777", user_id="99")
    for ctx in (CTX, other):
        await engine.ask("Gibt es Pizza?", ctx)
        await store.record_feedback(ctx, "x", "bans.italy", True)
        store.record_pick(ctx, "bans.italy", "Italien?")
    await store.forget_user("telegram", "424242")
    await store.close()
    for table in ("questions", "feedback", "suggestion_picks"):
        assert len(_rows(db, f"SELECT * FROM {table}")) == 1, table


async def test_purge_by_age_and_stats(open_store: OpenStore, tmp_path: Path, knowledge) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    store = await open_store(tmp_path / "bot.sqlite3", clock=clock)
    engine = Engine(knowledge, sink=store)
    await engine.ask("Wer ist Liang Wenfeng?", CTX)
    clock.now += dt.timedelta(days=40)
    await engine.ask("Wer ist Liang Wenfeng?", CTX)
    await engine.ask("Italien", CTX)
    await engine.ask("Wer wird Fußballweltmeister?", CTX)
    await store.flush()
    stats = await store.stats(days=7)
    assert stats.total == 3
    assert stats.by_outcome["answered"] == 2
    assert ("people.liang_wenfeng", 1) in stats.top_intents
    assert stats.recent_unanswered == ["Wer wird Fußballweltmeister?"]
    await store.purge(older_than_days=30)
    assert (await store.stats(days=365)).total == 3
    await store.close()


async def test_read_only_database_keeps_answering_and_logs_once(
    open_store: OpenStore,
    tmp_path: Path,
    knowledge,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await open_store(db, flush_interval=0.01)
    engine = Engine(knowledge, sink=store)
    await store.driver.connection.execute("PRAGMA query_only = ON")  # every write now fails
    caplog.set_level(logging.ERROR)
    for _ in range(5):
        reply = await engine.ask("Wer ist Liang Wenfeng?", CTX)
        assert reply.intent == "people.liang_wenfeng"
        await store.flush()
    with pytest.raises(StorageError):
        await store.record_feedback(CTX, "r", "bans.italy", True)
    assert not store.healthy
    errors = [r for r in caplog.records if "storage write failed" in r.getMessage()]
    assert len(errors) == 1
    await store.close()


async def test_unopenable_database_is_a_clear_error(open_store: OpenStore, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot open database"):
        await open_store(blocker / "bot.sqlite3")


async def test_newer_schema_refused(open_store: OpenStore, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST + 5}")
    with pytest.raises(StorageError, match="newer than this bot"):
        await open_store(db)
    assert os.path.exists(db)
