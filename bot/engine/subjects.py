"""One or two words naming a subject: "Sanktionen", "Nvidia", "Italien", "R1", "Personen".

Such a message asks about the subject as a whole, so it is never answered with one
intent that merely shares a word with it. In this order:

1. a name exactly one intent is anchored to ("Italien", "Sam Altman"), unless other
   intents' canonical questions name it and that one's does not ("USA"); or a name
   only one intent's canonical question names ("V3", "Mitarbeiter"): that intent,
   which is about it;
2. a topic's own name or alias ("Personen", "Kosten"): the topic's overview, else a
   "did you mean" of the topic's questions;
3. a subject only one intent is about: that one; a subject most of whose intents
   share one topic ("Nvidia"): that topic's overview, else a "did you mean" of those
   intents;
4. anything else the knowledge knows: a "did you mean" of the intents about it.

The reply says which question it answers ("Zu: ..."): the message did not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.language import Language
from bot.knowledge import Knowledge
from bot.nlp.text import fold

Words = Sequence[tuple[str, bool]]
MAX_WORDS = 2  # content words: more is a question, not a subject
ARTICLES = frozenset(
    ["der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "the", "a", "an"]
)
ONE_TOPIC = 0.6  # share of a subject's intents in one topic for that topic to stand for it


@dataclass(frozen=True, slots=True)
class Subject:
    """What a bare subject gets: one intent to answer with, or choices to offer."""

    answer: str | None  # an intent id
    choices: tuple[str, ...]  # intent ids, best first
    topic: str | None


class SubjectTests(Protocol):
    """What the rules ask the matcher (bot.engine.matcher.Matcher answers)."""

    def intents_about(self, words: Words, lang: Language) -> list[str]:
        """Intents whose examples are about every word, best match first."""
        ...

    def intents_anchored(self, words: Words, lang: Language) -> list[str]:
        """Intents anchored to every word."""
        ...

    def intents_titled(self, words: Words, lang: Language) -> list[str]:
        """Intents whose canonical question names every word."""
        ...

    def is_content(self, word: str) -> bool: ...

    def is_question_word(self, word: str) -> bool: ...


def bare_subject(
    words: Words,
    lang: Language,
    knowledge: Knowledge,
    topic_names: dict[str, str],
    tests: SubjectTests,
    limit: int = 3,
) -> Subject | None:
    """The reply plan for a message that only names a subject, or None if it asks more;
    ``limit``: how many choices a "did you mean" offers at most."""
    plain = [w for w, _ in words]
    content = [w for w in plain if tests.is_content(w)]
    # Only the subject: every word names it, but for an article ("die Sanktionen"). A
    # verb or a question word makes it a question ("Haben die USA DeepSeek verboten?").
    if not content or len(content) > MAX_WORDS or all(w.isdigit() for w in content):
        return None  # a number alone names nothing ("3": three what?)
    if any(not tests.is_content(w) and w not in ARTICLES for w in plain):
        return None
    anchored = tests.intents_anchored(words, lang)
    titled = tests.intents_titled(words, lang)
    # The one intent anchored to it, unless other intents' questions name it and its own
    # does not ("USA": one intent anchors on it, five ask about it).
    if len(anchored) == 1 and (not titled or anchored[0] in titled):
        return Subject(anchored[0], (), knowledge.intent_topic[anchored[0]])
    if len(titled) == 1:  # the one intent whose question names it: not an arbitrary one
        return Subject(titled[0], (), knowledge.intent_topic[titled[0]])
    topic = topic_names.get(fold(" ".join(plain))) or topic_names.get(" ".join(content))
    if topic is not None:
        return _topic(knowledge, topic, limit)
    about = tests.intents_about(words, lang)
    if not about:
        return None
    if len(about) == 1:
        return Subject(about[0], (), knowledge.intent_topic[about[0]])
    topics = Counter(knowledge.intent_topic[i] for i in about)
    main, count = topics.most_common(1)[0]
    if count >= ONE_TOPIC * len(about):
        overview = f"{main}.overview"
        if overview in knowledge.intents:
            return Subject(overview, (), main)
        ours = tuple(i for i in about if knowledge.intent_topic[i] == main)
        return Subject(None, ours[:limit], main)
    return Subject(None, tuple(about[:limit]), None)


def _topic(knowledge: Knowledge, topic: str, limit: int) -> Subject:
    overview = f"{topic}.overview"
    if overview in knowledge.intents:
        return Subject(overview, (), topic)
    ids = tuple(i.id for i in knowledge.topic_intents(topic))
    return Subject(None, ids[:limit], topic)
