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
}


def message(key: str, lang: Language, **values: object) -> str:
    text = _MESSAGES[key][lang]
    return text.format(**values) if values else text
