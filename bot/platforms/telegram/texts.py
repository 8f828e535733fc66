"""The bot's sentences that only Telegram has: how to ask there, and the command menu."""

from __future__ import annotations

from bot.domain.language import Language
from bot.domain.messages import Texts, worded

TEXTS: Texts = {
    "telegram_command_start": {"de": "Begrüßung und Hilfe", "en": "Welcome and help"},
    "telegram_command_topics": {"de": "Alle Themen", "en": "All topics"},
    "telegram_how": {
        "de": (
            "Schreib mir einfach deine Frage. In Gruppen antworte ich, wenn du mich erwähnst "
            "(@{username}), auf eine meiner Nachrichten antwortest oder /ask davorschreibst. "
            "In jedem anderen Chat: @{username} und die Frage tippen, dann eine Antwort wählen."
        ),
        "en": (
            "Just send me your question. In groups I answer when you mention me (@{username}), "
            "reply to one of my messages or put /ask in front. In any other chat: type "
            "@{username} and the question, then pick an answer."
        ),
    },
    "telegram_command_help": {
        "de": "Was ich weiß und wie man fragt",
        "en": "What I know and how to ask",
    },
    "telegram_command_ask": {
        "de": "Eine Frage stellen: /ask <Frage>",
        "en": "Ask a question: /ask <question>",
    },
    "telegram_command_topic": {
        "de": "Ein Thema kurz erklärt: /topic [Name]",
        "en": "A topic in brief: /topic [name]",
    },
    "telegram_command_sources": {
        "de": "Die Artikel, aus denen ich antworte",
        "en": "The articles I answer from",
    },
    "telegram_command_lang": {
        "de": "Sprache in diesem Chat: /lang de, en oder auto",
        "en": "Language in this chat: /lang de, en or auto",
    },
    "telegram_command_forget": {
        "de": "Alles löschen, was ich über dich gespeichert habe",
        "en": "Delete everything I stored about you",
    },
    "telegram_command_privacy": {
        "de": "Was ich speichere und wie lange",
        "en": "What I store and for how long",
    },
}


def say(key: str, lang: Language, **values: object) -> str:
    """One of the bot's sentences as this platform words it."""
    return worded(TEXTS, key, lang, values)


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
    """(command, description) pairs in ``lang``, for the menu and /help."""
    return [(name, say(f"telegram_command_{name}", lang)) for name in PUBLIC_COMMANDS]
