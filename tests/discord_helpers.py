"""What the Discord adapter's end-to-end tests share: a bot on a fake Discord, and helpers.

The fixtures are defined once, here, and visible only in the test modules that import
them (``tests/test_discord_adapter.py``, ``tests/test_discord_resilience.py``): pytest
finds a fixture in a module's namespace, so each is imported as ``from ... import bot as
bot``, the form that says the name is there on purpose. After each test the ``fake``
fixture checks every recorded payload that posts content: none may allow a mention,
none may have been refused (400) or sent to an unknown route.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.engine.decision import Thresholds
from bot.engine.engine import Engine, EngineOptions
from bot.knowledge import Knowledge
from bot.platforms.discord.adapter import DiscordAdapter
from bot.storage import Store
from tests.bots import RunningBot, discord_bot
from tests.fakes.discord import APP_ID, BOT_ID, FakeDiscord, Request

CHANNEL_POST = r"/channels/\d+/messages"
CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = rf"/webhooks/{APP_ID}/[^/]+"
LIANG_DE = "Liang Wenfeng hat DeepSeek gegründet"
LIANG_EN = "Liang Wenfeng is DeepSeek's founder"


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faq_engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture(scope="module")
def hesitant_engine(knowledge: Knowledge) -> Engine:
    """Answers nothing outright: every good match becomes a "did you mean" close call.

    So the close-call path is tested whatever the shipped knowledge's tuning is.
    """
    options = EngineOptions(thresholds=Thresholds(answer=100.1, suggest=40))
    return Engine(knowledge, options)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord.running() as server:
        yield server
    check_payloads(server)


OpenBot = Callable[..., Awaitable[RunningBot]]
ROOMY = {"user_rate_limit": "100/60", "chat_rate_limit": "100/60"}


@pytest.fixture
async def open_bot(fake: FakeDiscord, tmp_path: Path, faq_engine: Engine) -> AsyncIterator[OpenBot]:
    """``await open_bot(engine=None, adapter_options=None, **settings)``: a running bot."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            engine: Engine | None = None,
            adapter_options: dict[str, Any] | None = None,
            **settings: Any,
        ) -> RunningBot:
            running = discord_bot(
                fake,
                tmp_path,
                engine or faq_engine,
                adapter_options=adapter_options,
                **{**ROOMY, **settings},
            )
            return await stack.enter_async_context(running)

        yield start


@pytest.fixture
async def bot(open_bot: OpenBot) -> RunningBot:
    return await open_bot()


@pytest.fixture
def adapter(bot: RunningBot) -> DiscordAdapter:
    return bot.adapter  # type: ignore[no-any-return]


@pytest.fixture
def store(bot: RunningBot) -> Store:
    return bot.store


def check_payloads(fake: FakeDiscord) -> None:
    """Nothing the bot sent may ping anyone, be refused, or go to an unknown route."""
    for request in fake.requests:
        assert request.status not in (400, 401, 404), (request.method, request.path, request.body)
        msg = request.message
        if msg is None or not (msg.get("content") or msg.get("embeds")):
            continue
        mentions = msg.get("allowed_mentions")
        assert mentions is not None, (request.path, msg)
        assert mentions.get("parse") == [], mentions
        assert not mentions.get("users") and not mentions.get("roles"), mentions
        assert mentions.get("replied_user", False) is False, mentions


def rows(store_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(store_path) as conn:
        return conn.execute(sql, params).fetchall()


async def mention(fake: FakeDiscord, question: str, **options: Any) -> Request:
    """Address the bot in the guild channel; return the bot's reply."""
    mark = fake.mark()
    options.setdefault("mentions", [BOT_ID])
    await fake.send_message(f"<@{BOT_ID}> {question}", **options)
    return (await fake.wait_request("POST", CHANNEL_POST, after=mark))[0]


async def slash(
    fake: FakeDiscord, name: str, options: dict[str, Any] | None = None, **context: Any
) -> Request:
    mark = fake.mark()
    await fake.slash(name, options, **context)
    return (await fake.wait_request("POST", CALLBACK, after=mark))[0]


def user_hash(store: Store, user_id: int) -> str | None:
    return store.hash("discord", "user", str(user_id))


async def click(fake: FakeDiscord, request: Request, custom_id: str, **context: Any) -> Request:
    mark = fake.mark()
    await fake.click(fake.message_of(request), custom_id, **context)
    return (await fake.wait_request("POST", CALLBACK, after=mark))[0]
