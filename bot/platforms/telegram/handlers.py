"""Telegram updates in as chat requests, the service's responses out as messages.

Nothing here decides what to answer or who may do what: the chat service does. This
module knows Telegram: which messages are meant for the bot (addressing.py), who the
caller is, how a response becomes HTML with a keyboard, a reply, an edit, a callback
answer or inline results, and the one error handler.
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
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.chat.requests import Ask, Caller, Click, Command, Inline, Request
from bot.chat.responses import Edit, InlineResults, Response, Say, Toast
from bot.chat.service import ChatService
from bot.domain.language import Language, as_language
from bot.platforms.telegram import render
from bot.platforms.telegram.addressing import addressed_question, command_parts
from bot.platforms.telegram.keyboards import keyboard
from bot.platforms.telegram.texts import say

log = logging.getLogger(__name__)

PLATFORM = "telegram"
INLINE_CACHE_SECONDS = 60
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Context = CallbackContext[Any, Any, Any, Any]
App = Application[Any, Any, Any, Any, Any, Any]


class Handlers:
    """The translation between Telegram and the chat service; one per adapter."""

    def __init__(
        self, chat: ChatService, admin_ids: frozenset[int], default_language: Language
    ) -> None:
        self.chat = chat
        self.admin_ids = admin_ids
        self.default_language = default_language

    def register(self, app: App) -> None:
        new = filters.UpdateType.MESSAGE  # not edits, not channel posts
        app.add_handler(MessageHandler(filters.COMMAND & new, self.command))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new, self.text))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(InlineQueryHandler(self.inline))
        app.add_error_handler(self.error)

    # -- events -> requests ----------------------------------------------------------

    def caller(self, update: Update) -> Caller:
        chat, user = update.effective_chat, update.effective_user
        return Caller(
            platform=PLATFORM,
            chat_id=str(chat.id) if chat else None,
            user_id=str(user.id) if user else None,
            locale=as_language(user.language_code) if user else None,
            private=chat is not None and chat.type == ChatType.PRIVATE,
            operator=user is not None and user.id in self.admin_ids,
        )

    async def text(self, update: Update, context: Context) -> None:
        msg = update.effective_message
        if msg is None or msg.via_bot is not None:
            return  # e.g. one of our own inline answers, posted by a user
        question = addressed_question(msg, context.bot.username, context.bot.id)
        if question is not None:
            await self._handle(update, context, Ask(question))

    async def command(self, update: Update, context: Context) -> None:
        msg = update.effective_message
        parts = command_parts(msg.text or "") if msg else None
        if parts is None:
            return
        name, target, arg = parts
        if target is not None and target.lower() != str(context.bot.username).lower():
            return  # /cmd@another_bot
        await self._handle(update, context, Command(name, arg))

    async def button(self, update: Update, context: Context) -> None:
        if update.callback_query is not None:
            await self._handle(update, context, Click(update.callback_query.data))

    async def inline(self, update: Update, context: Context) -> None:
        if update.inline_query is not None:
            await self._handle(update, context, Inline(update.inline_query.query))

    async def _handle(self, update: Update, context: Context, request: Request) -> None:
        responses = await self.chat.handle(self.caller(update), request)
        await self.deliver(update, context.bot.username, responses)

    # -- responses -> Telegram -------------------------------------------------------

    async def deliver(self, update: Update, username: str, responses: Sequence[Response]) -> None:
        query = update.callback_query
        answered = False
        for response in responses:
            if isinstance(response, Toast):
                text = (
                    render.notice(response.notice, response.language) if response.notice else None
                )
                if query is not None and not answered:
                    await query.answer(text)
                    answered = True
            elif isinstance(response, Say):
                target = self._message(update)
                if target is not None:
                    chunks = render.render(response.content, response.language, username)
                    await send(target, chunks, keyboard(response.buttons), quote=response.quote)
            elif isinstance(response, Edit):
                await self._edit(update, username, response)
            elif isinstance(response, InlineResults) and update.inline_query is not None:
                await update.inline_query.answer(
                    [_article(n, reply) for n, reply in enumerate(response.replies)],
                    cache_time=INLINE_CACHE_SECONDS,
                    is_personal=False,
                )
        if query is not None and not answered:
            await query.answer()

    @staticmethod
    def _message(update: Update) -> Message | None:
        """Where a reply goes: the message asked, or the one whose button was tapped."""
        query = update.callback_query
        if query is not None:
            return query.message if isinstance(query.message, Message) else None
        return update.effective_message

    async def _edit(self, update: Update, username: str, response: Edit) -> None:
        query = update.callback_query
        if query is None:
            return
        chunks = render.render(response.content, response.language, username)
        markup = keyboard(response.buttons)
        msg = self._message(update)
        try:
            await query.edit_message_text(
                chunks[0],
                parse_mode=ParseMode.HTML,
                reply_markup=markup if len(chunks) == 1 else None,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # a second tap on the same choice
            log.info("could not edit the message (%s); sending anew", exc)
            if msg is not None:
                await send(msg, chunks, markup)
            return
        if len(chunks) > 1 and msg is not None:
            await send(msg, chunks[1:], markup)

    # -- errors ----------------------------------------------------------------------

    async def error(self, update: object, context: Context) -> None:
        """The one error handler: log with traceback, tell the user without details."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error(
            "error while handling Telegram update %s: %s",
            update_id,
            type(context.error).__name__,
            exc_info=context.error,
        )
        if not isinstance(update, Update):
            return
        lang = self.caller(update).locale or self.default_language
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(say("error", lang))
            elif update.effective_message is not None and update.effective_chat is not None:
                await send(update.effective_message, render.plain(say("error", lang)))
        except Exception as exc:
            log.warning("could not tell the user about the error: %s", type(exc).__name__)


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


def _article(n: int, reply: Any) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=reply.intent or str(n),
        title=reply.title or reply.text[:60],
        description=" ".join(reply.text.split())[:120],
        input_message_content=InputTextMessageContent(
            render.answer(reply)[0], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )
