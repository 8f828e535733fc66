"""Every example question the README and the docs give gets the topic they promise.

A new user's first questions are the ones we print; each must land where the docs say.
The questions are read from the files themselves, so an example added to them without
a line here fails, as does one the bot no longer answers as documented.
"""

from __future__ import annotations

import re

import pytest

from bot.domain.models import Outcome
from bot.engine.engine import Engine
from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
NOT_EXAMPLES = {"decisions.md", "evaluation.md", "matching.md"}  # rules and failures shown

# question -> the topic its answer is from; None: the articles do not answer it.
EXPECTED: dict[str, str | None] = {
    "Wer ist Liang Wenfeng?": "people",
    "Warum hat Italien DeepSeek gesperrt?": "bans",
    "Wie viel hat DeepSeek-V3 gekostet?": "costs",
    "Wie viele Nvidia-Chips hat DeepSeek gebraucht?": "chips",
    "Seit wann gibt es die US-Exportkontrollen?": "sanctions",
    "Italien": "bans",
    "Who uses DeepSeek in China?": "adoption",
    "What did Sam Altman say?": "people",
    "lian wenfen": "people",
    "wie viel hat V3 gekostet?": "costs",
    "Sanktionen": "sanctions",
    "Who is Sam Altman?": "people",
    "Wie viele Parameter hat V3?": None,
    "Was kostet das Abo?": "costs",  # the answer that the articles name no price
}


def documented() -> set[str]:
    """Quoted questions in example paragraphs, `ask` commands and group mentions."""
    found: set[str] = set()
    for path in DOCS:
        if path.name in NOT_EXAMPLES:
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'bot ask [^"\n]*"([^"…]+)"', text))
        found |= set(re.findall(r"printf '([^']+)'", text))
        found |= set(re.findall(r"@YourBot ([^`]+?\?)`", text.replace("\n  ", " ")))
        found |= set(re.findall(r'ask\s+"([^"]+\?)"', text))
        for para in re.findall(r"Example questions:(.*?)\n\n", text, flags=re.S):
            para = para.replace("\n", " ")
            asked, _, unanswered = para.partition("do not answer")
            found |= set(re.findall(r'"([^"]+)"', asked))
            found |= set(re.findall(r'\("([^"]+)", "([^"]+)"\)', unanswered)[0])
    split = set()
    for item in found:
        split |= {part for part in item.split("\\n") if part}
    return split


def test_every_documented_example_is_listed_here() -> None:
    assert documented() == set(EXPECTED)


@pytest.mark.parametrize(("question", "topic"), sorted(EXPECTED.items()))
def test_a_documented_example_gets_the_promised_topic(
    engine: Engine, question: str, topic: str | None
) -> None:
    reply = engine.answer(question)
    if topic is None:
        assert reply.outcome is not Outcome.ANSWERED, reply
        return
    assert reply.outcome is Outcome.ANSWERED, reply
    assert reply.intent is not None and reply.intent.split(".", 1)[0] == topic, reply.intent
