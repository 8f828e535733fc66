"""What the question log and feedback add up to: the values storage returns to its readers."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.language import Language
from bot.domain.models import Outcome


@dataclass(frozen=True)
class Stats:
    """A summary of the question log and feedback over the last ``days`` days."""

    days: int
    total: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_day: list[tuple[str, str, int]] = field(default_factory=list)  # day, platform, count
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    feedback: list[tuple[str, int, int]] = field(default_factory=list)  # intent, +, -
    recent_unanswered: list[str] = field(default_factory=list)

    def rate(self, outcome: Outcome) -> float:
        return self.by_outcome.get(outcome.value, 0) / self.total if self.total else 0.0


@dataclass(frozen=True)
class MissedQuestion:
    """A fallback or close call from the question log, as curation reads it."""

    asked_at: str
    platform: str
    language: Language
    outcome: Outcome
    question: str


@dataclass(frozen=True)
class PickedSuggestion:
    """Someone chose "did you mean" intent ``intent`` for ``question``."""

    picked_at: str
    platform: str
    intent: str
    question: str


@dataclass(frozen=True)
class CloseCall:
    """A "did you mean" reply as the question log keeps it: whose question, which words."""

    platform: str
    reply_id: str
    question: str
    language: Language
    user_hash: str | None  # the asker, whoever clicks: their text, their /forget
