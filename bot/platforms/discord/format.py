"""Discord's limits and every string an embed or message holds, without importing discord.py.

Pure on purpose: ``check`` asks :func:`overflow` whether an answer fits Discord, on
installs without the platform libraries too; :mod:`.render` wraps these strings in
embeds. Markdown escaping is discord.py's ``escape_markdown`` (default mode) written
out here, and a test holds the two equal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from bot.chat.reports import privacy_text
from bot.domain.language import Language
from bot.domain.models import Reply, SourceRef, TopicView
from bot.platforms.discord.texts import command_name, described, say
from bot.render import text

CONTENT = 2000  # message content
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBED_TOTAL = 6000
BUTTON_LABEL = 80
CHOICE_NAME = 100  # autocomplete choice name and value
CHOICES = 25  # autocomplete choices per answer
BUTTONS = 25  # 5 rows of 5
PLATFORM = "Discord"

# discord.utils.escape_markdown(text) as of discord.py 2.7 (as_needed=False, ignore_links).
_COMMON = r"^>(?:>>)?\s|\[.+\]\(.+\)|^#{1,3}|^\s*-"
_URL = r"(?P<url><[^: >]+:\/[^ >]+>|(?:https?|steam):\/\/[^\s<]+[^<.,:;\"\'\]\s])"
_ESCAPE = re.compile(rf"(?:{_URL}|(?P<markdown>[_\\~|\*`]|{_COMMON}))", re.MULTILINE)


def escape_markdown(value: str) -> str:
    return _ESCAPE.sub(lambda m: m["url"] or "\\" + m["markdown"], value)


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


def trim(value: str, limit: int) -> str:
    return text.trim(value, limit)


def split(value: str, limit: int = CONTENT) -> list[str]:
    return text.split(value, limit)


def _link(title: str, url: str) -> str:
    safe = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{title}]({safe})"


def source_line(src: SourceRef) -> str:
    return text.source_line(src, escape=md, link=_link)


def lines_within(lines: Sequence[str], limit: int) -> str:
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


# -- an answer, as one embed ------------------------------------------------------------


def reply_description(reply: Reply) -> str:
    return text.trim(md(reply.text), EMBED_DESCRIPTION)


def reply_title(reply: Reply) -> str | None:
    return text.trim(md(reply.title), EMBED_TITLE) if reply.intent and reply.title else None


def reply_sources(reply: Reply) -> str | None:
    if not reply.sources:
        return None
    return lines_within([f"• {source_line(s)}" for s in reply.sources], FIELD_VALUE)


def reply_footer(reply: Reply) -> str | None:
    if not (reply.sources and reply.as_of):
        return None
    return say("as_of", reply.language, date=reply.as_of.isoformat())


def overflow(reply: Reply) -> str | None:
    """Why an answer would be cut on Discord, for ``check``; None if it fits whole."""
    escaped = len(md(reply.text))
    if escaped > EMBED_DESCRIPTION:
        return (
            f"answer.{reply.language} has {escaped} characters once escaped, over "
            f"{PLATFORM}'s {EMBED_DESCRIPTION} for an embed"
        )
    parts = [reply_title(reply), reply_sources(reply), reply_footer(reply)]
    total = escaped + sum(len(p) for p in parts if p) + len(say("sources_label", reply.language))
    if total > EMBED_TOTAL:
        return f"answer.{reply.language} makes an embed of {total} characters, over 6000"
    return None


# -- browsing ----------------------------------------------------------------------------


def topic_lines(views: Sequence[TopicView]) -> str:
    lines = [f"**{md(v.title)}** – {md(text.first_sentence(v.summary))}" for v in views]
    return lines_within(lines, EMBED_DESCRIPTION)


def topic_body(view: TopicView) -> str:
    lines = [f"• {md(s.title)}" for s in view.intents]
    body = md(view.summary) + ("\n\n" + "\n".join(lines) if lines else "")
    return text.trim(body, EMBED_DESCRIPTION)


def source_lines(sources: Sequence[SourceRef]) -> str:
    return lines_within([f"• {source_line(s)}" for s in sources], 4000)


def help_body(lang: Language, username: str, topic_views: Sequence[TopicView]) -> str:
    commands = "\n" + "\n".join(f"{name} – {desc}" for name, desc in described(lang))
    body = say(
        "help",
        lang,
        how=say("discord_how", lang, username=username),
        topics=", ".join(v.title for v in topic_views),
        commands=commands,
    )
    return text.trim(md(body), EMBED_DESCRIPTION)


def privacy_body(lang: Language, retention_days: int, url: str | None) -> str:
    return md(privacy_text(lang, retention_days, command_name("forget", lang), url))
