"""The bot under test, in a child process of its own, like in production.

``python -m benchmarks.e2e.bot_side SPEC`` runs the bot (or an echo baseline) as the
JSON ``SPEC`` says until SIGTERM, and reports on stdout as JSON lines ("ready", then
"stopped" with its CPU time, log levels and garbage-collector pauses). :class:`Bot` is
the benchmark's handle on that process.
"""

from __future__ import annotations

import asyncio
import cProfile
import datetime as dt
import gc
import json
import logging
import resource
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.e2e.processes import READY_TIMEOUT, ROOT, clean_env, cpu_seconds, proc_status

# == the child: the bot or an echo baseline ================================================


async def _serve(spec: dict[str, Any]) -> None:
    """Run the bot (or an echo baseline) until SIGTERM; report on stdout as JSON lines."""
    from bot import logs
    from bot.config import Settings
    from bot.platforms.base import Adapter
    from bot.runtime.services import Services, open_services

    started = time.perf_counter()
    settings = Settings(_env_file=None, **spec["settings"])  # type: ignore[call-arg]
    logs.configure("INFO", "text", settings.secrets())
    levels: dict[str, int] = {}

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            levels[record.levelname] = levels.get(record.levelname, 0) + 1

    logging.getLogger().addHandler(Counter(logging.WARNING))
    mode = spec["mode"]
    stops: list[Callable[[], Awaitable[None]]] = []
    services: Services | None = None
    if mode in ("telegram", "discord", "both"):
        services = await open_services(settings)
        parts = (services.chat, settings, services.metrics)
        adapters: list[Adapter] = []
        if mode in ("telegram", "both"):
            from bot.platforms.telegram.adapter import TelegramAdapter

            telegram = TelegramAdapter(*parts, poll_timeout=10, send_limits=False)
            assert telegram.application.bot.rate_limiter is None
            adapters.append(telegram)
        if mode in ("discord", "both"):
            from bot.platforms.discord.adapter import DiscordAdapter

            adapters.append(DiscordAdapter(*parts, guild_ready_timeout=0.05))
        for adapter in adapters:
            await adapter.start()
            stops.append(adapter.stop)
    elif mode == "telegram-echo":
        stops.append(await _telegram_echo(settings))
    elif mode == "discord-echo":
        stops.append(await _discord_echo(settings))
    else:
        raise SystemExit(f"unknown mode {mode}")

    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    profile = cProfile.Profile() if spec.get("profile") else None
    if spec.get("gc_freeze"):
        gc.collect()
        gc.freeze()  # start-up objects out of the collector's sight
    objects = len(gc.get_objects())
    _say(event="ready", seconds=time.perf_counter() - started, objects=objects, **proc_status())
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    began = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - began[0])

    gc.callbacks.append(on_gc)
    if profile is not None:
        profile.enable()
    await stopping.wait()
    if profile is not None:
        profile.disable()
        profile.dump_stats(spec["profile"])
    gc.callbacks.remove(on_gc)
    status: dict[str, Any] = {**proc_status(), "objects": len(gc.get_objects())}
    for stop in reversed(stops):
        await stop()
    if services is not None:
        await services.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    gc_ms = {g: [len(p), 1000 * max(p, default=0.0)] for g, p in pauses.items()}
    _say(event="stopped", levels=levels, cpu=usage.ru_utime + usage.ru_stime, gc=gc_ms, **status)


def _say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def _telegram_echo(settings: Any) -> Callable[[], Awaitable[None]]:
    """Baseline: python-telegram-bot as the adapter sets it up, replying with the text."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    from bot.platforms.telegram import adapter as tg
    from bot.platforms.telegram.transport import AiohttpRequest

    app = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .request(AiohttpRequest(connections=tg.SEND_CONNECTIONS, **tg.TIMEOUTS))
        .get_updates_request(AiohttpRequest(connections=2, **tg.TIMEOUTS))
        .concurrent_updates(tg.CONCURRENT_UPDATES)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if msg is not None and msg.text:
            await msg.reply_text(msg.text, do_quote=False)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        timeout=dt.timedelta(seconds=10), allowed_updates=tg.ALLOWED_UPDATES
    )

    async def stop() -> None:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


async def _discord_echo(settings: Any) -> Callable[[], Awaitable[None]]:
    """Baseline: discord.py as the adapter sets it up, replying to a mention with its text."""
    import discord

    from bot.platforms.discord.client import build_client, configure_endpoints
    from bot.platforms.discord.render import NO_MENTIONS

    configure_endpoints(settings)
    client = build_client(settings, guild_ready_timeout=0.05)

    @client.event
    async def on_message(msg: discord.Message) -> None:
        me = client.user
        if me is not None and not msg.author.bot and any(u.id == me.id for u in msg.mentions):
            await msg.channel.send(
                msg.content,
                reference=msg.to_reference(fail_if_not_exists=False),
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )

    await client.login(settings.discord_token.get_secret_value())
    runner = asyncio.create_task(client.connect(reconnect=True))
    await asyncio.wait_for(client.wait_until_ready(), READY_TIMEOUT)

    async def stop() -> None:
        await client.close()
        await asyncio.wait({runner}, timeout=5)

    return stop


# == the benchmark's handle on it ==========================================================


class Bot:
    """The bot under test in a child process."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log
        self.ready: dict[str, Any] = {}
        self.stopped: dict[str, Any] = {}

    @classmethod
    async def start(cls, spec: dict[str, Any], workdir: Path) -> Bot:
        log = workdir / f"{spec['mode']}.log"
        with log.open("ab") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.e2e.bot_side",
                json.dumps(spec),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                cwd=ROOT,  # where ``benchmarks`` and ``bot`` import from
                env=clean_env(),
            )
        bot = cls(proc, log)
        bot.ready = await asyncio.wait_for(bot._event(), READY_TIMEOUT)
        return bot

    async def _event(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the bot process ended early:\n{tail}")
        event: dict[str, Any] = json.loads(line)
        return event

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    async def stop(self) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGTERM)
        self.stopped = await asyncio.wait_for(self._event(), 30)
        await self.proc.wait()
        return self.stopped

    def log_lines(self, level: str) -> list[str]:
        return [
            line
            for line in self.log.read_text(errors="replace").splitlines()
            if f" {level} " in line
        ]


if __name__ == "__main__":
    asyncio.run(_serve(json.loads(sys.argv[1])))
