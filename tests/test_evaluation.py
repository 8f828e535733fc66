"""Answer quality on evaluation questions written blind to the knowledge examples.

``eval/questions.yaml`` is the held-out set this test gates on; ``eval/dev.yaml``
was used while building the matcher. Neither may leak into knowledge/.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.engine.engine import Engine
from bot.knowledge import Knowledge
from bot.nlp.text import tokenize
from tests.eval.harness import evaluate, load, report

HELD_OUT = load("questions.yaml")
DEV = load("dev.yaml")
DEV2 = load("dev2.yaml")


def test_evaluation_set_has_the_required_shape() -> None:
    kinds = Counter(str(q["kind"]) for q in HELD_OUT)
    in_scope = [q for q in HELD_OUT if q["expect"]]
    assert len(HELD_OUT) >= 150
    assert kinds["off_topic"] >= 30 and kinds["near_miss"] >= 15
    assert {str(q["lang"]) for q in in_scope} == {"de", "en"}
    assert all(not q["expect"] for q in HELD_OUT if q["kind"] in {"off_topic", "near_miss"})


def test_no_evaluation_question_is_a_knowledge_example(knowledge: Knowledge) -> None:
    """Evaluation questions must not be copied into knowledge/.

    Short questions ("Italien", "Wer ist Liang Wenfeng?") and an intent's title
    (its canonical question) are written the same way by anyone and may
    coincide; a question of six words or more appearing verbatim among the
    examples would be a leak.
    """
    examples = {
        " ".join(tokenize(e))
        for i in knowledge.intents.values()
        for e in [*i.examples.de, *i.examples.en]
    }
    leaked = [
        q["q"]
        for q in HELD_OUT + DEV + DEV2
        if len(tokenize(str(q["q"]))) >= 6 and " ".join(tokenize(str(q["q"]))) in examples
    ]
    assert leaked == []


@pytest.fixture(scope="module")
def held_out(engine: Engine):  # type: ignore[no-untyped-def]
    return evaluate(engine, HELD_OUT)


def test_in_scope_accuracy(held_out) -> None:  # type: ignore[no-untyped-def]
    rate = held_out.rate("in_scope")
    # 220 of 231 before the chat issue's precision rules (a concept the question asks
    # about must be in the answer); they turn one answer into a "did you mean", and
    # halve the confident wrong answers on the chat corpus (docs/decisions.md).
    assert rate >= 219 / 231, report(held_out)


def test_off_topic_and_near_misses_fall_back(held_out) -> None:  # type: ignore[no-untyped-def]
    rate = held_out.rate("out_of_scope")
    assert rate >= 0.95, report(held_out) + "\n" + "\n".join(held_out.failures)


def test_language_detection(held_out) -> None:  # type: ignore[no-untyped-def]
    assert held_out.rate("language") >= 0.97
