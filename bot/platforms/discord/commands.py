"""The slash commands and the message context-menu command, with German localisations.

Commands only parse options and hand over to :class:`~.handlers.Handlers`;
names and descriptions are localised through Discord's own localisations (a
:class:`discord.app_commands.Translator` reading ``locale_str`` extras), with
the descriptions taken from :mod:`bot.domain.messages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.domain.messages import message

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
    """A description from messages.py, English by default, German for German clients."""
    return locale_str(message(key, "en"), de=message(key, "de"))


def _name(en: str, de: str) -> locale_str:
    return locale_str(en, de=de)


class _Unbound(RuntimeError):
    """Commands built only to be registered (``sync-commands``) were invoked."""


def build_commands(handlers: Handlers | None) -> list[AnyCommand]:
    """Every command, bound to ``handlers`` (None: for registering only)."""

    def need() -> Handlers:
        if handlers is None:
            raise _Unbound("commands built for registration only")
        return handlers

    @app_commands.command(name=_name("ask", "frage"), description=_text("discord_cmd_ask"))
    @app_commands.rename(question=_name("question", "frage"))
    @app_commands.describe(question=_text("discord_opt_question"))
    async def ask(interaction: Interaction, question: str) -> None:
        await need().ask(interaction, question)

    async def topic_names(interaction: Interaction, current: str) -> list[Choice[str]]:
        return need().topic_choices(interaction, current)

    @app_commands.command(name=_name("topic", "thema"), description=_text("discord_cmd_topic"))
    @app_commands.rename(name=_name("name", "name"))
    @app_commands.describe(name=_text("discord_opt_topic"))
    @app_commands.autocomplete(name=topic_names)
    async def topic(interaction: Interaction, name: str) -> None:
        await need().topic(interaction, name)

    @app_commands.command(name=_name("topics", "themen"), description=_text("discord_cmd_topics"))
    async def topics(interaction: Interaction) -> None:
        await need().topics(interaction)

    @app_commands.command(
        name=_name("sources", "quellen"), description=_text("discord_cmd_sources")
    )
    async def sources(interaction: Interaction) -> None:
        await need().sources(interaction)

    @app_commands.command(name=_name("lang", "sprache"), description=_text("discord_cmd_lang"))
    @app_commands.rename(language=_name("language", "sprache"))
    @app_commands.describe(language=_text("discord_opt_lang"))
    @app_commands.choices(
        language=[
            Choice(name=_name("Deutsch", "Deutsch"), value="de"),
            Choice(name=_name("English", "Englisch"), value="en"),
            Choice(name=_text("discord_choice_auto"), value="auto"),
        ]
    )
    async def lang(interaction: Interaction, language: Choice[str]) -> None:
        await need().set_language(interaction, language.value)

    @app_commands.command(
        name=_name("forget", "vergessen"), description=_text("discord_cmd_forget")
    )
    async def forget(interaction: Interaction) -> None:
        await need().forget(interaction)

    @app_commands.command(name=_name("stats", "statistik"), description=_text("discord_cmd_stats"))
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def stats(interaction: Interaction) -> None:
        await need().stats(interaction)

    @app_commands.command(
        name=_name("privacy", "datenschutz"), description=_text("discord_cmd_privacy")
    )
    async def privacy(interaction: Interaction) -> None:
        await need().privacy(interaction)

    @app_commands.command(name=_name("reload", "neuladen"), description=_text("discord_cmd_reload"))
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def reload(interaction: Interaction) -> None:
        await need().reload(interaction)

    async def ask_message(interaction: Interaction, target: discord.Message) -> None:
        await need().ask_message(interaction, target)

    menu = app_commands.ContextMenu(
        name=locale_str(message("discord_menu_ask", "en"), de=message("discord_menu_ask", "de")),
        callback=ask_message,
    )
    return [ask, topic, topics, sources, lang, forget, stats, privacy, reload, menu]


def install(tree: app_commands.CommandTree[discord.Client], handlers: Handlers | None) -> int:
    """Add every command to ``tree``; return how many."""
    commands = build_commands(handlers)
    for command in commands:
        tree.add_command(command)
    return len(commands)
