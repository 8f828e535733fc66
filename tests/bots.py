"""A running bot for tests and benchmarks: the real services and adapter, against a fake.

Built exactly as ``python -m bot run`` builds them (:func:`bot.runtime.services.
open_services`), on a database in a folder of the caller's; everything opened is
closed on the way out, pass or fail.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine.engine import Engine
from bot.platforms.base import Adapter
from bot.runtime.services import Services, open_services
from bot.storage import Store
from tests.fakes import discord as fake_discord
from tests.fakes import telegram as fake_telegram


@dataclass
class RunningBot:
    fake: Any  # the FakeTelegram or FakeDiscord it talks to
    adapter: Any  # TelegramAdapter or DiscordAdapter
    services: Services
    db: Path

    @property
    def store(self) -> Store:
        assert self.services.store is not None
        return self.services.store

    @property
    def engine(self) -> Engine:
        return self.services.engine

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, params).fetchall()


async def _closing(adapter: Adapter, services: Services) -> None:
    """Stop the adapter, then close the services, even when stopping fails."""
    try:
        await adapter.stop()
    finally:
        await services.close()


@contextlib.asynccontextmanager
async def telegram_bot(
    fake: fake_telegram.FakeTelegram,
    folder: Path,
    engine: Engine | None = None,
    *,
    db_name: str = "bot.sqlite3",
    poll_timeout: float = 1,
    send_limits: bool = True,
    **settings: Any,
) -> AsyncIterator[RunningBot]:
    from bot.platforms.telegram.adapter import TelegramAdapter

    db = folder / db_name
    config = fake_telegram.settings_for(fake, database_path=db, **settings)
    services = await open_services(config, engine=engine)
    adapter = TelegramAdapter(
        services.chat,
        config,
        services.metrics,
        poll_timeout=poll_timeout,
        send_limits=send_limits,
    )
    try:
        await adapter.start()
        yield RunningBot(fake, adapter, services, db)
    finally:
        await _closing(adapter, services)


@contextlib.asynccontextmanager
async def discord_bot(
    fake: fake_discord.FakeDiscord,
    folder: Path,
    engine: Engine | None = None,
    *,
    db_name: str = "bot.sqlite3",
    adapter_options: dict[str, Any] | None = None,
    **settings: Any,
) -> AsyncIterator[RunningBot]:
    from bot.platforms.discord.adapter import DiscordAdapter

    db = folder / db_name
    config = fake_discord.settings_for(fake, database_path=db, **settings)
    services = await open_services(config, engine=engine)
    options = {"guild_ready_timeout": 0.05, "ready_timeout": 5.0, **(adapter_options or {})}
    adapter = DiscordAdapter(services.chat, config, services.metrics, **options)
    try:
        await adapter.start()
        yield RunningBot(fake, adapter, services, db)
    finally:
        await _closing(adapter, services)
