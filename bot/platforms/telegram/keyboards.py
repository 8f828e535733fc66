"""Inline keyboards from the chat service's buttons.

Button texts are plain text (Telegram does not parse them), so they need no escaping;
payloads must fit Telegram's 64 bytes. Layout by kind: 👍/👎 side by side, one question
per row, topics two per row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.responses import Button, ButtonKind
from bot.domain.callbacks import MAX_BYTES

log = logging.getLogger(__name__)

MAX_LABEL = 60  # longer button texts are cut; Telegram truncates them on screen anyway
_ROW = {ButtonKind.HELPFUL: 2, ButtonKind.UNHELPFUL: 2, ButtonKind.PICK: 1, ButtonKind.TOPIC: 2}


def label(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= MAX_LABEL else value[: MAX_LABEL - 1].rstrip() + "…"


def _button(spec: Button) -> InlineKeyboardButton | None:
    if len(spec.payload.encode()) > MAX_BYTES:
        # A button Telegram would reject would sink the whole message; leave it out.
        log.warning("button payload too long for Telegram, left out: %s", spec.payload[:80])
        return None
    return InlineKeyboardButton(label(spec.label), callback_data=spec.payload)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Rows of buttons: a new row when the kind changes or the row is full."""
    rows: list[list[InlineKeyboardButton]] = []
    last: ButtonKind | None = None
    for spec in buttons:
        made = _button(spec)
        if made is None:
            continue
        same_row = rows and _same_row(last, spec.kind) and len(rows[-1]) < _ROW[spec.kind]
        if same_row:
            rows[-1].append(made)
        else:
            rows.append([made])
        last = spec.kind
    return InlineKeyboardMarkup(rows) if rows else None


def _same_row(last: ButtonKind | None, kind: ButtonKind) -> bool:
    votes = {ButtonKind.HELPFUL, ButtonKind.UNHELPFUL}
    return last == kind or (last in votes and kind in votes)
