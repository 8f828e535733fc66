"""The chat service: every behaviour of the bot once, for every platform and the console.

``ChatService.handle(caller, request)`` returns platform-neutral responses. Here, and
nowhere else, live flood control, which language the bot speaks, who may run the
operator commands, the validation of button payloads, the memory of "did you mean"
questions (in the question log, so a click works after a restart), and every
command. Adapters only translate events into requests and responses into messages.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.chat.ratelimit import Verdict
from bot.chat.reports import reload_text, stats_lines
from bot.chat.requests import Ask, Caller, Click, Command, Complete, Inline, Request
from bot.chat.responses import (
    Button,
    ButtonKind,
    Choices,
    Edit,
    Help,
    InlineResults,
    Notice,
    Privacy,
    Response,
    Say,
    SourceList,
    Text,
    Toast,
    TopicList,
)
from bot.domain import callbacks
from bot.domain.language import Language, as_language
from bot.domain.messages import message
from bot.domain.models import AskContext, Outcome, Reply, Suggestion, TopicView
from bot.domain.stats import CloseCall, Stats
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.reload import ReloadResult
from bot.errors import StorageError

log = logging.getLogger(__name__)

STATS_DAYS = 7
MAX_STATS_DAYS = 365
INLINE_RESULTS = 5
MAX_CHOICES = 25
# Shown at most this many: Discord allows 25 buttons, and a long list helps nobody.
MAX_BUTTONS = 20
# Commands whose replies are for the asker alone (where the platform can): a platform
# that must acknowledge before the answer is ready says so up front.
PRIVATE_COMMANDS = frozenset({"forget", "privacy", "stats", "reload"})


class ChatStore(Protocol):
    """What the service needs from storage (bot.storage.Store implements it)."""

    async def chat_language(self, ctx: AskContext) -> Language | None: ...

    async def set_chat_language(self, ctx: AskContext, language: Language | None) -> None: ...

    async def record_feedback(
        self, ctx: AskContext, reply_id: str, intent: str, helpful: bool
    ) -> None: ...

    async def close_call(self, platform: str, reply_id: str) -> CloseCall | None: ...

    def record_pick_of(self, asked: CloseCall, intent: str) -> None: ...

    async def forget_user(self, platform: str, user_id: str | int) -> None: ...

    async def stats(self, days: int = 7, limit: int = 5) -> Stats: ...


class Gate(Protocol):
    """Flood control (bot.chat.ratelimit: FloodGate, or SharedFloodGate with replicas)."""

    async def verdict(self, platform: str, chat_id: object, user_id: object) -> Verdict: ...


@dataclass(frozen=True)
class ChatOptions:
    retention_days: int = 30
    privacy_url: str | None = None
    conversation_seconds: float = 600.0  # how long a follow-up may lean on the last answer
    conversations: int = 10_000  # people remembered at most (the oldest go first)


Reloader = Callable[[], Awaitable[ReloadResult]]


class ChatService:
    def __init__(
        self,
        engine: Engine,
        store: ChatStore | None,
        gate: Gate,
        options: ChatOptions | None = None,
        reload: Reloader | None = None,
    ) -> None:
        """``store`` None: nothing is kept (the console); ``reload``: what /reload runs."""
        self.engine = engine
        self.store = store
        self.gate = gate
        self.options = options or ChatOptions()
        self._reload = reload
        # One conversation per person and chat, never shared between people in a group.
        self._conversations: OrderedDict[tuple[str, str | None, str | None], Conversation] = (
            OrderedDict()
        )
        self._clock = time.monotonic

    # -- the one entry point ---------------------------------------------------------

    async def handle(self, caller: Caller, request: Request) -> list[Response]:
        """The responses to one request; never raises for bad input or a failing store."""
        try:
            if isinstance(request, Inline):
                return self._inline(request.query)
            if isinstance(request, Complete):
                return self._complete(caller, request)
            if isinstance(request, Click):
                return await self._click(caller, request.payload)
            verdict = await self.gate.verdict(caller.platform, caller.chat_id, caller.user_id)
            if verdict is not Verdict.ALLOW:
                text = request.text if isinstance(request, Ask) else ""
                return await self._flooded(caller, verdict, text)
            if isinstance(request, Ask):
                return await self._ask(caller, request.text)
            return await self._command(caller, request)
        except StorageError:
            # The store logs its failures itself, once per interval: not once per message.
            lang = await self._ui_language(caller, read_store=False)
            if isinstance(request, Click):
                return [Toast(Notice("error"), lang)]
            return [Say(Notice("error"), lang, ephemeral=True)]

    # -- languages -------------------------------------------------------------------

    async def _chat_language(self, caller: Caller) -> Language | None:
        """The chat's /lang setting, if it has one."""
        if self.store is None or caller.chat_id is None:
            return None
        return await self.store.chat_language(caller.context)

    async def _ui_language(self, caller: Caller, *, read_store: bool = True) -> Language:
        """For the bot's own texts: the chat's setting, else the person's app language."""
        chosen = await self._chat_language(caller) if read_store else None
        return chosen or caller.locale or self.engine.options.default_language

    async def _flooded(self, caller: Caller, verdict: Verdict, text: str) -> list[Response]:
        """Over the limit: one polite notice (in the message's language), then silence."""
        if verdict is Verdict.SILENT:
            return []
        lang = await self._ui_language(caller)
        if text.strip():
            lang = self.engine.detect_language(text, lang)
        return [Say(Notice("rate_limited"), lang, ephemeral=True)]

    # -- questions -------------------------------------------------------------------

    async def _ask(self, caller: Caller, text: str) -> list[Response]:
        forced = await self._chat_language(caller)
        ctx = AskContext(caller.platform, caller.chat_id, caller.user_id, forced)
        now = self._clock()
        before = self._conversation(caller, now)
        reply = await self.engine.ask(text, ctx, before, caller.locale)
        if before.pick(text) and before.offer and reply.intent and self.store is not None:
            asked = await self.store.close_call(caller.platform, before.offer)
            if asked is not None:  # a choice typed as its number, like a tap on it
                self.store.record_pick_of(asked, reply.intent)
        self._remember(caller, before.after(reply, now))
        quote = not caller.private
        if reply.outcome is Outcome.SMALLTALK and reply.kind == "help":
            return [
                Say(Help(tuple(self.engine.topics(reply.language))), reply.language, quote=quote)
            ]
        if reply.outcome is Outcome.SMALLTALK and reply.kind == "sources":
            sources = SourceList(tuple(self.engine.sources(reply.language)))
            return [Say(sources, reply.language, quote=quote)]
        return [Say(reply, reply.language, reply_buttons(reply), quote=quote)]

    def _conversation(self, caller: Caller, now: float) -> Conversation:
        found = self._conversations.get(caller.person)
        if found is None:
            return Conversation()
        return found.fresh(now, self.options.conversation_seconds)

    def _remember(self, caller: Caller, conversation: Conversation) -> None:
        self._conversations[caller.person] = conversation
        self._conversations.move_to_end(caller.person)
        while len(self._conversations) > self.options.conversations:
            self._conversations.popitem(last=False)

    def forget_conversations(self, platform: str, user_id: str | None) -> None:
        """Drop what one person said last, in every chat (their /forget)."""
        for key in [k for k in self._conversations if k[0] == platform and k[2] == user_id]:
            del self._conversations[key]

    def _inline(self, query: str) -> list[Response]:
        text = query.strip()
        replies = self.engine.top_answers(text, None, INLINE_RESULTS) if text else []
        return [InlineResults(tuple(replies))]

    def _complete(self, caller: Caller, request: Complete) -> list[Response]:
        if request.option != "topic":
            return [Choices(())]
        lang = caller.locale or self.engine.options.default_language
        views = self.engine.topic_choices(request.prefix[:100], lang)[:MAX_CHOICES]
        return [Choices(tuple((v.title, v.id) for v in views))]

    # -- commands --------------------------------------------------------------------

    async def _command(self, caller: Caller, command: Command) -> list[Response]:
        name, arg = command.name, command.arg.strip()
        if name == "ask":
            if arg:
                return await self._ask(caller, arg)
            lang = await self._ui_language(caller)
            example = {"example": message("example_question", lang)}
            return [Say(Notice("ask_usage", example), lang, ephemeral=True)]
        lang = await self._ui_language(caller)
        if name in ("help", "start"):
            return [Say(Help(tuple(self.engine.topics(lang))), lang)]
        if name == "topic":
            return self._topic(lang, arg)
        if name == "topics":
            views = self.engine.topics(lang)
            return [Say(TopicList(tuple(views)), lang, topic_buttons(views))]
        if name == "sources":
            return [Say(SourceList(tuple(self.engine.sources(lang))), lang)]
        if name == "lang":
            return await self._set_language(caller, lang, arg)
        if name == "forget":
            return await self._forget(caller, lang)
        if name == "privacy":
            privacy = Privacy(self.options.retention_days, self.options.privacy_url)
            return [Say(privacy, lang, ephemeral=True)]
        if name == "stats":
            return await self._stats(caller, lang, arg)
        if name == "reload":
            return await self._reload_knowledge(caller, lang)
        # Anything else: in a private chat the help; in a group nothing (it may be for
        # another bot).
        return [Say(Help(tuple(self.engine.topics(lang))), lang)] if caller.private else []

    def _topic(self, lang: Language, name: str) -> list[Response]:
        views = self.engine.topics(lang)
        if not name:
            return [Say(Notice("choose_topic"), lang, topic_buttons(views))]
        view = self.engine.topic(name, lang)  # typed: forgiving of typos
        if view is None:
            titles = ", ".join(v.title for v in views)
            notice = Notice("unknown_topic", {"topics": titles})
            return [Say(notice, lang, topic_buttons(views), ephemeral=True)]
        return [Say(view, lang, pick_buttons(view.intents))]

    async def _set_language(self, caller: Caller, lang: Language, arg: str) -> list[Response]:
        choice = arg.lower()
        if choice not in ("de", "en", "auto"):
            return [Say(Notice("lang_usage"), lang, ephemeral=True)]
        if self.store is None:
            return [Say(Notice("error"), lang, ephemeral=True)]  # nowhere to keep it
        chosen = as_language(choice)
        await self.store.set_chat_language(caller.context, chosen)
        if chosen is None:
            back = caller.locale or self.engine.options.default_language
            return [Say(Notice("lang_auto"), back)]
        return [Say(Notice("lang_set"), chosen)]

    async def _forget(self, caller: Caller, lang: Language) -> list[Response]:
        self.forget_conversations(caller.platform, caller.user_id)
        if self.store is not None and caller.user_id is not None:
            await self.store.forget_user(caller.platform, caller.user_id)
        return [Say(Notice("forgot"), lang, ephemeral=True)]

    def _refusal(self, caller: Caller, private_only: str) -> Notice | None:
        """The admin policy: operators and managers, and never where a group reads along."""
        if not (caller.operator or caller.manager):
            return Notice("not_admin")
        if not (caller.private or caller.whisper):
            return Notice(private_only)
        return None

    async def _stats(self, caller: Caller, lang: Language, arg: str) -> list[Response]:
        refused = self._refusal(caller, "stats_private_only")
        if refused is not None:
            return [Say(refused, lang, ephemeral=True)]
        if self.store is None:
            return [Say(Notice("error"), lang, ephemeral=True)]
        days = int(arg) if arg.isascii() and arg.isdigit() else 0
        days = days if 0 < days <= MAX_STATS_DAYS else STATS_DAYS
        stats = await self.store.stats(days)
        if not (caller.operator and caller.private):
            # The recent unanswered questions come from every chat and platform: only an
            # operator, in private, reads them; managing one server is no licence to.
            stats = replace(stats, recent_unanswered=[])
        text = "\n".join(stats_lines(stats, lang))
        return [Say(Text(text), lang, ephemeral=True)]

    async def _reload_knowledge(self, caller: Caller, lang: Language) -> list[Response]:
        # Errors quote the knowledge files: never in a group.
        refused = self._refusal(caller, "admin_private_only")
        if refused is not None:
            return [Say(refused, lang, ephemeral=True)]
        if self._reload is None:
            return [Say(Notice("error"), lang, ephemeral=True)]
        result = await self._reload()
        return [Say(Text(reload_text(result, lang)), lang, ephemeral=True)]

    # -- buttons ---------------------------------------------------------------------

    async def _click(self, caller: Caller, payload: str | None) -> list[Response]:
        lang = await self._ui_language(caller)
        action = callbacks.parse(payload)
        if isinstance(action, callbacks.Feedback):
            return await self._feedback(caller, lang, action)
        if action is None:
            return [Toast(Notice("unavailable"), lang)]  # forged, or from an old version
        verdict = await self.gate.verdict(caller.platform, caller.chat_id, caller.user_id)
        if verdict is not Verdict.ALLOW:
            notice = Notice("rate_limited") if verdict is Verdict.NOTIFY else None
            return [Toast(notice, lang)]
        if isinstance(action, callbacks.Pick):
            return await self._pick(caller, lang, action)
        view = (
            self.engine.topic(action.topic, lang)
            if action.topic in self.engine.knowledge.topics  # a button names its topic exactly
            else None
        )
        if view is None:
            return [Toast(Notice("unavailable"), lang)]
        return [Toast(None, lang), Say(view, lang, pick_buttons(view.intents))]

    async def _feedback(
        self, caller: Caller, lang: Language, vote: callbacks.Feedback
    ) -> list[Response]:
        if vote.intent not in self.engine.knowledge.intents:
            return [Toast(Notice("unavailable"), lang)]  # the knowledge changed since
        if self.store is not None:
            await self.store.record_feedback(
                caller.context, vote.reply_id, vote.intent, vote.helpful
            )
        return [Toast(Notice("feedback_thanks"), lang)]

    async def _pick(self, caller: Caller, lang: Language, pick: callbacks.Pick) -> list[Response]:
        asked = None
        if pick.reply_id and self.store is not None:
            asked = await self.store.close_call(caller.platform, pick.reply_id)
        chosen = await self._chat_language(caller)
        answer_lang = chosen or (asked.language if asked else lang)
        question = asked.question if asked else ""
        reply = self.engine.answer_intent(pick.intent, answer_lang, question)
        if reply is None:  # the knowledge changed since the buttons were sent
            return [Toast(Notice("unavailable"), lang)]
        if asked is not None and self.store is not None:
            self.store.record_pick_of(asked, pick.intent)
        # A tap answers as a typed question would: a follow-up may lean on it.
        now = self._clock()
        chosen_as = replace(reply, resolved=reply.title or reply.question)  # the choice asked
        self._remember(caller, self._conversation(caller, now).after(chosen_as, now))
        buttons = reply_buttons(reply)
        if pick.reply_id:  # a "did you mean" message becomes the answer
            return [Toast(None, lang), Edit(reply, reply.language, buttons)]
        return [Toast(None, lang), Say(reply, reply.language, buttons)]


# -- buttons for contents ------------------------------------------------------------------


def reply_buttons(reply: Reply) -> tuple[Button, ...]:
    """👍/👎 under an answer; the "did you mean" choices under a close call."""
    if reply.outcome is Outcome.ANSWERED and reply.intent and reply.id:
        return (
            Button(ButtonKind.HELPFUL, "👍", callbacks.feedback(reply.intent, reply.id, True)),
            Button(ButtonKind.UNHELPFUL, "👎", callbacks.feedback(reply.intent, reply.id, False)),
        )
    close_call = reply.id if reply.outcome is Outcome.CLOSE_CALL else None
    return pick_buttons(reply.suggestions, close_call)


def pick_buttons(items: Sequence[Suggestion], reply_id: str | None = None) -> tuple[Button, ...]:
    return tuple(
        Button(ButtonKind.PICK, s.title, callbacks.pick(s.intent, reply_id))
        for s in items[:MAX_BUTTONS]
    )


def topic_buttons(views: Sequence[TopicView]) -> tuple[Button, ...]:
    return tuple(Button(ButtonKind.TOPIC, v.title, callbacks.topic(v.id)) for v in views)


def first_reply(responses: Sequence[Response]) -> Reply | None:
    """The engine reply among responses (for the CLI and tests)."""
    for response in responses:
        if isinstance(response, Say | Edit) and isinstance(response.content, Reply):
            return response.content
    return None
