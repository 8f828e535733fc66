"""Plain-text reports shared by every platform and the CLI: /stats, /reload, /privacy."""

from __future__ import annotations

from itertools import groupby

from bot.domain.messages import message
from bot.domain.models import Language, Outcome
from bot.domain.stats import Stats
from bot.engine.reload import ReloadResult

RELOAD_PROBLEMS_SHOWN = 10


def _pct(part: int, total: int) -> str:
    return f"{100 * part / total:.0f}%" if total else "0%"


def stats_lines(stats: Stats, lang: Language) -> list[str]:
    """The summary, questions per day and platform, top intents, ratings, recent misses."""
    answered = stats.by_outcome.get(Outcome.ANSWERED.value, 0)
    close = stats.by_outcome.get(Outcome.CLOSE_CALL.value, 0)
    smalltalk = stats.by_outcome.get(Outcome.SMALLTALK.value, 0)
    fallback = stats.total - answered - close - smalltalk  # refused counts as not answered
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
    if smalltalk:  # greetings and thanks are no questions left open
        lines[0] += " " + message(
            "stats_smalltalk", lang, smalltalk=smalltalk, pct=_pct(smalltalk, stats.total)
        )
    if stats.by_day:
        lines.append("")
        lines.append(message("stats_days", lang) + ":")
        for day, rows in groupby(stats.by_day, key=lambda row: row[0]):
            counts = [(platform, count) for _, platform, count in rows]
            per_platform = ", ".join(f"{platform} {count}" for platform, count in counts)
            total = f" ({sum(c for _, c in counts)})" if len(counts) > 1 else ""
            lines.append(f"- {day}: {per_platform}{total}")
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


def reload_text(result: ReloadResult, lang: Language) -> str:
    """What the operator is told after /reload: the new state, or why the old one stays."""
    if result.ok:
        return message(
            "reloaded",
            lang,
            topics=result.topics,
            intents=result.intents,
            version=result.version,
            previous=result.previous,
            warnings=result.warnings,
        )
    shown = [f"- {p}" for p in result.problems[:RELOAD_PROBLEMS_SHOWN]]
    left = len(result.problems) - len(shown)
    if left > 0:
        shown.append(message("reload_more", lang, count=left))
    return "\n".join([message("reload_failed", lang, version=result.version), *shown])


def privacy_text(lang: Language, retention_days: int, forget: str, url: str | None) -> str:
    """/privacy: what is stored, for how long, how to delete it; the full text if published."""
    text = message("privacy", lang, days=retention_days, forget=forget)
    return f"{text}\n\n{message('privacy_more', lang, url=url)}" if url else text
