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


QUOTED = re.compile(r"„[^“”\"]*[“”\"]|“[^”]*”|\"[^\"]*\"|‚[^‘’]*[‘’]")
WINDOW, NEEDED, SPAN = 12, 11, 16


def _lcs(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


class Articles:
    """The seed articles as words, with where each word occurs."""

    def __init__(self, texts: list[str]) -> None:
        self.words = [re.findall(r"[^\W_]+", t.lower()) for t in texts]
        self.vocabulary = {w for words in self.words for w in words}
        self.at: list[dict[str, list[int]]] = []
        for words in self.words:
            where: dict[str, list[int]] = {}
            for n, word in enumerate(words):
                where.setdefault(word, []).append(n)
            self.at.append(where)

    def copied(self, text: str) -> str | None:
        """A 12-word window of ``text`` of which 11 words occur in order within 16
        consecutive article words, outside quotation marks; None if there is none."""
        words = re.findall(r"[^\W_]+", QUOTED.sub(" ", text).lower())
        for i in range(len(words) - WINDOW + 1):
            window = words[i : i + WINDOW]
            if sum(w in self.vocabulary for w in window) < NEEDED:
                continue
            for article, where in zip(self.words, self.at, strict=True):
                # With at most one word left out, the match starts at window word 0 or 1.
                for start in sorted({*where.get(window[0], []), *where.get(window[1], [])}):
                    span = article[start : start + SPAN]
                    if len(set(window) & set(span)) >= NEEDED - 1 and _lcs(window, span) >= NEEDED:
                        return " ".join(window)
        return None


def test_answers_are_in_our_own_words(knowledge: Knowledge) -> None:
    """Facts carry over, sentences do not: no 12 words of an answer, summary or title of
    which 11 stand in order within 16 words of an article (quotations aside)."""
    seeds = REPO.parent / "shared" / "seeds"
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    if not texts:
        pytest.skip("seed articles not beside the repository")
    articles = Articles(texts)
    found = []
    for intent in knowledge.intents.values():
        for lang in ("de", "en"):
            for part in (intent.answer.get(lang), intent.title.get(lang)):
                if (window := articles.copied(part)) is not None:
                    found.append((intent.id, lang, window))
    for topic in knowledge.topics.values():
        for lang in ("de", "en"):
            if (window := articles.copied(topic.summary.get(lang))) is not None:
                found.append((topic.id, lang, window))
    assert found == []


def test_the_copy_check_catches_a_lightly_reworded_sentence() -> None:
    article = (
        "Statt der üblichen 16.000 High-End-Chips, die westliche KI-Modelle benötigen, "
        "setzte DeepSeek auf nur 2.000 davon – kombiniert mit tausenden schwächeren Chips."
    )
    articles = Articles([article])
    swapped = (  # two words swapped for synonyms: still a copy
        "Statt der gewohnten 16.000 High-End-Chips, die westliche KI-Modelle brauchen, "
        "setzte DeepSeek auf nur 2.000 davon – kombiniert mit tausenden schwächeren Chips."
    )
    assert articles.copied(swapped) is not None
    assert articles.copied(f"„{article}“") is None  # a marked quotation may stay
    own = "DeepSeek kam mit 2.000 Spitzenchips aus, wo westliche Modelle 16.000 brauchen."
    assert articles.copied(own) is None
