"""Inline keyboards: 👍/👎 under answers, suggestions under close calls, topic pickers.

Button texts are plain text (Telegram does not parse them), so they need no escaping;
payloads come from :mod:`bot.domain.callbacks` and must fit Telegram's 64 bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import callbacks
from bot.domain.models import Reply, Suggestion, TopicView

log = logging.getLogger(__name__)

MAX_DATA_BYTES = 64  # Telegram's limit for callback_data
MAX_LABEL = 60  # longer button texts are cut; Telegram truncates them on screen anyway
MAX_CHOICES = 10


def label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def _button(text: str, data: str) -> InlineKeyboardButton | None:
    if len(data.encode()) > MAX_DATA_BYTES:
        # A button Telegram would reject would sink the whole message; leave it out.
        log.warning("button payload too long for Telegram, left out: %s", data[:80])
        return None
    return InlineKeyboardButton(label(text), callback_data=data)


def _markup(rows: Sequence[Sequence[InlineKeyboardButton | None]]) -> InlineKeyboardMarkup | None:
    kept = [[b for b in row if b is not None] for row in rows]
    kept = [row for row in kept if row]
    return InlineKeyboardMarkup(kept) if kept else None


def feedback(reply: Reply) -> InlineKeyboardMarkup | None:
    if reply.intent is None or not reply.id:
        return None
    return _markup(
        [
            [
                _button("👍", callbacks.feedback(reply.intent, reply.id, True)),
                _button("👎", callbacks.feedback(reply.intent, reply.id, False)),
            ]
        ]
    )


def suggestions(items: Sequence[Suggestion]) -> InlineKeyboardMarkup | None:
    return _markup([[_button(s.title, callbacks.pick(s.intent))] for s in items[:MAX_CHOICES]])


def for_reply(reply: Reply) -> InlineKeyboardMarkup | None:
    """Suggestions for a close call (or a fallback with candidates), 👍/👎 for an answer."""
    if reply.suggestions:
        return suggestions(reply.suggestions)
    return feedback(reply)


def topics(views: Sequence[TopicView], per_row: int = 2) -> InlineKeyboardMarkup | None:
    buttons = [_button(v.title, callbacks.topic(v.id)) for v in views]
    return _markup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])
