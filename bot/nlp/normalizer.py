"""Turn a question into the canonical tokens the matcher compares.

Pipeline: clean -> tokens (folded) -> multi-word phrases and synonyms to
concepts -> stop words dropped -> remaining words stemmed (Snowball) in the
question's language. Concepts are upper-case names (``COST``), so they can
never collide with a stem, which is always lower-case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

import snowballstemmer
import yaml
from rapidfuzz.distance import DamerauLevenshtein

from bot.domain.language import Language
from bot.nlp import text as textmod
from bot.nlp.text import fold, tokenize

_STEMMERS: dict[str, Any] = {
    "de": snowballstemmer.stemmer("german"),
    "en": snowballstemmer.stemmer("english"),
}


@lru_cache(maxsize=65536)
def stem(word: str, lang: Language) -> str:
    """Snowball stem of an already folded word."""
    if word.isdigit() or len(word) <= 3:
        return word
    return str(_STEMMERS[lang].stemWord(word))


class Term(NamedTuple):
    """One meaningful unit of a question."""

    key: str  # concept (upper-case) or stem: what the index compares
    surface: str  # the folded word(s) as typed: what typo correction compares
    capital: bool  # written with a capital letter (German nouns are)


def is_concept(token: str) -> bool:
    return token[:1].isupper()


@dataclass(frozen=True)
class FunctionWords:
    """Stop words per language and question-word concepts (shipped with the package)."""

    stopwords: Mapping[Language, frozenset[str]]
    markers: Mapping[Language, frozenset[str]]
    question_words: Mapping[str, tuple[str, ...]]
    continuations: frozenset[tuple[str, ...]] = frozenset()  # "und", "what about" (folded)
    references: frozenset[str] = frozenset()  # "er", "dazu", "that": pointing back
    required_questions: frozenset[str] = frozenset()  # QWHEN: an answer must say when

    @classmethod
    def load(cls) -> FunctionWords:
        raw = yaml.safe_load(
            resources.files("bot.nlp").joinpath("data/function_words.yaml").read_text("utf-8")
        )
        return cls(
            stopwords={
                lang: frozenset(fold(w) for w in words) for lang, words in raw["stopwords"].items()
            },
            markers={lang: frozenset(fold(w) for w in ws) for lang, ws in raw["markers"].items()},
            question_words={k: tuple(v) for k, v in raw["question_words"].items()},
            continuations=frozenset(
                tuple(tokenize(w)) for ws in raw.get("continuations", {}).values() for w in ws
            ),
            references=frozenset(fold(w) for ws in raw.get("references", {}).values() for w in ws),
        )


class Normalizer:
    """Maps text to canonical tokens using function words and domain synonyms."""

    def __init__(
        self,
        function_words: FunctionWords,
        synonyms: Mapping[str, Iterable[str]],
        keep: Iterable[str] = (),
    ) -> None:
        """``keep``: words never dropped as stop words (names such as "Allen", "He")."""
        self.function_words = function_words
        kept = {fold(w) for w in keep}
        self._kept = frozenset(kept)
        self.all_stopwords = frozenset().union(*function_words.stopwords.values()) - kept
        groups: dict[str, list[str]] = {k: list(v) for k, v in synonyms.items()}
        for concept, listed in function_words.question_words.items():
            groups.setdefault(concept, []).extend(listed)
        self._single: dict[str, str] = {}
        self._phrases: dict[tuple[str, ...], str] = {}
        for concept, members in groups.items():
            name = concept if concept.isupper() else concept.upper()
            for word in members:
                parts = tuple(tokenize(word))
                if len(parts) == 1:
                    self._single.setdefault(parts[0], name)
                elif parts:
                    self._phrases.setdefault(parts, name)
        # Inflected forms nobody listed ("kostete") reach their concept through
        # the stem, unless two concepts share that stem.
        by_stem: dict[str, set[str]] = {}
        for word, name in self._single.items():
            for lang in _STEMMERS:
                by_stem.setdefault(stem(word, lang), set()).add(name)
        self._by_stem = {s: next(iter(n)) for s, n in by_stem.items() if len(n) == 1}
        self._max_phrase = max((len(p) for p in self._phrases), default=1)
        self._phrases_by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self._phrases:
            self._phrases_by_first.setdefault(phrase[0], []).append(phrase)
        self.concepts = frozenset(self._single.values()) | frozenset(self._phrases.values())
        self.question_concepts = frozenset(function_words.question_words)

    def _phrase_at(self, words: tuple[str, ...]) -> str | None:
        """The phrase these words spell, allowing one typo in a later word ("wie vil")."""
        exact = self._phrases.get(words)
        if exact is not None:
            return exact
        for phrase in self._phrases_by_first.get(words[0], ()):
            if len(phrase) == len(words) and all(
                a == b or (len(b) >= 3 and DamerauLevenshtein.distance(a, b) <= 1)
                for a, b in zip(words[1:], phrase[1:], strict=True)
            ):
                return self._phrases[phrase]
        return None

    def concept_of(self, word: str) -> str | None:
        return self._single.get(word)

    def phrase_parts(self) -> dict[str, str]:
        """Longer words of multi-word phrases and their concept ("valley" -> SILICON_VALLEY).

        Lets a question that misspells one word of a phrase still reach it.
        A word that belongs to phrases of different concepts is left out.
        """
        parts: dict[str, set[str]] = {}
        for phrase, concept in self._phrases.items():
            for word in phrase:
                if len(word) >= 5 and word not in self.all_stopwords:
                    parts.setdefault(word, set()).add(concept)
        return {w: next(iter(c)) for w, c in parts.items() if len(c) == 1}

    def phrase_concepts(self, word: str) -> set[str]:
        """Concepts of the phrases a word is part of ("valley" -> SILICON_VALLEY)."""
        folded = tuple(tokenize(word))
        return {
            concept
            for phrase, concept in self._phrases.items()
            if len(folded) == 1 and folded[0] in phrase
        }

    def tokens(self, text: str, lang: Language) -> list[str]:
        """Canonical tokens of ``text`` in order (duplicates kept)."""
        return [term.key for term in self.terms(text, lang)]

    def terms(self, text: str, lang: Language) -> list[Term]:
        """The question's terms in order (duplicates kept)."""
        return self.canonical(textmod.words(text), lang)

    def surface_forms(self) -> dict[str, str]:
        """Every listed synonym word and the concept it stands for."""
        return dict(self._single)

    def canonical(self, tokens: list[tuple[str, bool]], lang: Language) -> list[Term]:
        out: list[Term] = []
        plain = [word for word, _ in tokens]
        i = 0
        n = len(tokens)
        while i < n:
            matched = False
            for size in range(min(self._max_phrase, n - i), 1, -1):
                concept = self._phrase_at(tuple(plain[i : i + size]))
                if concept:
                    out.append(Term(concept, " ".join(plain[i : i + size]), tokens[i][1]))
                    if concept in self.question_concepts:
                        # "wie teuer" asks how much *and* is about cost.
                        for word in plain[i : i + size]:
                            inner = self._single.get(word)
                            if inner and inner not in self.question_concepts:
                                out.append(Term(inner, word, tokens[i][1]))
                    i += size
                    matched = True
                    break
            if matched:
                continue
            word, capital = tokens[i]
            i += 1
            concept = self._single.get(word)
            if concept:
                out.append(Term(concept, word, capital))
            elif word in self.all_stopwords:
                continue
            else:
                stemmed = stem(word, lang)
                # A name the knowledge anchors on is a word of its own: "behind" is not
                # "behindern" (a RISK) because a German stemmer would make it one.
                key = stemmed if word in self._kept else self._by_stem.get(stemmed, stemmed)
                out.append(Term(key, word, capital))
        return out
