"""End-to-end load benchmark: the real adapters against the fake Telegram Bot API and Discord.

Run:  python benchmarks/bench_e2e.py [--seconds N] [--runs R] [--write docs/performance-e2e.md]

The bot runs in its own process, like in production (one core for the bot, one for
the platform side); this process plays the platform: the fake servers from
``tests/fakes`` and the users who ask. Measured, in each of ``--runs`` rounds:

  * Telegram: chats sending questions concurrently (closed loop: each chat asks its next
    question as soon as it has its answer) for ``--seconds``, then a fixed 100 questions/s.
    Updates go out through getUpdates; the time from the fake answering the poll that
    delivers a question to the fake receiving the sendMessage with its answer is the
    latency. The client-side send limiter (30 messages/s, Telegram's own limit) is off.
  * Discord: the same through the gateway (MESSAGE_CREATE mentioning the bot, one text
    channel per asker) and REST (the reply, matched by ``message_reference``).
  * Baselines: the same libraries, HTTP clients and fakes with an echo handler (no
    engine, no storage, no rendering), so the bot's own cost shows as a ratio; and the
    engine alone (CPU ms per question, warm).
  * Both adapters in one process sharing one engine and one database: both saturated,
    then both at the fixed rate at once; peak RSS (VmHWM), RSS growth and objects kept
    per answer, and the longest garbage-collector pause while under load. Also the
    peak RSS of ``python -m bot run`` with both adapters, at ready.
  * Start-up: ``python -m bot ask`` (median of 5) against a bare interpreter, and
    ``python -m bot run`` until its "bot ready" log line against the fake Telegram.

Figures are medians over the rounds. The bot's CPU time per answer (from
``/proc/<pid>/stat``) is reported too: unlike answers/s it hardly depends on what
else the machine is doing. ``--profile DIR`` writes cProfile stats of the bot
processes' steady state there; ``--gc-freeze`` tries ``gc.freeze()`` after start-up.
The bot's flood gate runs with limits no asker reaches; errors count HTTP errors at the
fakes, replies that are the bot's error notice, and replies nobody waited for.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import gc
import itertools
import json
import logging
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

SCRIPT = os.path.abspath(__file__)
ROOT = Path(SCRIPT).parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_core import questions  # noqa: E402
from tests.fakes import discord as fake_discord  # noqa: E402
from tests.fakes import telegram as fake_telegram  # noqa: E402
from tests.fakes.discord import BOT_ID, FakeDiscord  # noqa: E402
from tests.fakes.discord import Request as DiscordRequest  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402

TARGET_RATE = 300.0  # answered questions/s through each path
TARGET_P99_MS = 100.0  # at FIXED_RATE
FIXED_RATE = 100.0
TARGET_RSS_MB = 150.0
RATE_LIMIT_OFF = "1000000/1"  # the bot's flood gate still runs, but admits everything
READY_TIMEOUT = 90.0
DRAIN_SECONDS = 10.0
TG_USER_BASE = 700_000_000
DC_USER_BASE = 1_210_000_000_000_000_000
DC_CHANNEL_BASE = 1_250_000_000_000_000_000
_CHANNEL_POST = re.compile(r"/channels/(\d+)/messages")
_MARK_BEGIN = "<!-- bench_e2e:begin -->"
_MARK_END = "<!-- bench_e2e:end -->"


def percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in kB, from /proc."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all threads) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# == the bot side (a child process) ======================================================


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


# == the platform side: fakes that time every question ===================================


@dataclass
class Pending:
    key: int  # the question's message id
    pushed: float
    delivered: float | None = None


@dataclass
class Sample:
    pushed: float
    delivered: float
    replied: float


class Load:
    """Who is waiting for an answer, and how long each answer took."""

    def __init__(self, mix: Sequence[str], submit: Callable[[int], None]) -> None:
        self.mix = mix
        self.submit = submit
        self.closed_loop = False
        self.pending: dict[int, Pending] = {}  # slot (chat / channel) -> its open question
        self.samples: list[Sample] = []
        self.asked = 0
        self.unexpected = 0  # replies nobody was waiting for (duplicates, stray chunks)
        self.bad = 0  # replies that are the bot's error or rate-limit notice
        self._turn: dict[int, int] = {}
        self.settled = asyncio.Event()  # set on every reply

    def question(self, slot: int) -> str:
        turn = self._turn.get(slot, 0)
        self._turn[slot] = turn + 1
        return self.mix[(slot * 37 + turn) % len(self.mix)]

    def asking(self, slot: int, key: int, *, delivered: bool = False) -> None:
        now = time.perf_counter()
        self.pending[slot] = Pending(key, now, now if delivered else None)
        self.asked += 1

    def delivered(self, slot: int, key: int, now: float) -> None:
        pending = self.pending.get(slot)
        if pending is not None and pending.key == key and pending.delivered is None:
            pending.delivered = now

    def replied(self, slot: int, key: int | None, now: float, ok: bool) -> None:
        pending = self.pending.get(slot)
        if pending is None or pending.delivered is None or key not in (None, pending.key):
            self.unexpected += 1
            return
        del self.pending[slot]
        self.settled.set()
        self.samples.append(Sample(pending.pushed, pending.delivered, now))
        if not ok:
            self.bad += 1
        if self.closed_loop:
            self.submit(slot)


def _notices() -> list[str]:
    """Texts of replies that are not answers: the bot's error and flood notices."""
    from bot.domain.messages import message

    return [message(key, lang) for key in ("error", "rate_limited") for lang in ("de", "en")]


class LoadTelegram(FakeTelegram):
    """The fake Bot API with users: slot n is a private chat with user TG_USER_BASE + n."""

    def __init__(self, mix: Sequence[str]) -> None:
        super().__init__()
        self.load = Load(mix, self.ask)
        self._notices = _notices()

    def ask(self, slot: int) -> None:
        user = self.user(TG_USER_BASE + slot, f"U{slot}", "de")
        msg = self.say(self.load.question(slot), user=user)
        self.load.asking(slot, msg["message_id"])

    def errors(self) -> int:
        return sum(1 for c in self.calls if c.status not in (0, 200))

    async def _api_getupdates(self, params: dict[str, Any]) -> Any:
        ready = await super()._api_getupdates(params)
        now = time.perf_counter()
        for update in ready:
            msg = update.get("message")
            if msg is not None:
                slot = msg["chat"]["id"] - TG_USER_BASE
                self.load.delivered(slot, msg["message_id"], now)
        return ready

    async def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        now = time.perf_counter()
        sent = await super()._api_sendmessage(params)
        ok = not any(n in sent["text"] for n in self._notices)
        self.load.replied(int(params["chat_id"]) - TG_USER_BASE, None, now, ok)
        return sent


class LoadDiscord(FakeDiscord):
    """The fake Discord with users: slot n asks in its own text channel, as its own user."""

    def __init__(self, mix: Sequence[str], slots: int) -> None:
        super().__init__(extra_channels=[DC_CHANNEL_BASE + n for n in range(slots)])
        for n in range(slots):
            fake_discord.USERS[DC_USER_BASE + n] = fake_discord.user(DC_USER_BASE + n, f"u{n}")
        self.load = Load(mix, self.ask)
        self._tasks: set[asyncio.Future[None]] = set()
        self._notices = _notices()

    def ask(self, slot: int) -> None:
        task = asyncio.ensure_future(self._ask(slot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ask(self, slot: int) -> None:
        data = self.message_payload(
            f"<@{BOT_ID}> {self.load.question(slot)}",
            author_id=DC_USER_BASE + slot,
            channel_id=DC_CHANNEL_BASE + slot,
            mentions=[BOT_ID],
        )
        self.load.asking(slot, int(data["id"]), delivered=True)
        await self.dispatch("MESSAGE_CREATE", data)

    def errors(self) -> int:
        return sum(1 for r in self.requests if r.status not in (200, 204))

    def _route(self, method: str, path: str, record: DiscordRequest) -> tuple[int, Any]:
        now = time.perf_counter()
        status, data = super()._route(method, path, record)
        found = _CHANNEL_POST.fullmatch(path)
        if method == "POST" and found and isinstance(record.body, dict):
            ref = (record.body.get("message_reference") or {}).get("message_id")
            text = DiscordRequest("POST", path, {}, record.body).text
            ok = not any(n in text for n in self._notices)
            slot = int(found[1]) - DC_CHANNEL_BASE
            self.load.replied(slot, int(ref) if ref else None, now, ok)
        return status, data


# == driving a phase =======================================================================


@dataclass
class Phase:
    """One measured stretch of load on one path."""

    path: str
    load: str
    seconds: float
    samples: list[Sample]
    asked: int
    unanswered: int = 0
    errors: int = 0
    bot_cpu: float = 0.0  # CPU seconds of the bot process in the window
    platform_cpu: float = 0.0  # and of this process (fakes and users)
    bot_answered: int = 0  # answers the bot process gave in the window, on every path

    @property
    def answered(self) -> int:
        return len(self.samples)

    @property
    def rate(self) -> float:
        return self.answered / self.seconds

    def latency_ms(self, q: float) -> float:
        return 1000 * percentile([s.replied - s.delivered for s in self.samples], q)

    def queued_ms(self, q: float) -> float:
        """From the question being queued at the fake (includes the long-poll pick-up)."""
        return 1000 * percentile([s.replied - s.pushed for s in self.samples], q)

    @property
    def cpu_ms(self) -> float:
        """The bot's CPU time per answer: steadier than answers/s on a shared machine."""
        return 1000 * self.bot_cpu / self.bot_answered if self.bot_answered else float("nan")

    @property
    def bot_busy(self) -> float:
        return 100 * self.bot_cpu / self.seconds

    @property
    def platform_busy(self) -> float:
        return 100 * self.platform_cpu / self.seconds


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
                SCRIPT,
                "--serve",
                json.dumps(spec),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                cwd=workdir,
                env=_env(),
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


async def _drain(loads: Sequence[Load]) -> int:
    """Wait for the answers still owed; return how many never came."""
    deadline = time.perf_counter() + DRAIN_SECONDS
    for load in loads:
        while load.pending and (left := deadline - time.perf_counter()) > 0:
            load.settled.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(load.settled.wait(), left)
    return sum(len(load.pending) for load in loads)


async def closed_loop(
    fakes: Sequence[tuple[str, LoadTelegram | LoadDiscord]],
    bot: Bot,
    slots: int,
    warmup: float,
    seconds: float,
    label: str,
) -> list[Phase]:
    """``slots`` askers per path, each asking again as soon as it is answered."""
    loads = [fake.load for _, fake in fakes]
    for load in loads:
        load.closed_loop = True
        for slot in range(slots):
            load.submit(slot)
    await asyncio.sleep(warmup)
    marks = [(len(load.samples), load.asked) for load in loads]
    cpu0, own0 = bot.cpu(), time.process_time()
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    t1 = time.perf_counter()
    cpu1, own1 = bot.cpu(), time.process_time()
    for load in loads:
        load.closed_loop = False
    unanswered = await _drain(loads)
    phases = []
    for (name, fake), (before, asked) in zip(fakes, marks, strict=True):
        load = fake.load
        window = [s for s in load.samples[before:] if t0 <= s.replied < t1]
        phases.append(
            Phase(
                name,
                label,
                t1 - t0,
                window,
                load.asked - asked,
                unanswered=len(load.pending),
                errors=fake.errors() + load.bad + load.unexpected,
                bot_cpu=cpu1 - cpu0,
                platform_cpu=own1 - own0,
                bot_answered=_answered(loads, t0, t1),
            )
        )
    assert unanswered == sum(p.unanswered for p in phases)
    return phases


def _answered(loads: Sequence[Load], t0: float, t1: float) -> int:
    return sum(1 for load in loads for s in load.samples if t0 <= s.replied < t1)


async def fixed_rate(
    name: str, fake: LoadTelegram | LoadDiscord, bot: Bot, rate: float, seconds: float, pool: int
) -> Phase:
    """Open loop: one question every 1/rate s, each from an asker with nothing open."""
    load = fake.load
    before, asked0 = len(load.samples), load.asked
    cpu0, own0 = bot.cpu(), time.process_time()
    start = time.perf_counter()
    slots = itertools.cycle(range(pool))
    for n in itertools.count():
        due = start + n / rate
        if due - start >= seconds:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        slot = next(slots)
        for _ in range(pool):
            if slot not in load.pending:
                break
            slot = next(slots)
        else:
            continue  # every asker still waiting: the bot is far behind; skip this one
        load.submit(slot)
    unanswered = await _drain([load])
    elapsed = time.perf_counter() - start
    cpu1, own1 = bot.cpu(), time.process_time()
    samples = load.samples[before:]
    return Phase(
        name,
        f"fixed {rate:g}/s",
        elapsed,
        samples,
        load.asked - asked0,
        unanswered=unanswered,
        errors=fake.errors() + load.bad + load.unexpected,
        bot_cpu=cpu1 - cpu0,
        platform_cpu=own1 - own0,
        bot_answered=len(samples),
    )


# == one round =============================================================================


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


def _env(**values: str) -> dict[str, str]:
    """A clean environment: no tokens or settings from the caller's shell or ``.env``."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**env, **values}


def _wall(argv: Sequence[str], workdir: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=workdir, env=_env(), check=True, capture_output=True)
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
        runs = [await _run_to_ready(_env(**base), workdir) for _ in range(3)]
        rnd.figures["start_run"] = statistics.median(r[0] for r in runs)
        rnd.figures["stop_run"] = statistics.median(r[2] for r in runs)
        both = {
            **base,
            "DISCORD_TOKEN": fake_discord.TOKEN,
            "DISCORD_API_BASE_URL": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
        }
        ready, peak, _ = await _run_to_ready(_env(**both), workdir)
        rnd.figures["start_run_both"] = ready
        rnd.figures["rss_run_both_ready"] = peak
    finally:
        await telegram.stop()
        await discord.close()


# == reporting =============================================================================


@dataclass
class Row:
    label: str
    values: list[float]
    unit: str
    target: str = ""
    ok: Callable[[float], bool] | None = None

    def cell(self) -> str:
        values = [v for v in self.values if v == v]  # drop NaN
        if not values:
            return "n/a"
        median = statistics.median(values)
        if self.unit in ("/s", "") and median >= 10:
            fmt = "{:,.0f}"
        elif self.unit in ("s", "x") or median < 10:
            fmt = "{:.2f}"
        else:
            fmt = "{:.1f}"
        text = fmt.format(median)
        if len(values) > 1:
            text += f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
        return text + ("" if self.unit in ("/s", "") else f" {self.unit}")

    @property
    def verdict(self) -> str:
        values = [v for v in self.values if v == v]
        if self.ok is None or not values:
            return ""
        return "met" if self.ok(statistics.median(values)) else "**missed**"


def _phase_rows(rounds: list[Round]) -> list[tuple[str, str, list[Phase]]]:
    keys: dict[tuple[str, str], list[Phase]] = {}
    for rnd in rounds:
        for phase in rnd.phases:
            keys.setdefault((phase.path, phase.load), []).append(phase)
    return [(path, load, phases) for (path, load), phases in keys.items()]


def _fmt(values: Sequence[float], fmt: str) -> str:
    clean = [v for v in values if v == v]
    if not clean:
        return "n/a"
    text = fmt.format(statistics.median(clean))
    if len(clean) > 1:
        text += f" ({fmt.format(min(clean))}–{fmt.format(max(clean))})"
    return text


def load_table(rounds: list[Round]) -> list[str]:
    lines = [
        "| path | load | answered/s | p50 ms | p99 ms | p99 from queued, ms "
        "| bot CPU ms/answer | bot CPU % | fakes' CPU % | errors | unanswered |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, load, phases in _phase_rows(rounds):
        lines.append(
            f"| {path} | {load} "
            f"| {_fmt([p.rate for p in phases], '{:,.0f}')} "
            f"| {_fmt([p.latency_ms(0.5) for p in phases], '{:.1f}')} "
            f"| {_fmt([p.latency_ms(0.99) for p in phases], '{:.1f}')} "
            f"| {_fmt([p.queued_ms(0.99) for p in phases], '{:.1f}')} "
            f"| {_fmt([p.cpu_ms for p in phases], '{:.2f}')} "
            f"| {_fmt([p.bot_busy for p in phases], '{:.0f}')} "
            f"| {_fmt([p.platform_busy for p in phases], '{:.0f}')} "
            f"| {sum(p.errors for p in phases)} "
            f"| {sum(p.unanswered for p in phases)} |"
        )
    return lines


def summary_rows(rounds: list[Round]) -> list[Row]:
    def values(path: str, attr: str, *, fixed: bool = False) -> list[float]:
        out = []
        for rnd in rounds:
            for phase in rnd.phases:
                if phase.path == path and phase.load.startswith("fixed") == fixed:
                    value = getattr(phase, attr)
                    out.append(value(0.99) if callable(value) else value)
        return out

    def saturated(path: str, attr: str = "rate") -> list[float]:
        return values(path, attr)

    def capacity(path: str) -> list[float]:
        return [1000 / ms for ms in saturated(path, "cpu_ms") if ms == ms and ms > 0]

    def p99(path: str) -> list[float]:
        return values(path, "latency_ms", fixed=True)

    def figure(key: str) -> list[float]:
        return [r.figures[key] for r in rounds if key in r.figures]

    def growth(mode: str) -> list[float]:
        return [
            1000
            * (r.figures[f"rss_end_{mode}"] - r.figures[f"rss_ready_{mode}"])
            / r.figures[f"answers_{mode}"]
            for r in rounds
            if r.figures.get(f"answers_{mode}")
        ]

    def objects(mode: str) -> list[float]:
        return [
            (r.figures[f"objects_end_{mode}"] - r.figures[f"objects_ready_{mode}"])
            / r.figures[f"answers_{mode}"]
            for r in rounds
            if r.figures.get(f"answers_{mode}") and f"objects_end_{mode}" in r.figures
        ]

    def at_least(target: float) -> Callable[[float], bool]:
        return lambda value: value >= target

    def below(target: float) -> Callable[[float], bool]:
        return lambda value: value < target

    rate_ok, p99_ok, rss_ok = at_least(TARGET_RATE), below(TARGET_P99_MS), below(TARGET_RSS_MB)
    rate_t, p99_t, rss_t = f"≥ {TARGET_RATE:g}", f"< {TARGET_P99_MS:g}", f"< {TARGET_RSS_MB:g}"
    both = [
        a + b for a, b in zip(saturated("both: telegram"), saturated("both: discord"), strict=True)
    ]
    rows: list[Row] = []
    for name, path in (("Telegram", "telegram"), ("Discord", "discord")):
        rows += [
            Row(f"{name}: answered/s, saturated", saturated(path), "/s", rate_t, rate_ok),
            Row(
                f"{name}: capacity, 1 core (1000 / bot CPU ms per answer)",
                capacity(path),
                "/s",
                rate_t,
                rate_ok,
            ),
            Row(f"{name}: echo baseline, answered/s", saturated(f"{path}-echo"), "/s"),
            Row(f"{name}: echo baseline, capacity, 1 core", capacity(f"{path}-echo"), "/s"),
            Row(f"{name}: p99 at {FIXED_RATE:g} questions/s", p99(path), "ms", p99_t, p99_ok),
        ]
    rows += [
        Row("engine alone: CPU ms per question (baseline)", figure("engine_ms"), "ms"),
        Row("both in one process, both saturated: answered/s (sum)", both, "/s"),
        Row(f"both in one process, {FIXED_RATE:g}/s each: p99 Telegram", p99("both: telegram"),
            "ms", p99_t, p99_ok),
        Row(f"both in one process, {FIXED_RATE:g}/s each: p99 Discord", p99("both: discord"),
            "ms", p99_t, p99_ok),
        Row("peak RSS (VmHWM), both adapters, after the load", figure("rss_both"), "MB",
            rss_t, rss_ok),
        Row("RSS, both adapters: at ready", figure("rss_both_ready"), "MB"),
        Row("RSS, both adapters: after the load", figure("rss_both_end"), "MB"),
        Row("peak RSS, `python -m bot run` with both adapters, at ready",
            figure("rss_run_both_ready"), "MB", rss_t, rss_ok),
        Row("peak RSS, Telegram adapter alone, after its load", figure("rss_telegram"), "MB"),
        Row("peak RSS, Discord adapter alone, after its load", figure("rss_discord"), "MB"),
        Row("RSS growth per 1,000 answers, Telegram", growth("telegram"), "MB"),
        Row("RSS growth per 1,000 answers, Discord", growth("discord"), "MB"),
        Row("objects kept per answer (gc-tracked), Telegram", objects("telegram"), ""),
        Row("objects kept per answer (gc-tracked), Discord", objects("discord"), ""),
        Row("bot: longest GC pause under load, Telegram", figure("gc_max_telegram"), "ms"),
        Row("bot: longest GC pause under load, Discord", figure("gc_max_discord"), "ms"),
        Row("bot: longest GC pause under load, both", figure("gc_max_both"), "ms"),
        Row("bot: full (gen 2) collections under load, both", figure("gc2_count_both"), ""),
        Row("start-up: `python -c pass`", figure("start_python"), "s"),
        Row("start-up: `python -c 'import bot.cli'`", figure("start_import"), "s"),
        Row("start-up: `python -m bot ask \"…\"`", figure("start_ask"), "s"),
        Row("start-up: `python -m bot run` to \"bot ready\", Telegram", figure("start_run"), "s"),
        Row("start-up: the same, Telegram and Discord", figure("start_run_both"), "s"),
        Row("shutdown: `run` (Telegram), SIGTERM to exit", figure("stop_run"), "s"),
    ]  # fmt: skip
    return rows


def report(rounds: list[Round], args: argparse.Namespace, command: str) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; 1-minute load average at the "
        f"start of each round: {', '.join(f'{r.load:.2f}' for r in rounds)} (2 would be "
        "both cores busy; anything above the bot and the fakes is other work).",
        "",
        f"Medians over {len(rounds)} round(s), range in brackets. Each load phase lasts "
        f"{args.seconds:g} s after {args.warmup:g} s of warm-up; saturated = {args.users} "
        f"chats/channels, each asking again as soon as it is answered; fixed = "
        f"{FIXED_RATE:g} questions/s from a pool of {args.pool} askers.",
        "",
        "| measure | figure | target | |",
        "|---|---:|---:|---|",
    ]
    for row in summary_rows(rounds):
        lines.append(f"| {row.label} | {row.cell()} | {row.target} | {row.verdict} |")
    lines += ["", *load_table(rounds), ""]
    notes = sorted({n for r in rounds for n in r.notes})
    if notes:
        lines += ["Error lines in the bot's log:", "", *(f"    {n}" for n in notes[:10]), ""]
    return "\n".join(lines)


def write_into(path: Path, body: str) -> None:
    """Replace the generated section of ``path`` (between markers), keeping the rest."""
    block = f"{_MARK_BEGIN}\n{body}\n{_MARK_END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if _MARK_BEGIN in text and _MARK_END in text:
        head, rest = text.split(_MARK_BEGIN, 1)
        text = head + block + rest.split(_MARK_END, 1)[1]
    else:
        text = (text.rstrip() + "\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")


# == main ==================================================================================


async def bench(args: argparse.Namespace, out: TextIO) -> list[Round]:
    mix = questions()
    rounds = []
    parts = args.only or ["telegram", "discord", "both", "startup"]
    for n in range(args.runs):
        rnd = Round()
        with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
            workdir = Path(tmp)
            for part in parts:
                t0 = time.perf_counter()
                if part in ("telegram", "discord"):
                    await platform_round(part, args, mix, workdir, rnd)
                elif part == "both":
                    await both_round(args, mix, workdir, rnd)
                else:
                    await startup_round(args, workdir, rnd)
                out.write(f"round {n + 1}/{args.runs}: {part} ({time.perf_counter() - t0:.0f} s)\n")
                out.flush()
        rounds.append(rnd)
    return rounds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured load before it")
    parser.add_argument("--runs", type=int, default=3, help="rounds; figures are medians")
    parser.add_argument("--users", type=int, default=100, help="concurrent askers per path")
    parser.add_argument("--pool", type=int, default=500, help="askers for the fixed rate")
    parser.add_argument(
        "--only", nargs="+", choices=["telegram", "discord", "both", "startup"], help="parts"
    )
    parser.add_argument("--profile", help="write cProfile stats of the bot processes here")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() in the bot process once it is ready",
    )
    parser.add_argument("--write", help="put the results table into this Markdown file")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # internal: the bot process
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(json.loads(args.serve)))
        return
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    # The fakes' aiohttp servers log every connection dropped at shutdown: not news here.
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    rounds = asyncio.run(bench(args, sys.stdout))
    command = "python " + " ".join(
        [str(Path(__file__).resolve().relative_to(ROOT)), *(argv or sys.argv[1:])]
    )
    text = report(rounds, args, command)
    print()
    print(text)
    if args.write:
        write_into(Path(args.write), text)


if __name__ == "__main__":
    main()
