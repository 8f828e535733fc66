"""Words, dates and tick spacing for the /stats chart, without matplotlib.

Kept apart from the drawing so the wording can be read, changed and tested on its
own, and so the date format does not depend on the server's locale (strftime's
%b would print "Dez" or "Dec" depending on where the bot happens to run).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

# The stored outcomes, folded into the four series the operator cares about:
# refused (e.g. a question too long to look at) counts as not answered.
SERIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("answered", ("answered",)),
    ("close_call", ("close_call",)),
    ("unanswered", ("fallback", "refused")),
    ("smalltalk", ("smalltalk",)),
)

# Day labels a 1000 px wide chart can show side by side without touching.
MAX_DAY_LABELS = 13

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ChartText:
    """Every word the chart shows, in one language."""

    lang: str
    title: str
    series: Mapping[str, str]
    questions: str  # the y axis and the total in the subtitle
    empty: str


_TEXT = {
    "de": ChartText(
        lang="de",
        title="Fragen pro Tag",
        series={
            "answered": "beantwortet",
            "close_call": "Rückfrage („Meintest du …?“)",
            "unanswered": "ohne Antwort",
            "smalltalk": "Small Talk",
        },
        questions="Fragen",
        empty="Noch keine Fragen in diesem Zeitraum",
    ),
    "en": ChartText(
        lang="en",
        title="Questions per day",
        series={
            "answered": "answered",
            "close_call": "did you mean",
            "unanswered": "not answered",
            "smalltalk": "small talk",
        },
        questions="questions",
        empty="No questions in this period yet",
    ),
}


def chart_text(lang: str) -> ChartText:
    """The chart's words for "de" or "en"; anything else is a caller's bug."""
    try:
        return _TEXT[lang]
    except KeyError:
        raise ValueError(f"no chart text for language {lang!r}; use 'de' or 'en'") from None


def day_label(day: dt.date, lang: str) -> str:
    """A short day label: "03.12." in German, "Dec 03" in English."""
    if chart_text(lang).lang == "de":
        return f"{day.day:02d}.{day.month:02d}."
    return f"{_MONTHS_EN[day.month - 1]} {day.day:02d}"


def full_date(day: dt.date, lang: str) -> str:
    """A date with the year, for the subtitle's period."""
    if chart_text(lang).lang == "de":
        return f"{day.day:02d}.{day.month:02d}.{day.year}"
    return f"{_MONTHS_EN[day.month - 1]} {day.day:02d}, {day.year}"


def count(n: int, lang: str) -> str:
    """An integer with the language's thousands separator (1.234 / 1,234)."""
    text = f"{n:,}"
    return text.replace(",", ".") if chart_text(lang).lang == "de" else text


def subtitle(start: dt.date, end: dt.date, total: int, lang: str) -> str:
    """The period and the total, e.g. "03.12.2025 – 09.12.2025 · 1.234 Fragen"."""
    text = chart_text(lang)
    period = full_date(start, lang)
    if end != start:
        period += f" – {full_date(end, lang)}"
    return f"{period} · {count(total, lang)} {text.questions}"


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from start to end, both included."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def label_step(n_days: int) -> int:
    """Label every day, every 2nd, 3rd, week, two weeks ...: at most MAX_DAY_LABELS."""
    for step in (1, 2, 3, 7, 14):
        if math.ceil(n_days / step) <= MAX_DAY_LABELS:
            return step
    return 7 * math.ceil(n_days / (7 * MAX_DAY_LABELS))


def labelled_days(n_days: int) -> list[int]:
    """Indexes of the days that get a label, counted back from the last day.

    The last day (usually today) is the one an operator looks for, so it is
    always labelled and the thinning runs backwards from it.
    """
    step = label_step(n_days)
    return sorted(range(n_days - 1, -1, -step))


def series_counts(
    daily: Mapping[dt.date, Mapping[str, int]], days: list[dt.date]
) -> dict[str, list[int]]:
    """Per series, one count per day; days missing from daily are zero."""
    out: dict[str, list[int]] = {}
    for name, outcomes in SERIES:
        out[name] = [sum(daily.get(day, {}).get(o, 0) for o in outcomes) for day in days]
    return out
