"""Which messages are meant for the bot, and the question in them.

Private chats: every text is a question. Groups: only when the bot is mentioned, when
someone replies to one of its messages, or via /ask; the bot's @mention is taken out of
the question so it does not disturb matching.
"""

from __future__ import annotations

import re

from telegram import Message, MessageEntity
from telegram.constants import ChatType

_TRIM = " \t\n,:;"
_SPACES = re.compile(r"[ \t]{2,}")


def command_parts(text: str) -> tuple[str, str | None, str] | None:
    """``"/ask@Bot  why?"`` -> ``("ask", "Bot", "why?")``; None if not a command."""
    if not text.startswith("/"):
        return None
    head, *rest = text.split(maxsplit=1)
    name, _, target = head[1:].partition("@")
    return name.lower(), target or None, rest[0].strip() if rest else ""


def without_mentions(msg: Message, username: str, bot_id: int) -> tuple[str, bool]:
    """The message text with the bot's mentions removed, and whether there were any."""
    text = msg.text or ""
    mentioned = False
    handle = f"@{username}".lower()
    for entity, value in _mentions(msg).items():
        own = (entity.type == MessageEntity.MENTION and value.lower() == handle) or (
            entity.type == MessageEntity.TEXT_MENTION
            and entity.user is not None
            and entity.user.id == bot_id
        )
        if own:
            mentioned = True
            text = text.replace(value, " ")
    if mentioned:
        text = _SPACES.sub(" ", text)
    return text.strip(_TRIM), mentioned


def _mentions(msg: Message) -> dict[MessageEntity, str]:
    """Mention entities and their text; one whose offsets cut a character in half is skipped.

    (PTB decodes entities strictly, so a malformed one would otherwise fail the whole update.)
    """
    found: dict[MessageEntity, str] = {}
    for entity in msg.entities:
        if entity.type in (MessageEntity.MENTION, MessageEntity.TEXT_MENTION):
            try:
                found[entity] = msg.parse_entity(entity)
            except UnicodeDecodeError:
                continue
    return found


def addressed_question(msg: Message, username: str, bot_id: int) -> str | None:
    """The question in an incoming text message, or None when it is not meant for the bot."""
    if msg.text is None:
        return None
    question, mentioned = without_mentions(msg, username, bot_id)
    if msg.chat.type == ChatType.PRIVATE or mentioned:
        return question
    replied = msg.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return question
    return None


def original_question(msg: Message | None, username: str, bot_id: int) -> str:
    """The question a bot message answered (its reply_to_message), or "" if it was none.

    Used when someone taps a suggestion: the tap is recorded with the words that
    led to the close call, which only a plain question or an /ask carries.
    """
    if msg is None or not msg.text:
        return ""
    parts = command_parts(msg.text)
    if parts is not None:
        return parts[2] if parts[0] == "ask" else ""
    return without_mentions(msg, username, bot_id)[0]
