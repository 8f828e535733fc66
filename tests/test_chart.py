"""The /stats chart: a PNG of the right size, readable labels, both languages, lazy import."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure

from bot.chat.chart import chart_figure, stats_chart
from bot.chat.chart_text import (
    MAX_DAY_LABELS,
    chart_text,
    count,
    day_label,
    labelled_days,
    series_counts,
    subtitle,
)

REPO = Path(__file__).resolve().parent.parent
END = dt.date(2025, 12, 9)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG format puts first."""
    assert png[:8] == PNG_SIGNATURE
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert kind == b"IHDR"
    assert length == 13
    return width, height


def drawn(fig: Figure) -> RendererAgg:
    """Lay the figure out with Agg (as stats_chart does), so text has its real extent."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]
    renderer: RendererAgg = canvas.get_renderer()  # type: ignore[no-untyped-call]
    return renderer


def period(n_days: int) -> tuple[dt.date, dt.date]:
    return END - dt.timedelta(days=n_days - 1), END


def busy(n_days: int) -> dict[dt.date, dict[str, int]]:
    """Some of every outcome on most days; every fifth day missing."""
    start, _ = period(n_days)
    return {
        start + dt.timedelta(days=i): {
            "answered": 40 + 7 * (i % 9),
            "close_call": 3 + i % 4,
            "fallback": 5 + i % 6,
            "refused": i % 2,
            "smalltalk": 2 + i % 3,
        }
        for i in range(n_days)
        if i % 5 != 4
    }


@pytest.mark.parametrize("n_days", [1, 7, 30, 90])
def test_chart_is_a_1000_by_600_png(n_days: int) -> None:
    start, end = period(n_days)
    assert png_size(stats_chart(busy(n_days), start, end, "en")) == (1000, 600)


def test_empty_period_says_so_instead_of_an_empty_plot() -> None:
    start, end = period(7)
    for lang, words in (("de", "Noch keine Fragen in diesem Zeitraum"), ("en", "No questions")):
        fig = chart_figure({}, start, end, lang)
        assert fig.axes == []
        assert any(words in t.get_text() for t in fig.texts)
        assert png_size(stats_chart({}, start, end, lang)) == (1000, 600)


def test_all_zero_counts_are_an_empty_period() -> None:
    start, end = period(7)
    zeros = {start: {"answered": 0, "fallback": 0}}
    assert stats_chart(zeros, start, end, "en") == stats_chart({}, start, end, "en")


def test_a_week_draws_one_labelled_bar_per_day() -> None:
    start, end = period(7)
    fig = chart_figure(busy(7), start, end, "de")
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"{d:02d}.12." for d in range(3, 10)]
    assert len(ax.collections) == 4  # one stacked series per outcome group


def test_week_chart_differs_from_the_empty_one() -> None:
    start, end = period(7)
    assert stats_chart(busy(7), start, end, "en") != stats_chart({}, start, end, "en")


def test_missing_days_are_zero_and_refused_counts_as_not_answered() -> None:
    days = [END - dt.timedelta(days=1), END]
    counts = series_counts({END: {"fallback": 2, "refused": 3, "answered": 1}}, days)
    assert counts == {
        "answered": [0, 1],
        "close_call": [0, 0],
        "unanswered": [0, 5],
        "smalltalk": [0, 0],
    }


def test_subtitle_has_period_and_total() -> None:
    start, end = period(7)
    total = sum(sum(day.values()) for day in busy(7).values())
    fig = chart_figure(busy(7), start, end, "de")
    assert any(t.get_text() == subtitle(start, end, total, "de") for t in fig.texts)
    assert subtitle(start, end, 1234, "de") == "03.12.2025 – 09.12.2025 · 1.234 Fragen"
    assert subtitle(start, end, 1234, "en") == "Dec 03, 2025 – Dec 09, 2025 · 1,234 questions"


def test_german_and_english_words_differ() -> None:
    de, en = chart_text("de"), chart_text("en")
    assert (de.title, en.title) == ("Fragen pro Tag", "Questions per day")
    assert de.series["close_call"] == "Rückfrage („Meintest du …?“)"
    assert en.series["close_call"] == "did you mean"
    assert set(de.series.values()).isdisjoint(en.series.values())
    assert day_label(dt.date(2025, 12, 3), "de") == "03.12."
    assert day_label(dt.date(2025, 12, 3), "en") == "Dec 03"
    assert count(1234567, "de") == "1.234.567"
    start, end = period(7)
    assert stats_chart(busy(7), start, end, "de") != stats_chart(busy(7), start, end, "en")


def test_unknown_language_or_reversed_period_is_an_error() -> None:
    start, end = period(7)
    with pytest.raises(ValueError, match="language"):
        stats_chart({}, start, end, "fr")
    with pytest.raises(ValueError, match="before start"):
        stats_chart({}, end, start, "en")


@pytest.mark.parametrize("n_days", range(1, 366))
def test_day_labels_are_thinned_out_and_keep_the_last_day(n_days: int) -> None:
    shown = labelled_days(n_days)
    assert 1 <= len(shown) <= MAX_DAY_LABELS
    assert shown[-1] == n_days - 1
    assert len({b - a for a, b in itertools.pairwise(shown)}) <= 1  # evenly spaced


# The tightest spacing for each thinning step: the most days that still get that step.
@pytest.mark.parametrize("n_days", [7, 13, 26, 39, 90, 91, 182])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_labels_do_not_overlap_and_stay_in_the_picture(n_days: int, lang: str) -> None:
    start, end = period(n_days)
    fig = chart_figure(busy(n_days), start, end, lang)
    renderer = drawn(fig)
    (ax,) = fig.axes
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert len(boxes) == len(labelled_days(n_days))
    for left, right in itertools.pairwise(boxes):
        assert left.x1 + 8 <= right.x0, "day labels touch"
    texts = [*fig.texts, *ax.get_xticklabels(), *ax.get_yticklabels()]
    legend = fig.legends[0]
    texts += legend.get_texts()
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= 1000 and box.y1 <= 600, text
    assert legend.get_window_extent(renderer).y0 > ax.get_window_extent(renderer).y1


def test_every_text_is_at_least_14_px() -> None:
    start, end = period(30)
    fig = chart_figure(busy(30), start, end, "de")
    drawn(fig)
    (ax,) = fig.axes
    texts = [*fig.texts, *ax.get_xticklabels(), *ax.get_yticklabels(), *fig.legends[0].get_texts()]
    for text in texts:
        if text.get_text():
            assert float(text.get_fontsize()) * fig.dpi / 72 >= 14, text


def test_y_ticks_are_whole_numbers_even_for_one_question() -> None:
    start, end = period(7)
    fig = chart_figure({END: {"answered": 1}}, start, end, "en")
    drawn(fig)
    (ax,) = fig.axes
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert len(ticks) >= 2
    assert all(float(t).is_integer() for t in ticks)


def test_importing_the_chart_module_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.chat.chart\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
