"""Tell German from English, per question.

Evidence: function words of each language, umlauts and ß, and words that the
knowledge uses in one language only (learnt from the example questions).
Ties go to the caller's default, so one-word questions follow the chat's
language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.nlp.text import tokenize

_GERMAN_LETTERS = frozenset("äöüßÄÖÜ")


class LanguageDetector:
    def __init__(self, vocab: Mapping[str, Iterable[str]]) -> None:
        de = frozenset(vocab.get("de", ()))
        en = frozenset(vocab.get("en", ()))
        self._de_only = de - en
        self._en_only = en - de

    def detect(self, text: str, default: str = "de", tokens: Iterable[str] | None = None) -> str:
        """``tokens``: the text's folded words, when the caller has them already."""
        de = 2 * sum(ch in _GERMAN_LETTERS for ch in text)
        en = 0
        for word in tokenize(text) if tokens is None else tokens:
            if word in self._de_only:
                de += 1
            elif word in self._en_only:
                en += 1
        if de > en:
            return "de"
        if en > de:
            return "en"
        return default

    @staticmethod
    def words(texts: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for text in texts:
            out.update(tokenize(text))
        return out
