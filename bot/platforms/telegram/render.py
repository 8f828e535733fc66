"""Telegram HTML for the chat service's contents.

Every dynamic string is escaped here (``esc``), so nothing a user typed and nothing in
the knowledge can become markup. Texts are cut into messages of at most
:data:`MAX_MESSAGE` (Telegram's limit, in UTF-16 code units, markup counted) at
paragraph boundaries, then lines, sentences and words, always before escaping, so an
entity or a tag is never cut in half. Pure: no telegram import, so ``check`` can ask it
whether an answer fits.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.chat.reports import privacy_text
from bot.chat.responses import Content, Help, Notice, Privacy, SourceList, Text, TopicList
from bot.domain.language import Language
from bot.domain.models import Reply, SourceRef, TopicView
from bot.platforms.telegram.texts import described, say
from bot.render import text

MAX_MESSAGE = 4096
PLATFORM = "Telegram"


def esc(value: str) -> str:
    return html.escape(value, quote=True)


def size(value: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); markup counted too, to be safe."""
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def _escaped_size(value: str) -> int:
    return size(esc(value))


def split_text(value: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text in pieces whose *escaped* form fits ``limit``, cut at the gentlest break."""
    return text.split(value, limit, _escaped_size)


def paragraphs(value: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text as escaped blocks, one per paragraph (split further if one is too long)."""
    return [esc(p) for para in value.split("\n\n") for p in split_text(para, limit)]


def pack(blocks: Sequence[str], limit: int = MAX_MESSAGE, joiner: str = "\n\n") -> list[str]:
    """HTML blocks (each complete markup within ``limit``) in as few messages as fit."""
    return text.pack(blocks, limit, joiner, size)


def plain(value: str, limit: int = MAX_MESSAGE) -> list[str]:
    """One of the bot's own sentences (or any plain text) as ready-to-send HTML messages."""
    return pack(paragraphs(value, limit), limit) or [esc(value.strip()) or "…"]


# -- answers ---------------------------------------------------------------------------


def _link(title: str, url: str) -> str:
    return f'<a href="{esc(url)}">{title}</a>'


def source_line(src: SourceRef) -> str:
    return "• " + text.source_line(src, escape=esc, link=_link)


def sources_block(sources: Sequence[SourceRef], header: str) -> list[str]:
    return pack([f"<b>{esc(header)}</b>", *(source_line(s) for s in sources)], joiner="\n")


def answer(reply: Reply, limit: int = MAX_MESSAGE) -> list[str]:
    """An engine reply: the text, its sources, the "as of" date; split into messages."""
    blocks = paragraphs(reply.text, limit)
    if reply.about:  # a short question, or a follow-up: which question this answers
        blocks.insert(0, f"<i>{esc(say('about', reply.language, question=reply.about))}</i>")
    if reply.sources:
        label = say("sources_label", reply.language)
        blocks += sources_block(reply.sources, label + ":")
        if reply.as_of:
            as_of = say("as_of", reply.language, date=reply.as_of.isoformat())
            blocks.append(f"<i>{esc(as_of)}</i>")
    return pack(blocks, limit) or plain(reply.text, limit)


def overflow(reply: Reply) -> str | None:
    """Why an answer would not fit one Telegram message, for ``check``; None if it does."""
    pieces = answer(reply)
    if len(pieces) == 1:
        return None
    longest = max(size(p) for p in paragraphs(reply.text))
    return (
        f"answer.{reply.language} needs {len(pieces)} {PLATFORM} messages "
        f"(its longest paragraph is {longest} of {MAX_MESSAGE} units, with sources)"
    )


# -- browsing --------------------------------------------------------------------------


def topic(view: TopicView, lang: Language) -> list[str]:
    blocks = [f"<b>{esc(view.title)}</b>", *paragraphs(view.summary)]
    if view.intents:
        blocks.append(f"<i>{esc(say('topic_questions', lang))}</i>")
    return pack(blocks)


def topics(views: Sequence[TopicView], lang: Language) -> list[str]:
    lines = [f"<b>{esc(say('topics_header', lang))}</b>", *(f"• {esc(v.title)}" for v in views)]
    return pack(pack(lines, joiner="\n"))


def sources(refs: Sequence[SourceRef], lang: Language) -> list[str]:
    return pack(sources_block(refs, say("sources_header", lang)))


def help_text(lang: Language, username: str, topic_views: Sequence[TopicView]) -> list[str]:
    commands = "\n" + "\n".join(f"/{name} – {desc}" for name, desc in described(lang))
    body = say(
        "help",
        lang,
        how=say("telegram_how", lang, username=username),
        topics=", ".join(v.title for v in topic_views),
        commands=commands,
    )
    return plain(body)


def notice(item: Notice, lang: Language) -> str:
    return say(item.key, lang, **item.params)


def render(content: Content, lang: Language, username: str) -> list[str]:
    """Any content of the chat service as HTML messages."""
    if isinstance(content, Reply):
        return answer(content)
    if isinstance(content, TopicView):
        return topic(content, lang)
    if isinstance(content, TopicList):
        return topics(content.topics, lang)
    if isinstance(content, SourceList):
        return sources(content.sources, lang)
    if isinstance(content, Help):
        return help_text(lang, username, content.topics)
    if isinstance(content, Privacy):
        return plain(privacy_text(lang, content.retention_days, "/forget", content.url))
    if isinstance(content, Notice):
        return plain(notice(content, lang))
    assert isinstance(content, Text)
    return plain(content.text)
