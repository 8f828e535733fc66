"""What goes into the chat service: who asks (a :class:`Caller`) and what (a request).

Adapters build these from platform events; nothing here knows a platform's types.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.language import Language
from bot.domain.models import AskContext


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request, and what the platform says about them and the place."""

    platform: str
    chat_id: str | None
    user_id: str | None
    locale: Language | None = None  # the language the person's app or client is set to
    private: bool = True  # a private chat or DM: nobody else reads the replies
    whisper: bool = False  # the platform can show a reply to this person alone
    operator: bool = False  # one of the bot's operators (configured by whoever runs it)
    manager: bool = False  # may manage this server or group (e.g. Discord's Manage Server)

    @property
    def context(self) -> AskContext:
        return AskContext(self.platform, self.chat_id, self.user_id)

    @property
    def person(self) -> tuple[str, str | None, str | None]:
        """One person in one chat: whose conversation a message continues."""
        return (self.platform, self.chat_id, self.user_id)


@dataclass(frozen=True, slots=True)
class Ask:
    """A message meant for the bot: a question, a greeting, a follow-up, a number."""

    text: str


@dataclass(frozen=True, slots=True)
class Command:
    """``/name arg``; names are the neutral ones (help, topic, lang, stats, ...)."""

    name: str
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Click:
    """A tap on one of the bot's buttons; the payload comes from the outside world."""

    payload: str | None


@dataclass(frozen=True, slots=True)
class Inline:
    """An inline query (Telegram's ``@bot question`` in any chat)."""

    query: str


@dataclass(frozen=True, slots=True)
class Complete:
    """Autocomplete of a command option (Discord's /topic name), from what was typed."""

    option: str
    prefix: str


Request = Ask | Command | Click | Inline | Complete
