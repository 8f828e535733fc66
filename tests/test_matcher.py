"""Matching behaviour that must hold whatever the knowledge says."""

from __future__ import annotations

import dataclasses

import pytest

from bot.domain.models import Outcome
from bot.engine.decision import Candidate, Thresholds, decide
from bot.engine.engine import Engine, EngineOptions
from bot.knowledge import Knowledge


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Wer ist Liang Wenfeng?", "people.liang_wenfeng"),
        ("wer ist lian wenfeng", "people.liang_wenfeng"),  # typo in a name
        ("Sanktionen", "sanctions.overview"),  # one word
        ("Italien", "bans.italy"),
        ("Who is Sam Altman?", "people.sam_altman"),
    ],
)
def test_answers(engine: Engine, question: str, intent: str) -> None:
    reply = engine.answer(question)
    assert reply.outcome is Outcome.ANSWERED
    assert reply.intent == intent


@pytest.mark.parametrize(
    "question",
    [
        "Wie wird das Wetter morgen?",
        "Wie viele Parameter hat DeepSeek-V3?",  # right words, fact not in the articles
        "Was kostet ein DeepSeek-Abo im Monat?",
        "",
        "???",
        "a" * 50,
    ],
)
def test_does_not_answer(engine: Engine, question: str) -> None:
    assert engine.answer(question).fallback


def test_unknown_word_keeps_score_below_answer_threshold(engine: Engine) -> None:
    """A word the knowledge never uses must pull a confident match down."""
    known = engine.matcher.match("Wie viele Nvidia-Chips hat DeepSeek?", "de")
    unknown = engine.matcher.match("Wie viele Nvidia-Chips hat DeepSeek im Kühlschrank?", "de")
    assert known.best is not None and unknown.best is not None
    assert unknown.best.score < known.best.score
    assert unknown.outcome is not Outcome.ANSWERED


def test_anchor_required_for_named_intent(engine: Engine) -> None:
    """An intent about a named person is never answered without the name."""
    reply = engine.answer("Wer ist der CEO von DeepSeek?")
    assert reply.fallback
    assert reply.intent is None


def _cand(intent: str, score: float, coverage: float = 1.0, anchored: bool = True) -> Candidate:
    return Candidate(intent, score, coverage, similarity=80.0, anchored=anchored)


def test_decision_rules() -> None:
    th = Thresholds(answer=70, suggest=45, margin=3, sure=90, lone=65, min_coverage=0.7)
    # clear winner
    assert decide([_cand("a", 85), _cand("b", 60)], th).outcome is Outcome.ANSWERED
    # too close to the runner-up, and not sure enough: did-you-mean with both
    close = decide([_cand("a", 80), _cand("b", 78), _cand("c", 50), _cand("d", 46)], th)
    assert close.outcome is Outcome.CLOSE_CALL
    assert [c.intent for c in close.candidates] == ["a", "b", "c"]  # at most three
    # very sure answers even with a close runner-up
    assert decide([_cand("a", 95), _cand("b", 94)], th).outcome is Outcome.ANSWERED
    # an intent whose anchor is missing is only suggested; the next eligible one may answer
    skipped = decide([_cand("a", 90, anchored=False), _cand("b", 80)], th)
    assert skipped.outcome is Outcome.ANSWERED and skipped.best.intent == "b"  # type: ignore[union-attr]
    # low coverage never answers
    assert decide([_cand("a", 75, coverage=0.6)], th).outcome is Outcome.CLOSE_CALL
    # below the answer threshold, a candidate with no rival worth suggesting still answers
    assert decide([_cand("a", 66), _cand("b", 40)], th).outcome is Outcome.ANSWERED
    assert decide([_cand("a", 66), _cand("b", 50)], th).outcome is Outcome.CLOSE_CALL
    assert decide([_cand("a", 60)], th).outcome is Outcome.CLOSE_CALL
    # below the suggestion threshold: plain fallback without choices
    low = decide([_cand("a", 30)], th)
    assert low.outcome is Outcome.FALLBACK and not low.candidates


def test_close_call_reply_lists_choices(engine: Engine) -> None:
    match = decide([_cand("bans.italy", 60), _cand("bans.taiwan", 58)], engine.matcher.thresholds)
    reply = engine._reply("Verbot?", "de", match)
    assert reply.outcome is Outcome.CLOSE_CALL and reply.intent is None
    assert [s.intent for s in reply.suggestions] == ["bans.italy", "bans.taiwan"]
    assert all(s.title in reply.text for s in reply.suggestions)


def test_thresholds_are_configurable(knowledge: Knowledge) -> None:
    strict = Engine(knowledge, EngineOptions(thresholds=Thresholds(answer=100.1, suggest=100.1)))
    assert strict.answer("Wer ist Liang Wenfeng?").outcome is Outcome.FALLBACK
    lax = Engine(knowledge, EngineOptions(thresholds=dataclasses.replace(Thresholds(), margin=0)))
    assert lax.answer("Wer ist Liang Wenfeng?").outcome is Outcome.ANSWERED
