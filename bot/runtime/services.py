"""One place puts the bot together, for ``run``, the console, the tests and the benchmarks.

The order matters and is written once: storage first (the engine reports every
question to it, through the metrics), then the engine with that sink, then the chat
service over both. Whatever was opened is closed by :meth:`Services.close`, also when
building fails half-way.

Which backend: SQLite at ``DATABASE_PATH`` and flood control in this process, as one
process needs; with ``DATABASE_URL`` PostgreSQL, and the flood limits counted there so
they hold across replicas. Nothing else depends on the choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.chat.ratelimit import FloodGate, NoLimit, Rate, SharedFloodGate
from bot.chat.service import ChatOptions, ChatService
from bot.config import Settings
from bot.engine.engine import Engine, QuestionSink
from bot.engine.reload import ReloadResult, reload_knowledge
from bot.errors import ConfigError
from bot.knowledge import load_knowledge
from bot.platforms import answer_checks
from bot.runtime.metrics import Metrics, ObservedSink
from bot.storage import Store


def build_engine(settings: Settings, sink: QuestionSink | None = None) -> Engine:
    """The engine for these settings, on the configured (or shipped) knowledge."""
    return Engine(load_knowledge(settings.knowledge_dir), settings.engine_options(), sink)


async def open_store(settings: Settings, **options: Any) -> Store:
    """The configured database: PostgreSQL with DATABASE_URL, else the SQLite file."""
    if settings.database_url is None:
        return await Store.open(settings.database_path, key_file=settings.hash_key_file, **options)
    if settings.hash_key_file is None:  # the settings refuse this already
        raise ConfigError("configuration error: HASH_KEY_FILE: required with DATABASE_URL")
    return await Store.open_postgres(
        settings.database_url.get_secret_value(), key_file=settings.hash_key_file, **options
    )


def build_gate(
    settings: Settings, store: Store | None, *, limited: bool = True
) -> FloodGate | SharedFloodGate | NoLimit:
    """Flood control in this process, or in the shared database when there are replicas;
    none when not ``limited`` (the console: one person at a terminal floods nobody)."""
    if not limited:
        return NoLimit()
    per_user, per_chat = Rate.parse(settings.user_rate_limit), Rate.parse(settings.chat_rate_limit)
    if store is not None and store.backend == "postgresql":
        return SharedFloodGate(per_user, per_chat, store)
    return FloodGate(per_user, per_chat)


def build_chat(
    settings: Settings, engine: Engine, store: Store | None, *, limited: bool = True
) -> ChatService:
    """The chat service over ``engine`` and ``store`` (None: keeps nothing, the console);
    ``limited``: with flood control."""
    gate = build_gate(settings, store, limited=limited)

    async def reload() -> ReloadResult:
        return await reload_knowledge(engine, checks=answer_checks())

    options = ChatOptions(
        settings.retention_days,
        settings.privacy_url,
        conversation_seconds=settings.conversation_minutes * 60,
    )
    return ChatService(engine, store, gate, options, reload=reload)


@dataclass
class Services:
    """What one bot process runs on: one engine, one database, one chat service."""

    settings: Settings
    engine: Engine
    store: Store | None
    metrics: Metrics
    chat: ChatService

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()


async def open_services(
    settings: Settings,
    *,
    database: bool = True,
    engine: Engine | None = None,
    store_options: dict[str, Any] | None = None,
) -> Services:
    """Open the database (unless ``database`` is False) and build everything over it.

    ``engine``: an engine whose index to share instead of loading the knowledge again
    (tests, benchmarks); it gets this store's sink.
    """
    store = await open_store(settings, **(store_options or {})) if database else None
    try:
        metrics = Metrics()
        sink = ObservedSink(store, metrics)
        engine = engine.sharing_index(sink) if engine is not None else build_engine(settings, sink)
        metrics.set_knowledge(engine.knowledge.version)
        return Services(settings, engine, store, metrics, build_chat(settings, engine, store))
    except BaseException:
        if store is not None:
            await store.close()
        raise
