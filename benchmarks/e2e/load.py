"""The platform side under load: fakes with askers that time every question, and the phases.

:class:`LoadTelegram` and :class:`LoadDiscord` are the fakes from ``tests/fakes`` with
users who ask; :func:`closed_loop` (each asker asks again as soon as it is answered) and
:func:`fixed_rate` (one question every 1/rate s) drive them for a measured
:class:`Phase`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.e2e.bot_side import Bot
from tests.fakes import discord as fake_discord
from tests.fakes.discord import BOT_ID, FakeDiscord
from tests.fakes.discord import Request as DiscordRequest
from tests.fakes.telegram import FakeTelegram

DRAIN_SECONDS = 10.0
TG_USER_BASE = 700_000_000
DC_USER_BASE = 1_210_000_000_000_000_000
DC_CHANNEL_BASE = 1_250_000_000_000_000_000
_CHANNEL_POST = re.compile(r"/channels/(\d+)/messages")


def percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# == the fakes, with askers ================================================================


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
