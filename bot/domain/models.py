"""Platform-neutral values the engine hands to the chat service, the adapters and the CLI.

Nothing here knows about Discord or Telegram: adapters render these values
in their own markup, and must escape every string they take from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.language import LANGUAGES, Language, as_language


class Outcome(StrEnum):
    ANSWERED = "answered"
    CLOSE_CALL = "close_call"
    FALLBACK = "fallback"
    REFUSED = "refused"  # e.g. the question was too long to look at
    SMALLTALK = (
        "smalltalk"  # a greeting, thanks, "who are you", help: not a question about the articles
    )


@dataclass(frozen=True)
class AskContext:
    """Who asks where. Ids are raw here; storage hashes them before writing."""

    platform: str = "cli"
    chat_id: str | None = None
    user_id: str | None = None
    language: Language | None = None  # forced answer language (CLI --lang, chat setting)
    # The platform's id of the event asked in (e.g. a message id): logged once per event.
    event_id: str | None = None


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str
    outlet: str | None
    date: dt.date | None
    url: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "title": self.title,
            "outlet": self.outlet,
            "date": self.date.isoformat() if self.date else None,
            "url": self.url,
        }


@dataclass(frozen=True)
class Suggestion:
    intent: str
    title: str

    def as_dict(self) -> dict[str, str]:
        return {"intent": self.intent, "title": self.title}


@dataclass(frozen=True)
class Reply:
    """What the bot says to one question, before any platform formatting."""

    question: str
    language: Language
    outcome: Outcome
    text: str
    intent: str | None = None
    topic: str | None = None
    title: str | None = None
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    as_of: dt.date | None = None
    id: str = field(default="", compare=False)  # reference for feedback buttons
    kind: str | None = None  # small talk: greeting, thanks, help, sources, ...
    about: str | None = None  # "Zu: ..." -- the question it answers, when that is not plain
    resolved: str | None = None  # a follow-up, as the question it was taken for

    @property
    def fallback(self) -> bool:
        """Whether the bot did not answer a question about the articles with a fact."""
        return self.outcome is not Outcome.ANSWERED and self.outcome is not Outcome.SMALLTALK

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``ask --json`` (see shared/contract.md)."""
        return {
            "question": self.question,
            "lang": self.language,
            "intent": self.intent,
            "topic": self.topic,
            "score": round(self.score, 1),
            "fallback": self.fallback,
            "outcome": self.outcome.value,
            "answer": self.text,
            "suggestions": [s.as_dict() for s in self.suggestions],
            "sources": [s.as_dict() for s in self.sources],
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "kind": self.kind,
            "about": self.about,
            "resolved": self.resolved,
        }


@dataclass(frozen=True)
class TopicView:
    id: str
    title: str
    summary: str
    intents: tuple[Suggestion, ...]


__all__ = [
    "LANGUAGES",
    "AskContext",
    "Language",
    "Outcome",
    "Reply",
    "SourceRef",
    "Suggestion",
    "TopicView",
    "as_language",
]
