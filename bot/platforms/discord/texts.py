"""The bot's sentences that only Discord has: slash command descriptions (at most 100
characters), how to ask there, and its wording of the permission notice."""

from __future__ import annotations

from bot.domain.language import Language
from bot.domain.messages import Texts, worded

TEXTS: Texts = {
    "discord_opt_question": {"de": "Deine Frage", "en": "Your question"},
    "discord_opt_topic": {"de": "Name des Themas", "en": "Name of the topic"},
    "discord_cmd_topics": {"de": "Alle Themen", "en": "All topics"},
    "discord_choice_auto": {"de": "automatisch", "en": "automatic"},
    "discord_menu_ask": {"de": "FAQ fragen", "en": "Ask the FAQ"},
    "discord_cmd_ask": {
        "de": "Stell eine Frage zu DeepSeek",
        "en": "Ask a question about DeepSeek",
    },
    "discord_cmd_topic": {
        "de": "Ein Thema kurz erklärt, mit seinen Fragen",
        "en": "A topic in brief, with its questions",
    },
    "discord_cmd_sources": {
        "de": "Die Artikel, aus denen ich antworte",
        "en": "The articles I answer from",
    },
    "discord_cmd_lang": {
        "de": "Antwortsprache in diesem Kanal",
        "en": "Answer language in this channel",
    },
    "discord_opt_lang": {
        "de": "Deutsch, Englisch oder automatisch (Sprache der Frage)",
        "en": "German, English or automatic (language of the question)",
    },
    "discord_cmd_forget": {
        "de": "Alles löschen, was ich über dich gespeichert habe",
        "en": "Delete everything I stored about you",
    },
    "discord_cmd_stats": {
        "de": "Nutzungsstatistik (nur mit „Server verwalten“)",
        "en": "Usage statistics (Manage Server only)",
    },
    "discord_cmd_privacy": {
        "de": "Was ich speichere, wie lange, und wie du es löschst",
        "en": "What I store, for how long, and how to delete it",
    },
    "discord_cmd_reload": {
        "de": "Wissen neu laden (nur mit „Server verwalten“)",
        "en": "Reload the knowledge (Manage Server only)",
    },
    "discord_cmd_help": {
        "de": "Was ich weiß und wie man fragt",
        "en": "What I know and how to ask",
    },
    "discord_how": {
        "de": (
            "Erwähne mich mit deiner Frage (@{username} …), schreib mir eine Direktnachricht, "
            "nimm /frage, oder wähl bei einer Nachricht „Apps → FAQ fragen“."
        ),
        "en": (
            "Mention me with your question (@{username} …), send me a direct message, use "
            '/ask, or pick "Apps → Ask the FAQ" on a message.'
        ),
    },
    # Discord's wording of a neutral sentence: who may run /stats and /reload here.
    "not_admin": {
        "de": "Das dürfen nur Mitglieder mit der Berechtigung „Server verwalten“.",
        "en": "Only members with the Manage Server permission may do that.",
    },
}

# The slash commands: neutral name -> (English name, German name). Descriptions are the
# texts "discord_cmd_<neutral name>". /stats and /reload need Manage Server.
COMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("ask", "frage"),
    "help": ("help", "hilfe"),
    "topic": ("topic", "thema"),
    "topics": ("topics", "themen"),
    "sources": ("sources", "quellen"),
    "lang": ("lang", "sprache"),
    "forget": ("forget", "vergessen"),
    "privacy": ("privacy", "datenschutz"),
    "stats": ("stats", "statistik"),
    "reload": ("reload", "neuladen"),
}
ADMIN_COMMANDS = frozenset({"stats", "reload"})


def command_name(neutral: str, lang: Language) -> str:
    """How a German or English Discord client shows the command (/vergessen, /forget)."""
    en, de = COMMANDS[neutral]
    return f"/{de if lang == 'de' else en}"


def described(lang: Language) -> list[tuple[str, str]]:
    """(command as shown, description) for /help; the operator commands are left out."""
    return [
        (command_name(name, lang), say(f"discord_cmd_{name}", lang))
        for name in COMMANDS
        if name not in ADMIN_COMMANDS
    ]


def say(key: str, lang: Language, **values: object) -> str:
    """One of the bot's sentences as this platform words it."""
    return worded(TEXTS, key, lang, values)
