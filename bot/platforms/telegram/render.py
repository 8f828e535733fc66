"""Telegram HTML for the engine's replies and the bot's own sentences.

Every dynamic string is escaped here (``esc``), so nothing a user typed and nothing in
the knowledge can become markup. Texts are cut into messages of at most
:data:`MAX_MESSAGE` characters at paragraph boundaries (then lines, sentences, words),
always before escaping, so an entity or a tag is never cut in half.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from bot.domain.messages import message
from bot.domain.models import Language, Reply, SourceRef, TopicView

MAX_MESSAGE = 4096  # Telegram's limit for one message text, in UTF-16 code units
_BREAKS = ("\n", ". ", " ")  # gentlest first, after paragraph boundaries


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); markup counted too, to be safe."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# -- splitting -------------------------------------------------------------------------


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text in pieces whose *escaped* form fits ``limit``, cut at the gentlest break."""
    return _split(text.strip(), limit, 0)


def _split(text: str, limit: int, level: int) -> list[str]:
    if size(esc(text)) <= limit:
        return [text] if text else []
    if level >= len(_BREAKS):
        return _hard_split(text, limit)
    brk = _BREAKS[level]
    units = text.split(brk)
    if len(units) == 1:
        return _split(text, limit, level + 1)
    pieces: list[str] = []
    current = ""
    for n, unit in enumerate(units):
        unit += brk if n < len(units) - 1 else ""
        if size(esc(current + unit)) <= limit:
            current += unit
            continue
        if current.strip():
            pieces.append(current.strip())
        current = ""
        if size(esc(unit)) > limit:
            pieces += _split(unit.strip(), limit, level + 1)
        else:
            current = unit
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _hard_split(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        cost = size(esc(char))
        if used + cost > limit and current:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    if current:
        pieces.append("".join(current))
    return pieces


def pack(blocks: Iterable[str], limit: int = MAX_MESSAGE, joiner: str = "\n\n") -> list[str]:
    """Join HTML blocks (each complete and within ``limit``) into as few messages as fit."""
    chunks: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{joiner}{block}" if current else block
        if size(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = block
    if current:
        chunks.append(current)
    return chunks


def paragraphs(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text as escaped blocks, one per paragraph (split further if one is too long)."""
    return [esc(p) for para in text.split("\n\n") for p in split_text(para, limit)]


def lines_block(lines: Sequence[str], limit: int = MAX_MESSAGE) -> list[str]:
    """HTML lines (each complete markup) kept together on consecutive lines where they fit."""
    return pack(lines, limit, joiner="\n")


def plain(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """One of the bot's own sentences (or any plain text) as ready-to-send HTML messages."""
    return pack(paragraphs(text, limit), limit) or [esc(text.strip()) or "…"]


# -- answers ---------------------------------------------------------------------------


def source_line(src: SourceRef) -> str:
    title = esc(src.title)
    if src.url and src.url.startswith(("https://", "http://")):
        title = f'<a href="{esc(src.url)}">{title}</a>'
    details = [d for d in (src.outlet, src.date.isoformat() if src.date else None) if d]
    return "• " + title + (f" ({esc(', '.join(details))})" if details else "")


def sources_block(sources: Sequence[SourceRef], header: str) -> list[str]:
    return lines_block([f"<b>{esc(header)}</b>", *(source_line(s) for s in sources)])


def answer(reply: Reply, limit: int = MAX_MESSAGE) -> list[str]:
    """An engine reply: the text, its sources, the "as of" date; split into messages."""
    blocks = paragraphs(reply.text, limit)
    if reply.sources:
        label = message("sources_label", reply.language)
        blocks += sources_block(reply.sources, label + ":")
    if reply.as_of:
        blocks.append(
            f"<i>{esc(message('as_of', reply.language, date=reply.as_of.isoformat()))}</i>"
        )
    return pack(blocks, limit) or plain(reply.text, limit)


# -- browsing --------------------------------------------------------------------------


def topic(view: TopicView, lang: Language) -> list[str]:
    blocks = [f"<b>{esc(view.title)}</b>", *paragraphs(view.summary)]
    if view.intents:
        blocks.append(f"<i>{esc(message('topic_questions', lang))}</i>")
    return pack(blocks)


def topics(views: Sequence[TopicView], lang: Language) -> list[str]:
    lines = [f"<b>{esc(message('topics_header', lang))}</b>"]
    lines += [f"• {esc(v.title)}" for v in views]
    return pack(lines_block(lines))


def sources(refs: Sequence[SourceRef], lang: Language) -> list[str]:
    return pack(sources_block(refs, message("sources_header", lang)))


def help_text(
    lang: Language, username: str, topic_views: Sequence[TopicView], menu: Sequence[tuple[str, str]]
) -> list[str]:
    commands = "\n" + "\n".join(f"/{name} – {text}" for name, text in menu)
    text = message(
        "help",
        lang,
        how=message("telegram_how", lang, username=username),
        topics=", ".join(v.title for v in topic_views),
        commands=commands,
    )
    return plain(text)
