"""Durability: the database killed mid-write, storage failing under the bot, shutdown under load.

* ``kill -9`` under load (``tests/durability_writer.py``): after each crash the SQLite file
  passes ``PRAGMA integrity_check`` and holds every write that was acknowledged
  (feedback, ``/forget``), crash after crash on the same file.
* A read-only database file and a full disk, under the real ``python -m bot run`` against
  the fake Telegram Bot API: the bot keeps answering, and logs the storage error once per
  interval, not once per message. (The faults are real: file permissions that bind even
  root, and a file-size limit; see ``tests/fault_launcher.py``.)
* SIGTERM while many questions are in flight: every reply is sent, every acknowledged
  write is on disk, the process is gone within 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import AskContext
from bot.engine.engine import Engine
from bot.errors import StorageError
from bot.storage import Store
from tests.conftest import OpenStore
from tests.fakes.telegram import TOKEN, Call, FakeTelegram, parse_html

REPO = Path(__file__).resolve().parent.parent
LAUNCHER = Path(__file__).with_name("fault_launcher.py")
STORAGE_ERROR = "storage write failed"


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


# -- kill -9 under load ----------------------------------------------------------------------


async def run_until_killed(db: Path, round_name: str, acks: int, queued: int) -> list[str]:
    """Start the writer, SIGKILL it once it acknowledged ``acks`` writes and queued ``queued``
    question-log rows; return its complete lines.

    Counts, not seconds: the kill always comes under load, however busy the machine is,
    and the rounds still differ in where it strikes.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-u",
        "-m",
        "tests.durability_writer",
        str(db),
        round_name,
        cwd=REPO,  # where ``tests`` and ``bot`` import from
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 60)
        assert first == b"READY\n", (first, await process.stderr.read() if process.stderr else b"")
        acked = logged = 0
        while acked < acks or logged < queued:
            raw = await asyncio.wait_for(process.stdout.readline(), 60)
            assert raw.endswith(b"\n"), (
                raw,
                await process.stderr.read() if process.stderr else b"",
            )
            line = raw.decode().rstrip("\n")
            lines.append(line)
            acked += line.startswith("ACK ")
            if line.startswith("QUEUED "):
                logged = int(line.split()[1])
        process.send_signal(signal.SIGKILL)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == -signal.SIGKILL, err.decode()[-2000:]
    # A line cut off by the kill is no acknowledgement.
    return lines + out.decode().split("\n")[:-1]


async def test_kill_9_under_load_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    acknowledged: list[tuple[str, str]] = []  # (user, reply id)
    forgotten: set[str] = set()
    requested: set[str] = set()  # forgets sent; committed or not when the kill came
    for round_name, acks, queued in (
        ("a", 90, 400),
        ("b", 170, 700),
        ("c", 23, 200),
        ("d", 260, 900),
    ):
        lines = await run_until_killed(db, round_name, acks, queued)
        for line in lines:
            if line == "READY" or line.startswith("QUEUED"):
                continue
            status, kind, *args = line.split()
            if status == "ACK" and kind == "feedback":
                acknowledged.append((args[0], args[1]))
            elif status == "ACK" and kind == "forget":
                forgotten.add(args[0])
            elif status == "SENT" and kind == "forget":
                requested.add(args[0])
        # Straight after the crash, before anything else opens the file.
        assert rows(db, "PRAGMA integrity_check") == [("ok",)], round_name
    assert len(acknowledged) > 200 and len(forgotten) > 40  # the crashes came under load

    store = await Store.open(db)  # recovers the write-ahead log like the bot would
    try:

        def user(name: str) -> str:
            hashed = store.hash("telegram", "user", name)
            assert hashed is not None
            return hashed

        stored = set(rows(db, "SELECT user_hash, reply_id FROM feedback"))
        for name, reply_id in acknowledged:
            if name not in requested:  # a sent /forget may have removed it, ACK or not
                assert (user(name), reply_id) in stored, (name, reply_id)
        for name in forgotten:
            for table in ("feedback", "questions"):
                found = rows(db, f"SELECT COUNT(*) FROM {table} WHERE user_hash = ?", user(name))
                assert found == [(0,)], (table, name)
        logged = rows(db, "SELECT COUNT(*) FROM questions")[0][0]
        assert logged > 1000  # of 2,200 queued: the unacknowledged load was real, mostly committed
        await store.record_feedback(AskContext("telegram", "1", "after"), "f", "a.b", True)
    finally:
        await store.close()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


# -- storage failing under the running bot -----------------------------------------------------


@contextlib.asynccontextmanager
async def _bot_process(
    fake: FakeTelegram, tmp_path: Path, db: Path, *launch: str, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot run`` against ``fake``; killed on the way out if still running."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(db),
        "LOG_LEVEL": "INFO",
        "USER_RATE_LIMIT": "1000/60",
        "CHAT_RATE_LIMIT": "1000/60",
        **env,
    }
    command = [sys.executable, "-m", "bot", "run"]
    if launch:
        command = [sys.executable, str(LAUNCHER), *launch, *command]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp_path,  # no stray .env
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _stop(process: asyncio.subprocess.Process, within: float = 15) -> tuple[str, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(process.communicate(), within)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return err.decode(), time.monotonic() - started


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _prepared_database(tmp_path: Path) -> Path:
    """A database (and its key) as a previous run left it, with one chat setting."""
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    await store.set_chat_language(AskContext("telegram", "2001", "2001"), "en")
    await store.close()
    return db


def _shown(call: Call) -> str:
    return parse_html(call.text)


@pytest.mark.parametrize("fault", ["read-only", "disk-full"])
async def test_storage_faults_keep_the_bot_answering_and_log_once(
    fake: FakeTelegram, tmp_path: Path, fault: str
) -> None:
    db = await _prepared_database(tmp_path)
    if fault == "read-only":
        db.chmod(0o444)
        launch = "read-only"
        # Can this machine make a file read-only even for root? (It needs CAP_SETPCAP.)
        try_writing = "open(__import__('sys').argv[1], 'a')"
        probe = await asyncio.create_subprocess_exec(
            *[sys.executable, str(LAUNCHER), launch, sys.executable, "-c", try_writing, str(db)],
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await probe.communicate()
        if b"PermissionError" not in err:
            pytest.skip(f"cannot make a file read-only for this process here: {err[-300:]!r}")
    else:
        launch = f"disk-full:{db.stat().st_size}"  # no file may outgrow the database as it is
    async with _bot_process(fake, tmp_path, db, launch) as process:
        try:
            await fake.wait_for("deleteWebhook", within=20)
            users = [FakeTelegram.user(3000 + n, f"U{n}", "de") for n in range(40)]
            for n, user in enumerate(users):
                # Misses keep their text in the log: they are the biggest writes.
                fake.say(
                    "Wie wird das Wetter in Quxlingen? " * 10 if n % 2 else "Was hat V3 gekostet?",
                    user=user,
                )
                await asyncio.sleep(0.02)
            calls = await fake.wait_for("sendMessage", len(users), within=20)
            answer = next(c for c in calls if "5,58" in _shown(c))
            fake.tap(fake.message_of(answer), answer.buttons[0]["callback_data"], user=users[0])
            fake.say("/lang en", user=users[2])
            fake.say("Wer ist Liang Wenfeng?", user=FakeTelegram.user(2001, "Chosen", "de"))
            await fake.wait_for("answerCallbackQuery", within=10)
            calls = await fake.wait_for("sendMessage", len(users) + 2, within=10)
        finally:
            log, _ = await _stop(process)
    assert process.returncode == 0, log[-3000:]
    assert fake.calls_to("sendMessage", ok=False) == []
    replies = [_shown(c) for c in calls]
    assert sum("5,58" in r for r in replies) == len(users) // 2  # every question answered
    assert any("founder" in r for r in replies)  # the stored chat language was still read
    # The storage error is logged once for the whole run, not once per question.
    failures = [line for line in log.splitlines() if STORAGE_ERROR in line]
    assert len(failures) == 1, log[-3000:]
    assert "readonly" in failures[0] or "full" in failures[0] or "disk" in failures[0]
    tracebacks = log.count("Traceback")
    assert tracebacks == 0, log[-3000:]


async def test_a_full_database_logs_once_per_interval_and_recovers(
    open_store: OpenStore, tmp_path: Path, knowledge: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The same with SQLite's own limit (``max_page_count``), in process and in detail."""
    db = tmp_path / "bot.sqlite3"
    now = [0.0]  # the error log's clock, moved by hand: an interval passes when we say so
    store = await open_store(db, flush_interval=0.01, error_log_interval=60, ticker=lambda: now[0])
    engine = Engine(knowledge, sink=store)
    ctx = AskContext("telegram", "-100", "7")
    (pages,) = (await (await store.driver.connection.execute("PRAGMA page_count")).fetchone()) or (
        0,
    )
    await store.driver.connection.execute(f"PRAGMA max_page_count = {pages}")
    caplog.set_level(logging.ERROR, logger="bot.storage")
    for n in range(60):
        reply = await engine.ask("Wie wird das Wetter in Quxlingen? " * 14 + str(n), ctx)
        assert reply.text  # answered regardless
        await store.flush()
    assert not store.healthy and store.dropped_rows > 0
    with pytest.raises(StorageError, match="full"):  # once its pages are full too
        for n in range(1000):
            await store.record_feedback(ctx, f"r{n}", "people.liang_wenfeng", True)
    errors = [r.getMessage() for r in caplog.records if STORAGE_ERROR in r.getMessage()]
    assert len(errors) == 1 and "full" in errors[0]
    now[0] += 61  # the next interval: one more line, counting what it held back
    await engine.ask("Wie wird das Wetter in Quxlingen? " * 14, ctx)
    await store.flush()
    errors = [r.getMessage() for r in caplog.records if STORAGE_ERROR in r.getMessage()]
    assert len(errors) == 2 and "more since last report" in errors[1]
    await store.driver.connection.execute(f"PRAGMA max_page_count = {pages * 100}")  # space again
    await store.record_feedback(ctx, "last", "people.liang_wenfeng", True)
    assert store.healthy
    await store.close()
    assert ("last",) in rows(db, "SELECT reply_id FROM feedback")
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


# -- SIGTERM under load ------------------------------------------------------------------------


async def test_sigterm_under_load_finishes_replies_and_flushes_writes(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "bot.sqlite3"
    questions = 120
    async with _bot_process(fake, tmp_path, db) as process:
        await fake.wait_for("deleteWebhook", within=20)
        first = await _ask_and_tap(fake)
        # From now on every reply takes a while to send: many are in flight at once.
        fake.fail("sendMessage", status=200, delay=0.3, times=questions + 10)
        for n in range(questions):
            fake.say("Wer ist Liang Wenfeng?", user=FakeTelegram.user(5000 + n, f"U{n}", "de"))

        def in_flight() -> list[Call]:
            return [c for c in fake.calls if c.method == "sendMessage" and c.status == 0]

        # SIGTERM arrives with replies half-sent.
        await fake.wait_until(lambda: len(in_flight()) >= 5, "5 replies in flight", within=30)
        log, stop_seconds = await _stop(process)
    assert process.returncode == 0, log[-3000:]
    assert stop_seconds < 10, log[-3000:]
    assert "stopped" in log
    # Every update the bot took from Telegram (and acknowledged on the way out) got its
    # reply; the ones it never took stay with Telegram for the next start.
    delivered = {u["update_id"]: u for c in fake.calls_to("getUpdates") for u in c.result or []}
    acknowledged = max(c.params.get("offset", 0) or 0 for c in fake.calls_to("getUpdates"))
    asked = {
        u["message"]["chat"]["id"]
        for uid, u in delivered.items()
        if "message" in u and uid < acknowledged
    }
    answered = {c.params["chat_id"] for c in fake.sent()}
    assert asked <= answered, sorted(asked - answered)[:10]
    assert len(asked) > 30
    assert fake.calls_to("sendMessage", ok=False) == []
    # Every acknowledged write is on disk, and every answer was logged.
    assert rows(db, "SELECT COUNT(*) FROM feedback") == [(1,)] == [(first,)]
    logged = rows(db, "SELECT COUNT(*) FROM questions")[0][0]
    assert logged == len(answered)
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


async def test_sigterm_with_a_backlog_loses_and_repeats_nothing(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """More waiting than Telegram's 30 messages/s let out in the shutdown grace.

    The bot must take no more than it can answer on the way out; the rest stays
    with Telegram and is answered after the restart, each question exactly once.
    """
    db = tmp_path / "bot.sqlite3"
    backlog = 400
    askers = {8000 + n for n in range(backlog)}
    for user_id in sorted(askers):
        fake.say("Wer ist Liang Wenfeng?", user=FakeTelegram.user(user_id, f"B{user_id}", "de"))
    async with _bot_process(fake, tmp_path, db) as process:
        await fake.wait_for("sendMessage", 20, within=60)  # answering, with a backlog waiting
        log, stop_seconds = await _stop(process)
    assert process.returncode == 0, log[-3000:]
    assert stop_seconds < 10, log[-3000:]
    before_restart = len(fake.sent())
    assert 0 < before_restart < backlog  # SIGTERM came with part of the backlog waiting
    # Never more taken from Telegram than the bot has room for (64 in hand).
    assert max(int(c.params.get("limit") or 100) for c in fake.calls_to("getUpdates")) <= 64

    async with _bot_process(fake, tmp_path, db) as process:
        answered = lambda: {c.params["chat_id"] for c in fake.sent()}  # noqa: E731
        await fake.wait_until(lambda: answered() >= askers, "every asker answered", within=120)
        # What the bot took, it answers before it exits: a repeat would be sent by then.
        log, _ = await _stop(process)
    answers = Counter(c.params["chat_id"] for c in fake.sent())
    assert set(answers) == askers, (len(set(answers)), log[-2000:])
    assert [chat for chat, n in answers.items() if n > 1] == []
    assert rows(db, "SELECT COUNT(*) FROM questions") == [(backlog,)]


async def _ask_and_tap(fake: FakeTelegram) -> int:
    """One question and a 👍 on its answer; 1 once the bot has thanked for the vote."""
    fake.say("Wie viel hat DeepSeek gekostet?", user=FakeTelegram.user(4999, "First", "de"))
    (answer,) = await fake.wait_for("sendMessage", within=10)
    fake.tap(fake.message_of(answer), answer.buttons[0]["callback_data"])
    (thanks,) = await fake.wait_for("answerCallbackQuery", within=10)
    return 1 if thanks.params.get("text") else 0


# -- killed while creating the hashing key --------------------------------------------------

DIE_WHILE_WRITING_THE_KEY = """
import asyncio, os, signal, sys
sys.path.insert(0, sys.argv[1])
real_fdopen = os.fdopen

class Dying:
    def __init__(self, handle):
        self.handle = handle
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False
    def write(self, text):
        self.handle.write(text[:5])  # part of the key is out ...
        self.handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # ... when the process dies

os.fdopen = lambda fd, *args, **kwargs: Dying(real_fdopen(fd, *args, **kwargs))
from bot.storage import Store
asyncio.run(Store.open(sys.argv[2]))
"""


async def test_killed_while_creating_the_key_the_next_start_still_works(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DIE_WHILE_WRITING_THE_KEY, str(REPO), str(db)
    )
    assert await asyncio.wait_for(process.wait(), 20) == -signal.SIGKILL
    store = await Store.open(db)  # no half-written key in the way
    try:
        await store.record_feedback(AskContext("telegram", "1", "2"), "r", "a.b", True)
    finally:
        await store.close()
    key = db.with_name("bot.sqlite3.key")
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    assert oct(key.stat().st_mode & 0o777) == oct(0o600)
