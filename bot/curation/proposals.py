"""Suggestion picks as proposed example phrasings, for a curator to review.

When someone asked Q, got "did you mean" and picked intent X, Q is a candidate
example for X. It is only ever listed: people pick wrong choices too, and the
knowledge changes only through a curator's edit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.stats import PickedSuggestion
from bot.engine.engine import Engine
from bot.nlp.text import clean, tokenize


@dataclass(frozen=True)
class ProposedExample:
    intent: str
    question: str  # as most often typed
    count: int
    known_intent: bool  # the intent still exists in the current knowledge
    answered_now: bool  # the current knowledge already answers the question with it


def proposed_examples(engine: Engine, picks: Iterable[PickedSuggestion]) -> list[ProposedExample]:
    """One entry per intent and phrasing (folded), most picked first."""
    forms: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for pick in picks:
        text = clean(pick.question)
        if text:
            key = " ".join(tokenize(text)) or text.casefold()
            forms[(pick.intent, key)][text] += 1
    intents = engine.knowledge.intents
    proposals = []
    for (intent, _), counter in forms.items():
        question = counter.most_common(1)[0][0]
        proposals.append(
            ProposedExample(
                intent=intent,
                question=question,
                count=sum(counter.values()),
                known_intent=intent in intents,
                answered_now=engine.answer(question).intent == intent,
            )
        )
    return sorted(proposals, key=lambda p: (p.intent, -p.count, p.question))
