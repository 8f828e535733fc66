"""``python -m benchmarks.e2e``: the options, the rounds, the report (see the package doc)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import benchmarks.e2e
from benchmarks.bench_core import questions
from benchmarks.e2e.report import report, write_into
from benchmarks.e2e.rounds import Round, both_round, platform_round, startup_round


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
    description = (benchmarks.e2e.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.e2e", description=description)
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
    args = parser.parse_args(argv)
    if args.profile:
        # Absolute: the bot processes run in the repository root, not in this directory.
        args.profile = str(Path(args.profile).resolve())
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    # The fakes' aiohttp servers log every connection dropped at shutdown: not news here.
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    rounds = asyncio.run(bench(args, sys.stdout))
    command = " ".join(["python", "-m", "benchmarks.e2e", *(argv or sys.argv[1:])])
    text = report(rounds, args, command)
    print()
    print(text)
    if args.write:
        write_into(Path(args.write), text)


if __name__ == "__main__":
    main()
