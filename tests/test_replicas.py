"""What ``DATABASE_URL`` adds, on a real PostgreSQL server: the bot as a whole on it,
several replicas on one database, a server restart mid-run, ``migrate-db`` from
SQLite, and the configuration's one-line errors (never showing a password).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.chat.ratelimit import FloodGate, SharedFloodGate
from bot.chat.requests import Ask, Caller, Click, Command
from bot.chat.responses import Say
from bot.cli import main
from bot.config import Settings
from bot.domain import callbacks
from bot.domain.models import AskContext, Reply
from bot.engine.engine import Engine
from bot.errors import StorageError
from bot.runtime.services import Services, open_services
from bot.storage import Store
from tests.conftest import REPO, eventually
from tests.databases import Database, PostgresServer

ALICE = Caller("telegram", "100", "100", locale="de", private=True)
GROUP = dataclasses.replace(ALICE, chat_id="-1001", private=False)


def settings_on(db: Database, **values: Any) -> Settings:
    return Settings(_env_file=None, **{**db.settings(), **values})  # type: ignore[call-arg]


@pytest.fixture
async def open_bot(engine: Engine) -> AsyncIterator[Callable[..., Any]]:
    """``await open_bot(db, **settings)``: the bot's services as ``run`` builds them."""
    opened: list[Services] = []

    async def start(db: Database, **values: Any) -> Services:
        services = await open_services(settings_on(db, **values), engine=engine)
        opened.append(services)
        return services

    try:
        yield start
    finally:
        for services in reversed(opened):
            await services.close()


# -- the bot is the same on both backends --------------------------------------------------


async def test_the_chat_service_works_alike_on_both_backends(
    db: Database, open_bot: Callable[..., Any]
) -> None:
    bot: Services = await open_bot(db, telegram_admin_ids="100")
    assert isinstance(bot.chat.gate, SharedFloodGate if db.postgres else FloodGate)
    [answer] = await bot.chat.handle(ALICE, Ask("Wer ist Liang Wenfeng?"))
    assert isinstance(answer, Say) and isinstance(answer.content, Reply)
    reply = answer.content
    assert reply.intent == "people.liang_wenfeng"
    vote = callbacks.feedback("people.liang_wenfeng", reply.id, True)
    await bot.chat.handle(ALICE, Click(vote))
    await bot.chat.handle(ALICE, Command("lang", "en"))
    assert bot.store is not None
    assert await bot.store.chat_language(ALICE.context) == "en"
    await bot.chat.handle(ALICE, Ask("Wie wird das Wetter?"))
    await bot.store.flush()
    [stats] = await bot.chat.handle(dataclasses.replace(ALICE, operator=True), Command("stats"))
    assert isinstance(stats, Say)
    assert (await bot.store.stats()).total == 2
    assert await db.rows("SELECT helpful FROM feedback") == [(1,)]
    await bot.chat.handle(ALICE, Command("forget"))
    assert await db.rows("SELECT COUNT(*) FROM questions") == [(0,)]
    assert await db.rows("SELECT COUNT(*) FROM feedback") == [(0,)]


async def test_flood_limits_hold_across_two_replicas(
    pg_db: Database, open_bot: Callable[..., Any]
) -> None:
    limits = {"user_rate_limit": "3/60", "chat_rate_limit": "100/60"}
    replicas = [await open_bot(pg_db, **limits), await open_bot(pg_db, **limits)]
    answered = 0
    for n in range(6):  # alternately to each replica, as a load balancer would
        responses = await replicas[n % 2].chat.handle(GROUP, Ask("Wer ist Liang Wenfeng?"))
        answered += any(isinstance(getattr(r, "content", None), Reply) for r in responses)
    assert answered == 3  # not 3 per replica


# -- a restart of the server -------------------------------------------------------------


async def test_a_server_restart_stops_no_answer_and_writes_resume(
    postgres: PostgresServer,
    pg_db: Database,
    open_bot: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot: Services = await open_bot(
        pg_db, store_options={"flush_interval": 0.01, "connect_timeout": 2}
    )
    store = bot.store
    assert store is not None
    await store.record_feedback(ALICE.context, "before", "bans.italy", True)
    caplog.set_level(logging.ERROR, logger="bot.storage")
    postgres.stop()
    try:
        for _ in range(5):
            [said] = await bot.chat.handle(ALICE, Ask("Wer ist Liang Wenfeng?"))
            assert isinstance(said, Say) and isinstance(said.content, Reply)
            assert said.content.intent == "people.liang_wenfeng"  # answered regardless
            await store.flush()
        with pytest.raises(StorageError):
            await store.record_feedback(ALICE.context, "during", "bans.italy", True)
        assert not store.healthy
        failures = [r for r in caplog.records if "storage write failed" in r.getMessage()]
        assert len(failures) == 1, [r.getMessage() for r in failures]  # once per interval
        assert postgres.password not in caplog.text
    finally:
        postgres.start()

    async def written() -> bool:
        try:
            await store.record_feedback(ALICE.context, "after", "bans.italy", True)
        except StorageError:
            return False
        return True

    await eventually(written, "a write after the restart", within=30)
    assert store.healthy
    await bot.chat.handle(ALICE, Ask("Wer ist Liang Wenfeng?"))
    await store.flush()
    assert await pg_db.rows("SELECT reply_id FROM feedback ORDER BY reply_id") == [
        ("after",),
        ("before",),
    ]
    assert await pg_db.rows("SELECT COUNT(*) FROM questions") == [(1,)]


# -- migrate-db ----------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    """``await cli(*args, **env)``: ``python -m bot ...`` in this process, in an empty
    folder, with these variables; (exit code, output, errors)."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "DATABASE_PATH", "HASH_KEY_FILE", "KNOWLEDGE_DIR"):
        monkeypatch.delenv(name, raising=False)

    async def run(*args: str, **env: str) -> tuple[int, str, str]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        # In a thread: the command runs its own event loop, as from a shell.
        code = await asyncio.to_thread(main, list(args), out)
        for name in env:
            monkeypatch.delenv(name)
        return code, out.getvalue(), err.getvalue()

    return run


async def _sqlite_installation(path: Path, knowledge: Any) -> dict[str, Any]:
    """A SQLite bot's history: questions, votes, picks, a setting, a claim, a flood count."""
    now = [dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)]
    store = await Store.open(path, clock=lambda: now[0])
    try:
        engine = Engine(knowledge, sink=store)
        for n in range(30):
            now[0] += dt.timedelta(hours=1)
            ctx = AskContext("telegram", f"-10{n % 3}", str(1000 + n % 7), event_id=str(n))
            await engine.ask(["Wer ist Liang Wenfeng?", "Wie wird das Wetter?"][n % 2], ctx)
        await store.record_feedback(
            AskContext("telegram", "-100", "1000"), "r1", "bans.italy", True
        )
        await store.record_feedback(AskContext("discord", "5", "6"), "r2", "bans.italy", False)
        store.record_pick(AskContext("telegram", "-100", "1000"), "bans.italy", "Italien?")
        await store.set_chat_language(AskContext("telegram", "-101", "1001"), "en")
        await store.claim_update("telegram", 77)
        await store.count_hit("telegram", "user", "1000", 3600)
        await store.flush()
        return {
            "stats": await store.stats(days=3650),
            "missed": await store.missed_questions(3650),
            "forget": await store.user_rows("telegram", "1000"),
        }
    finally:
        await store.close()


async def test_migrate_db_moves_an_sqlite_installation_with_its_hashes_valid(
    postgres: PostgresServer, tmp_path: Path, knowledge: Any, cli: Callable[..., Any]
) -> None:
    sqlite_db = tmp_path / "bot.sqlite3"
    before = await _sqlite_installation(sqlite_db, knowledge)
    key = sqlite_db.with_name("bot.sqlite3.key")
    name = await postgres.create_database()
    url = postgres.url(name)
    target = Database("postgresql", tmp_path, url)
    try:
        code, out, err = await cli("migrate-db", "--to", url, DATABASE_PATH=str(sqlite_db))
        assert code == 0, err
        summary, hint = out.splitlines()
        assert summary.endswith(
            "questions 30, feedback 2, chat_settings 1, suggestion_picks 1,"
            " update_claims 1, flood_hits 1"
        )
        assert postgres.password not in out and ":***@" in summary
        assert f"HASH_KEY_FILE={key.resolve()}" in hint
        # On PostgreSQL, with the SQLite installation's key: the same figures, the same
        # people found by /forget, the same setting; new rows get new ids.
        store = await Store.open_postgres(url, key_file=key)
        try:
            assert await store.stats(days=3650) == before["stats"]
            assert await store.missed_questions(3650) == before["missed"]
            assert await store.user_rows("telegram", "1000") == before["forget"] > 0
            assert await store.chat_language(AskContext("telegram", "-101", "x")) == "en"
            assert await store.claim_update("telegram", 77) is False
            store.record_pick(AskContext("telegram", "-100", "1000"), "bans.italy", "Neu?")
            await store.flush()
        finally:
            await store.close()
        assert len(await target.rows("SELECT DISTINCT id FROM suggestion_picks")) == 2
        # Not onto a database that holds rows, unless forced (then replaced, not doubled).
        code, out, err = await cli("migrate-db", "--to", url, DATABASE_PATH=str(sqlite_db))
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "already holds rows" in err and "--force" in err
        assert postgres.password not in err
        env = {"DATABASE_URL": url, "HASH_KEY_FILE": str(key)}
        code, out, err = await cli("migrate-db", "--force", DATABASE_PATH=str(sqlite_db), **env)
        assert code == 0, err
        assert await target.rows("SELECT COUNT(*) FROM suggestion_picks") == [(1,)]
        # The reports read PostgreSQL now, with the same key.
        code, out, err = await cli("forget", "--platform", "telegram", "--user", "1000", **env)
        assert code == 0, err
        assert out.startswith(f"deleted {before['forget']} rows")
    finally:
        await target.close()
        await postgres.drop_database(name)


async def test_migrate_db_refuses_a_key_that_is_not_the_installations(
    tmp_path: Path, knowledge: Any, cli: Callable[..., Any]
) -> None:
    sqlite_db = tmp_path / "bot.sqlite3"
    await _sqlite_installation(sqlite_db, knowledge)
    other = tmp_path / "other.key"
    other.write_text(secrets.token_hex(32))
    url = "postgresql://faqbot:hunter2-secret@127.0.0.1:9/none"
    code, _, err = await cli(
        "migrate-db", "--to", url, DATABASE_PATH=str(sqlite_db), HASH_KEY_FILE=str(other)
    )
    assert code == 2 and err.count("\n") == 1
    assert "is not the key of" in err and "hunter2" not in err
    sqlite_db.with_name("bot.sqlite3.key").unlink()
    code, _, err = await cli("migrate-db", "--to", url, DATABASE_PATH=str(sqlite_db))
    assert code == 2 and "hashing key" in err and "missing" in err


# -- configuration -------------------------------------------------------------------------


def _bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "HASH_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("url", "key", "expected"),
    [
        ("mysql://bot:hunter2-secret@db/bot", "good", "DATABASE_URL: must be a PostgreSQL URL"),
        ("postgresql://bot:hunter2-secret@db/bot", None, "HASH_KEY_FILE: required"),
        ("postgresql://bot:hunter2-secret@db/bot", "missing", "does not exist"),
        ("postgresql://bot:hunter2-secret@db/bot", "short", "must hold 32 random bytes"),
        ("postgresql://bot:hunter2-secret@db/bot", "directory", "is a directory"),
    ],
)
def test_a_bad_database_setting_is_one_line_without_the_password(
    tmp_path: Path, url: str, key: str | None, expected: str
) -> None:
    files = {
        "good": tmp_path / "good.key",
        "missing": tmp_path / "missing.key",
        "short": tmp_path / "short.key",
        "directory": tmp_path,
    }
    files["good"].write_text(secrets.token_hex(32))
    files["short"].write_text("abc123")
    env = {"DATABASE_URL": url, "TELEGRAM_TOKEN": "123:abc"}
    if key is not None:
        env["HASH_KEY_FILE"] = str(files[key])
    done = _bot(tmp_path, "run", **env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr
    assert "abc123" not in done.stderr  # nor a key's content


def test_an_unreachable_server_stops_start_up_with_one_line(tmp_path: Path) -> None:
    key = tmp_path / "hash.key"
    key.write_text(secrets.token_hex(32))
    from tests.fakes.telegram import free_port

    url = f"postgresql://bot:hunter2-secret@127.0.0.1:{free_port()}/bot"
    done = _bot(tmp_path, "run", DATABASE_URL=url, HASH_KEY_FILE=str(key), TELEGRAM_TOKEN="123:abc")
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in done.stderr
    assert line.startswith("error: DATABASE_URL: cannot open database postgresql://bot:***@")
    assert "hunter2" not in done.stderr
