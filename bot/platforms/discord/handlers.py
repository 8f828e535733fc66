"""Discord events and interactions in as chat requests, the service's responses out.

Nothing here decides what to answer or who may do what: the chat service does. This
module knows Discord: which gateway messages are for the bot, who the caller is (a
member with Manage Server is a manager; an interaction can whisper, a channel message
cannot), how to reply in time (an interaction not acknowledged within 3 seconds is
dropped, so slow work is deferred), how responses become embeds, buttons, edits and
ephemeral notices, and how a broken connection is retried without a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any

import aiohttp
import discord

from bot.chat.requests import Ask, Caller, Click, Command, Complete, Request
from bot.chat.responses import Choices, Edit, Response, Say, Toast
from bot.chat.service import PRIVATE_COMMANDS, ChatService
from bot.domain.language import Language, as_language
from bot.platforms.base import Telemetry
from bot.platforms.discord import format as fmt
from bot.platforms.discord import render
from bot.platforms.discord.expiry import ButtonExpiry
from bot.platforms.discord.render import NO_MENTIONS, Outgoing
from bot.platforms.discord.texts import say
from bot.platforms.discord.views import button_view

log = logging.getLogger(__name__)

PLATFORM = "discord"
Interaction = discord.Interaction[discord.Client]
_ANSWERABLE = (discord.MessageType.default, discord.MessageType.reply)
# Discord markup that is not part of a question: mentions of users, roles and
# channels, @everyone/@here, custom emoji.
_MARKUP = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|(?<!\S)@(?:everyone|here)\b")


def question_text(content: str) -> str:
    """The question in a message, without Discord's mention and emoji markup."""
    return " ".join(_MARKUP.sub(" ", content).split())


def _message_kwargs(
    content: str | None, embeds: list[discord.Embed], view: discord.ui.View | None
) -> dict[str, Any]:
    """Keyword arguments of one outgoing message; never able to ping anyone."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if content is not None:
        kwargs["content"] = content
    if embeds:
        kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    return kwargs


def _parts(out: Outgoing) -> list[tuple[str | None, list[discord.Embed], bool]]:
    """(content, embeds, carries the buttons) per message: text first, embeds last."""
    parts: list[tuple[str | None, list[discord.Embed], bool]] = [
        (piece, [], False) for piece in out.pieces
    ]
    if out.embeds or out.buttons or not parts:
        parts.append((None, out.embeds, True))
    else:
        parts[-1] = (parts[-1][0], [], True)
    return parts


class Handlers:
    def __init__(
        self,
        chat: ChatService,
        client: discord.Client,
        telemetry: Telemetry,
        *,
        default_language: Language,
        view_timeout: float,
        defer_after: float,
    ) -> None:
        self.chat = chat
        self.client = client
        self.telemetry = telemetry
        self.default_language = default_language
        self.defer_after = defer_after
        self.closing = False
        self.expiry = ButtonExpiry(client, view_timeout)
        self._inflight: set[asyncio.Task[Any]] = set()

    # -- life cycle ----------------------------------------------------------------

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        """Mark the current task as a reply in flight, which shutdown lets finish."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def drain(self, grace: float) -> None:
        """Take no new work, stop button timers, let replies in flight finish."""
        self.closing = True
        await self.expiry.close()
        pending = {t for t in self._inflight if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=grace)

    # -- who asks ------------------------------------------------------------------

    @staticmethod
    def caller(interaction: Interaction) -> Caller:
        in_guild = interaction.guild_id is not None
        return Caller(
            platform=PLATFORM,
            chat_id=str(interaction.channel_id) if interaction.channel_id is not None else None,
            user_id=str(interaction.user.id),
            locale=as_language(interaction.locale.value),
            private=not in_guild,
            whisper=True,  # an interaction can answer for the asker's eyes only
            # default_permissions only sets a default that server admins can change, so
            # the permission is read at run time, from the interaction itself.
            manager=in_guild and interaction.permissions.manage_guild,
        )

    @staticmethod
    def message_caller(msg: discord.Message) -> Caller:
        return Caller(
            platform=PLATFORM,
            chat_id=str(msg.channel.id),
            user_id=str(msg.author.id),
            private=isinstance(msg.channel, discord.DMChannel),
        )

    # -- gateway messages ------------------------------------------------------------

    def question_in(self, msg: discord.Message) -> str | None:
        """The question a message asks the bot, or None if it is not for us."""
        me = self.client.user
        if self.closing or me is None or msg.author.bot or msg.webhook_id is not None:
            return None
        if msg.author.id == me.id or msg.type not in _ANSWERABLE:
            return None
        in_dm = isinstance(msg.channel, discord.DMChannel)
        if not in_dm and not any(user.id == me.id for user in msg.mentions):
            return None
        return question_text(msg.content)

    async def on_message(self, msg: discord.Message) -> None:
        question = self.question_in(msg)
        if question is None:
            return
        with self._busy():
            try:
                responses = await self.chat.handle(self.message_caller(msg), Ask(question))
                for response in responses:
                    if isinstance(response, Say):
                        await self._send(msg, self._outgoing(response))
            except Exception:
                with contextlib.suppress(Exception):
                    lang = self.chat.engine.detect_language(question)
                    await self._send(msg, Outgoing.notice(render.md(say("error", lang))))
                raise  # logged with traceback by the client's error handler

    async def _send(self, origin: discord.Message, out: Outgoing) -> None:
        """Reply in the channel of ``origin``, the first piece referencing it."""
        view = button_view(out.buttons) if out.buttons else None
        for index, (content, embeds, last) in enumerate(_parts(out)):
            kwargs = _message_kwargs(content, embeds, view if last else None)
            if index == 0:
                kwargs["reference"] = origin.to_reference(fail_if_not_exists=False)
                kwargs["mention_author"] = False
            sent = await self._post(origin.channel, kwargs)
            if last and view is not None:
                self.expiry.channel_message(sent.channel.id, sent.id, out.buttons)

    async def _post(self, channel: discord.abc.Messageable, kwargs: dict[str, Any]) -> Any:
        """Send, and once more if the connection broke before Discord's answer arrived.

        The nonce makes the repeat safe: with ``enforce_nonce`` (which discord.py sets
        whenever a nonce is given) Discord returns the message it already created for it
        instead of posting a second one. So a reset costs neither the answer nor a copy.
        """
        kwargs = {**kwargs, "nonce": secrets.token_hex(8)}
        try:
            return await channel.send(**kwargs)
        except (aiohttp.ClientConnectionError, ConnectionError) as exc:
            log.info(
                "Discord: connection lost while sending (%s); sending again", type(exc).__name__
            )
            self.telemetry.send_retried(PLATFORM)
            return await channel.send(**kwargs)

    # -- interactions ----------------------------------------------------------------

    async def command(self, interaction: Interaction, request: Request) -> None:
        """A slash command or the message menu, as its chat request."""
        private = isinstance(request, Command) and request.name in PRIVATE_COMMANDS
        with self._busy():
            await self._answer(interaction, request, private=private)

    async def ask(self, interaction: Interaction, question: str) -> None:
        await self.command(interaction, Ask(question_text(question)))

    async def complete(self, interaction: Interaction, option: str, current: str) -> list[Any]:
        responses = await self.chat.handle(self.caller(interaction), Complete(option, current))
        items = next((r.items for r in responses if isinstance(r, Choices)), ())
        return [
            discord.app_commands.Choice(name=fmt.trim(label, fmt.CHOICE_NAME), value=value)
            for label, value in items
        ]

    async def on_click(self, interaction: Interaction, payload: str | None) -> None:
        """Every click on one of our buttons, live or sent before a restart."""
        with self._busy():
            try:
                await self._answer(interaction, Click(payload), private=False)
            except Exception as exc:
                await self.report(interaction, exc)

    async def _answer(self, interaction: Interaction, request: Request, *, private: bool) -> None:
        """Run the request; defer first if it is not ready in time; then deliver."""
        work: Awaitable[list[Response]] = self.chat.handle(self.caller(interaction), request)
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.defer_after)
            if not done:
                if interaction.type is discord.InteractionType.component:
                    await interaction.response.defer()  # the answer edits or follows
                else:
                    await interaction.response.defer(thinking=True, ephemeral=private)
            responses = await task
        finally:
            task.cancel()
        await self.deliver(interaction, responses)

    async def deliver(self, interaction: Interaction, responses: Sequence[Response]) -> None:
        for response in responses:
            if isinstance(response, Toast):
                if response.notice is not None:
                    notice = response.notice
                    body = render.md(say(notice.key, response.language, **notice.params))
                    await self._respond(interaction, Outgoing.notice(body, ephemeral=True))
            elif isinstance(response, Say):
                await self._respond(interaction, self._outgoing(response, interaction))
            elif isinstance(response, Edit):
                await self._edit(interaction, response)
        if not interaction.response.is_done():
            await interaction.response.defer()  # acknowledged, nothing (more) to show

    def _outgoing(self, response: Say, interaction: Interaction | None = None) -> Outgoing:
        me = self.client.user
        return render.outgoing(
            response.content,
            response.language,
            response.buttons,
            ephemeral=response.ephemeral and interaction is not None,
            username=me.name if me else "",
        )

    async def _respond(self, interaction: Interaction, out: Outgoing) -> None:
        """Answer an interaction: the first response, then follow-ups."""
        view = button_view(out.buttons) if out.buttons else None
        for content, embeds, last in _parts(out):
            kwargs = _message_kwargs(content, embeds, view if last else None)
            kwargs["ephemeral"] = out.ephemeral
            if not interaction.response.is_done():
                response = await interaction.response.send_message(**kwargs)
                sent_id = response.message_id
            else:
                sent_id = (await interaction.followup.send(wait=True, **kwargs)).id
            if last and view is not None and sent_id is not None:
                self.expiry.interaction_message(interaction.token, sent_id, out.buttons)

    async def _edit(self, interaction: Interaction, response: Edit) -> None:
        """The clicked message becomes ``response`` (a "did you mean" becomes the answer)."""
        out = render.outgoing(response.content, response.language, response.buttons)
        view = button_view(out.buttons) if out.buttons else None
        kwargs = _message_kwargs(out.pieces[0] if out.pieces else None, out.embeds, view)
        if view is None:
            kwargs["view"] = None  # take the old buttons away
        if not interaction.response.is_done():
            await interaction.response.edit_message(**kwargs)
        else:
            await interaction.edit_original_response(**kwargs)
        message = interaction.message
        if view is not None and message is not None and interaction.channel_id is not None:
            self.expiry.channel_message(interaction.channel_id, message.id, out.buttons)

    async def report(self, interaction: Interaction, error: BaseException) -> None:
        """Log with traceback; tell the user, without details, that it failed."""
        what = interaction.command.name if interaction.command else interaction.type.name
        log.error("error handling Discord interaction %s", what, exc_info=error)
        lang = as_language(interaction.locale.value) or self.default_language
        notice = Outgoing.notice(render.md(say("error", lang)), ephemeral=True)
        try:
            await self._respond(interaction, notice)
        except Exception as exc:
            log.warning("could not report the error to the user: %s", exc)
