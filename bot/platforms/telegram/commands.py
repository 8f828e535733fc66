"""The public command menu: one list for setMyCommands, /help and handler registration."""

from __future__ import annotations

from telegram import BotCommand

from bot.domain.messages import message
from bot.domain.models import Language

# Shown in Telegram's command menu and in /help, in this order. /stats and /reload
# are for operators only and deliberately not advertised.
PUBLIC_COMMANDS: tuple[str, ...] = (
    "start",
    "help",
    "ask",
    "topic",
    "topics",
    "sources",
    "lang",
    "forget",
    "privacy",
)


def described(lang: Language) -> list[tuple[str, str]]:
    """(command, description) pairs in ``lang``."""
    return [(name, message(f"telegram_command_{name}", lang)) for name in PUBLIC_COMMANDS]


def bot_commands(lang: Language) -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in described(lang)]
