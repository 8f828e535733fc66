"""The engine the adapters and the CLI share: question in, platform-neutral reply out."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from rapidfuzz import fuzz, process

from bot.domain.messages import message
from bot.domain.models import (
    AskContext,
    Language,
    Outcome,
    Reply,
    SourceRef,
    Suggestion,
    TopicView,
)
from bot.engine.conversation import Conversation, follow_up
from bot.engine.decision import Match, Thresholds
from bot.engine.matcher import Matcher
from bot.engine.smalltalk import SmallTalk, Talk
from bot.engine.subjects import Subject, bare_subject
from bot.knowledge import Knowledge, load_knowledge
from bot.knowledge.schema import Intent
from bot.nlp.language import LanguageDetector
from bot.nlp.normalizer import FunctionWords, Normalizer
from bot.nlp.text import fold, words

log = logging.getLogger(__name__)


SHORT = 2  # content words: a question this short gets "Zu: <the question it answers>"


class QuestionSink(Protocol):
    """Where the engine reports each question (storage implements it)."""

    def record_question(self, ctx: AskContext, reply: Reply, latency_ms: float) -> None: ...


@dataclass(frozen=True)
class EngineOptions:
    default_language: Language = "de"
    max_question_chars: int = 1000
    thresholds: Thresholds = field(default_factory=Thresholds)


class KnowledgeIndex:
    """Everything derived from one knowledge load; swapped as a whole on reload."""

    def __init__(self, knowledge: Knowledge, options: EngineOptions) -> None:
        self.knowledge = knowledge
        self.function_words = function_words = FunctionWords.load()
        anchors = {word for intent in knowledge.intents.values() for word in intent.anchors}
        self.normalizer = Normalizer(function_words, knowledge.synonyms, keep=anchors)
        self.matcher = Matcher(knowledge, self.normalizer, options.thresholds)
        vocab: dict[str, set[str]] = {
            lang: set(words) | function_words.markers.get(lang, frozenset())
            for lang, words in function_words.stopwords.items()
        }
        for intent in knowledge.intents.values():
            vocab["de"] |= LanguageDetector.words([*intent.examples.de, intent.answer.de])
            vocab["en"] |= LanguageDetector.words([*intent.examples.en, intent.answer.en])
        self.detector = LanguageDetector(vocab)
        self.topic_names: dict[str, str] = {}
        for topic in knowledge.topics.values():
            for name in [topic.id, topic.title.de, topic.title.en, *topic.aliases]:
                self.topic_names.setdefault(fold(name), topic.id)
        talk = knowledge.smalltalk
        self.smalltalk = (
            SmallTalk(talk, self.matcher.spellings, self.normalizer.all_stopwords)
            if talk is not None
            else None
        )


class Engine:
    def __init__(
        self,
        knowledge: Knowledge,
        options: EngineOptions | None = None,
        sink: QuestionSink | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self.sink = sink
        self._index = KnowledgeIndex(knowledge, self.options)

    @classmethod
    def serving(cls, index: KnowledgeIndex, options: EngineOptions | None = None) -> Engine:
        """An engine on an index already built (``check`` lints and asks the same one)."""
        engine = cls.__new__(cls)
        engine.options = options or EngineOptions()
        engine.sink = None
        engine._index = index
        return engine

    @classmethod
    def from_directory(
        cls, directory: Path | str | None = None, options: EngineOptions | None = None
    ) -> Engine:
        return cls(load_knowledge(directory), options)

    # -- knowledge -----------------------------------------------------------------

    @property
    def knowledge(self) -> Knowledge:
        return self._index.knowledge

    @property
    def matcher(self) -> Matcher:
        return self._index.matcher

    def reload(self, directory: Path | str | None = None) -> Knowledge:
        """Load and index anew; on any error the current knowledge stays in service."""
        index = self.prepare(directory)
        self.use(index)
        return index.knowledge

    def prepare(self, directory: Path | str | None = None) -> KnowledgeIndex:
        """Load and index a folder without serving it yet (slow: fine in a worker thread)."""
        return KnowledgeIndex(load_knowledge(directory or self.knowledge.directory), self.options)

    def use(self, index: KnowledgeIndex) -> None:
        """Serve ``index`` from now on; call on the event loop, so no answer sees a mix."""
        self._index = index

    def detect_language(
        self, text: str, default: Language | None = None, tokens: list[str] | None = None
    ) -> Language:
        found = self._index.detector.detect(text, default or self.options.default_language, tokens)
        return "en" if found == "en" else "de"

    # -- asking --------------------------------------------------------------------

    async def ask(
        self,
        question: str,
        ctx: AskContext | None = None,
        context: Conversation | None = None,
        prefer: Language | None = None,
    ) -> Reply:
        """Answer one message (in ``ctx.language`` if set) and report it to the sink."""
        ctx = ctx or AskContext()
        started = time.perf_counter()
        reply = self.answer(question, ctx.language, context, prefer)
        if self.sink is not None:
            self.sink.record_question(ctx, reply, (time.perf_counter() - started) * 1000)
        return reply

    def answer(
        self,
        question: str,
        language: Language | None = None,
        context: Conversation | None = None,
        prefer: Language | None = None,
    ) -> Reply:
        """The synchronous heart of :meth:`ask`: no I/O, bounded work.

        ``language``: answer in this one; ``prefer``: the person's language, for messages
        that do not reveal their own ("ok", "test"); ``context``: the conversation so
        far, for follow-ups ("Und V3?").
        """
        limit = self.options.max_question_chars
        if len(question) > limit:
            lang = language or self.detect_language(question[:limit])
            text = message("too_long", lang, length=len(question), limit=limit)
            return Reply(question=question, language=lang, outcome=Outcome.REFUSED, text=text)
        tokens = words(question)  # split once, for language detection and matching
        detected = self.detect_language(question, prefer, [w for w, _ in tokens])
        lang = language or detected
        if context is not None and (number := context.pick(question)) is not None:
            return self._picked(question, context, number, language)
        folded = [w for w, _ in tokens]
        talk = self._index.smalltalk
        found = (
            talk.classify(
                question,
                folded,
                subject=self.matcher.names_subject,
                question_word=self.matcher.is_question_word,
                domain=self.matcher.names_domain,
            )
            if talk is not None
            else None
        )
        # Only cues or a leading phrase: "Which names come up in the articles?" has the
        # words of a sources question, yet the knowledge answers it as asked.
        if (
            found is not None
            and not found.sure
            and self.matcher.match(question, detected, tokens).outcome is Outcome.ANSWERED
        ):
            found = None
        if found is not None:
            return self._smalltalk(question, found, language, prefer or detected)
        if not question.strip() or not tokens:
            text = message("empty", lang, example=message("example_question", lang))
            return Reply(question=question, language=lang, outcome=Outcome.FALLBACK, text=text)
        if talk is not None and 0 < (lead := talk.leading(folded)) < len(tokens):
            tokens = tokens[lead:]  # "Hallo, wer ist ...?": the greeting is passed over
        if context is not None and context.question:
            leaning = follow_up(
                tokens,
                context,
                self.matcher,
                self._index.function_words.continuations,
                self._index.function_words.references,
            )
            if leaning is not None and leaning.complete:
                alone = self.matcher.match(question, detected, tokens)
                if alone.outcome is Outcome.ANSWERED:
                    leaning = None  # a complete question is never bent by the one before
            if leaning is not None:
                # It leans on the question before, which decides what it means: "Wie alt
                # ist er?" on its own would be a guess at who "er" is.
                match = self.matcher.match(question, detected, leaning.words)
                if (
                    match.best is not None
                    and match.best.intent == context.intent
                    and self.matcher.asks_beyond(context.intent, tokens, detected)
                ):
                    match = self._beyond(match, context.intent)
                reply = self._reply(question, lang, match)
                return replace(reply, resolved=leaning.text, about=reply.title)
        subject = bare_subject(
            tokens,
            detected,
            self.knowledge,
            self._index.topic_names,
            self.matcher,
            self.matcher.thresholds.max_suggestions,
        )
        if subject is not None:
            return self._subject(question, lang, subject)
        match = self.matcher.match(question, detected, tokens)
        reply = self._reply(question, lang, match)
        content = sum(1 for w, _ in tokens if self.matcher.is_content(w))
        if reply.intent is not None and (
            content <= SHORT or reply.score < self.matcher.thresholds.sure
        ):
            reply = replace(reply, about=reply.title)  # "Zu: ...": say what it answers
        return reply

    def _beyond(self, match: Match, given: str) -> Match:
        """A follow-up that asks ("Wieso so wenige?") and lands on the answer just given:
        the person wants more than it says, so offer the other candidates instead."""
        th = self.matcher.thresholds
        others = tuple(c for c in match.ranked if c.intent != given and c.score >= th.suggest)
        if not others:
            return Match(Outcome.FALLBACK, None, (), match.ranked)
        return Match(Outcome.CLOSE_CALL, others[0], others[: th.max_suggestions], match.ranked)

    def _picked(
        self, question: str, context: Conversation, number: int, forced: Language | None
    ) -> Reply:
        """A choice picked by its number, or which numbers there are."""
        lang = forced or context.language or self.options.default_language
        if number:
            chosen = self.answer_intent(context.suggestions[number - 1].intent, lang, question)
            if chosen is not None:
                return replace(chosen, about=chosen.title)
        text = message("pick_range", lang, count=len(context.suggestions))
        return Reply(question, lang, Outcome.SMALLTALK, text, kind="choose")

    def _subject(self, question: str, lang: Language, subject: Subject) -> Reply:
        """A bare subject: the intent about it, or the questions there are about it."""
        if subject.answer is not None:
            intent = self.knowledge.intents[subject.answer]
            reply = self._answer_reply(question, lang, intent, 100.0)
            return replace(reply, about=reply.title)
        suggestions = tuple(self.suggestions_for(subject.choices, lang))
        choices = "\n".join(f"{n}. {s.title}" for n, s in enumerate(suggestions, 1))
        text = message("subject_choices", lang, choices=choices)
        return Reply(
            question=question,
            language=lang,
            outcome=Outcome.CLOSE_CALL,
            text=text,
            topic=subject.topic,
            suggestions=suggestions,
            id=_new_id(),
        )

    def _smalltalk(
        self, question: str, talk: Talk, forced: Language | None, otherwise: Language
    ) -> Reply:
        """The reply to a greeting, thanks, "who are you", "help" or "where from".

        Its language: the forced one, else the one language whose phrases these are
        ("thanks"), else the person's ("ok", "test" are both German and English).
        """
        data = self.knowledge.smalltalk
        assert data is not None
        lang: Language = forced or otherwise
        if forced is None and len(talk.languages) == 1:
            lang = next(iter(talk.languages))
        examples = data.examples.get(lang)
        values = {
            "example": examples[0],
            "example2": examples[1 % len(examples)],
            "topics": ", ".join(t.title.get(lang) for t in self.knowledge.topics.values()),
            "sources": "\n".join(f"- {_source_text(s)}" for s in self.sources(lang)),
        }
        text = data.kinds[talk.kind].reply.get(lang).format(**values)
        return Reply(question, lang, Outcome.SMALLTALK, text, kind=talk.kind)

    def top_answers(
        self, question: str, language: Language | None = None, limit: int = 5
    ) -> list[Reply]:
        """Up to ``limit`` answers worth offering for a question, best first.

        For pickers such as Telegram's inline mode: the confident answer if
        there is one, else the "did you mean" candidates as full answers.
        """
        if not question.strip() or len(question) > self.options.max_question_chars:
            return []
        detected = self.detect_language(question)
        lang = language or detected
        match = self.matcher.match(question, detected)
        intents = self.knowledge.intents
        floor = self.matcher.thresholds.suggest
        ranked = list(match.candidates)
        ranked += [c for c in match.ranked if c not in ranked and c.anchored and c.score >= floor]
        ranked = ranked[:limit]
        return [self._answer_reply(question, lang, intents[c.intent], c.score) for c in ranked]

    def answer_intent(self, intent_id: str, language: Language, question: str = "") -> Reply | None:
        """The answer of a known intent, e.g. when someone taps a suggestion."""
        intent = self.knowledge.intents.get(intent_id)
        if intent is None:
            return None
        return self._answer_reply(question or intent.title.get(language), language, intent, 100.0)

    def _reply(self, question: str, lang: Language, match: Match) -> Reply:
        intents = self.knowledge.intents
        if match.outcome is Outcome.ANSWERED and match.best is not None:
            return self._answer_reply(question, lang, intents[match.best.intent], match.best.score)
        suggestions = tuple(
            Suggestion(c.intent, intents[c.intent].title.get(lang)) for c in match.candidates
        )
        score = match.best.score if match.best else 0.0
        if match.outcome is Outcome.CLOSE_CALL and suggestions:
            choices = "\n".join(f"{n}. {s.title}" for n, s in enumerate(suggestions, 1))
            text = message("close_call", lang, choices=choices)
            return Reply(
                question=question,
                language=lang,
                outcome=Outcome.CLOSE_CALL,
                text=text,
                score=score,
                suggestions=suggestions,
                id=_new_id(),
            )
        topics = ", ".join(t.title.get(lang) for t in self.knowledge.topics.values())
        text = message("fallback", lang, topics=topics, example=message("example_question", lang))
        return Reply(
            question=question,
            language=lang,
            outcome=Outcome.FALLBACK,
            text=text,
            score=score,
            suggestions=suggestions,
            id=_new_id(),
        )

    def _answer_reply(self, question: str, lang: Language, intent: Intent, score: float) -> Reply:
        return answer_reply(self.knowledge, intent, lang, question, score)

    # -- browsing ------------------------------------------------------------------

    def source_ref(self, source_id: str, lang: Language) -> SourceRef:
        return source_ref(self.knowledge, source_id, lang)

    def sources(self, lang: Language) -> list[SourceRef]:
        return [self.source_ref(s, lang) for s in self.knowledge.sources]

    def topics(self, lang: Language) -> list[TopicView]:
        return [self._topic_view(t, lang) for t in self.knowledge.topics]

    def topic(self, name: str, lang: Language) -> TopicView | None:
        """A topic by id, title or alias, forgiving typos; None if nothing is close."""
        names = self._index.topic_names
        key = fold(name.strip())
        if key in names:
            return self._topic_view(names[key], lang)
        found = process.extractOne(key, list(names), scorer=fuzz.WRatio, score_cutoff=80)
        return self._topic_view(names[found[0]], lang) if found else None

    def topic_choices(self, prefix: str, lang: Language) -> list[TopicView]:
        """Topics for autocomplete: best matches to what was typed so far."""
        views = self.topics(lang)
        if not prefix.strip():
            return views
        scored = process.extract(
            fold(prefix),
            {v.id: fold(f"{v.title} {v.id}") for v in views},
            scorer=fuzz.partial_ratio,
            limit=None,
            score_cutoff=50,
        )
        order = [key for _, _, key in scored]
        by_id = {v.id: v for v in views}
        return [by_id[k] for k in order]

    def _topic_view(self, topic_id: str, lang: Language) -> TopicView:
        topic = self.knowledge.topics[topic_id]
        intents = tuple(
            Suggestion(i.id, i.title.get(lang)) for i in self.knowledge.topic_intents(topic_id)
        )
        return TopicView(topic.id, topic.title.get(lang), topic.summary.get(lang), intents)

    def suggestions_for(self, intent_ids: Sequence[str], lang: Language) -> list[Suggestion]:
        intents = self.knowledge.intents
        return [Suggestion(i, intents[i].title.get(lang)) for i in intent_ids if i in intents]

    def sharing_index(self, sink: QuestionSink | None) -> Engine:
        """Another engine on this one's knowledge and index, reporting to ``sink``.

        Building an index takes a while; tests and tools that need several sinks (one
        database each) share one. A reload on either does not reach the other.
        """
        twin = Engine.__new__(Engine)
        twin.options, twin.sink, twin._index = self.options, sink, self._index
        return twin


def _source_text(src: SourceRef) -> str:
    details = [d for d in (src.outlet, src.date.isoformat() if src.date else None) if d]
    return src.title + (f" ({', '.join(details)})" if details else "")


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


def source_ref(knowledge: Knowledge, source_id: str, lang: Language) -> SourceRef:
    src = knowledge.sources[source_id]
    return SourceRef(src.id, src.title.get(lang), src.outlet, src.date, src.url)


def answer_reply(
    knowledge: Knowledge, intent: Intent, lang: Language, question: str = "", score: float = 100.0
) -> Reply:
    """An intent's answer as a reply. "As of" is the newest date among the answer's *own*
    sources, or None when they have none (another article's date says nothing here)."""
    sources = tuple(source_ref(knowledge, s, lang) for s in intent.sources)
    dates = [s.date for s in sources if s.date]
    return Reply(
        question=question or intent.title.get(lang),
        language=lang,
        outcome=Outcome.ANSWERED,
        text=intent.answer.get(lang),
        intent=intent.id,
        topic=knowledge.intent_topic[intent.id],
        title=intent.title.get(lang),
        score=score,
        sources=sources,
        as_of=max(dates) if dates else None,
        id=_new_id(),
    )
