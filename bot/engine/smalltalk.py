"""Recognise small talk: greetings, thanks, "who are you", "help", emoji on their own.

Curated data (``knowledge/smalltalk.yaml``), matched on folded words, in this order:

1. the phrases and fillers cover the whole message ("Danke!", "Wer bist du?");
2. they cover most of a short message, and the rest is at most two words that are
   neither a question word nor something the knowledge is about ("Danke, sehr
   hilfreich");
3. a short message holds a word of each of a kind's cue groups and nothing the
   knowledge is about ("can you cite your sources?");
4. it starts with a greeting, thanks or "ok" and goes on with a remark that is no
   question ("Dankeschön, das reicht mir").

"Danke, und wer ist Sam Altman?" is none of these: its leading thanks is passed over
and the question answered. A typo is forgiven in phrase words of four letters or
more, unless the typed word is one the knowledge itself uses. Nothing here answers
questions about the articles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.domain.language import LANGUAGES, Language
from bot.knowledge.schema import SmalltalkFile
from bot.nlp.text import tokenize

# Which kind a message with several wins ("hallo, danke, hilfe" asks for help; "which
# articles can you use" for the sources).
PRIORITY = ("sources", "help", "identity", "test", "thanks", "goodbye", "greeting", "ack")
LEADING = frozenset({"greeting", "thanks", "ack"})  # passed over in front of a question
MAX_WORDS = 8  # longer messages are questions, whatever their words
_EMOTICON = re.compile(r"[:;=8][-']?[)(\]\[DPpO3/|*]+|<3|\^\^|xD+")  # :) ;-) :D <3 ^^
_STRETCHED = re.compile(r"(\w)\1{2,}")  # a letter three times or more
NEAR_REST = 2  # words a near cover may leave out
CUE_REST = 1  # words of substance a cued message may have besides its cues

WordTest = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Talk:
    kind: str
    languages: frozenset[Language]  # the languages of the phrases that matched
    # Phrases cover the message (steps 1 and 2). Else it is a guess from cues or a
    # leading phrase, which a confident answer to the message as a question overrules.
    sure: bool = True


def _symbols_only(text: str) -> bool:
    """Emoji or symbols, perhaps with punctuation (👍, ":)", "🙂!"): an acknowledgement.
    Punctuation alone ("???", "...") is no such thing: it asks what to ask."""
    if _EMOTICON.fullmatch(text.strip()):
        return True
    shown = [unicodedata.category(ch) for ch in text if not ch.isspace()]
    return any(c[0] == "S" for c in shown) and all(c[0] in "SP" or c in ("Mn", "Cf") for c in shown)


class SmallTalk:
    def __init__(
        self, data: SmalltalkFile, vocabulary: Container[str], stopwords: frozenset[str]
    ) -> None:
        """``vocabulary``: the knowledge's own words, which are never small-talk typos."""
        self.data = data
        self._vocabulary = vocabulary
        self._stopwords = stopwords
        self._phrases: dict[tuple[str, ...], dict[str, set[Language]]] = {}
        for kind, entry in data.kinds.items():
            for lang in LANGUAGES:
                for phrase in entry.phrases.get(lang):
                    words = tuple(tokenize(phrase))
                    if words:
                        self._phrases.setdefault(words, {}).setdefault(kind, set()).add(lang)
        self._fillers = frozenset(
            w for lang in LANGUAGES for f in data.fillers.get(lang) for w in tokenize(f)
        )
        self._longest = max((len(p) for p in self._phrases), default=1)
        self._cues = {
            kind: [frozenset(w for cue in group for w in tokenize(cue)) for group in entry.cues]
            for kind, entry in data.kinds.items()
            if entry.cues
        }
        self._phrase_words = frozenset(w for p in self._phrases for w in p)
        self._words = sorted(w for w in self._phrase_words if len(w) >= 4)
        self._spelled = lru_cache(maxsize=8192)(self._spelled_uncached)

    def classify(
        self,
        text: str,
        words: Sequence[str] | None = None,
        *,
        subject: WordTest = lambda w: False,
        question_word: WordTest = lambda w: False,
        domain: WordTest = lambda w: False,
    ) -> Talk | None:
        """The kind of small talk the message is, or None if it is (also) a question.

        ``subject``: whether a word names something the knowledge is about;
        ``question_word``: whether it is a question word (wer, when, wieso...);
        ``domain``: whether it names the domain itself (DeepSeek).
        """
        words = list(tokenize(text) if words is None else words)
        if _EMOTICON.fullmatch(text.strip()):
            return Talk("ack", frozenset())  # ":)", "<3": words to a tokenizer, not to people
        if not words:
            return Talk("ack", frozenset()) if _symbols_only(text) else None
        if len(words) > MAX_WORDS:
            return None
        spelled = [self._spelled(w) for w in words]
        found, rest = self._cover(spelled)
        if found and not rest:
            return _kind_of(found)
        if (
            found
            and len(rest) <= NEAR_REST
            and len(rest) < len(words) / 2
            and not any(subject(w) or question_word(w) or domain(w) for w in rest)
        ):
            # e.g. "Danke, sehr hilfreich"; not "ok und wann?" (a question word is left)
            return _kind_of(found)
        cued = self._cued(spelled, subject, domain)
        if cued is not None:
            return cued
        lead = self.leading(spelled)
        asks = text.rstrip().endswith("?")
        if (
            lead
            and not asks
            and all(not subject(w) and not question_word(w) for w in spelled[lead:])
        ):
            found, _ = self._cover(spelled[:lead])
            return replace(_kind_of(found), sure=False)
        return None

    def leading(self, words: Sequence[str]) -> int:
        """How many words at the start are a greeting, thanks or acknowledgement (0 if none)."""
        end = 0
        position = 0
        while position < len(words):
            # Spelled a window at a time: a long question costs only its first words.
            window = [self._spelled(w) for w in words[position : position + self._longest]]
            if window[0] in self._fillers:
                position += 1
                continue
            size = self._phrase_at(window, 0)
            if size == 0 or not (set(self._phrases[tuple(window[:size])]) & LEADING):
                break
            position += size
            end = position
        return end

    # -- internals -------------------------------------------------------------------

    def _spelled_uncached(self, word: str) -> str:
        """The phrase word a typed word stands for (one typo in a longer word, letters
        stretched in chat: "heyyy", "daaanke"), or itself."""
        if word in self._vocabulary or word in self._fillers:
            return word
        squeezed = _STRETCHED.sub(r"\1", word)
        if squeezed != word and squeezed in self._phrase_words:
            return squeezed
        if len(word) < 4 or word in self._phrase_words:
            return word
        near = [
            known
            for known, _, _ in process.extract(
                word,
                self._words,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=1,
                limit=None,
            )
        ]
        # A word that is a phrase by itself first ("danek" is "danke", not "dank"), then one
        # of the same length.
        near.sort(key=lambda k: ((k,) not in self._phrases, len(k) != len(word), k))
        return near[0] if near else word

    def _phrase_at(self, words: Sequence[str], position: int) -> int:
        for size in range(min(self._longest, len(words) - position), 0, -1):
            if tuple(words[position : position + size]) in self._phrases:
                return size
        return 0

    def _cover(self, words: Sequence[str]) -> tuple[list[dict[str, set[Language]]], list[str]]:
        """The phrases found (longest first, left to right) and the words neither a phrase
        nor a filler."""
        found = []
        rest = []
        position = 0
        while position < len(words):
            size = self._phrase_at(words, position)
            if size:
                found.append(self._phrases[tuple(words[position : position + size])])
                position += size
                continue
            if words[position] not in self._fillers:
                rest.append(words[position])
            position += 1
        return found, rest

    def _cued(self, words: Sequence[str], subject: WordTest, domain: WordTest) -> Talk | None:
        """A kind whose every cue group has a word here, with nothing else of substance.

        Only "who are you" may name the domain itself: "Was weißt du über DeepSeek?"
        asks for the facts, not for the help text.
        """
        present = set(words)
        for kind in PRIORITY:
            groups = self._cues.get(kind)
            if not groups or not all(group & present for group in groups):
                continue
            others = present - frozenset().union(*groups) - self._fillers - self._stopwords
            if len(others) > CUE_REST or any(
                subject(w) or (kind != "identity" and domain(w)) for w in others
            ):
                continue  # "Kannst du mir ein Rezept für Lasagne geben?" asks for something else
            return Talk(kind, frozenset(), sure=False)
        return None


def _kind_of(found: Sequence[dict[str, set[Language]]]) -> Talk:
    kinds: dict[str, set[Language]] = {}
    for match in found:
        for kind, langs in match.items():
            kinds.setdefault(kind, set()).update(langs)
    kind = next(k for k in PRIORITY if k in kinds)
    return Talk(kind, frozenset(kinds[kind]))
