"""The bot's own sentences (not knowledge): fallbacks, prompts, notices.

Plain text with ``{placeholders}``; adapters escape whatever they render.
"""

from __future__ import annotations

from bot.core.models import Language

_MESSAGES: dict[str, dict[Language, str]] = {
    "fallback": {
        "de": (
            "Darauf finde ich in meinen Quellen keine Antwort, und raten möchte ich nicht.\n\n"
            "Ich beantworte Fragen zu DeepSeek aus fünf Nachrichtenartikeln, zu diesen Themen: "
            "{topics}.\n\nFrag zum Beispiel: „{example}“"
        ),
        "en": (
            "I can't find an answer to that in my sources, and I'd rather not guess.\n\n"
            "I answer questions about DeepSeek from five news articles, on these topics: "
            '{topics}.\n\nTry for example: "{example}"'
        ),
    },
    "close_call": {
        "de": "Da bin ich mir nicht sicher. Meintest du eine dieser Fragen?\n\n{choices}",
        "en": "I'm not sure what you mean. Did you mean one of these?\n\n{choices}",
    },
    "too_long": {
        "de": (
            "Die Frage ist mir zu lang ({length} Zeichen, höchstens {limit}). "
            "Magst du sie kürzer stellen?"
        ),
        "en": (
            "That question is too long for me ({length} characters, at most {limit}). "
            "Could you ask it more briefly?"
        ),
    },
    "empty": {
        "de": "Stell mir eine Frage zu DeepSeek, zum Beispiel: „{example}“",
        "en": 'Ask me a question about DeepSeek, for example: "{example}"',
    },
    "sources_label": {"de": "Quellen", "en": "Sources"},
    "as_of": {"de": "Stand: {date}", "en": "As of: {date}"},
    "example_question": {"de": "Wer ist Liang Wenfeng?", "en": "Who is Liang Wenfeng?"},
    "help": {
        "de": (
            "Ich beantworte Fragen zu DeepSeek aus fünf deutschen Nachrichtenartikeln und "
            "nenne zu jeder Antwort die Quelle. Steht etwas nicht in den Artikeln, sage ich "
            "das, statt zu raten.\n\n"
            "So fragst du: {how}\n\n"
            "Themen: {topics}\n\n"
            "Befehle: {commands}"
        ),
        "en": (
            "I answer questions about DeepSeek from five German news articles and name the "
            "source of every answer. If the articles don't say, I tell you instead of "
            "guessing.\n\n"
            "How to ask: {how}\n\n"
            "Topics: {topics}\n\n"
            "Commands: {commands}"
        ),
    },
    "lang_set": {
        "de": "Ich antworte in diesem Chat ab jetzt auf Deutsch.",
        "en": "From now on I answer in English in this chat.",
    },
    "lang_auto": {
        "de": "Ich antworte wieder in der Sprache der Frage.",
        "en": "I answer in the language of each question again.",
    },
    "lang_usage": {
        "de": "Bitte so: /lang de, /lang en oder /lang auto",
        "en": "Use: /lang de, /lang en or /lang auto",
    },
    "forgot": {
        "de": (
            "Erledigt: Ich habe alles gelöscht, was ich zu dir gespeichert hatte "
            "(Fragen, Bewertungen, Auswahlen)."
        ),
        "en": "Done: I deleted everything I had stored about you (questions, ratings, choices).",
    },
    "feedback_thanks": {"de": "Danke für die Rückmeldung!", "en": "Thanks for the feedback!"},
    "rate_limited": {
        "de": "Langsam, bitte – zu viele Fragen auf einmal. Ich antworte gleich wieder.",
        "en": "Easy there - too many questions at once. I'll answer again in a moment.",
    },
    "error": {
        "de": "Da ist bei mir etwas schiefgegangen. Versuch es bitte gleich noch einmal.",
        "en": "Something went wrong on my side. Please try again in a moment.",
    },
    "not_admin": {
        "de": "Das dürfen nur die Betreiber dieses Bots.",
        "en": "Only the operators of this bot may do that.",
    },
    "unknown_topic": {
        "de": "Dieses Thema kenne ich nicht. Meine Themen: {topics}",
        "en": "I don't know that topic. My topics: {topics}",
    },
    "topics_header": {"de": "Themen", "en": "Topics"},
    "sources_header": {
        "de": "Meine Quellen (fünf Nachrichtenartikel):",
        "en": "My sources (five news articles):",
    },
    "ask_usage": {
        "de": "Stell deine Frage direkt dahinter, z. B.: /ask {example}",
        "en": "Put your question right after it, e.g.: /ask {example}",
    },
    "unavailable": {
        "de": "Diese Auswahl ist nicht mehr verfügbar.",
        "en": "That choice is no longer available.",
    },
    "stats": {
        "de": (
            "Letzte {days} Tage: {total} Fragen – beantwortet {answered} ({answered_pct}), "
            "Rückfragen {close} ({close_pct}), ohne Antwort {fallback} ({fallback_pct})."
        ),
        "en": (
            "Last {days} days: {total} questions - answered {answered} ({answered_pct}), "
            "did-you-mean {close} ({close_pct}), unanswered {fallback} ({fallback_pct})."
        ),
    },
    "stats_top": {"de": "Häufigste Themen", "en": "Top intents"},
    "stats_recent": {"de": "Zuletzt ohne Antwort", "en": "Recently unanswered"},
    "stats_feedback": {"de": "Bewertungen (👍/👎)", "en": "Ratings (👍/👎)"},
    # Discord: slash command descriptions (at most 100 characters) and notices.
    "discord_cmd_ask": {
        "de": "Stell eine Frage zu DeepSeek",
        "en": "Ask a question about DeepSeek",
    },
    "discord_opt_question": {"de": "Deine Frage", "en": "Your question"},
    "discord_cmd_topic": {
        "de": "Ein Thema kurz erklärt, mit seinen Fragen",
        "en": "A topic in brief, with its questions",
    },
    "discord_opt_topic": {"de": "Name des Themas", "en": "Name of the topic"},
    "discord_cmd_topics": {"de": "Alle Themen", "en": "All topics"},
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
    "discord_choice_auto": {"de": "automatisch", "en": "automatic"},
    "discord_cmd_forget": {
        "de": "Alles löschen, was ich über dich gespeichert habe",
        "en": "Delete everything I stored about you",
    },
    "discord_cmd_stats": {
        "de": "Nutzungsstatistik (nur mit „Server verwalten“)",
        "en": "Usage statistics (Manage Server only)",
    },
    "discord_menu_ask": {"de": "FAQ fragen", "en": "Ask the FAQ"},
    "discord_need_manage_guild": {
        "de": "Das dürfen nur Mitglieder mit der Berechtigung „Server verwalten“.",
        "en": "Only members with the Manage Server permission may do that.",
    },
    "choose_topic": {
        "de": "Welches Thema interessiert dich?",
        "en": "Which topic are you interested in?",
    },
    "topic_questions": {
        "de": "Dazu kann ich zum Beispiel beantworten:",
        "en": "Questions I can answer on this, for example:",
    },
    "stats_private_only": {
        "de": "Die Statistik zeige ich nur im privaten Chat mit mir.",
        "en": "I only show the statistics in a private chat with me.",
    },
    # Telegram: how to ask, and the command menu (setMyCommands, /help).
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
    "telegram_command_start": {"de": "Begrüßung und Hilfe", "en": "Welcome and help"},
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
    "telegram_command_topics": {"de": "Alle Themen", "en": "All topics"},
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
}


def message(key: str, lang: Language, **values: object) -> str:
    text = _MESSAGES[key][lang]
    return text.format(**values) if values else text
