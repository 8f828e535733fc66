"""Logging set-up: plain text or JSON lines, with secrets scrubbed from every record.

Libraries log request URLs (the Telegram Bot API puts the token in the
path), so redaction happens in a handler filter that sees every record,
including exception text. The same filter keeps people out of the log: the
libraries' DEBUG lines that dump whole payloads (updates with user ids, names
and question text; SQL parameters; interaction URLs) are dropped whatever
LOG_LEVEL says, and ids and interaction tokens in Discord URLs are masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

_TELEGRAM_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_DISCORD_TOKEN = re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}")
# Interaction callbacks and follow-ups carry a token that lets anyone answer as the bot.
_INTERACTION_URL = re.compile(r"/(interactions|webhooks)/\d+/[^/\s?'\"]+")
# Discord REST paths name users, channels and servers by id (rate-limit warnings quote
# them); the bot's own id in its invite link stays.
_DISCORD_PATH_ID = re.compile(r"/(channels|guilds|users|members|messages|threads|roles)/\d+")
_TELEGRAM_GROUP = re.compile(r"(?<![\w-])-100\d{7,}(?![\w-])")  # Telegram group chat ids
# Loggers whose DEBUG lines are whole payloads: below INFO they never reach the log.
PAYLOAD_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "discord.webhook",
    "discord.state",
    "aiosqlite",
)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        """Also scrub ``secret`` from now on (one created at run time)."""
        if secret and len(secret) >= 6 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = _TELEGRAM_TOKEN.sub("[redacted]", text)
        text = _DISCORD_TOKEN.sub("[redacted]", text)
        text = _INTERACTION_URL.sub(r"/\1/[id]/[redacted]", text)
        text = _DISCORD_PATH_ID.sub(r"/\1/[id]", text)
        return _TELEGRAM_GROUP.sub("[id]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and record.name.startswith(PAYLOAD_LOGGERS):
            return False
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.scrub(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


def redact(secret: str) -> None:
    """Scrub a secret made at run time (e.g. a generated webhook secret) from every log line."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                found.add(secret)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request logs of the HTTP clients carry URLs; keep them out unless debugging.
    for noisy in ("httpx", "httpcore", "discord.gateway", "discord.http"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
