"""Stats, forget and retention on real SQLite files: figures counted by hand, nothing raw kept.

Every command runs against a database written by the real :class:`Store`; figures are
compared with rows counted by hand, and the database files are scanned byte by byte for
raw ids. (Missed questions are in ``tests/test_curation_misses.py``.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.models import AskContext, Outcome
from bot.engine.engine import Engine
from bot.runtime import app
from bot.storage import Store
from tests.conftest import eventually
from tests.curation_helpers import DC, NOW, TG, Clock, ctx, reply, rows

# The fixtures (defined once in tests/curation_helpers.py), in this module for pytest.
from tests.curation_helpers import faq as faq
from tests.curation_helpers import no_leftover_sink as no_leftover_sink
from tests.curation_helpers import run_cli as run_cli

# -- stats ---------------------------------------------------------------------------


async def write_counted_rows(db: Path) -> tuple[str, str]:
    """Rows we count by hand below; returns the two days they fall on (UTC)."""
    clock = Clock()
    store = await Store.open(db, clock=clock)
    try:
        day_a, day_b = NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)
        liang, italy = "people.liang_wenfeng", "bans.italy"
        clock.now = day_a
        for _ in range(3):
            store.record_question(ctx(TG, "1"), reply("q", Outcome.ANSWERED, liang), 1.0)
        store.record_question(ctx(TG, "2"), reply("USA", Outcome.CLOSE_CALL), 1.0)
        store.record_question(
            ctx(TG, "2"), reply("Wie ist das Wetter in Peking?", Outcome.FALLBACK), 1.0
        )
        clock.now = day_b
        store.record_question(ctx(DC, "3"), reply("q", Outcome.ANSWERED, italy), 1.0)
        store.record_question(ctx(DC, "3"), reply("q", Outcome.ANSWERED, italy), 1.0)
        store.record_question(ctx(DC, "4"), reply("q", Outcome.ANSWERED, liang), 1.0)
        store.record_question(ctx(DC, "4"), reply("Wie viele Parameter?", Outcome.FALLBACK), 1.0)
        store.record_question(ctx(TG, "5"), reply("Gibt es eine App?", Outcome.FALLBACK), 1.0)
        await store.record_feedback(ctx(DC, "3"), "r1", italy, False)
        await store.record_feedback(ctx(DC, "4"), "r1", italy, False)
        await store.record_feedback(ctx(TG, "1"), "r2", liang, True)
        await store.record_feedback(ctx(TG, "1"), "r3", liang, True)
        await store.record_feedback(ctx(DC, "4"), "r4", liang, False)
        clock.now = NOW - dt.timedelta(days=10)  # outside the 7 days
        store.record_question(ctx(TG, "1"), reply("q", Outcome.ANSWERED, "costs.development"), 1.0)
        await store.record_feedback(ctx(TG, "1"), "r5", "costs.development", False)
    finally:
        await store.close()
    return day_a.date().isoformat(), day_b.date().isoformat()


def test_stats_command_matches_hand_counted_rows(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str]]
) -> None:
    day_a, day_b = asyncio.run(write_counted_rows(tmp_path / "bot.sqlite3"))
    code, out = run_cli("stats", "--days", "7", "--lang", "en")
    assert code == 0, out
    assert out.splitlines() == [
        "Last 7 days: 10 questions - answered 6 (60%), did-you-mean 1 (10%), unanswered 3 (30%).",
        "",
        "Questions per day and platform:",
        f"- {day_a}: telegram 5",
        f"- {day_b}: discord 4, telegram 1 (5)",
        "",
        "Top intents:",
        "- people.liang_wenfeng: 4",
        "- bans.italy: 2",
        "",
        "Ratings, worst first (👍/👎):",
        "- bans.italy: +0 / -2",
        "- people.liang_wenfeng: +2 / -1",
        "",
        "Recently unanswered:",
        "- Gibt es eine App?",
        "- Wie viele Parameter?",
        "- Wie ist das Wetter in Peking?",
        "- USA",
    ]
    code, out = run_cli("stats", "--days", "30")  # DEFAULT_LANGUAGE: German
    assert out.startswith("Letzte 30 Tage: 11 Fragen – beantwortet 7 (64%)")
    assert "- costs.development: +0 / -1" in out


def test_stats_rejects_a_bad_period(run_cli: Callable[..., tuple[int, str]]) -> None:
    with pytest.raises(SystemExit) as info:
        run_cli("stats", "--days", "0")
    assert info.value.code == 2


# -- forget --------------------------------------------------------------------------


async def write_people(db: Path) -> None:
    store = await Store.open(db)
    try:
        for c in (ctx(TG, "111"), ctx(TG, "111", chat="-1005"), ctx(TG, "222"), ctx(DC, "111")):
            store.record_question(c, reply("Wie ist das Wetter in Peking?", Outcome.FALLBACK), 1.0)
        await store.record_feedback(ctx(TG, "111"), "r1", "bans.italy", True)
        store.record_pick(ctx(TG, "111"), "bans.italy", "Italien?")
        await store.set_chat_language(ctx(TG, "111"), "en")
    finally:
        await store.close()


def test_forget_command_removes_that_users_rows_only(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str]]
) -> None:
    db = tmp_path / "bot.sqlite3"
    asyncio.run(write_people(db))
    code, out = run_cli("forget", "--platform", "telegram", "--user", "111")
    assert (code, out) == (
        0,
        "deleted 4 rows (questions, ratings, choices) of that telegram user\n",
    )
    assert rows(db, "SELECT platform FROM questions ORDER BY platform") == [(DC,), (TG,)]
    assert rows(db, "SELECT COUNT(*) FROM feedback") == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM suggestion_picks") == [(0,)]
    assert rows(db, "SELECT language FROM chat_settings") == [("en",)]  # the chat's, not theirs
    assert run_cli("forget", "--platform", "telegram", "--user", "111")[1].startswith("deleted 0")
    with pytest.raises(SystemExit):
        run_cli("forget", "--platform", "telegram", "--user", "@eve")  # ids only


def test_reports_never_create_a_database_or_a_key(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["misses"], ["stats"], ["forget", "--platform", "discord", "--user", "1"]):
        assert run_cli(*command)[0] == 2
    assert "no database at" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    asyncio.run(write_people(tmp_path / "bot.sqlite3"))
    (tmp_path / "bot.sqlite3.key").unlink()
    assert run_cli("stats")[0] == 2
    assert "hashing key" in capsys.readouterr().err
    assert not (tmp_path / "bot.sqlite3.key").exists()


# -- retention and raw ids -----------------------------------------------------------


async def test_purge_by_age_in_every_table(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    clock = Clock()
    store = await Store.open(db, clock=clock)
    try:
        for age in (40, 29, 1):
            clock.now = NOW - dt.timedelta(days=age)
            c = ctx(TG, str(age))
            store.record_question(c, reply(f"{age} Tage", Outcome.FALLBACK), 1.0)
            await store.record_feedback(c, f"r{age}", "bans.italy", True)
            store.record_pick(c, "bans.italy", f"{age} Tage")
            await store.set_chat_language(c, "en")
        clock.now = NOW
        await store.purge(older_than_days=30)
    finally:
        await store.close()
    assert rows(db, "SELECT question FROM questions") == [("29 Tage",), ("1 Tage",)]
    assert rows(db, "SELECT reply_id FROM feedback ORDER BY id") == [("r29",), ("r1",)]
    assert rows(db, "SELECT question FROM suggestion_picks") == [("29 Tage",), ("1 Tage",)]
    assert len(rows(db, "SELECT * FROM chat_settings")) == 3  # settings, not a log


async def test_runtime_purges_again_every_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "PURGE_INTERVAL", 0.05)
    clock = Clock()
    store = await Store.open(tmp_path / "bot.sqlite3", clock=clock)
    settings = Settings(_env_file=None, retention_days=30)  # type: ignore[call-arg]
    task = asyncio.create_task(app.Runtime(settings)._purge_loop(store))
    try:
        store.record_question(ctx(TG, "1"), reply("alt", Outcome.FALLBACK), 1.0)
        await store.flush()
        clock.now = NOW + dt.timedelta(days=31)  # a month passes while the bot runs

        async def purged() -> bool:
            return (await store.stats(days=3650)).total == 0

        await eventually(purged, "the retention task to purge the old row")
    finally:
        task.cancel()
        await store.close()


RAW = {"chat": "-1009876543210", "user": "8765432109", "discord": "555444333222111000"}


def _binary_forms(raw: str) -> list[bytes]:
    number = int(raw)
    return [number.to_bytes(8, "big", signed=True), raw.encode("utf-8"), raw.encode("utf-16-le")]


async def test_no_raw_id_is_ever_written(faq: Engine, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    faq.sink = store
    telegram = AskContext(TG, RAW["chat"], RAW["user"])
    discord = AskContext(DC, RAW["discord"], RAW["discord"])
    other = AskContext(TG, RAW["chat"], "77")
    try:
        for c in (telegram, discord, other):
            answered = await faq.ask("Wer ist Liang Wenfeng?", c)
            await faq.ask("Wie ist das Wetter in Peking?", c)
            await faq.ask("USA", c)
            await store.record_feedback(c, answered.id, "people.liang_wenfeng", True)
            store.record_pick(c, "reactions.us_threat", "USA")
            await store.set_chat_language(c, "de")
        await store.flush()

        def scan(running: bool = True) -> None:
            files = [p for p in tmp_path.iterdir() if p.is_file()]
            assert not running or {p.name for p in files} >= {"bot.sqlite3", "bot.sqlite3-wal"}
            data = b"".join(p.read_bytes() for p in files)
            for raw in RAW.values():
                for form in _binary_forms(raw):
                    assert form not in data, (raw, form)

        scan()  # while the bot runs: the write-ahead log too
        await store.forget_user(TG, RAW["user"])
        await store.purge(older_than_days=30)
        scan()
    finally:
        faq.sink = None
        await store.close()
    scan(running=False)
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    assert str(value) not in RAW.values(), (table, row)
