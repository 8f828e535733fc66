"""Plain-text reports shared by /stats on every platform and the CLI."""

from __future__ import annotations

from bot.core.messages import message
from bot.core.models import Language, Outcome
from bot.storage.store import Stats


def _pct(part: int, total: int) -> str:
    return f"{100 * part / total:.0f}%" if total else "0%"


def stats_lines(stats: Stats, lang: Language) -> list[str]:
    """The summary, then the top intents, the ratings and the recent misses."""
    answered = stats.by_outcome.get(Outcome.ANSWERED.value, 0)
    close = stats.by_outcome.get(Outcome.CLOSE_CALL.value, 0)
    fallback = stats.total - answered - close
    lines = [
        message(
            "stats",
            lang,
            days=stats.days,
            total=stats.total,
            answered=answered,
            answered_pct=_pct(answered, stats.total),
            close=close,
            close_pct=_pct(close, stats.total),
            fallback=fallback,
            fallback_pct=_pct(fallback, stats.total),
        )
    ]
    if stats.top_intents:
        lines.append("")
        lines.append(message("stats_top", lang) + ":")
        lines += [f"- {intent}: {count}" for intent, count in stats.top_intents]
    if stats.feedback:
        lines.append("")
        lines.append(message("stats_feedback", lang) + ":")
        lines += [f"- {intent}: +{good} / -{bad}" for intent, good, bad in stats.feedback[:5]]
    if stats.recent_unanswered:
        lines.append("")
        lines.append(message("stats_recent", lang) + ":")
        lines += [f"- {q}" for q in stats.recent_unanswered]
    return lines
