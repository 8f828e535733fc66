"""The results: the summary against the targets, the table of load phases, the docs table.

:func:`report` renders the Markdown that is printed and, with ``--write``, put between
the markers in a docs file by :func:`write_into` (the rest of the file stays).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.e2e.load import Phase
from benchmarks.e2e.rounds import FIXED_RATE, Round

TARGET_RATE = 300.0  # answered questions/s through each path
TARGET_P99_MS = 100.0  # at FIXED_RATE
TARGET_RSS_MB = 150.0
_MARK_BEGIN = "<!-- bench_e2e:begin -->"
_MARK_END = "<!-- bench_e2e:end -->"


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
