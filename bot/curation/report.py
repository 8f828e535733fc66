"""``python -m bot misses`` as text: the groups, then the proposed example phrasings."""

from __future__ import annotations

from collections.abc import Sequence

from bot.curation.grouping import MissGroup
from bot.curation.proposals import ProposedExample

OTHER_PHRASINGS_SHOWN = 5


def _quoted(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return '"' + (flat if len(flat) <= limit else flat[: limit - 1] + "…") + '"'


def misses_lines(
    groups: Sequence[MissGroup], proposals: Sequence[ProposedExample], days: int
) -> list[str]:
    total = sum(g.count for g in groups)
    fallbacks = sum(g.fallbacks for g in groups)
    lines = [
        f"Missed questions, last {days} days: {total} ({fallbacks} fallback, "
        f"{total - fallbacks} close call) in {len(groups)} groups"
    ]
    for group in groups:
        lines.append("")
        lines.append(f"{group.count:>4}x  {_quoted(group.question)}  [{group.language}]")
        others = group.phrasings[1:]
        for phrasing in others[:OTHER_PHRASINGS_SHOWN]:
            lines.append(f"       also {_quoted(phrasing.text)} ({phrasing.count}x)")
        if len(others) > OTHER_PHRASINGS_SHOWN:
            lines.append(f"       and {len(others) - OTHER_PHRASINGS_SHOWN} more phrasings")
        if group.answered_now:
            closest = f"now answered by {group.closest} ({group.closest_score:.0f})"
        elif group.closest:
            closest = f"closest: {group.closest} ({group.closest_score:.0f})"
        else:
            closest = "closest: none"
        lines.append(
            f"       {group.fallbacks} fallback, {group.close_calls} close call; "
            f"{group.first_asked[:10]} to {group.last_asked[:10]}; {closest}"
        )
    lines.append("")
    if not proposals:
        lines.append('Proposed example phrasings (from "did you mean" picks): none')
        return lines
    lines.append(
        'Proposed example phrasings (from "did you mean" picks; review, never added by itself):'
    )
    for p in proposals:
        notes = [] if p.known_intent else ["intent no longer exists"]
        if p.answered_now:
            notes.append("already answered")
        note = f"  [{', '.join(notes)}]" if notes else ""
        lines.append(f"{p.count:>4}x  {p.intent}: {_quoted(p.question)}{note}")
    return lines
