"""A fake Telegram Bot API server (aiohttp, 127.0.0.1) for end-to-end tests of the real client.

python-telegram-bot talks to it over real HTTP (``base_url``). It serves the methods the
adapter uses (:mod:`.methods`), validates what Telegram validates where it matters for
us (HTML parse mode and the 4096-character limit in :mod:`.parse_mode`, command names),
records every call with its decoded parameters, and can inject faults (HTTP errors such
as ``429`` with ``retry_after``, dropped connections, delays) and go away and come back
on the same port (:mod:`.server`).

Updates are made with :meth:`FakeTelegram.say`, :meth:`FakeTelegram.tap` and
:meth:`FakeTelegram.inline` (:mod:`.updates`), which build Telegram-shaped payloads
(entities with UTF-16 offsets, ``reply_to_message``) and queue them for ``getUpdates``.
``python -m tests.fakes.telegram PORT`` serves it on its own (:mod:`.__main__`).
"""

from tests.fakes.telegram.parse_mode import MAX_TEXT, ApiError, parse_html, utf16_len, visible
from tests.fakes.telegram.server import (
    BOT_ID,
    BOT_USERNAME,
    TOKEN,
    Call,
    FakeTelegram,
    Fault,
    free_port,
    settings_for,
)

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "MAX_TEXT",
    "TOKEN",
    "ApiError",
    "Call",
    "FakeTelegram",
    "Fault",
    "free_port",
    "parse_html",
    "settings_for",
    "utf16_len",
    "visible",
]
