"""Storage on both backends, real ones: a SQLite file and a PostgreSQL server.

Every test taking ``db`` runs on each backend (tests/conftest.py): hashed ids,
batching, durability of acknowledged writes, retention, /forget, the reports'
figures, failures, migrations, and what several replicas share (events logged once,
claimed updates, flood counters). Rows are read behind the store's back, on a
connection of the test's own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import stat
from pathlib import Path
from typing import Any

import pytest

from bot.chat.ratelimit import Rate, SharedFloodGate, Verdict
from bot.domain.models import AskContext
from bot.engine.engine import Engine
from bot.errors import StorageError
from bot.storage.migrations import LATEST, POSTGRES, SQLITE, TABLES
from tests.conftest import OpenStore
from tests.databases import Database

CTX = AskContext(platform="telegram", chat_id="-100777", user_id="424242")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


# -- schema --------------------------------------------------------------------------


async def test_sqlite_schema_wal_and_key_file(open_store: OpenStore, tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    store = await open_store(db.path)
    await store.close()
    assert await db.rows("PRAGMA journal_mode") == [("wal",)]
    assert stat.S_IMODE(db.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.path.stat().st_mode) == 0o600


async def test_schema_version_and_every_table_as_listed(db: Database) -> None:
    store = await db.open()
    await store.close()
    assert await db.schema_version() == LATEST
    for table, columns in TABLES.items():
        if db.postgres:
            found = await db.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                " ORDER BY ordinal_position",
                table,
            )
        else:
            found = [(row[1],) for row in await db.rows(f"PRAGMA table_info({table})")]
        assert [c for (c,) in found] == list(columns), table
    reopened = await db.open()  # migrations are idempotent
    await reopened.close()
    assert await db.schema_version() == LATEST
    assert len(SQLITE) == len(POSTGRES) == LATEST


async def test_replicas_starting_at_once_migrate_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.storage")
    stores = await asyncio.gather(*(db.open() for _ in range(3)))
    migrated = [r for r in caplog.records if "migrated to schema version" in r.getMessage()]
    assert len(migrated) == LATEST  # one replica migrated, the others found it done
    for store in stores:
        await store.record_feedback(CTX, f"r{id(store)}", "bans.italy", True)
    assert len(await db.rows("SELECT * FROM feedback")) == 3
    if db.postgres:
        assert await db.rows("SELECT COUNT(*) FROM schema_migrations") == [(LATEST,)]


async def test_newer_schema_refused(db: Database) -> None:
    store = await db.open()
    await store.close()
    if db.postgres:
        await db.execute(f"INSERT INTO schema_migrations (version) VALUES ({LATEST + 5})")
    else:
        await db.execute(f"PRAGMA user_version = {LATEST + 5}")
    with pytest.raises(StorageError, match="newer than this bot"):
        await db.open()


async def test_unopenable_sqlite_database_is_a_clear_error(
    open_store: OpenStore, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot open database"):
        await open_store(blocker / "bot.sqlite3")


# -- the question log, feedback, settings -----------------------------------------------


async def test_question_log_keeps_text_only_for_misses_and_no_raw_ids(
    db: Database, knowledge: Any
) -> None:
    store = await db.open()
    engine = Engine(knowledge, sink=store)
    await engine.ask("Wer ist Liang Wenfeng?", CTX)
    await engine.ask("Wie wird das Wetter morgen in Hamburg?", CTX)
    await store.record_feedback(CTX, "r1", "people.liang_wenfeng", True)
    await store.close()
    rows = await db.rows(
        "SELECT outcome, intent, question, chat_hash, user_hash FROM questions ORDER BY id"
    )
    assert rows[0][0] == "answered" and rows[0][2] is None
    assert rows[1][0] in {"fallback", "close_call"} and "Wetter" in rows[1][2]
    assert rows[0][3] and rows[0][3] != CTX.chat_id and len(rows[0][4]) == 32
    if db.postgres:
        stored = repr([await db.rows(f"SELECT * FROM {table}") for table in TABLES]).encode()
    else:
        stored = b"".join(p.read_bytes() for p in db.folder.iterdir() if p.is_file())
    assert b"424242" not in stored and b"-100777" not in stored


async def test_feedback_is_durable_when_acknowledged_and_one_vote_per_reply(
    db: Database,
) -> None:
    store = await db.open(flush_interval=30)  # batching must not delay acknowledged writes
    await store.record_feedback(CTX, "reply-1", "bans.italy", True)
    assert await db.rows("SELECT helpful FROM feedback") == [(1,)]  # committed before returning
    await store.record_feedback(CTX, "reply-1", "bans.italy", False)
    assert await db.rows("SELECT helpful FROM feedback") == [(0,)]


async def test_language_setting_persists(db: Database) -> None:
    store = await db.open()
    assert await store.chat_language(CTX) is None
    await store.set_chat_language(CTX, "en")
    await store.close()
    store = await db.open()
    assert await store.chat_language(CTX) == "en"
    assert await store.chat_language(AskContext("discord", "1", "2")) is None


async def test_a_language_set_on_another_replica_is_seen_within_the_cache_time(
    db: Database,
) -> None:
    now = [0.0]
    one = await db.open(ticker=lambda: now[0], language_cache_seconds=5)
    two = await db.open(ticker=lambda: now[0], language_cache_seconds=5)
    assert await two.chat_language(CTX) is None  # remembered for 5 s
    await one.set_chat_language(CTX, "en")
    assert await two.chat_language(CTX) is None
    now[0] += 6
    assert await two.chat_language(CTX) == "en"


async def test_the_same_event_is_logged_once_on_any_replica(db: Database, knowledge: Any) -> None:
    one, two = await db.open(), await db.open()
    event = AskContext("telegram", "-100777", "424242", event_id="msg-17")
    for store in (one, two, one):
        await Engine(knowledge, sink=store).ask("Wer ist Liang Wenfeng?", event)
    for store in (one, two):
        await Engine(knowledge, sink=store).ask("Wer ist Liang Wenfeng?", CTX)  # no event id
        await store.flush()
    assert await db.rows("SELECT event_id FROM questions WHERE event_id IS NOT NULL") == [
        ("msg-17",)
    ]
    assert await db.rows("SELECT COUNT(*) FROM questions") == [(3,)]


# -- privacy, retention, reports -------------------------------------------------------


async def test_forget_removes_every_row_of_that_user_only(db: Database, knowledge: Any) -> None:
    store = await db.open()
    engine = Engine(knowledge, sink=store)
    other = AskContext(platform="telegram", chat_id="-100777", user_id="99")
    for ctx in (CTX, other):
        await engine.ask("Gibt es Pizza?", ctx)
        await store.record_feedback(ctx, "x", "bans.italy", True)
        store.record_pick(ctx, "bans.italy", "Italien?")
        await store.count_hit("telegram", "user", ctx.user_id, 60)
    await store.flush()
    assert await store.user_rows("telegram", "424242") == 3
    await store.forget_user("telegram", "424242")
    for table in ("questions", "feedback", "suggestion_picks"):
        assert len(await db.rows(f"SELECT * FROM {table}")) == 1, table
    assert await db.rows("SELECT COUNT(*) FROM flood_hits WHERE key LIKE 'telegram:user:%'") == [
        (1,)
    ]
    assert await store.user_rows("telegram", "424242") == 0
    assert await store.user_rows("telegram", "99") == 3


async def test_purge_by_age_and_stats(db: Database, knowledge: Any) -> None:
    clock = Clock()
    store = await db.open(clock=clock)
    engine = Engine(knowledge, sink=store)
    await engine.ask("Wer ist Liang Wenfeng?", CTX)
    await store.record_feedback(CTX, "old", "people.liang_wenfeng", False)
    assert await store.claim_update("telegram", 1)
    clock.now += dt.timedelta(days=40)
    await engine.ask("Wer ist Liang Wenfeng?", CTX)
    await engine.ask("Italien", CTX)
    await engine.ask("Wer wird Fußballweltmeister?", CTX)
    await store.record_feedback(CTX, "new", "people.liang_wenfeng", True)
    await store.record_feedback(AskContext("discord", "c", "u"), "new", "bans.italy", False)
    assert await store.claim_update("telegram", 2)
    await store.count_hit("telegram", "user", "424242", 60)
    await store.flush()
    stats = await store.stats(days=7)
    assert stats.total == 3
    assert stats.by_outcome["answered"] == 2
    assert ("people.liang_wenfeng", 1) in stats.top_intents
    assert stats.recent_unanswered == ["Wer wird Fußballweltmeister?"]
    assert stats.feedback == [("bans.italy", 0, 1), ("people.liang_wenfeng", 1, 0)]
    assert [d for d, _, _ in stats.by_day] == [clock.now.strftime("%Y-%m-%d")]
    clock.now += dt.timedelta(minutes=5)  # the flood window has ended
    await store.purge(older_than_days=30)
    assert (await store.stats(days=365)).total == 3
    assert await db.rows("SELECT reply_id FROM feedback ORDER BY reply_id") == [("new",), ("new",)]
    assert await db.rows("SELECT update_id FROM update_claims") == [("2",)]
    assert await db.rows("SELECT COUNT(*) FROM flood_hits") == [(0,)]


async def test_misses_and_picks_for_curation(db: Database, knowledge: Any) -> None:
    clock = Clock()
    store = await db.open(clock=clock)
    engine = Engine(knowledge, sink=store)
    await engine.ask("Wie wird das Wetter morgen in Hamburg?", CTX)  # 9 days ago
    clock.now += dt.timedelta(days=9)
    await engine.ask("Wer ist Liang Wenfeng?", CTX)
    await engine.ask("Wie ist das Wetter in Peking?", CTX)
    close = await engine.ask("USA", CTX)
    store.record_pick(CTX, "reactions.us_threat", "USA")
    await store.flush()
    missed = await store.missed_questions(7)
    assert [(m.question, m.outcome.value) for m in missed] == [
        ("Wie ist das Wetter in Peking?", "fallback"),
        ("USA", close.outcome.value),
    ]
    assert [(p.intent, p.question) for p in await store.suggestion_picks(7)] == [
        ("reactions.us_threat", "USA")
    ]
    if close.id:
        asked = await store.close_call("telegram", close.id)
        assert asked is not None and asked.question == "USA"


# -- what replicas share -------------------------------------------------------------


async def test_an_update_is_claimed_once_across_replicas(db: Database) -> None:
    one, two = await db.open(), await db.open()
    assert await one.claim_update("telegram", 1001) is True
    assert await two.claim_update("telegram", 1001) is False
    assert await one.claim_update("telegram", "1001") is False
    assert await two.claim_update("discord", 1001) is True  # another platform's ids
    results = await asyncio.gather(
        *(store.claim_update("telegram", n) for n in range(2000, 2050) for store in (one, two))
    )
    assert sum(results) == 50  # each of the 50 updates won by exactly one replica


async def test_flood_counts_are_atomic_across_replicas_and_windows_roll(db: Database) -> None:
    clock = Clock()
    one, two = await db.open(clock=clock), await db.open(clock=clock)
    counts = await asyncio.gather(
        *(
            store.count_hit("telegram", "user", "424242", 60)
            for _ in range(20)
            for store in (one, two)
        )
    )
    assert sorted(counts) == list(range(1, 41))  # never the same count twice
    assert await one.count_hit("telegram", "chat", "424242", 60) == 1  # another key
    clock.now += dt.timedelta(seconds=60)
    assert await two.count_hit("telegram", "user", "424242", 60) == 1  # a new window


async def test_shared_flood_limits_hold_across_replicas(db: Database) -> None:
    clock = Clock()
    stores = [await db.open(clock=clock), await db.open(clock=clock)]
    gates = [SharedFloodGate(Rate(3, 60), Rate(5, 60), store) for store in stores]
    verdicts = [await gates[n % 2].verdict("telegram", "group", "flooder") for n in range(8)]
    assert verdicts[:3] == [Verdict.ALLOW] * 3
    assert verdicts[3] is Verdict.NOTIFY  # one notice, whichever replica refuses first
    assert set(verdicts[4:]) == {Verdict.SILENT}
    # The flood cost the group only the flooder's three: its limit (5) counts everyone's
    # messages, on any replica.
    others = [await gates[n % 2].verdict("telegram", "group", f"user{n}") for n in range(4)]
    assert others == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY, Verdict.SILENT]
    assert await gates[1].verdict("telegram", "private", "user3") is Verdict.ALLOW
    clock.now += dt.timedelta(seconds=60)
    assert await gates[1].verdict("telegram", "group", "flooder") is Verdict.ALLOW


async def test_without_its_database_the_shared_gate_limits_locally(db: Database) -> None:
    store = await db.open()
    gate = SharedFloodGate(Rate(2, 60), Rate(30, 60), store)
    await store.close()  # every statement now fails
    verdicts = [await gate.verdict("telegram", "chat", "user") for _ in range(4)]
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY, Verdict.SILENT]


# -- failures ------------------------------------------------------------------------


async def _writes_fail(db: Database, store: Any) -> None:
    """From now on every write fails, for real: a read-only database."""
    if db.postgres:
        name = db.url.rsplit("/", 1)[1] if db.url else ""
        await db.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        await db.execute(  # the pool's connections are replaced, read-only
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
    else:
        await store.driver.connection.execute("PRAGMA query_only = ON")


async def test_read_only_database_keeps_answering_and_logs_once(
    db: Database, knowledge: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = await db.open(flush_interval=0.01)
    engine = Engine(knowledge, sink=store)
    await _writes_fail(db, store)
    caplog.set_level(logging.ERROR)
    for _ in range(5):
        reply = await engine.ask("Wer ist Liang Wenfeng?", CTX)
        assert reply.intent == "people.liang_wenfeng"
        await store.flush()
    with pytest.raises(StorageError):
        await store.record_feedback(CTX, "r", "bans.italy", True)
    with pytest.raises(StorageError):
        await store.claim_update("telegram", 5)
    assert not store.healthy
    errors = [r for r in caplog.records if "storage write failed" in r.getMessage()]
    assert len(errors) == 1
    assert "read-only" in errors[0].getMessage() or "readonly" in errors[0].getMessage()
