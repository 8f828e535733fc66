"""How answers are shown says no more than the articles do (the knowledge-fidelity rules).

The copy rule is in ``test_knowledge_files.py`` and the evidence proofs in
``test_evidence.py`` and ``test_claims.py``; the ``reviewed:`` check in
``test_knowledge_errors.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.models import Outcome
from bot.engine.engine import Engine
from bot.render.text import first_sentence


def test_an_answers_as_of_date_comes_from_its_own_sources(engine: Engine) -> None:
    sources = engine.knowledge.sources
    for intent in engine.knowledge.intents.values():
        reply = engine.answer_intent(intent.id, "de")
        assert reply is not None
        dates = [sources[s].date for s in intent.sources if sources[s].date is not None]
        assert reply.as_of == (max(dates) if dates else None), intent.id
    italy = engine.answer("Warum hat Italien DeepSeek gesperrt?")
    assert italy.intent == "bans.italy"
    if all(sources[s].date is None for s in engine.knowledge.intents["bans.italy"].sources):
        assert italy.as_of is None  # not the newest date of some other article
    assert italy.as_dict()["as_of"] == (italy.as_of.isoformat() if italy.as_of else None)


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Was kostet DeepSeek?", "de"),
        ("Ist DeepSeek kostenlos?", "de"),
        ("How much does DeepSeek cost?", "en"),
        ("Is DeepSeek free?", "en"),
    ],
)
def test_how_much_does_it_cost_says_the_articles_name_no_usage_price(
    engine: Engine, question: str, lang: str
) -> None:
    reply = engine.answer(question)
    assert reply.outcome is Outcome.ANSWERED and reply.language == lang, reply
    text = reply.text.lower()
    if lang == "de":
        assert "preis" in text and ("keine" in text or "nicht" in text), reply.text
    else:
        assert "price" in text and ("no " in text or "not " in text), reply.text


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Laut Gregory C. Allen war das kein Zufall. Mehr dazu.", "Laut Gregory C. Allen war"),
        ("Am 20. Januar 2025 kam R1. Danach V3.", "Am 20. Januar 2025 kam R1."),
        ("Das gilt z. B. für Meta u. a. Firmen. Sonst nicht.", "Das gilt z. B. für Meta"),
        ("Dr. Su sagt das. Ende.", "Dr. Su sagt das."),
    ],
)
def test_a_summary_is_not_cut_at_an_abbreviation_or_initial(text: str, first: str) -> None:
    assert first_sentence(text).startswith(first)


def test_every_topic_line_ends_a_sentence(engine: Engine) -> None:
    for view in engine.topics("de"):
        line = first_sentence(view.summary)
        assert line.rstrip().endswith((".", "!", "?", ":")), line
        assert not line.rstrip().endswith((" C.", " z.", " B.")), line  # not mid-name


def test_the_shipped_topics_were_reviewed_recently_enough() -> None:
    from bot.knowledge import load_knowledge

    knowledge = load_knowledge()
    for topic in knowledge.topics.values():
        assert topic.reviewed is not None, topic.id
        assert topic.reviewed <= dt.date.today(), topic.id
