"""Every shipped knowledge file loads, passes the linter and keeps the curation rules."""

from __future__ import annotations

import re

import pytest

from bot.engine.lint import index_of, lint
from bot.knowledge import Knowledge
from bot.platforms import answer_checks
from tests.conftest import REPO

# A chat answer, not an essay: within the tightest message limit there is (Discord's 2000).
SHORT_ENOUGH = 2000
REQUIRED_TOPICS = {
    "company",
    "models",
    "costs",
    "chips",
    "sanctions",
    "bans",
    "people",
    "adoption",
    "reactions",
    "strategy",
    "outlook",
}
MARKUP = re.compile(r"<[a-z/!]|\*\*|__|\[[^\]]*\]\(|^#|`", re.MULTILINE)


def test_required_topics_present(knowledge: Knowledge) -> None:
    assert set(knowledge.topics) >= REQUIRED_TOPICS
    for topic in REQUIRED_TOPICS:
        assert knowledge.topic_intents(topic), topic


def test_linter_finds_no_errors(knowledge: Knowledge) -> None:
    findings = lint(index_of(knowledge), checks=answer_checks())
    errors = [str(f) for f in findings if f.level == "error"]
    assert errors == []


def test_each_intent_is_sourced_bilingual_and_plain(knowledge: Knowledge) -> None:
    for intent in knowledge.intents.values():
        assert intent.sources and set(intent.sources) <= set(knowledge.sources)
        assert len(intent.examples.de) >= 6 and len(intent.examples.en) >= 3
        for lang in ("de", "en"):
            answer = intent.answer.get(lang)
            assert 80 <= len(answer) <= SHORT_ENOUGH, (intent.id, lang)
            assert not MARKUP.search(answer), (intent.id, lang)


def test_cost_answers_name_each_source_where_figures_differ(knowledge: Knowledge) -> None:
    answer = knowledge.intents["costs.development"].answer
    assert "5,58" in answer.de and "1,6" in answer.de
    assert "5.58" in answer.en and "1.6" in answer.en
    assert "New York Times" in answer.de and "CNN" in answer.de


def test_answers_are_not_copied_from_the_articles(knowledge: Knowledge) -> None:
    """Facts carry over, sentences do not: no run of 12 words taken from a seed article."""
    seeds = REPO.parent / "shared" / "seeds"
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    if not texts:
        pytest.skip("seed articles not beside the repository")
    shingles = set()
    for text in texts:
        words = re.findall(r"\w+", text.lower())
        shingles.update(tuple(words[i : i + 12]) for i in range(len(words) - 11))
    for intent in knowledge.intents.values():
        words = re.findall(r"\w+", intent.answer.de.lower())
        copied = [
            w for w in (tuple(words[i : i + 12]) for i in range(len(words) - 11)) if w in shingles
        ]
        assert not copied, (intent.id, " ".join(copied[0]))
