"""The slash commands and the message context-menu command, with German localisations.

Commands only turn options into chat requests for :class:`~.handlers.Handlers`;
names and descriptions are localised through Discord's own localisations (a
:class:`discord.app_commands.Translator` reading ``locale_str`` extras), with
the descriptions taken from :mod:`.texts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.chat.requests import Command
from bot.platforms.discord.texts import ADMIN_COMMANDS, COMMANDS, say

if TYPE_CHECKING:
    from bot.platforms.discord.handlers import Handlers

Interaction = discord.Interaction[discord.Client]
AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.ContextMenu


class FaqTranslator(app_commands.Translator):
    """German names and descriptions for Discord clients set to German."""

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is not discord.Locale.german:
            return None
        value = string.extras.get("de")
        return value if isinstance(value, str) else None


def _text(key: str) -> locale_str:
    """A description from texts.py, English by default, German for German clients."""
    return locale_str(say(key, "en"), de=say(key, "de"))


def _name(neutral: str) -> locale_str:
    en, de = COMMANDS[neutral]
    return locale_str(en, de=de)


class _Unbound(RuntimeError):
    """Commands built only to be registered (``sync-commands``) were invoked."""


def build_commands(handlers: Handlers | None) -> list[AnyCommand]:
    """Every command, bound to ``handlers`` (None: for registering only).

    Each one only turns its options into a chat request: what it does is the chat
    service's.
    """

    def need() -> Handlers:
        if handlers is None:
            raise _Unbound("commands built for registration only")
        return handlers

    def simple(neutral: str) -> AnyCommand:
        async def run(interaction: Interaction) -> None:
            await need().command(interaction, Command(neutral))

        if neutral in ADMIN_COMMANDS:  # shown to Manage Server members, in servers only
            run = app_commands.guild_only()(
                app_commands.default_permissions(manage_guild=True)(run)
            )
        return app_commands.Command(
            name=_name(neutral), description=_text(f"discord_cmd_{neutral}"), callback=run
        )

    @app_commands.command(name=_name("ask"), description=_text("discord_cmd_ask"))
    @app_commands.rename(question=locale_str("question", de="frage"))
    @app_commands.describe(question=_text("discord_opt_question"))
    async def ask(interaction: Interaction, question: str) -> None:
        await need().ask(interaction, question)

    async def topic_names(interaction: Interaction, current: str) -> list[Choice[str]]:
        return await need().complete(interaction, "topic", current)

    @app_commands.command(name=_name("topic"), description=_text("discord_cmd_topic"))
    @app_commands.rename(name=locale_str("name", de="name"))
    @app_commands.describe(name=_text("discord_opt_topic"))
    @app_commands.autocomplete(name=topic_names)
    async def topic(interaction: Interaction, name: str) -> None:
        await need().command(interaction, Command("topic", name))

    @app_commands.command(name=_name("lang"), description=_text("discord_cmd_lang"))
    @app_commands.rename(language=locale_str("language", de="sprache"))
    @app_commands.describe(language=_text("discord_opt_lang"))
    @app_commands.choices(
        language=[
            Choice(name=locale_str("Deutsch", de="Deutsch"), value="de"),
            Choice(name=locale_str("English", de="Englisch"), value="en"),
            Choice(name=_text("discord_choice_auto"), value="auto"),
        ]
    )
    async def lang(interaction: Interaction, language: Choice[str]) -> None:
        await need().command(interaction, Command("lang", language.value))

    async def ask_message(interaction: Interaction, target: discord.Message) -> None:
        await need().ask(interaction, target.content)

    menu = app_commands.ContextMenu(
        name=locale_str(say("discord_menu_ask", "en"), de=say("discord_menu_ask", "de")),
        callback=ask_message,
    )
    plain = [simple(n) for n in ("help", "topics", "sources", "forget", "stats", "privacy")]
    return [ask, topic, lang, *plain, simple("reload"), menu]


def install(tree: app_commands.CommandTree[discord.Client], handlers: Handlers | None) -> int:
    """Add every command to ``tree``; return how many."""
    commands = build_commands(handlers)
    for command in commands:
        tree.add_command(command)
    return len(commands)
