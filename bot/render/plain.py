"""Plain-text rendering for the console and for ``ask``."""

from __future__ import annotations

from bot.domain.messages import message
from bot.domain.models import Reply, SourceRef


def source_line(src: SourceRef) -> str:
    details = [d for d in (src.outlet, src.date.isoformat() if src.date else None) if d]
    line = src.title + (f" ({', '.join(details)})" if details else "")
    return line + (f" {src.url}" if src.url else "")


def render(reply: Reply) -> str:
    """The answer, then its sources and currency, for a terminal."""
    parts = [reply.text]
    if reply.sources:
        lines = "\n".join(f"- {source_line(s)}" for s in reply.sources)
        parts.append(f"{message('sources_label', reply.language)}:\n{lines}")
    if reply.as_of and reply.sources:
        parts.append(message("as_of", reply.language, date=reply.as_of.isoformat()))
    return "\n\n".join(parts)


def one_line(reply: Reply) -> str:
    """The answer on a single line (batch mode prints one output per input line)."""
    return " ".join(reply.text.split())
