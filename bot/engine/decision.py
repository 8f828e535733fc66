"""The decision, once an intent's scores are known: answer, "did you mean", or fallback.

Apart from the matcher so that every knob of it (:class:`Thresholds`) and the rule
itself (:func:`decide`) can be read, tested and set on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Outcome


@dataclass(frozen=True)
class Thresholds:
    """Every knob of the decision, in one place (settable through the environment)."""

    answer: float = 70.0  # score needed to answer
    suggest: float = 45.0  # score needed to offer "did you mean"
    margin: float = 3.0  # lead the best intent needs over the runner-up ...
    sure: float = 90.0  # ... unless its score is at least this
    lone: float = 65.0  # answer from here when no other intent is even worth suggesting
    min_coverage: float = 0.7  # share of the question the answer must account for
    answer_text_weight: float = 0.35  # credit for a word found only in an intent's answer
    question_word_weight: float = 0.6  # weight of who/when/why/how-many
    lower_case_factor: float = 0.6  # weight of a lower-case (non-noun) word in German
    max_suggestions: int = 3


@dataclass(frozen=True)
class Candidate:
    intent: str
    score: float
    coverage: float
    similarity: float
    anchored: bool


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    best: Candidate | None
    candidates: tuple[Candidate, ...]  # the answer, or the "did you mean" choices
    ranked: tuple[Candidate, ...] = ()  # every scored candidate, best first

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        return self.candidates


def decide(ranked: list[Candidate], th: Thresholds, words: int = 2) -> Match:
    """Answer, close call or fallback, from candidates sorted best first.

    ``words``: how many meaningful terms the question had (1 for "Reaktionen").
    """
    eligible = [c for c in ranked if c.anchored]
    top = eligible[0] if eligible else None
    runner_up = eligible[1].score if len(eligible) > 1 else 0.0
    if top is not None and words == 1 and runner_up > top.score - th.margin:
        # A one-word question that ties inside one topic ("Reaktionen") asks
        # about the topic as a whole: its overview answers it.
        tied = [c for c in eligible if c.score > top.score - th.margin]
        topics = {c.intent.split(".", 1)[0] for c in tied}
        overview = next((c for c in tied if c.intent.endswith(".overview")), None)
        if len(topics) == 1 and overview is not None:
            top = overview
            runner_up = max((c.score for c in eligible if c not in tied), default=0.0)
    suggestable = tuple(c for c in ranked if c.score >= th.suggest)[: th.max_suggestions]
    everything = tuple(ranked)
    alone = len(suggestable) == 1 and top is suggestable[0]
    if top is not None and (
        (
            top.score >= th.answer
            and top.coverage >= th.min_coverage
            and (top.score - runner_up >= th.margin or top.score >= th.sure)
        )
        or (alone and top.score >= th.lone and top.coverage >= th.min_coverage)
    ):
        return Match(Outcome.ANSWERED, top, (top,), everything)
    if suggestable:
        return Match(Outcome.CLOSE_CALL, suggestable[0], suggestable, everything)
    return Match(Outcome.FALLBACK, ranked[0] if ranked else None, (), everything)
