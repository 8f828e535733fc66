"""The /stats chart: questions per day, stacked by outcome, as a PNG for a phone.

matplotlib is an optional extra ("charts") and takes most of a second to import,
so it is imported inside the functions: the bot starts, and answers questions,
without it. Drawing uses an explicit Figure with an Agg canvas instead of pyplot,
so there is no global figure state and charts can be drawn from worker threads
(call stats_chart via asyncio.to_thread: it is CPU work of ~0.1 s).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.chat.chart_text import (
    SERIES,
    chart_text,
    count,
    day_label,
    days_between,
    labelled_days,
    series_counts,
    subtitle,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# 10 x 6 inches at 100 dpi: 1000 x 600 px, sharp on a phone and small to send.
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 6.0, 100
# Font sizes in points; at 100 dpi one point is 1.39 px, so the smallest text
# (12 pt, the day and count labels) is 16.7 px high in the 1000 x 600 px picture.
TITLE_PT, TEXT_PT, EMPTY_PT = 20, 14, 20
TICK_PT = 12
# Okabe-Ito colours, told apart with every common colour-vision deficiency:
# dark blue, sky blue, vermillion and neutral grey also differ in lightness.
COLOURS = {
    "answered": "#0072B2",
    "close_call": "#56B4E9",
    "unanswered": "#D55E00",
    "smalltalk": "#999999",
}
INK = "#222222"


def stats_chart(
    daily: Mapping[dt.date, Mapping[str, int]], start: dt.date, end: dt.date, lang: str
) -> bytes:
    """PNG: questions per day from start to end (inclusive), stacked by outcome."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = chart_figure(daily, start, end, lang)
    FigureCanvasAgg(fig)  # attaches itself to fig: savefig draws with Agg, no pyplot
    out = io.BytesIO()
    # dpi and colour given here so a changed global rcParams cannot resize the picture.
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def chart_figure(
    daily: Mapping[dt.date, Mapping[str, int]], start: dt.date, end: dt.date, lang: str
) -> Figure:
    """The chart as a Figure (what stats_chart renders; tests measure its labels)."""
    from matplotlib.figure import Figure

    text = chart_text(lang)
    days = days_between(start, end)
    counts = series_counts(daily, days)
    total = sum(sum(per_day) for per_day in counts.values())

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    fig.text(0.04, 0.93, text.title, fontsize=TITLE_PT, fontweight="bold", color=INK)
    fig.text(0.04, 0.875, subtitle(start, end, total, lang), fontsize=TEXT_PT, color="#555555")
    if total == 0:
        fig.text(0.5, 0.45, text.empty, fontsize=EMPTY_PT, color="#555555", ha="center")
        return fig
    _draw_bars(fig, days, counts, lang)
    return fig


def _draw_bars(fig: Figure, days: list[dt.date], counts: dict[str, list[int]], lang: str) -> None:
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    text = chart_text(lang)
    # Fixed margins instead of tight_layout: the same layout every time, and faster.
    ax = fig.add_axes((0.06, 0.1, 0.9, 0.64))
    # One polygon collection per series instead of ax.bar's one artist per bar:
    # 90 days x 4 series drew in ~0.35 s as separate bars, ~0.1 s like this.
    bottom = [0] * len(days)
    handles = []
    for name, _ in SERIES:
        boxes = [
            [(i - 0.4, low), (i - 0.4, low + n), (i + 0.4, low + n), (i + 0.4, low)]
            for i, (low, n) in enumerate(zip(bottom, counts[name], strict=True))
            if n > 0
        ]
        ax.add_collection(
            PolyCollection(boxes, facecolors=COLOURS[name], linewidths=0, antialiased=False),
            autolim=False,
        )
        handles.append(Patch(facecolor=COLOURS[name], label=text.series[name]))
        bottom = [b + c for b, c in zip(bottom, counts[name], strict=True)]

    shown = labelled_days(len(days))
    ax.set_xticks(shown, [day_label(days[i], lang) for i in shown])
    ax.set_xlim(-0.6, len(days) - 0.4)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=1))

    def y_label(value: float, _: int | None) -> str:
        return count(round(value), lang)

    ax.yaxis.set_major_formatter(FuncFormatter(y_label))
    ax.set_ylim(0, max(max(bottom) * 1.05, 1))
    ax.tick_params(labelsize=TICK_PT, colors=INK, length=4)
    ax.grid(axis="y", color="#dddddd", linewidth=1)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Above the bars in one row, so it never covers a day.
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.035, 0.755),
        ncols=4,
        frameon=False,
        fontsize=TEXT_PT,
        handlelength=1.0,
        handletextpad=0.4,
        columnspacing=1.2,
        labelcolor=INK,
    )
