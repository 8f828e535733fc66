"""End to end, when things go wrong: the real python-telegram-bot against a fake Bot API.

Rate limits, a server that goes away and comes back, server errors, an update that
fails; webhooks and their secret; tokens and secrets kept out of the logs; a rejected
token; and the real ``python -m bot run`` process. The everyday behaviour is in
``tests/test_telegram_adapter.py``. Every assertion is on what the fake recorded or on
the real SQLite file; nothing reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot import logs
from bot.config import Settings
from bot.domain.messages import message
from bot.domain.models import Reply
from bot.engine.engine import Engine
from bot.errors import StartupError
from bot.platforms.telegram.adapter import TelegramAdapter
from bot.runtime.services import build_chat
from tests.conftest import eventually
from tests.fakes.telegram import TOKEN, FakeTelegram, free_port
from tests.telegram_helpers import LIANG_DE, Bot, MakeBot, assert_safe_html, said

# The fixtures (defined once in tests/telegram_helpers.py), in this module for pytest.
from tests.telegram_helpers import bot as bot
from tests.telegram_helpers import fake as fake
from tests.telegram_helpers import make_bot as make_bot
from tests.telegram_helpers import shared_engine as shared_engine

REPO = Path(__file__).resolve().parent.parent


# -- faults and errors ---------------------------------------------------------------


async def test_429_with_retry_after_then_success(bot: Bot) -> None:
    fake = bot.fake
    fake.fail(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    fake.say("Wer ist Liang Wenfeng?")
    (ok,) = await said(fake, within=8)
    attempts = fake.calls_to("sendMessage", ok=None)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # retry_after honoured
    assert LIANG_DE in assert_safe_html(ok)


async def test_server_goes_away_and_comes_back(bot: Bot) -> None:
    fake = bot.fake
    await fake.wait_for("getUpdates")
    await fake.stop()
    await eventually(lambda: not bot.adapter.connected, "the next getUpdates to fail")
    await asyncio.sleep(0.5)
    fake.say("Wer ist Liang Wenfeng?")  # queued while the bot cannot reach the server
    await fake.start()
    (call,) = await said(fake, within=15)
    assert LIANG_DE in assert_safe_html(call)
    assert bot.adapter.connected


async def test_server_errors_on_polling_are_retried(bot: Bot) -> None:
    fake = bot.fake
    fake.fail("getUpdates", status=500)
    fake.fail("getUpdates", status=502, description="Bad Gateway")
    fake.say("Wer ist Liang Wenfeng?")
    (call,) = await said(fake, within=15)
    assert LIANG_DE in assert_safe_html(call)
    assert [c.status for c in fake.calls_to("getUpdates", ok=False)] == [500, 502]


async def test_a_failing_update_is_logged_and_answered_and_the_bot_goes_on(
    bot: Bot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = bot.fake
    real_ask = bot.engine.ask

    async def flaky(question: str, *rest: Any) -> Reply:
        if "kaputt" in question:
            raise RuntimeError("boom")
        return await real_ask(question, *rest)

    monkeypatch.setattr(bot.engine, "ask", flaky)
    with caplog.at_level(logging.ERROR):
        fake.say("kaputt")
        (call,) = await said(fake)
    assert assert_safe_html(call) == message("error", "de")
    (record,) = [
        r
        for r in caplog.records
        if r.name.startswith("bot.platforms.telegram") and r.levelno >= logging.ERROR
    ]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])
    assert "boom" not in call.text  # no details for the user

    fake.fail("sendMessage", drop=True)  # the connection dies mid-request ...
    fake.say("Wer ist Liang Wenfeng?")
    answer = (await said(fake, 2))[-1]  # ... and the answer is sent once more
    assert LIANG_DE in assert_safe_html(answer)
    assert [c.status for c in fake.calls_to("sendMessage", ok=None)][-2:] == [-1, 200]
    fake.say("Wer ist Liang Wenfeng?")
    assert LIANG_DE in assert_safe_html((await said(fake, 3))[-1])


# -- webhook mode --------------------------------------------------------------------


async def _post_update(port: int, path: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/{path}", json=update, headers=headers) as response,
    ):
        return response.status


async def _wait_port(port: int) -> None:
    async def listening() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    await eventually(listening, f"the webhook server to listen on {port}")


def _update(fake: FakeTelegram, text: str) -> dict[str, Any]:
    """A queued update taken back out of the polling queue, to be posted to the webhook."""
    fake.say(text)
    return fake._pending.pop()


async def test_webhook_checks_the_secret_on_every_request(make_bot: MakeBot) -> None:
    port = free_port()
    bot = await make_bot(
        telegram_webhook_url="https://bot.example.test/tg-hook",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        telegram_webhook_secret="s3cret_Token-123",
    )
    fake = bot.fake
    assert fake.webhook["url"] == "https://bot.example.test/tg-hook"
    assert fake.webhook["secret_token"] == "s3cret_Token-123"
    await _wait_port(port)
    assert bot.adapter.connected

    update = _update(fake, "Wer ist Liang Wenfeng?")
    assert await _post_update(port, "tg-hook", _update(fake, "Kosten"), None) == 403
    assert await _post_update(port, "tg-hook", _update(fake, "Kosten"), "wrong") == 403
    assert await _post_update(port, "tg-hook", update, "s3cret_Token-123") == 200
    (call,) = await said(fake)
    assert LIANG_DE in assert_safe_html(call)
    await fake.settle(0.3)
    assert len(fake.sent()) == 1  # the forged ones were never answered
    assert fake.calls_to("getUpdates", ok=None) == []


async def test_webhook_generates_a_secret_when_none_is_configured(make_bot: MakeBot) -> None:
    port = free_port()
    bot = await make_bot(
        telegram_webhook_url="https://bot.example.test/",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    )
    secret = bot.fake.webhook["secret_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret)
    await _wait_port(port)
    assert await _post_update(port, "", _update(bot.fake, "Kosten"), None) == 403
    assert await _post_update(port, "", _update(bot.fake, "Was hat V3 gekostet?"), secret) == 200
    assert "5,58" in assert_safe_html((await said(bot.fake))[0])


# -- secrets -------------------------------------------------------------------------


class DebugLogs:
    """The bot's real log set-up (with redaction) at DEBUG, writing to the captured stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def start(self) -> None:
        # Inside the test: pytest swaps the captured stream between test phases.
        logs.configure("DEBUG", "text", [TOKEN])

    def read(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def debug_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[DebugLogs]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield DebugLogs(capsys)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name in ("httpx", "httpcore", "discord.gateway", "discord.http"):
        logging.getLogger(name).setLevel(logging.NOTSET)


async def test_token_never_appears_in_log_output(
    make_bot: MakeBot, debug_logs: DebugLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    debug_logs.start()
    bot = await make_bot()
    fake = bot.fake
    fake.fail("sendMessage", status=429, retry_after=1)
    fake.fail("getUpdates", status=500)
    fake.say("Wer ist Liang Wenfeng?")
    await said(fake, within=8)

    async def broken(question: str, *rest: Any) -> Reply:
        raise RuntimeError(f"failed at {fake.base_url}{TOKEN}/sendMessage")

    monkeypatch.setattr(bot.engine, "ask", broken)
    fake.say("Wer ist Liang Wenfeng?")
    await said(fake, 2)
    await bot.adapter.stop()
    output = debug_logs.read()
    # (The Bot API payloads themselves never reach the log: see tests/test_abuse.py.)
    assert "telegram.ext.Application" in output and "Traceback" in output  # logs were captured
    assert "[redacted]" in output  # ... the token was on its way into them ...
    assert TOKEN not in output and TOKEN.split(":")[1] not in output  # ... and never got there


async def test_generated_webhook_secret_never_appears_in_log_output(
    make_bot: MakeBot, debug_logs: DebugLogs
) -> None:
    debug_logs.start()
    bot = await make_bot(
        telegram_webhook_url="https://bot.example.test/hook",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=free_port(),
    )
    await bot.adapter.stop()
    output = debug_logs.read()
    assert "DEBUG" in output and "Telegram: webhook on" in output  # the logs were captured
    assert bot.fake.webhook["secret_token"] not in output


async def test_rejected_token_fails_start_up_without_showing_it(
    fake: FakeTelegram, tmp_path: Path, shared_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "987654321:AAWrongTokenWrongTokenWrongToken_xyz"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(wrong),
        telegram_base_url=fake.base_url,
    )
    adapter = TelegramAdapter(build_chat(settings, shared_engine, None), settings)
    with caplog.at_level(logging.DEBUG, logger="bot"), pytest.raises(StartupError) as raised:
        await adapter.start()
    assert "TELEGRAM_TOKEN" in str(raised.value)
    assert wrong not in str(raised.value) and raised.value.__suppress_context__
    assert wrong not in caplog.text
    assert not adapter.connected
    assert [(c.method, c.status) for c in fake.calls] == [("getMe", 401)]


# -- the real process ----------------------------------------------------------------


async def test_python_m_bot_run_answers_and_stops_cleanly_on_sigterm(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,  # no stray .env
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for("deleteWebhook", within=20)  # polling starts right after
        fake.say("Wer ist Liang Wenfeng?")
        (call,) = await said(fake, within=10)
        assert LIANG_DE in assert_safe_html(call)
        stop_started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 15)
        stop_seconds = time.monotonic() - stop_started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log_text = err.decode()
    assert process.returncode == 0, log_text[-2000:]
    assert "stopped" in log_text and TOKEN not in log_text
    last = fake.calls_to("getUpdates")[-1]
    assert last.params["timeout"] == 0  # the offset was acknowledged on the way out
    assert stop_seconds < 10
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:  # the log row was flushed on exit
        rows = db.execute("SELECT platform, intent, outcome FROM questions").fetchall()
    assert rows == [("telegram", "people.liang_wenfeng", "answered")]
