"""The engine's platform-neutral replies."""

from __future__ import annotations

from bot.domain.models import AskContext, Outcome
from bot.engine.engine import Engine, EngineOptions
from bot.knowledge import Knowledge


async def test_reply_carries_sources_language_and_date(engine: Engine) -> None:
    reply = await engine.ask("Wie viel hat die Entwicklung von DeepSeek gekostet?")
    assert reply.intent == "costs.development" and reply.topic == "costs"
    assert reply.language == "de"
    assert {s.id for s in reply.sources} >= {"v3-breakthrough", "silicon-valley-rethink"}
    assert "5,58" in reply.text
    assert reply.as_of is not None
    data = reply.as_dict()
    assert set(data) >= {
        "question",
        "lang",
        "intent",
        "topic",
        "score",
        "fallback",
        "answer",
        "suggestions",
        "sources",
    }


async def test_english_question_gets_english_answer(engine: Engine) -> None:
    reply = await engine.ask("How many employees does DeepSeek have?")
    assert reply.language == "en"
    assert reply.intent == "company.staff"
    assert "140" in reply.text


async def test_forced_language_wins(engine: Engine) -> None:
    reply = await engine.ask("Wer ist Liang Wenfeng?", AskContext(language="en"))
    assert reply.language == "en" and "founder" in reply.text.lower()


async def test_fallback_is_honest_and_names_topics(engine: Engine) -> None:
    reply = await engine.ask("Wer gewinnt die Bundesliga?")
    assert reply.fallback and reply.intent is None and not reply.sources
    assert "keine Antwort" in reply.text
    for topic in engine.topics("de")[:3]:
        assert topic.title in reply.text


def test_too_long_question_refused_before_matching(knowledge: Knowledge) -> None:
    engine = Engine(knowledge, EngineOptions(max_question_chars=100))
    reply = engine.answer("Wer ist Liang Wenfeng? " * 20)
    assert reply.outcome is Outcome.REFUSED and reply.fallback
    assert "100" in reply.text


def test_suggestion_tap_answers_intent(engine: Engine) -> None:
    reply = engine.answer_intent("bans.italy", "en")
    assert reply is not None and reply.intent == "bans.italy" and reply.language == "en"
    assert engine.answer_intent("no.such", "de") is None


def test_topics_and_topic_lookup(engine: Engine) -> None:
    views = engine.topics("de")
    assert len(views) >= 11 and all(v.summary and v.intents for v in views)
    assert engine.topic("sanktionen", "de").id == "sanctions"  # type: ignore[union-attr]
    assert engine.topic("Sanktionn", "de").id == "sanctions"  # type: ignore[union-attr]
    assert engine.topic("Fußball", "de") is None
    assert next(v.id for v in engine.topic_choices("chi", "en")) in {"chips", "strategy"}


def test_sources_listed_once_each(engine: Engine) -> None:
    sources = engine.sources("de")
    assert len(sources) == 5 == len({s.id for s in sources})
