"""One round of the benchmark: each platform alone, both in one process, and start-up.

Each part starts the fakes and the bot process it needs, runs its phases and puts the
figures (answers/s, latencies, RSS, garbage-collector pauses, start-up times) into the
:class:`Round`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_core import questions
from benchmarks.e2e.bot_side import Bot
from benchmarks.e2e.load import LoadDiscord, LoadTelegram, Phase, closed_loop, fixed_rate
from benchmarks.e2e.processes import READY_TIMEOUT, clean_env, proc_status
from tests.fakes import discord as fake_discord
from tests.fakes import telegram as fake_telegram
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram

FIXED_RATE = 100.0
RATE_LIMIT_OFF = "1000000/1"  # the bot's flood gate still runs, but admits everything


@dataclass
class Round:
    phases: list[Phase] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    load: float = field(default_factory=lambda: os.getloadavg()[0])


def _settings(workdir: Path, **values: Any) -> dict[str, Any]:
    return {
        "database_path": str(workdir / "bench.sqlite3"),
        "user_rate_limit": RATE_LIMIT_OFF,
        "chat_rate_limit": RATE_LIMIT_OFF,
        **values,
    }


def _telegram_settings(fake: FakeTelegram) -> dict[str, Any]:
    return {"telegram_token": fake_telegram.TOKEN, "telegram_base_url": fake.base_url}


def _discord_settings(fake: FakeDiscord) -> dict[str, Any]:
    return {
        "discord_token": fake_discord.TOKEN,
        "discord_api_base_url": fake.api_base,
        "discord_gateway_url": fake.gateway_url,
    }


@contextlib.asynccontextmanager
async def _bot(spec: dict[str, Any], workdir: Path, rnd: Round) -> Any:
    bot = await Bot.start(spec, workdir)
    try:
        yield bot
    finally:
        if bot.proc.returncode is None:
            await bot.stop()
        for level in ("ERROR", "CRITICAL"):
            for line in bot.log_lines(level)[:3]:
                rnd.notes.append(f"{spec['mode']}: {line[:300]}")


async def platform_round(
    name: str, args: argparse.Namespace, mix: list[str], workdir: Path, rnd: Round
) -> None:
    """Echo baseline, then the adapter: saturated and at the fixed rate, on one platform."""
    for mode in (f"{name}-echo", name):
        fake: LoadTelegram | LoadDiscord
        if name == "telegram":
            fake = LoadTelegram(mix)
            await fake.start()
            values = _telegram_settings(fake)
        else:
            fake = LoadDiscord(mix, max(args.users, args.pool))
            await fake.start()
            values = _discord_settings(fake)
        spec: dict[str, Any] = {"mode": mode, "settings": _settings(workdir, **values)}
        spec["gc_freeze"] = args.gc_freeze
        if args.profile:
            spec["profile"] = os.path.join(args.profile, f"{mode}.prof")
        try:
            async with _bot(spec, workdir, rnd) as bot:
                rnd.figures[f"rss_ready_{mode}"] = bot.ready.get("VmRSS", 0) / 1024
                rnd.figures[f"objects_ready_{mode}"] = bot.ready["objects"]
                label = f"{args.users} {'chats' if name == 'telegram' else 'channels'}"
                (phase,) = await closed_loop(
                    [(mode, fake)], bot, args.users, args.warmup, args.seconds, label
                )
                rnd.phases.append(phase)
                if mode == name:
                    await asyncio.sleep(0.5)
                    rnd.phases.append(
                        await fixed_rate(mode, fake, bot, FIXED_RATE, args.seconds, args.pool)
                    )
                stopped = await bot.stop()
                rnd.figures[f"rss_{mode}"] = stopped.get("VmHWM", 0) / 1024
                rnd.figures[f"rss_end_{mode}"] = stopped.get("VmRSS", 0) / 1024
                rnd.figures[f"answers_{mode}"] = fake.load.asked
                _gc_figures(rnd, mode, stopped)
                rnd.figures[f"log_errors_{mode}"] = stopped["levels"].get("ERROR", 0)
        finally:
            await (fake.stop() if isinstance(fake, FakeTelegram) else fake.close())


def _gc_figures(rnd: Round, mode: str, stopped: dict[str, Any]) -> None:
    """The bot's garbage-collector pauses while under load: a source of p99 outliers."""
    rnd.figures[f"gc2_count_{mode}"] = stopped["gc"]["2"][0]
    rnd.figures[f"objects_end_{mode}"] = stopped["objects"]
    rnd.figures[f"gc_max_{mode}"] = max(ms for _, ms in stopped["gc"].values())


async def both_round(args: argparse.Namespace, mix: list[str], workdir: Path, rnd: Round) -> None:
    """Both adapters in one process, one engine and one database: saturated, then both at
    the fixed rate at once."""
    telegram, discord = LoadTelegram(mix), LoadDiscord(mix, max(args.users, args.pool))
    await telegram.start()
    await discord.start()
    values = {**_telegram_settings(telegram), **_discord_settings(discord)}
    spec = {"mode": "both", "settings": _settings(workdir, **values), "gc_freeze": args.gc_freeze}
    try:
        async with _bot(spec, workdir, rnd) as bot:
            rnd.figures["rss_both_ready"] = bot.ready.get("VmRSS", 0) / 1024
            phases = await closed_loop(
                [("both: telegram", telegram), ("both: discord", discord)],
                bot,
                args.users,
                args.warmup,
                args.seconds,
                f"{args.users} + {args.users}",
            )
            rnd.phases.extend(phases)
            await asyncio.sleep(0.5)
            fixed = await asyncio.gather(
                fixed_rate("both: telegram", telegram, bot, FIXED_RATE, args.seconds, args.pool),
                fixed_rate("both: discord", discord, bot, FIXED_RATE, args.seconds, args.pool),
            )
            for phase in fixed:  # one process: its CPU time is shared by both paths
                phase.bot_answered = sum(p.answered for p in fixed)
            rnd.phases.extend(fixed)
            stopped = await bot.stop()
            rnd.figures["rss_both"] = stopped.get("VmHWM", 0) / 1024
            rnd.figures["rss_both_end"] = stopped.get("VmRSS", 0) / 1024
            _gc_figures(rnd, "both", stopped)
    finally:
        await telegram.stop()
        await discord.close()


# == start-up ==============================================================================


def _wall(argv: Sequence[str], workdir: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=workdir, env=clean_env(), check=True, capture_output=True)
    return time.perf_counter() - t0


async def _run_to_ready(env: dict[str, str], workdir: Path) -> tuple[float, float, float]:
    """``python -m bot run``: seconds to the "bot ready" line, VmHWM (MB) then, shutdown s."""
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        while True:
            raw = await asyncio.wait_for(proc.stderr.readline(), READY_TIMEOUT)
            if not raw:
                raise RuntimeError("`run` ended before ready:\n" + "".join(seen[-20:]))
            seen.append(raw.decode(errors="replace"))
            if "bot ready" in seen[-1]:
                break
        ready = time.perf_counter() - t0
        peak = proc_status(proc.pid).get("VmHWM", 0) / 1024
        t1 = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
        return ready, peak, time.perf_counter() - t1
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def engine_cpu_ms(mix: Sequence[str]) -> float:
    """Baseline: CPU ms per question of the engine alone (warm, no I/O), in this process."""
    from bot.engine.engine import Engine
    from bot.knowledge import load_knowledge

    engine = Engine(load_knowledge())
    for question in mix:  # warm the caches, as the load phases are warm
        engine.answer(question)
    t0 = time.process_time()
    for question in [*mix, *mix, *mix]:
        engine.answer(question)
    return 1000 * (time.process_time() - t0) / (3 * len(mix))


async def startup_round(args: argparse.Namespace, workdir: Path, rnd: Round) -> None:
    rnd.figures["engine_ms"] = engine_cpu_ms(questions())
    python = sys.executable
    question = "Wer ist Liang Wenfeng?"
    rnd.figures["start_python"] = statistics.median(
        _wall([python, "-c", "pass"], workdir) for _ in range(5)
    )
    rnd.figures["start_import"] = statistics.median(
        _wall([python, "-c", "import bot.cli"], workdir) for _ in range(5)
    )
    rnd.figures["start_ask"] = statistics.median(
        _wall([python, "-m", "bot", "ask", question], workdir) for _ in range(5)
    )
    telegram = FakeTelegram()
    discord = FakeDiscord()
    await telegram.start()
    await discord.start()
    try:
        base = {
            "DATABASE_PATH": str(workdir / "run.sqlite3"),
            "TELEGRAM_TOKEN": fake_telegram.TOKEN,
            "TELEGRAM_BASE_URL": telegram.base_url,
            "LOG_LEVEL": "INFO",
        }
        runs = [await _run_to_ready(clean_env(**base), workdir) for _ in range(3)]
        rnd.figures["start_run"] = statistics.median(r[0] for r in runs)
        rnd.figures["stop_run"] = statistics.median(r[2] for r in runs)
        both = {
            **base,
            "DISCORD_TOKEN": fake_discord.TOKEN,
            "DISCORD_API_BASE_URL": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
        }
        ready, peak, _ = await _run_to_ready(clean_env(**both), workdir)
        rnd.figures["start_run_both"] = ready
        rnd.figures["rss_run_both_ready"] = peak
    finally:
        await telegram.stop()
        await discord.close()
