"""``python -m bot run``: every configured adapter in one process, one engine, one database.

Owns the process life cycle: start-up, signals (SIGHUP reloads the knowledge),
the retention task and a clean shutdown (stop taking updates, finish replies in flight, flush the
database) within :data:`SHUTDOWN_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.engine.reload import ReloadResult, reload_knowledge
from bot.errors import StartupError, StorageError
from bot.platforms import answer_checks
from bot.platforms.base import Adapter
from bot.runtime.health import HealthServer, HealthState
from bot.runtime.services import Services, open_services
from bot.storage import Store

log = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 8.0
PURGE_INTERVAL = 3600.0
NO_TOKEN = (
    "no chat platform configured: set TELEGRAM_TOKEN and/or DISCORD_TOKEN "
    "(environment or .env); `python -m bot chat` works without any"
)


def configured_adapters(settings: Settings) -> list[str]:
    names = []
    if settings.telegram_token is not None:
        names.append("telegram")
    if settings.discord_token is not None:
        names.append("discord")
    return names


def _adapter(name: str, services: Services) -> Adapter:
    # Imported here so a bot with one platform never loads the other's library.
    args = (services.chat, services.settings, services.metrics)
    if name == "telegram":
        from bot.platforms.telegram.adapter import TelegramAdapter

        return TelegramAdapter(*args)
    from bot.platforms.discord.adapter import DiscordAdapter

    return DiscordAdapter(*args)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.adapters: list[Adapter] = []
        self.services: Services | None = None
        self.stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._reloading: asyncio.Task[ReloadResult] | None = None
        self.health: HealthServer | None = None

    async def start(self) -> None:
        """Open everything; each resource is kept the moment it exists, so :meth:`stop`
        closes it whatever fails after it."""
        names = configured_adapters(self.settings)
        if not names:
            raise StartupError(NO_TOKEN)
        try:
            self.services = services = await open_services(self.settings)
        except StorageError as exc:
            raise StartupError(f"{self.settings.database_variable}: {exc}") from None
        if self.settings.health_port is not None:
            host, port = self.settings.health_host, self.settings.health_port
            state = HealthState(
                services.engine, services.store, lambda: self.adapters, services.metrics
            )
            self.health = HealthServer(state, host, port)
            try:
                await self.health.start()
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise StartupError(
                    f"HEALTH_HOST/HEALTH_PORT: cannot listen on {host}:{port}: {reason}"
                ) from None
            log.info("health endpoint on port %d", port)
        if services.store is not None:
            task = asyncio.create_task(self._purge_loop(services.store), name="retention")
            self._tasks.append(task)
        for name in names:
            adapter = _adapter(name, self.services)
            await adapter.start()
            self.adapters.append(adapter)
            log.info("%s adapter started", name)

    def request_reload(self) -> asyncio.Task[ReloadResult] | None:
        """SIGHUP: reload the knowledge in the background; the result goes to the log."""
        if self.services is None:
            log.warning("SIGHUP before start-up finished: knowledge not reloaded")
            return None
        if self._reloading is not None and not self._reloading.done():
            log.info("SIGHUP: a knowledge reload is already running")
            return self._reloading
        log.info("SIGHUP: reloading the knowledge")
        self._reloading = asyncio.create_task(
            reload_knowledge(self.services.engine, checks=answer_checks()), name="knowledge-reload"
        )
        return self._reloading

    async def stop(self) -> None:
        """Stop adapters (replies in flight finish), then flush and close storage."""
        for task in self._tasks:
            task.cancel()
        if self._reloading is not None:
            self._reloading.cancel()
        # At the same time: each has the whole budget, and the sum stays within it.
        await asyncio.gather(*(self._stop_adapter(a) for a in self.adapters))
        if self.health is not None:
            await self.health.stop()
        if self.services is not None:
            await self.services.close()
            self.services = None

    @staticmethod
    async def _stop_adapter(adapter: Adapter) -> None:
        try:
            await asyncio.wait_for(adapter.stop(), SHUTDOWN_SECONDS)
        except Exception:
            log.exception("%s adapter did not stop cleanly", adapter.name)

    async def _purge_loop(self, store: Store) -> None:
        while True:
            try:
                await store.purge(self.settings.retention_days)
            except StorageError:
                pass  # the store logs its failures itself, once per interval
            except Exception:
                log.exception("retention purge failed; retrying later")
            await asyncio.sleep(PURGE_INTERVAL)


async def serve(
    settings: Settings, on_ready: Callable[[Runtime], Awaitable[None]] | None = None
) -> int:
    """Run until SIGTERM/SIGINT; return the process exit code."""
    runtime = Runtime(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, runtime.stopping.set)
    hangup = getattr(signal, "SIGHUP", None)  # not on Windows
    if hangup is not None:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(hangup, runtime.request_reload)
    started = time.monotonic()
    try:
        await runtime.start()
    except StartupError:
        await runtime.stop()
        raise
    except Exception:
        log.exception("start-up failed")
        await runtime.stop()
        return 1
    log.info(
        "bot ready in %.2f s: %s",
        time.monotonic() - started,
        ", ".join(a.name for a in runtime.adapters),
    )
    # Everything loaded so far (knowledge, index, libraries) lives as long as the
    # process: keep it out of the garbage collector's way so collections stay short.
    gc.freeze()
    if on_ready is not None:
        await on_ready(runtime)
    await runtime.stopping.wait()
    log.info("shutting down")
    await runtime.stop()
    log.info("stopped")
    return 0
