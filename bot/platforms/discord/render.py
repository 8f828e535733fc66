"""Engine values -> Discord embeds and button specs; no I/O, no wording of its own.

Every string taken from the engine or the user is markdown-escaped here, and
every piece is fitted to Discord's limits (see :mod:`.text`). Nothing rendered
here can ping anyone: embeds never notify, and every send also carries
``AllowedMentions.none()`` (see :data:`NO_MENTIONS`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import discord
from discord.utils import escape_markdown

from bot.domain import callbacks
from bot.domain.messages import message
from bot.domain.models import Language, Outcome, Reply, SourceRef, Suggestion, TopicView
from bot.platforms.discord import text

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
    """One answer: message pieces (the first one carries the embeds and buttons)."""

    pieces: list[str] = field(default_factory=list)
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[ButtonSpec] = field(default_factory=list)
    ephemeral: bool = False
    reply: Reply | None = None  # the engine reply shown, if any

    @classmethod
    def notice(cls, body: str, *, ephemeral: bool = False) -> Outgoing:
        """Plain text, split into messages of at most 2000 characters."""
        return cls(pieces=text.split(body), ephemeral=ephemeral)


def md(value: str) -> str:
    """Dynamic text, shown literally (no bold, links, headings or code from data).

    ``escape_markdown`` escapes the ``[`` of a masked link but nothing inside it
    (``[x](**y**)`` would still show bold), so every ``[`` is set aside first and
    escaped by hand; the rest of the text is then escaped as a whole.
    """
    if "[" not in value:
        return escape_markdown(value)
    private_use = itertools.chain(range(0xE000, 0xF900), range(0xF0000, 0xFFFFE))
    stand_in = next(chr(c) for c in private_use if chr(c) not in value)
    return escape_markdown(value.replace("[", stand_in)).replace(stand_in, "\\[")


def _link(title: str, url: str | None) -> str:
    if not url or not url.startswith(("https://", "http://")):
        return md(title)
    safe = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{md(title)}]({safe})"


def source_line(src: SourceRef) -> str:
    details = [md(d) for d in (src.outlet, src.date.isoformat() if src.date else None) if d]
    line = _link(src.title, src.url)
    return line + (f" ({', '.join(details)})" if details else "")


def _lines_within(lines: Sequence[str], limit: int) -> str:
    """As many whole lines as fit, with an ellipsis line when some are left out."""
    kept: list[str] = []
    used = 0
    for line in lines:
        line = text.trim(line, limit)
        if used + len(line) + 1 > limit - len(text.ELLIPSIS) - 1:
            kept.append(text.ELLIPSIS)
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def reply_embed(reply: Reply) -> discord.Embed:
    """The answer (or fallback) as one embed: text, sources, "as of" date."""
    lang = reply.language
    embed = discord.Embed(
        description=text.trim(md(reply.text), text.EMBED_DESCRIPTION),
        colour=COLOURS[reply.outcome],
    )
    if reply.outcome is Outcome.ANSWERED and reply.title:
        embed.title = text.trim(md(reply.title), text.EMBED_TITLE)
    if reply.sources:
        embed.add_field(
            name=message("sources_label", lang),
            value=_lines_within([f"• {source_line(s)}" for s in reply.sources], text.FIELD_VALUE),
            inline=False,
        )
        if reply.as_of:
            embed.set_footer(text=message("as_of", lang, date=reply.as_of.isoformat()))
    return embed


def suggestion_buttons(suggestions: Sequence[Suggestion]) -> list[ButtonSpec]:
    return [
        ButtonSpec(
            custom_id=callbacks.pick(s.intent),
            label=text.trim(s.title, text.BUTTON_LABEL),
            style=Style.PRIMARY,
        )
        for s in suggestions[: text.BUTTONS - 5]
    ]


def reply_buttons(reply: Reply) -> list[ButtonSpec]:
    """Suggestions to pick from, or 👍/👎 under a real answer."""
    if reply.outcome is Outcome.ANSWERED and reply.intent and reply.id:
        return [
            ButtonSpec(callbacks.feedback(reply.intent, reply.id, True), emoji="👍"),
            ButtonSpec(callbacks.feedback(reply.intent, reply.id, False), emoji="👎"),
        ]
    return suggestion_buttons(reply.suggestions)


def reply_message(reply: Reply) -> Outgoing:
    return Outgoing(embeds=[reply_embed(reply)], buttons=reply_buttons(reply), reply=reply)


def topics_message(views: Sequence[TopicView], lang: Language) -> Outgoing:
    lines = [f"**{md(v.title)}** – {md(_first_sentence(v.summary))}" for v in views]
    embed = discord.Embed(
        title=message("topics_header", lang),
        description=_lines_within(lines, text.EMBED_DESCRIPTION),
        colour=INFO_COLOUR,
    )
    return Outgoing(embeds=[embed])


def topic_message(view: TopicView, lang: Language) -> Outgoing:
    """One topic: its summary, its questions listed and offered as buttons."""
    lines = [f"• {md(s.title)}" for s in view.intents]
    body = md(view.summary) + ("\n\n" + "\n".join(lines) if lines else "")
    embed = discord.Embed(
        title=text.trim(md(view.title), text.EMBED_TITLE),
        description=text.trim(body, text.EMBED_DESCRIPTION),
        colour=INFO_COLOUR,
    )
    return Outgoing(embeds=[embed], buttons=suggestion_buttons(view.intents))


def sources_message(sources: Sequence[SourceRef], lang: Language) -> Outgoing:
    embed = discord.Embed(
        title=text.trim(message("sources_header", lang).rstrip(":"), text.EMBED_TITLE),
        description=_lines_within([f"• {source_line(s)}" for s in sources], 4000),
        colour=INFO_COLOUR,
    )
    return Outgoing(embeds=[embed])


def _first_sentence(summary: str) -> str:
    head = " ".join(summary.split())
    for end in (". ", "! ", "? "):
        if end in head:
            return head.split(end, 1)[0] + end.strip()
    return head


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts against the 6000 limit of one message's embeds."""
    size = len(embed.title or "") + len(embed.description or "")
    size += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    return size + len(embed.footer.text or "") + len(embed.author.name or "")
