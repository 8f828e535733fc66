"""The bot's own sentences (not knowledge): fallbacks, prompts, notices.

Plain text with ``{placeholders}``; adapters escape whatever they render.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.language import Language

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
    "subject_choices": {
        "de": "Dazu kann ich dir einiges beantworten. Welche Frage meinst du?\n\n{choices}",
        "en": "I can answer a few things about that. Which question do you mean?\n\n{choices}",
    },
    "about": {
        "de": "Zu: {question}",
        "en": "Re: {question}",
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
    "console_how": {
        "de": "Tipp einfach deine Frage ein; eine Zahl wählt einen Vorschlag.",
        "en": "Just type your question; a number picks a suggestion.",
    },
    "help_title": {"de": "So frag ich mich", "en": "How to ask me"},
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
    "pick_range": {
        "de": "Bitte wähl eine Zahl von 1 bis {count} – oder stell einfach eine neue Frage.",
        "en": "Please pick a number from 1 to {count}, or just ask a new question.",
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
    "stats_smalltalk": {
        "de": "Dazu {smalltalk} Mal Smalltalk oder Hilfe ({pct}).",
        "en": "Also {smalltalk} small-talk or help messages ({pct}).",
    },
    "stats_top": {"de": "Häufigste Themen", "en": "Top intents"},
    "stats_recent": {"de": "Zuletzt ohne Antwort", "en": "Recently unanswered"},
    "stats_feedback": {
        "de": "Bewertungen, schlechteste zuerst (👍/👎)",
        "en": "Ratings, worst first (👍/👎)",
    },
    "stats_days": {"de": "Fragen pro Tag und Plattform", "en": "Questions per day and platform"},
    "admin_private_only": {
        "de": "Das mache ich nur im privaten Chat mit mir.",
        "en": "I only do that in a private chat with me.",
    },
    # Knowledge reload (/reload, SIGHUP): the result for the operator.
    "reloaded": {
        "de": (
            "Wissen neu geladen: {topics} Themen, {intents} Fragen, Version {version} "
            "(vorher {previous}); {warnings} Hinweise von check."
        ),
        "en": (
            "Knowledge reloaded: {topics} topics, {intents} intents, version {version} "
            "(was {previous}); {warnings} warnings from check."
        ),
    },
    "reload_failed": {
        "de": (
            "Das geänderte Wissen hat Fehler, darum antworte ich weiter mit dem bisherigen "
            "(Version {version}). Fehler:"
        ),
        "en": (
            "The changed knowledge has errors, so I keep answering from the previous one "
            "(version {version}). Errors:"
        ),
    },
    "reload_more": {
        "de": "… und {count} weitere (siehe Log)",
        "en": "… and {count} more (see the log)",
    },
    # Privacy: what is stored, for how long, how to delete it (docs/privacy.md in brief).
    "privacy": {
        "de": (
            "So gehe ich mit deinen Daten um:\n\n"
            "• Deinen Namen und deine Konto-Nummer speichere ich nicht, nur eine daraus "
            "gebildete Kennung (einen Hash mit geheimem Schlüssel), aus der sich die Nummer "
            "nicht zurückrechnen lässt.\n"
            "• Von Fragen, die ich beantworte, speichere ich nur, welche Antwort ich gegeben "
            "habe. Den Wortlaut behalte ich nur, wenn ich keine sichere Antwort hatte, damit "
            "die Betreiber das Wissen ergänzen können.\n"
            "• Außerdem deine 👍/👎-Bewertungen, welche Vorschläge du gewählt hast und die "
            "Sprache, die für diesen Chat eingestellt ist.\n\n"
            "Fragen, Bewertungen und Auswahlen lösche ich nach {days} Tagen automatisch. Mit "
            "{forget} löschst du sofort alles, was zu dir gespeichert ist (die Spracheinstellung "
            "gehört zum Chat, nicht zu dir, und bleibt)."
        ),
        "en": (
            "This is how I handle your data:\n\n"
            "• I don't store your name or your account number, only an identifier derived "
            "from it (a hash with a secret key) from which the number cannot be worked out.\n"
            "• For questions I answer, I store only which answer I gave. I keep the wording "
            "only when I had no confident answer, so the operators can add to the knowledge.\n"
            "• Also your 👍/👎 ratings, which suggestions you picked, and the language set "
            "for this chat.\n\n"
            "Questions, ratings and choices are deleted automatically after {days} days. "
            "{forget} deletes everything stored about you right away (the language setting "
            "belongs to the chat, not to you, and stays)."
        ),
    },
    "privacy_more": {"de": "Ausführlich: {url}", "en": "In full: {url}"},
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
}


Texts = Mapping[str, Mapping[Language, str]]


def message(key: str, lang: Language, **values: object) -> str:
    """The sentence ``key`` in ``lang``, with its values filled in."""
    return worded(_MESSAGES, key, lang, values)


def worded(own: Texts, key: str, lang: Language, values: Mapping[str, object]) -> str:
    """The sentence ``key`` as a platform words it: its own texts first (its own keys,
    and its own wording of a neutral one), else the neutral sentence."""
    table = own if key in own else _MESSAGES
    text = table[key][lang]
    return text.format(**values) if values else text


def known(key: str) -> bool:
    return key in _MESSAGES
