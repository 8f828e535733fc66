"""What one person said last in one chat, so that the next message can lean on it.

A chat is not a questionnaire: after "Wer ist Sam Altman?" people write "Und Elon
Musk?", "Was sagt er dazu?" or "Wieso?". A :class:`Conversation` is the little the
engine needs to understand those: the last question answered, its intent, and the
"did you mean" choices last offered. It is a value: the engine reads one and the
caller keeps the one :meth:`Conversation.after` returns (the chat service per
person and chat, for a few minutes; ``ask --conversation`` from line to line).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from bot.domain.language import Language
from bot.domain.models import Outcome, Reply, Suggestion
from bot.nlp.text import words as textwords

Words = list[tuple[str, bool]]  # folded words, each with whether it was capitalised


@dataclass(frozen=True, slots=True)
class Conversation:
    question: str | None = None  # the last question answered, as it was understood
    intent: str | None = None  # and the intent that answered it
    language: Language | None = None
    suggestions: tuple[Suggestion, ...] = ()  # the last "did you mean" choices
    offer: str | None = None  # the reply id of that close call
    at: float = 0.0  # time.monotonic() of the last reply

    def after(self, reply: Reply, now: float | None = None) -> Conversation:
        """The conversation once ``reply`` was given."""
        at = time.monotonic() if now is None else now
        if reply.outcome is Outcome.ANSWERED and reply.intent is not None:
            question = reply.resolved or reply.question
            if question.strip().isdigit():  # picked by number: the choice is the question
                question = reply.title or question
            return Conversation(question, reply.intent, reply.language, (), None, at)
        if reply.outcome is Outcome.CLOSE_CALL and reply.suggestions:
            return Conversation(
                self.question, self.intent, reply.language, reply.suggestions, reply.id, at
            )
        if reply.kind == "choose":  # "pick 1 to 3": the choices still stand
            return Conversation(
                self.question, self.intent, self.language, self.suggestions, self.offer, at
            )
        return Conversation(self.question, self.intent, self.language, (), None, at)

    def pick(self, text: str) -> int | None:
        """The number of a choice ("2") typed after a "did you mean", 0 if it is not on the
        list; None if the message is no such number."""
        value = text.strip().rstrip(".)")
        if not self.suggestions or not value.isdigit() or len(value) > 3:
            return None
        number = int(value)
        return number if 1 <= number <= len(self.suggestions) else 0

    def fresh(self, now: float, ttl: float) -> Conversation:
        """This conversation, or an empty one once ``ttl`` seconds have passed."""
        return self if now - self.at <= ttl else Conversation()

    @staticmethod
    def words(text: str) -> Words:
        return textwords(text)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A message understood with the question before it."""

    words: Words  # what to match: the message's words and what they lean on
    text: str  # the same, readable: how the bot understood the message
    strong: bool  # "Und V3?", "Wieso?": unmistakably a follow-up; else only a reference
    # It asks a question of its own, with two things named ("Und wie viele Mitarbeiter
    # hat die Firma?"): a confident answer to it alone wins over the reading with context.
    complete: bool = False


class WordTests(Protocol):
    """What the follow-up rules ask about a word (bot.engine.matcher.Matcher answers)."""

    def names_subject(self, word: str) -> bool: ...

    def names_entity(self, word: str) -> bool: ...

    def names_domain(self, word: str) -> bool: ...

    def is_question_word(self, word: str) -> bool: ...

    def is_stopword(self, word: str) -> bool: ...


def _continuation(words: list[str], starts: frozenset[tuple[str, ...]]) -> int:
    """How many words at the start say "and ..." ("und was ist mit", "what about")."""
    for size in range(min(5, len(words)), 0, -1):
        if tuple(words[:size]) in starts:
            return size
    return 0


def follow_up(
    message: Words,
    context: Conversation,
    tests: WordTests,
    starts: frozenset[tuple[str, ...]],
    references: frozenset[str],
) -> FollowUp | None:
    """The message with what it leans on, if it is incomplete on its own; else None.

    Incomplete means: it starts with "und"/"and" and names at most three things ("Und
    Elon Musk?", "What about Italy?"); or it names nothing but asks ("Wieso?", "Wie
    viele?", "Who else?"); or it refers back ("Was sagt er dazu?", "Was hat das
    gekostet?") and names no one. A word like "das" before a noun is an article, not
    a reference ("Wie groß ist das Team?" is complete). The question before lends what
    the message lacks: its subject, unless the message names a new one (then that
    replaces the old); its question words, unless the message asks its own.
    """
    if not context.question:
        return None
    words = [w for w, _ in message]
    lead = _continuation(words, starts)
    body = message[lead:]
    plain = [w for w, _ in body]
    content = [
        w
        for w in plain
        if not tests.is_stopword(w)
        and not tests.is_question_word(w)
        and w not in references
        and not tests.names_domain(w)
    ]
    asks = any(tests.is_question_word(w) for w in plain)
    entities = [w for w in content if tests.names_entity(w)]
    subjects = [w for w in content if tests.names_subject(w)]
    refers = any(
        w in references and (n + 1 == len(plain) or not tests.names_entity(plain[n + 1]))
        for n, w in enumerate(plain)
    )
    strong = (lead > 0 and len(plain) > 0 and len(content) <= 3) or (
        not content and (asks or refers or lead > 0)
    )
    strong = strong or (asks and len(content) <= 1 and not subjects)
    weak = refers and len(content) <= 2 and not entities
    if not (strong or weak):
        return None
    before = Conversation.words(context.question)
    lent = [
        (w, upper)
        for w, upper in before
        if not (asks and tests.is_question_word(w))  # the message asks its own question
        and not (entities and tests.names_entity(w))  # ... or names a new subject
    ]
    combined = [*body, *lent]
    text = " ".join(w for w, _ in body) + " | " + context.question
    return FollowUp(combined, text, strong, complete=asks and len(content) >= 2)
