"""Chart benchmark: how long the /stats chart takes, against saving an empty figure.

Run:  python -m benchmarks.bench_chart [--runs N]    (from the repository root)

The budget is 300 ms per chart on a 2-core machine once matplotlib is imported.
Times depend on the machine, so the same run also times the least matplotlib can
do at this size (an empty 1000 x 600 Figure saved as PNG through Agg); the ratio
chart / baseline says how much our drawing adds and travels between machines
better than the milliseconds do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import struct
import time
from collections.abc import Callable

from bot.chat import chart

BUDGET_MS = 300.0
END = dt.date(2025, 12, 9)


def busy_period(n_days: int, rng: random.Random) -> dict[dt.date, dict[str, int]]:
    """A busy bot: hundreds of questions a day, every outcome, a few days without any."""
    start = END - dt.timedelta(days=n_days - 1)
    return {
        start + dt.timedelta(days=i): {
            "answered": rng.randint(100, 1200),
            "close_call": rng.randint(0, 150),
            "fallback": rng.randint(0, 200),
            "refused": rng.randint(0, 10),
            "smalltalk": rng.randint(0, 100),
        }
        for i in range(n_days)
        if rng.random() > 0.1
    }


def empty_figure_png() -> bytes:
    """The baseline: an empty Figure of the chart's size, saved the way the chart is."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(chart.WIDTH_IN, chart.HEIGHT_IN), dpi=chart.DPI)
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=chart.DPI, facecolor="white")
    return out.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def timed(fn: Callable[..., bytes], runs: int, *args: object) -> tuple[list[float], bytes]:
    samples = []
    png = b""
    for _ in range(runs):
        t0 = time.perf_counter()
        png = fn(*args)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, png


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30, help="charts drawn per period")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import matplotlib.figure  # noqa: F401  (the first import, timed on its own)

    import_ms = (time.perf_counter() - t0) * 1000
    rng = random.Random(7)
    periods = {n: busy_period(n, rng) for n in (7, 30, 90)}
    t0 = time.perf_counter()
    chart.stats_chart(periods[7], END - dt.timedelta(days=6), END, "de")
    first_ms = (time.perf_counter() - t0) * 1000

    base, base_png = timed(empty_figure_png, args.runs)
    base_median = statistics.median(base)
    rows = [("empty Figure (baseline)", base, base_png)]
    for n, daily in periods.items():
        start = END - dt.timedelta(days=n - 1)
        for lang in ("de", "en"):
            samples, png = timed(chart.stats_chart, args.runs, daily, start, END, lang)
            rows.append((f"{n:2d} days, {lang}", samples, png))

    print(f"matplotlib import {import_ms:.0f} ms, first chart after it {first_ms:.0f} ms")
    print(f"{args.runs} runs each; budget {BUDGET_MS:.0f} ms per chart\n")
    print(f"{'chart':24} {'median ms':>9} {'p95 ms':>7} {'x base':>6} {'PNG bytes':>9} {'size':>9}")
    for label, samples, png in rows:
        median = statistics.median(samples)
        width, height = png_size(png)
        print(
            f"{label:24} {median:9.1f} {p95(samples):7.1f} {median / base_median:6.2f}"
            f" {len(png):9,} {f'{width}x{height}':>9}"
        )
    worst = max(p95(samples) for _, samples, _ in rows[1:])
    verdict = "within" if worst <= BUDGET_MS else "OVER"
    print(f"\nworst p95 {worst:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget")


if __name__ == "__main__":
    main()
