"""Schema of the curated knowledge files.

The files are data written by people, so every model forbids unknown fields
(a typo in a field name must fail loudly, not be ignored) and every check
says what is wrong in words a curator understands.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.domain.language import Language

INTENT_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    """A text in both languages the bot speaks."""

    de: NonEmpty
    en: NonEmpty

    def get(self, lang: Language) -> str:
        return self.en if lang == "en" else self.de


class Examples(_Strict):
    """Example questions, per language; the matcher learns from these."""

    de: list[NonEmpty] = Field(min_length=6)
    en: list[NonEmpty] = Field(min_length=3)


class Source(_Strict):
    """One article the answers are built from, described once."""

    id: str
    file: str | None = None
    title: Localized
    outlet: str | None = None
    date: dt.date | None = None
    url: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value


class SourcesFile(_Strict):
    sources: list[Source] = Field(min_length=1)


class Evidence(_Strict):
    """A short passage quoted verbatim (German, as published) from one source."""

    source: str
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=400)]


class Intent(_Strict):
    """A question people ask, the ways they ask it, and the curated answer."""

    id: str
    title: Localized
    examples: Examples
    keywords: list[NonEmpty] = Field(default_factory=list)
    anchors: list[NonEmpty] = Field(default_factory=list)
    answer: Localized
    sources: list[str] = Field(min_length=1)
    evidence: list[Evidence] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _intent_id(cls, value: str) -> str:
        if not INTENT_ID.match(value):
            raise ValueError("must look like 'topic.name' (lower-case, digits, '_')")
        return value


class Topic(_Strict):
    id: str
    title: Localized
    summary: Localized
    aliases: list[NonEmpty] = Field(default_factory=list)
    reviewed: dt.date | None = None  # when a curator last checked this topic's answers

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value


class TopicFile(_Strict):
    topic: Topic
    intents: list[Intent] = Field(min_length=1)


class SynonymsFile(_Strict):
    """Groups of words and phrases that mean the same thing to the matcher."""

    groups: dict[str, list[NonEmpty]]
    # Concepts that say what is asked (the price, the age, who leads, where): an intent
    # may answer a question that names one only if it has that concept too.
    required: list[NonEmpty] = Field(default_factory=list)
    # A concept that turns another into its opposite ("outside" China): where the
    # question and an intent's title both name the other (China), either both have
    # this one or neither does. "Wer nutzt DeepSeek in China?" is not answered by "Wer
    # nutzt DeepSeek außerhalb Chinas?"; an example "in the West" still is.
    contrasts: dict[NonEmpty, NonEmpty] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _required_are_groups(self) -> SynonymsFile:
        unknown = sorted(set(self.required) - set(self.groups))
        named = {*self.contrasts, *self.contrasts.values()}
        unknown += sorted(named - set(self.groups))
        if unknown:
            raise ValueError(f"required or contrasts name no group: {', '.join(unknown)}")
        return self


SMALLTALK_KINDS = ("greeting", "thanks", "goodbye", "ack", "identity", "test", "help", "sources")


class PerLanguage(_Strict):
    """A list of phrases in each language the bot speaks."""

    de: list[NonEmpty] = Field(min_length=1)
    en: list[NonEmpty] = Field(min_length=1)

    def get(self, lang: Language) -> list[str]:
        return self.en if lang == "en" else self.de


class SmalltalkKind(_Strict):
    phrases: PerLanguage
    # Groups of words: a short message with one word of each group (and nothing the
    # knowledge is about) is of this kind too.
    cues: list[list[NonEmpty]] = Field(default_factory=list)
    reply: Localized


class SmalltalkFile(_Strict):
    """Greetings, thanks, "who are you", help: messages that are not questions."""

    examples: PerLanguage  # example questions the replies offer
    kinds: dict[str, SmalltalkKind]
    fillers: PerLanguage

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: dict[str, SmalltalkKind]) -> dict[str, SmalltalkKind]:
        unknown = sorted(set(value) - set(SMALLTALK_KINDS))
        if unknown:
            raise ValueError(f"unknown kinds {unknown}; known: {', '.join(SMALLTALK_KINDS)}")
        missing = [k for k in ("help", "sources") if k not in value]
        if missing:
            raise ValueError(f"needs the kinds {missing} (free-text help and sources)")
        return value
