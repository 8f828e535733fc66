"""How the bot does on messages as people type them: ``eval/chat.yaml``, held-out part.

The corpus was written blind to the knowledge's examples (see its header). The floors
below are today's measured held-out figures, so that no change makes the bot worse
unnoticed; the issue's targets, where they are higher, are reported by
``python -m tests.eval.chat_harness held_out`` and in the closing notes, not faked here.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.engine.engine import Engine
from bot.knowledge import Knowledge
from bot.nlp.text import tokenize
from tests.eval.chat_harness import Result, evaluate, load, report

MESSAGES, DIALOGUES = load()
HELD_OUT = load("held_out")

# part: (figure, floor); "wrong" floors are ceilings on confident wrong answers.
FLOORS = {
    "smalltalk_help_meta": 0.93,
    "bare_subjects": 0.95,
    "off_topic": 0.98,
    "follow_ups": 0.70,
    "in_scope": 0.80,
}
WRONG_CEILINGS = {"in_scope": 0.06, "smalltalk_help_meta": 0.04, "all": 0.05}


def test_the_corpus_has_the_required_shape() -> None:
    kinds = Counter(str(m["kind"]) for m in MESSAGES)
    turns = sum(len(d["turns"]) for d in DIALOGUES)
    assert len(MESSAGES) + turns >= 300
    assert len(DIALOGUES) >= 30 and all(2 <= len(d["turns"]) <= 3 for d in DIALOGUES)
    for kind in ("smalltalk", "help", "sources_meta", "bare_subject", "colloquial", "typo"):
        assert kinds[kind] > 0, kind
    assert kinds["mixed_language"] > 0 and kinds["trap"] > 0
    talk_langs = {str(m["lang"]) for m in MESSAGES if m["kind"] == "smalltalk"}
    assert talk_langs == {"de", "en"}
    follow_ups = [d for d in DIALOGUES if any(t.get("follow_up") for t in d["turns"])]
    assert len(follow_ups) >= 30


# Natural questions that the examples (written 2026-11-23, commits fde73fc and b757b25)
# and the corpus (written blind on 2026-12-04) happen to phrase alike. Any other match
# would mean a message was copied into the knowledge.
COINCIDENT = frozenset(
    " ".join(tokenize(q))
    for q in (
        "was machen alibaba, tencent und co jetzt",
        "Was ist bei DeepSeek noch ungeklärt?",
        "how many ppl work there",
        "how many users does it have",
        "who are the three ai heroes",
        "who is lian jye su",
        "Wann hat Italien DeepSeek gesperrt?",
        "Wer sind Zhilin Yang und Kaiming He?",
        "How much is Microsoft investing in AI?",
        "Was sagt Sam Altman über DeepSeek?",
        "Wie viele Leute arbeiten da?",
        "Warum hat Italien DeepSeek gesperrt?",
        "Wie hat China auf DeepSeek reagiert?",
        "Wie viele Nutzer hat DeepSeek?",
        "What did Elon Musk say about DeepSeek?",
        "Why did Italy block DeepSeek?",
        "How many A100 chips does DeepSeek have?",
    )
)


def test_no_corpus_message_is_a_knowledge_example(knowledge: Knowledge) -> None:
    """Written blind: a message of five words or more found among the examples leaked."""
    examples = {
        " ".join(tokenize(e))
        for i in knowledge.intents.values()
        for e in [*i.examples.de, *i.examples.en]
    }
    asked = [str(m["q"]) for m in MESSAGES] + [str(t["q"]) for d in DIALOGUES for t in d["turns"]]
    leaked = [
        q
        for q in asked
        if len(tokenize(q)) >= 5
        and (key := " ".join(tokenize(q))) in examples
        and key not in COINCIDENT
    ]
    assert leaked == []


@pytest.fixture(scope="module")
def held_out(engine: Engine) -> Result:
    return evaluate(engine, *HELD_OUT)


@pytest.mark.parametrize("part", sorted(FLOORS))
def test_held_out_right_kind_of_reply(held_out: Result, part: str) -> None:
    # Only the figures: the held-out failures are never listed, so nobody tunes to them.
    assert held_out.rate(part) >= FLOORS[part], report(held_out)


@pytest.mark.parametrize("part", sorted(WRONG_CEILINGS))
def test_held_out_confident_wrong_answers(held_out: Result, part: str) -> None:
    assert held_out.wrong_rate(part) <= WRONG_CEILINGS[part], report(held_out)
