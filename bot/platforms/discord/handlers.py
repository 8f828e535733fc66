"""Discord events and interactions -> engine and store calls -> Discord messages.

Thin on purpose: what to answer comes from the engine, what to say from
:mod:`bot.domain.messages`, how it looks from :mod:`.render`. This module decides
only which event deserves an answer, who may do what, and how to reply in time
(Discord drops an interaction that is not acknowledged within 3 seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import discord
from discord.app_commands import Choice

from bot.chat.ratelimit import Verdict
from bot.chat.reports import privacy_text, reload_text, stats_lines
from bot.domain import callbacks
from bot.domain.messages import message
from bot.domain.models import AskContext, Language, Reply, as_language
from bot.engine.engine import Engine
from bot.engine.reload import reload_knowledge
from bot.errors import StorageError
from bot.platforms.base import Services
from bot.platforms.discord import render, text
from bot.platforms.discord.expiry import ButtonExpiry
from bot.platforms.discord.render import NO_MENTIONS, Outgoing, md
from bot.platforms.discord.views import Action, button_view

log = logging.getLogger(__name__)

PLATFORM = "discord"
REMEMBERED = 1000  # close-call questions kept for recording which suggestion was picked
Interaction = discord.Interaction[discord.Client]
_ANSWERABLE = (discord.MessageType.default, discord.MessageType.reply)


@dataclass(frozen=True)
class _Asked:
    question: str
    language: Language
    user_id: int


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


async def _post(channel: discord.abc.Messageable, kwargs: dict[str, Any]) -> discord.Message:
    """Send, and once more if the connection broke before Discord's answer arrived.

    The nonce makes the repeat safe: with ``enforce_nonce`` (which discord.py sets
    whenever a nonce is given) Discord returns the message it already created for
    it instead of posting a second one. So a reset costs neither the answer nor a
    duplicate.
    """
    kwargs = {**kwargs, "nonce": secrets.token_hex(8)}
    try:
        return await channel.send(**kwargs)
    except (aiohttp.ClientConnectionError, ConnectionError) as exc:
        log.info("Discord: connection lost while sending (%s); sending again", type(exc).__name__)
        return await channel.send(**kwargs)


# Discord markup that is not part of a question: mentions of users, roles and
# channels, @everyone/@here, custom emoji.
_MARKUP = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|(?<!\S)@(?:everyone|here)\b")


def question_text(content: str) -> str:
    """The question in a message, without Discord's mention and emoji markup."""
    return " ".join(_MARKUP.sub(" ", content).split())


class Handlers:
    def __init__(
        self,
        services: Services,
        client: discord.Client,
        *,
        view_timeout: float,
        defer_after: float,
    ) -> None:
        self.services = services
        self.client = client
        self.defer_after = defer_after
        self.closing = False
        self.expiry = ButtonExpiry(client, view_timeout)
        self._inflight: set[asyncio.Task[Any]] = set()
        self._asked: OrderedDict[int, _Asked] = OrderedDict()

    @property
    def engine(self) -> Engine:
        return self.services.engine

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

    # -- helpers -------------------------------------------------------------------

    @staticmethod
    def _ctx(channel_id: int | None, user_id: int) -> AskContext:
        chat = str(channel_id) if channel_id is not None else None
        return AskContext(platform=PLATFORM, chat_id=chat, user_id=str(user_id))

    def _ictx(self, interaction: Interaction) -> AskContext:
        return self._ctx(interaction.channel_id, interaction.user.id)

    def locale_language(self, interaction: Interaction) -> Language:
        """The language of the user's Discord client, else the bot's default."""
        return as_language(interaction.locale.value) or self.engine.options.default_language

    async def _language(self, interaction: Interaction) -> Language:
        """The channel's /lang setting, else the user's locale."""
        store = self.services.store
        if store is not None:
            chosen = await store.chat_language(self._ictx(interaction))
            if chosen is not None:
                return chosen
        return self.locale_language(interaction)

    def _verdict(self, channel_id: int | None, user_id: int) -> Verdict:
        ctx = self._ctx(channel_id, user_id)
        return self.services.gate.check(PLATFORM, ctx.chat_id, ctx.user_id)

    def _remember(self, message_id: int | None, reply: Reply | None, user_id: int) -> None:
        """Keep a close call's question so a later pick can be recorded with it."""
        if message_id is None or reply is None or not reply.suggestions:
            return
        self._asked[message_id] = _Asked(reply.question, reply.language, user_id)
        while len(self._asked) > REMEMBERED:
            self._asked.popitem(last=False)

    @staticmethod
    def _parts(out: Outgoing) -> list[tuple[str | None, list[discord.Embed], bool]]:
        """(content, embeds, carries the buttons) per message: text first, embeds last."""
        parts: list[tuple[str | None, list[discord.Embed], bool]] = [
            (piece, [], False) for piece in out.pieces
        ]
        if out.embeds or out.buttons or not parts:
            parts.append((None, out.embeds, True))
        elif parts:
            parts[-1] = (parts[-1][0], [], True)
        return parts

    # -- delivery ------------------------------------------------------------------

    async def _send(self, origin: discord.Message, out: Outgoing) -> int | None:
        """Reply in the channel of ``origin``; return the id of the message with the buttons."""
        view = button_view(out.buttons) if out.buttons else None
        carrier: int | None = None
        for index, (content, embeds, last) in enumerate(self._parts(out)):
            kwargs = _message_kwargs(content, embeds, view if last else None)
            if index == 0:
                kwargs["reference"] = origin.to_reference(fail_if_not_exists=False)
                kwargs["mention_author"] = False
            sent = await _post(origin.channel, kwargs)
            if last:
                carrier = sent.id
                if view is not None:
                    self.expiry.channel_message(sent.channel.id, sent.id, out.buttons)
        return carrier

    async def _respond(self, interaction: Interaction, out: Outgoing) -> int | None:
        """Answer an interaction (first response or follow-ups); return the carrier's id."""
        view = button_view(out.buttons) if out.buttons else None
        carrier_id: int | None = None
        for content, embeds, last in self._parts(out):
            kwargs = _message_kwargs(content, embeds, view if last else None)
            kwargs["ephemeral"] = out.ephemeral
            if not interaction.response.is_done():
                response = await interaction.response.send_message(**kwargs)
                sent_id = response.message_id
            else:
                sent_id = (await interaction.followup.send(wait=True, **kwargs)).id
            if last:
                carrier_id = sent_id
                if view is not None and sent_id is not None:
                    self.expiry.interaction_message(interaction.token, sent_id, out.buttons)
        return carrier_id

    async def _answer(
        self, interaction: Interaction, work: Awaitable[Outgoing], *, ephemeral: bool = False
    ) -> int | None:
        """Reply with what ``work`` produces; defer first if it is not ready in time."""
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.defer_after)
            if not done:
                await interaction.response.defer(thinking=True, ephemeral=ephemeral)
            out = await task
        finally:
            task.cancel()
        out.ephemeral = out.ephemeral or ephemeral
        carrier = await self._respond(interaction, out)
        self._remember(carrier, out.reply, interaction.user.id)
        return carrier

    async def _admit(self, interaction: Interaction, question: str = "") -> bool:
        """Flood control: True to go on; else the one notice was sent (or nothing)."""
        verdict = self._verdict(interaction.channel_id, interaction.user.id)
        if verdict is Verdict.ALLOW:
            return True
        if verdict is Verdict.NOTIFY:
            default = self.locale_language(interaction)
            lang = self.engine.detect_language(question, default) if question else default
            await self._respond(
                interaction, Outgoing.notice(message("rate_limited", lang), ephemeral=True)
            )
        elif interaction.type is discord.InteractionType.component:
            await interaction.response.defer()  # acknowledged, nothing shown
        return False

    async def report(self, interaction: Interaction, error: BaseException) -> None:
        """Log with traceback; tell the user, without details, that it failed."""
        what = interaction.command.name if interaction.command else interaction.type.name
        if isinstance(getattr(error, "original", error), StorageError):
            # The store logs its failures itself, once per interval: not once per message.
            log.debug("Discord interaction %s: storage unavailable", what)
        else:
            log.error("error handling Discord interaction %s", what, exc_info=error)
        notice = Outgoing.notice(
            message("error", self.locale_language(interaction)), ephemeral=True
        )
        try:
            await self._respond(interaction, notice)
        except Exception as exc:
            log.warning("could not report the error to the user: %s", exc)

    # -- gateway messages ----------------------------------------------------------

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
                await self._on_question(msg, question)
            except Exception:
                with contextlib.suppress(Exception):
                    lang = self.engine.detect_language(question)
                    await self._send(msg, Outgoing.notice(message("error", lang)))
                raise  # logged with traceback by the client's error handler

    async def _on_question(self, msg: discord.Message, question: str) -> None:
        verdict = self._verdict(msg.channel.id, msg.author.id)
        if verdict is Verdict.SILENT:
            return
        if verdict is Verdict.NOTIFY:
            lang = self.engine.detect_language(question)
            await self._send(msg, Outgoing.notice(message("rate_limited", lang)))
            return
        reply = await self.engine.ask(question, self._ctx(msg.channel.id, msg.author.id))
        carrier = await self._send(msg, render.reply_message(reply))
        self._remember(carrier, reply, msg.author.id)

    # -- commands ------------------------------------------------------------------

    async def ask(self, interaction: Interaction, question: str) -> None:
        question = question_text(question)
        with self._busy():
            if not await self._admit(interaction, question):
                return

            async def work() -> Outgoing:
                reply = await self.engine.ask(question, self._ictx(interaction))
                return render.reply_message(reply)

            await self._answer(interaction, work())

    async def ask_message(self, interaction: Interaction, target: discord.Message) -> None:
        """The context-menu command: the selected message's text is the question."""
        await self.ask(interaction, target.content)

    def topic_choices(self, interaction: Interaction, current: str) -> list[Choice[str]]:
        lang = self.locale_language(interaction)
        views = self.engine.topic_choices(current[: text.CHOICE_NAME], lang)[: text.CHOICES]
        return [Choice(name=text.trim(v.title, text.CHOICE_NAME), value=v.id) for v in views]

    async def topic(self, interaction: Interaction, name: str) -> None:
        with self._busy():
            if not await self._admit(interaction):
                return
            await self._show_topic(interaction, name)

    async def _show_topic(self, interaction: Interaction, name: str) -> None:
        lang = await self._language(interaction)
        view = self.engine.topic(name, lang)
        if view is None:
            names = ", ".join(md(v.title) for v in self.engine.topics(lang))
            notice = Outgoing.notice(message("unknown_topic", lang, topics=names), ephemeral=True)
            await self._respond(interaction, notice)
            return
        await self._respond(interaction, render.topic_message(view, lang))

    async def topics(self, interaction: Interaction) -> None:
        with self._busy():
            if not await self._admit(interaction):
                return
            lang = await self._language(interaction)
            await self._respond(interaction, render.topics_message(self.engine.topics(lang), lang))

    async def sources(self, interaction: Interaction) -> None:
        with self._busy():
            if not await self._admit(interaction):
                return
            lang = await self._language(interaction)
            out = render.sources_message(self.engine.sources(lang), lang)
            await self._respond(interaction, out)

    async def set_language(self, interaction: Interaction, choice: str) -> None:
        """/lang: per channel; ``auto`` goes back to the language of each question."""
        chosen = as_language(choice)

        async def work() -> Outgoing:
            store = self.services.store
            if store is not None:
                await store.set_chat_language(self._ictx(interaction), chosen)
            if chosen is None:
                return Outgoing.notice(message("lang_auto", self.locale_language(interaction)))
            return Outgoing.notice(message("lang_set", chosen))

        with self._busy():
            await self._answer(interaction, work())

    async def forget(self, interaction: Interaction) -> None:
        user_id = interaction.user.id

        async def work() -> Outgoing:
            store = self.services.store
            if store is not None:
                await store.forget_user(PLATFORM, str(user_id))
            for key in [k for k, v in self._asked.items() if v.user_id == user_id]:
                del self._asked[key]
            return Outgoing.notice(message("forgot", self.locale_language(interaction)))

        with self._busy():
            await self._answer(interaction, work(), ephemeral=True)

    async def _refuse_unless_manager(self, interaction: Interaction, lang: Language) -> bool:
        """True (after telling the user) unless they may Manage Server here.

        default_permissions only sets the default; server admins can change who sees
        a command, so the permission is checked at run time as well.
        """
        if interaction.guild_id is not None and interaction.permissions.manage_guild:
            return False
        notice = Outgoing.notice(message("discord_need_manage_guild", lang), ephemeral=True)
        await self._respond(interaction, notice)
        return True

    async def stats(self, interaction: Interaction) -> None:
        lang = self.locale_language(interaction)
        if await self._refuse_unless_manager(interaction, lang):
            return

        async def work() -> Outgoing:
            store = self.services.store
            if store is None:
                return Outgoing.notice(message("error", lang))
            # Counts only: the recent unanswered questions come from every server and
            # platform, and Manage Server in one server is no licence to read them.
            stats = replace(await store.stats(), recent_unanswered=[])
            lines = stats_lines(stats, lang)
            return Outgoing.notice("\n".join(md(line) for line in lines))

        with self._busy():
            await self._answer(interaction, work(), ephemeral=True)

    async def privacy(self, interaction: Interaction) -> None:
        """What is stored, for how long, how to delete it; only the asker sees it."""
        with self._busy():
            if not await self._admit(interaction):
                return
            lang = self.locale_language(interaction)
            german = interaction.locale is discord.Locale.german
            settings = self.services.settings
            body = privacy_text(
                lang,
                settings.retention_days,
                "/vergessen" if german else "/forget",
                settings.privacy_url,
            )
            await self._respond(interaction, Outgoing.notice(md(body), ephemeral=True))

    async def reload(self, interaction: Interaction) -> None:
        """Manage Server: load and check the knowledge anew; on errors the old one stays."""
        lang = self.locale_language(interaction)
        if await self._refuse_unless_manager(interaction, lang):
            return

        async def work() -> Outgoing:
            result = await reload_knowledge(self.engine)
            return Outgoing.notice(md(reload_text(result, lang)))

        with self._busy():
            await self._answer(interaction, work(), ephemeral=True)

    # -- buttons -------------------------------------------------------------------

    async def on_click(self, interaction: Interaction, action: Action) -> None:
        """Every click on one of our buttons, live or sent before a restart."""
        with self._busy():
            try:
                await self._click(interaction, action)
            except Exception as exc:
                await self.report(interaction, exc)

    async def _click(self, interaction: Interaction, action: Action) -> None:
        if isinstance(action, callbacks.Feedback):
            await self._feedback(interaction, action)
        elif isinstance(action, callbacks.Pick):
            await self._pick(interaction, action)
        elif isinstance(action, callbacks.TopicChoice):
            if await self._admit(interaction):
                await self._show_topic(interaction, action.topic)
        else:
            await self._unavailable(interaction)

    async def _unavailable(self, interaction: Interaction) -> None:
        notice = message("unavailable", self.locale_language(interaction))
        await self._respond(interaction, Outgoing.notice(notice, ephemeral=True))

    async def _feedback(self, interaction: Interaction, vote: callbacks.Feedback) -> None:
        async def work() -> Outgoing:
            store = self.services.store
            if store is not None:
                await store.record_feedback(
                    self._ictx(interaction), vote.reply_id, vote.intent, vote.helpful
                )
            return Outgoing.notice(message("feedback_thanks", self.locale_language(interaction)))

        await self._answer(interaction, work(), ephemeral=True)

    async def _pick(self, interaction: Interaction, pick: callbacks.Pick) -> None:
        if not await self._admit(interaction):
            return
        asked = self._asked.get(interaction.message.id) if interaction.message else None
        lang = asked.language if asked else await self._language(interaction)
        question = asked.question if asked else ""
        reply = self.engine.answer_intent(pick.intent, lang, question)
        if reply is None:  # the knowledge changed since the buttons were sent
            await self._unavailable(interaction)
            return
        store = self.services.store
        if store is not None and asked is not None and question:
            # Kept under the asker's id, whoever clicked: it is their text, and their
            # /forget must delete it.
            ctx = self._ctx(interaction.channel_id, asked.user_id)
            store.record_pick(ctx, pick.intent, question)
        await self._respond(interaction, render.reply_message(reply))
