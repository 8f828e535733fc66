"""The chat service's contents as Discord embeds and button specs; no I/O.

The strings come from :mod:`.format` (escaped, fitted to Discord's limits); this
module only wraps them. Nothing rendered here can ping anyone: embeds never notify,
and every send also carries ``AllowedMentions.none()`` (see :data:`NO_MENTIONS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import discord

from bot.chat.responses import (
    Button,
    ButtonKind,
    Content,
    Help,
    Notice,
    Privacy,
    SourceList,
    Text,
    TopicList,
)
from bot.domain.language import Language
from bot.domain.models import Outcome, Reply, TopicView
from bot.platforms.discord import format as fmt
from bot.platforms.discord.texts import say

NO_MENTIONS = discord.AllowedMentions.none()

COLOURS = {
    Outcome.ANSWERED: discord.Colour(0x4F8EF7),
    Outcome.CLOSE_CALL: discord.Colour(0xF1C40F),
    Outcome.FALLBACK: discord.Colour(0x95A5A6),
    Outcome.REFUSED: discord.Colour(0x95A5A6),
}
INFO_COLOUR = discord.Colour(0x4F8EF7)


class Style(Enum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """One button, platform-neutral enough to test without a client."""

    custom_id: str
    label: str = ""
    emoji: str | None = None
    style: Style = Style.SECONDARY
    row: int | None = None


@dataclass
class Outgoing:
    """One response: message pieces (the last one carries the embeds and buttons)."""

    pieces: list[str] = field(default_factory=list)
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[ButtonSpec] = field(default_factory=list)
    ephemeral: bool = False

    @classmethod
    def notice(cls, body: str, *, ephemeral: bool = False) -> Outgoing:
        """Plain (already escaped) text, split into messages of at most 2000 characters."""
        return cls(pieces=fmt.split(body), ephemeral=ephemeral)


md = fmt.md


def button_specs(buttons: Sequence[Button]) -> list[ButtonSpec]:
    specs = []
    for button in buttons[: fmt.BUTTONS]:
        if button.kind in (ButtonKind.HELPFUL, ButtonKind.UNHELPFUL):
            specs.append(ButtonSpec(button.payload, emoji=button.label))
        else:
            label = fmt.trim(button.label, fmt.BUTTON_LABEL)
            specs.append(ButtonSpec(button.payload, label=label, style=Style.PRIMARY))
    return specs


def reply_embed(reply: Reply) -> discord.Embed:
    """The answer (or a close call, a fallback) as one embed: text, sources, "as of"."""
    embed = discord.Embed(
        description=fmt.reply_description(reply), colour=COLOURS.get(reply.outcome, INFO_COLOUR)
    )
    if (title := fmt.reply_title(reply)) is not None:
        embed.title = title
    if (lines := fmt.reply_sources(reply)) is not None:
        embed.add_field(name=say("sources_label", reply.language), value=lines, inline=False)
    if (footer := fmt.reply_footer(reply)) is not None:
        embed.set_footer(text=footer)
    return embed


def _info(title: str, description: str) -> discord.Embed:
    return discord.Embed(
        title=fmt.trim(title, fmt.EMBED_TITLE), description=description, colour=INFO_COLOUR
    )


def outgoing(
    content: Content,
    lang: Language,
    buttons: Sequence[Button] = (),
    *,
    ephemeral: bool = False,
    username: str = "",
) -> Outgoing:
    """Any content of the chat service as what Discord is sent."""
    specs = button_specs(buttons)
    embeds: list[discord.Embed]
    if isinstance(content, Reply):
        embeds = [reply_embed(content)]
    elif isinstance(content, TopicView):
        embeds = [_info(md(content.title), fmt.topic_body(content))]
    elif isinstance(content, TopicList):
        embeds = [_info(say("topics_header", lang), fmt.topic_lines(content.topics))]
    elif isinstance(content, SourceList):
        header = say("sources_header", lang).rstrip(":")
        embeds = [_info(header, fmt.source_lines(content.sources))]
    elif isinstance(content, Help):
        embeds = [_info(say("help_title", lang), fmt.help_body(lang, username, content.topics))]
    else:
        if isinstance(content, Privacy):
            body = fmt.privacy_body(lang, content.retention_days, content.url)
        elif isinstance(content, Notice):
            body = md(say(content.key, lang, **content.params))
        else:
            assert isinstance(content, Text)
            body = md(content.text)
        return Outgoing(pieces=fmt.split(body), buttons=specs, ephemeral=ephemeral)
    return Outgoing(embeds=embeds, buttons=specs, ephemeral=ephemeral)


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts against the 6000 limit of one message's embeds."""
    size = len(embed.title or "") + len(embed.description or "")
    size += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    return size + len(embed.footer.text or "") + len(embed.author.name or "")
