"""What comes out of the chat service: platform-neutral responses for a renderer to draw.

A response says *what* to show (an engine reply, a topic, one of the bot's sentences)
and hints *how* (quote the question, show it to the asker alone). Each platform's
renderer turns it into its own markup and honours the hints it can: Telegram has no
ephemeral messages, Discord's gateway replies cannot be ephemeral either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.language import Language
from bot.domain.models import Reply, SourceRef, TopicView


class ButtonKind(StrEnum):
    HELPFUL = "helpful"  # 👍
    UNHELPFUL = "unhelpful"  # 👎
    PICK = "pick"  # a "did you mean" choice, or a question of a topic
    TOPIC = "topic"  # open a topic


@dataclass(frozen=True, slots=True)
class Button:
    kind: ButtonKind
    label: str
    payload: str  # a bot.domain.callbacks payload


# -- contents ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    """One of the bot's own sentences (bot.domain.messages), by key, with its values.

    A platform may word a key its own way (``not_admin`` names Discord's permission).
    """

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text the service composed (a report); shown as it is, escaped."""

    text: str


@dataclass(frozen=True, slots=True)
class Help:
    """What the bot knows and how to ask it; the platform adds how to reach it there."""

    topics: tuple[TopicView, ...]


@dataclass(frozen=True, slots=True)
class TopicList:
    topics: tuple[TopicView, ...]


@dataclass(frozen=True, slots=True)
class SourceList:
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class Privacy:
    """What is stored and for how long; the platform names its own /forget command."""

    retention_days: int
    url: str | None


Content = Reply | TopicView | TopicList | SourceList | Help | Privacy | Notice | Text


# -- responses -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Say:
    """A new message (or several, where the platform must split it)."""

    content: Content
    language: Language
    buttons: tuple[Button, ...] = ()
    quote: bool = False  # reply to the request's message, where the platform can
    ephemeral: bool = False  # for the requester alone, where the platform can


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the message whose button was clicked (a "did you mean" becomes the answer)."""

    content: Content
    language: Language
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Toast:
    """Acknowledge a click, with a short notice or silently."""

    notice: Notice | None
    language: Language


@dataclass(frozen=True, slots=True)
class Choices:
    """Autocomplete choices: (label, value)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class InlineResults:
    """Answers to pick from for an inline query, best first."""

    replies: tuple[Reply, ...]


Response = Say | Edit | Toast | Choices | InlineResults
