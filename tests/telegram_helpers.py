"""What the Telegram adapter's end-to-end tests share: a bot on a fake Bot API, and helpers.

The fixtures are defined once, here, and visible only in the test modules that import
them (``tests/test_telegram_adapter.py``, ``tests/test_telegram_resilience.py``): pytest
finds a fixture in a module's namespace, so each is imported as ``from ... import bot as
bot``, the form that says the name is there on purpose.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.engine.engine import Engine
from bot.knowledge import Knowledge
from tests.bots import RunningBot, telegram_bot
from tests.fakes.telegram import BOT_USERNAME, Call, FakeTelegram, parse_html

ADMIN = 4242
GROUP = FakeTelegram.group()
LIANG_DE = "gegründet"  # the fact in the German answer about Liang Wenfeng
MENTION = f"@{BOT_USERNAME}"


Bot = RunningBot


@pytest.fixture(scope="module")
def shared_engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


MakeBot = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(
    fake: FakeTelegram, tmp_path: Path, shared_engine: Engine
) -> AsyncIterator[MakeBot]:
    async with contextlib.AsyncExitStack() as stack:

        async def make(engine: Engine | None = None, **overrides: Any) -> Bot:
            settings = {"telegram_admin_ids": str(ADMIN), **overrides}
            running = telegram_bot(fake, tmp_path, engine or shared_engine, **settings)
            return await stack.enter_async_context(running)

        yield make


@pytest.fixture
async def bot(make_bot: MakeBot) -> Bot:
    return await make_bot()


async def said(fake: FakeTelegram, count: int = 1, **kwargs: Any) -> list[Call]:
    """Wait for ``count`` more successful sendMessage calls than there were before."""
    return await fake.wait_for("sendMessage", count, **kwargs)


async def reply_to(fake: FakeTelegram, text: str, **kwargs: Any) -> Call:
    """Send one message and wait for the bot's (next) message."""
    before = len(fake.sent())
    fake.say(text, **kwargs)
    return (await fake.wait_for("sendMessage", before + 1))[before]


def assert_safe_html(call: Call) -> str:
    """Valid Telegram HTML (the fake would have refused it otherwise); the visible text."""
    assert call.params.get("parse_mode") == "HTML"
    return parse_html(call.text)
