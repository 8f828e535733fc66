"""Update handlers: Telegram updates in, engine and store calls, HTML messages out.

Nothing here matches questions or words answers: the engine answers, messages.py
says the bot's own sentences, render.py escapes, keyboards.py builds buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.chat.ratelimit import Verdict
from bot.chat.reports import privacy_text, reload_text, stats_lines
from bot.domain import callbacks
from bot.domain.messages import message
from bot.domain.models import AskContext, Language, Reply, as_language
from bot.engine.reload import reload_knowledge
from bot.errors import StorageError
from bot.platforms.base import Services
from bot.platforms.telegram import keyboards, render
from bot.platforms.telegram.addressing import addressed_question, command_parts, original_question
from bot.platforms.telegram.commands import described

log = logging.getLogger(__name__)

PLATFORM = "telegram"
INLINE_RESULTS = 5
INLINE_CACHE_SECONDS = 60
STATS_DAYS = 7
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Context = CallbackContext[Any, Any, Any, Any]
App = Application[Any, Any, Any, Any, Any, Any]


class Handlers:
    """The bot's behaviour on Telegram; one instance per adapter."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.engine = services.engine

    def register(self, app: App) -> None:
        new = filters.UpdateType.MESSAGE  # not edits, not channel posts
        commands = {
            "start": self.help,
            "help": self.help,
            "ask": self.ask,
            "topic": self.topic,
            "topics": self.topics,
            "sources": self.sources,
            "lang": self.lang,
            "forget": self.forget,
            "privacy": self.privacy,
            "stats": self.stats,
            "reload": self.reload,
        }
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=new))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new, self.text))
        app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE & new, self.help))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(InlineQueryHandler(self.inline))
        app.add_error_handler(self.error)

    # -- who, where, which language ------------------------------------------------

    @staticmethod
    def context_of(update: Update) -> AskContext:
        chat, user = update.effective_chat, update.effective_user
        return AskContext(
            platform=PLATFORM,
            chat_id=str(chat.id) if chat else None,
            user_id=str(user.id) if user else None,
        )

    def user_language(self, update: Update) -> Language:
        user = update.effective_user
        found = as_language(user.language_code if user else None)
        return found or self.services.settings.default_language

    async def language(self, update: Update) -> Language:
        """For the bot's own texts: the chat's setting, else the user's app language."""
        store = self.services.store
        if store is not None and update.effective_chat is not None:
            chosen = await store.chat_language(self.context_of(update))
            if chosen is not None:
                return chosen
        return self.user_language(update)

    def admit(self, update: Update) -> Verdict:
        chat, user = update.effective_chat, update.effective_user
        return self.services.gate.check(
            PLATFORM, str(chat.id) if chat else None, str(user.id) if user else None
        )

    async def admitted(self, update: Update, msg: Message) -> bool:
        """Flood control before any answer: one polite notice, then silence."""
        verdict = self.admit(update)
        if verdict is Verdict.NOTIFY:
            await self.send(msg, render.plain(message("rate_limited", await self.language(update))))
        return verdict is Verdict.ALLOW

    # -- sending -------------------------------------------------------------------

    @staticmethod
    async def send(
        msg: Message,
        chunks: Sequence[str],
        markup: InlineKeyboardMarkup | None = None,
        *,
        quote: bool = False,
    ) -> Message | None:
        """Send HTML chunks in order; buttons go under the last one."""
        sent = None
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            sent = await msg.reply_text(
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                link_preview_options=NO_PREVIEW,
                do_quote=False,
                reply_parameters=(
                    ReplyParameters(message_id=msg.message_id, allow_sending_without_reply=True)
                    if quote and n == 0
                    else None
                ),
            )
        return sent

    async def send_reply(self, msg: Message, reply: Reply) -> None:
        # Close calls quote the question: a tap on a suggestion reads it back from there.
        quote = msg.chat.type != ChatType.PRIVATE or bool(reply.suggestions)
        await self.send(msg, render.answer(reply), keyboards.for_reply(reply), quote=quote)

    async def answer(self, update: Update, msg: Message, question: str) -> None:
        if not await self.admitted(update, msg):
            return
        reply = await self.engine.ask(question, self.context_of(update))
        await self.send_reply(msg, reply)

    # -- questions -----------------------------------------------------------------

    async def text(self, update: Update, context: Context) -> None:
        msg = update.effective_message
        if msg is None or msg.via_bot is not None:
            return  # e.g. one of our own inline answers, posted by a user
        question = addressed_question(msg, context.bot.username, context.bot.id)
        if question is not None:
            await self.answer(update, msg, question)

    async def ask(self, update: Update, context: Context) -> None:
        msg = update.effective_message
        parts = command_parts(msg.text or "") if msg else None
        if msg is None or parts is None:
            return
        if parts[2]:
            await self.answer(update, msg, parts[2])
        elif await self.admitted(update, msg):
            lang = await self.language(update)
            example = message("example_question", lang)
            await self.send(msg, render.plain(message("ask_usage", lang, example=example)))

    # -- commands ------------------------------------------------------------------

    async def _command(self, update: Update) -> tuple[Message, Language, str] | None:
        """Flood control and the language for a command; its argument text."""
        msg = update.effective_message
        if msg is None or not await self.admitted(update, msg):
            return None
        parts = command_parts(msg.text or "")
        return msg, await self.language(update), parts[2] if parts else ""

    async def help(self, update: Update, context: Context) -> None:
        if found := await self._command(update):
            msg, lang, _ = found
            chunks = render.help_text(
                lang, context.bot.username, self.engine.topics(lang), described(lang)
            )
            await self.send(msg, chunks)

    async def topic(self, update: Update, context: Context) -> None:
        if not (found := await self._command(update)):
            return
        msg, lang, name = found
        views = self.engine.topics(lang)
        if not name:
            await self.send(
                msg, render.plain(message("choose_topic", lang)), keyboards.topics(views)
            )
            return
        view = self.engine.topic(name, lang)
        if view is None:
            text = message("unknown_topic", lang, topics=", ".join(v.title for v in views))
            await self.send(msg, render.plain(text), keyboards.topics(views))
            return
        await self.send(msg, render.topic(view, lang), keyboards.suggestions(view.intents))

    async def topics(self, update: Update, context: Context) -> None:
        if found := await self._command(update):
            msg, lang, _ = found
            views = self.engine.topics(lang)
            await self.send(msg, render.topics(views, lang), keyboards.topics(views))

    async def sources(self, update: Update, context: Context) -> None:
        if found := await self._command(update):
            msg, lang, _ = found
            await self.send(msg, render.sources(self.engine.sources(lang), lang))

    async def lang(self, update: Update, context: Context) -> None:
        if not (found := await self._command(update)):
            return
        msg, lang, arg = found
        choice = arg.strip().lower()
        store = self.services.store
        if choice not in ("de", "en", "auto"):
            text = message("lang_usage", lang)
        elif store is None:
            text = message("error", lang)  # nowhere to keep the setting
        elif choice == "auto":
            await store.set_chat_language(self.context_of(update), None)
            text = message("lang_auto", self.user_language(update))
        else:
            chosen = as_language(choice) or lang
            await store.set_chat_language(self.context_of(update), chosen)
            text = message("lang_set", chosen)
        await self.send(msg, render.plain(text))

    async def forget(self, update: Update, context: Context) -> None:
        if not (found := await self._command(update)):
            return
        msg, lang, _ = found
        user = update.effective_user
        if self.services.store is not None and user is not None:
            await self.services.store.forget_user(PLATFORM, str(user.id))
        await self.send(msg, render.plain(message("forgot", lang)))

    async def privacy(self, update: Update, context: Context) -> None:
        if found := await self._command(update):
            msg, lang, _ = found
            settings = self.services.settings
            text = privacy_text(lang, settings.retention_days, "/forget", settings.privacy_url)
            await self.send(msg, render.plain(text))

    async def reload(self, update: Update, context: Context) -> None:
        """Operators: load and check the knowledge anew; on errors the old one stays."""
        if not (found := await self._command(update)):
            return
        msg, lang, _ = found
        user = update.effective_user
        if user is None or user.id not in self.services.settings.admin_ids():
            text = message("not_admin", lang)
        elif msg.chat.type != ChatType.PRIVATE:
            text = message("admin_private_only", lang)  # errors quote the knowledge files
        else:
            text = reload_text(await reload_knowledge(self.engine), lang)
        await self.send(msg, render.plain(text))

    async def stats(self, update: Update, context: Context) -> None:
        if not (found := await self._command(update)):
            return
        msg, lang, arg = found
        user = update.effective_user
        store = self.services.store
        if user is None or user.id not in self.services.settings.admin_ids():
            text = message("not_admin", lang)
        elif msg.chat.type != ChatType.PRIVATE:
            # Recent unanswered questions come from every chat: never show them in a group.
            text = message("stats_private_only", lang)
        elif store is None:
            text = message("error", lang)
        else:
            days = int(arg) if arg.isascii() and arg.isdigit() and 0 < int(arg) <= 365 else 0
            days = days or STATS_DAYS
            text = "\n".join(stats_lines(await store.stats(days), lang))
        await self.send(msg, render.plain(text))

    # -- buttons -------------------------------------------------------------------

    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        lang = await self.language(update)
        payload = callbacks.parse(query.data)
        if isinstance(payload, callbacks.Feedback):
            await self._feedback(update, payload, lang)
        elif isinstance(payload, callbacks.Pick | callbacks.TopicChoice):
            verdict = self.admit(update)
            if verdict is not Verdict.ALLOW:
                notice = message("rate_limited", lang) if verdict is Verdict.NOTIFY else None
                await query.answer(notice)
            elif isinstance(payload, callbacks.Pick):
                await self._pick(update, context, payload, lang)
            else:
                await self._topic_choice(update, payload, lang)
        else:
            await query.answer(message("unavailable", lang))  # forged, or from an old version

    async def _feedback(self, update: Update, payload: callbacks.Feedback, lang: Language) -> None:
        query = update.callback_query
        assert query is not None
        if payload.intent not in self.engine.knowledge.intents:
            await query.answer(message("unavailable", lang))
            return
        if self.services.store is not None:
            await self.services.store.record_feedback(
                self.context_of(update), payload.reply_id, payload.intent, payload.helpful
            )
        await query.answer(message("feedback_thanks", lang))

    async def _pick(
        self, update: Update, context: Context, payload: callbacks.Pick, lang: Language
    ) -> None:
        query = update.callback_query
        assert query is not None
        msg = query.message if isinstance(query.message, Message) else None
        question = original_question(
            msg.reply_to_message if msg else None, context.bot.username, context.bot.id
        )
        answer_lang = lang
        store = self.services.store
        if question:
            ctx = self.context_of(update)
            chosen = await store.chat_language(ctx) if store is not None else None
            answer_lang = chosen or self.engine.detect_language(question, lang)
        reply = self.engine.answer_intent(payload.intent, answer_lang, question)
        if reply is None:
            await query.answer(message("unavailable", lang))
            return
        await query.answer()
        asker = msg.reply_to_message.from_user if msg and msg.reply_to_message else None
        if store is not None and question and asker is not None:
            # Kept under the asker's id, whoever tapped: it is their text, and their
            # /forget must delete it.
            ctx = AskContext(PLATFORM, str(msg.chat.id) if msg else None, str(asker.id))
            store.record_pick(ctx, payload.intent, question)
        chunks = render.answer(reply)
        markup = keyboards.for_reply(reply)
        if msg is None or not question:
            # From a topic list (keep the list) or an inline message: answer anew.
            if msg is not None:
                await self.send(msg, chunks, markup)
            elif query.inline_message_id:
                await query.edit_message_text(
                    chunks[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                )
            return
        # A close call: the "did you mean" message becomes the answer.
        first_markup = markup if len(chunks) == 1 else None
        try:
            await query.edit_message_text(
                chunks[0],
                parse_mode=ParseMode.HTML,
                reply_markup=first_markup,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # a second tap on the same choice
            log.info("could not edit the close-call message (%s); sending anew", exc)
            await self.send(msg, chunks, markup)
            return
        if len(chunks) > 1:
            await self.send(msg, chunks[1:], markup)

    async def _topic_choice(
        self, update: Update, payload: callbacks.TopicChoice, lang: Language
    ) -> None:
        query = update.callback_query
        assert query is not None
        msg = query.message if isinstance(query.message, Message) else None
        view = (
            self.engine.topic(payload.topic, lang)
            if payload.topic in self.engine.knowledge.topics
            else None
        )
        if view is None or msg is None:
            await query.answer(message("unavailable", lang))
            return
        await query.answer()
        await self.send(msg, render.topic(view, lang), keyboards.suggestions(view.intents))

    # -- inline mode ---------------------------------------------------------------

    async def inline(self, update: Update, context: Context) -> None:
        query = update.inline_query
        if query is None:
            return
        text = query.query.strip()
        replies = self.engine.top_answers(text, None, INLINE_RESULTS) if text else []
        results = [
            InlineQueryResultArticle(
                id=reply.intent or str(n),
                title=reply.title or reply.text[:60],
                description=" ".join(reply.text.split())[:120],
                input_message_content=InputTextMessageContent(
                    render.answer(reply)[0],
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                ),
            )
            for n, reply in enumerate(replies)
        ]
        await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=False)

    # -- errors --------------------------------------------------------------------

    async def error(self, update: object, context: Context) -> None:
        """The one error handler: log with traceback, tell the user without details."""
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(context.error, StorageError):
            # The store logs its failures itself, once per interval: not once per message.
            log.debug("Telegram update %s: storage unavailable", update_id)
        else:
            log.error(
                "error while handling Telegram update %s: %s",
                update_id,
                type(context.error).__name__,
                exc_info=context.error,
            )
        if not isinstance(update, Update):
            return
        try:
            try:
                lang = await self.language(update)
            except Exception:
                lang = self.user_language(update)
            text = message("error", lang)
            if update.callback_query is not None:
                await update.callback_query.answer(text)
            elif update.effective_message is not None and update.effective_chat is not None:
                await self.send(update.effective_message, render.plain(text))
        except Exception as exc:
            log.warning("could not tell the user about the error: %s", type(exc).__name__)
