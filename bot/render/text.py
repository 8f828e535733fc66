"""Text handling every renderer shares: splitting to a limit, trimming, packing, sentences.

Each platform measures text its own way (Telegram in UTF-16 code units of the escaped
HTML, Discord in characters of the escaped markdown), so every function here takes a
``measure``; the places to cut are the same everywhere: paragraph, line, sentence,
clause, word, and only then mid-word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.domain.models import SourceRef
from bot.nlp.sentences import sentences

Measure = Callable[[str], int]
ELLIPSIS = "…"
# Where to cut, gentlest first.
BOUNDARIES = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")


def _fitting(text: str, limit: int, measure: Measure) -> int:
    """The length of the longest head of ``text`` that measures at most ``limit``."""
    if measure(text) <= limit:
        return len(text)
    low, high = 0, len(text)  # measure(text[:low]) <= limit < measure(text[:high])
    while high - low > 1:
        middle = (low + high) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle
    return low


def _cut(text: str, room: int) -> int:
    """Where to end a piece of at most ``room`` characters: at the gentlest boundary that
    leaves a piece of some length, else mid-word (never between a backslash and the
    character it escapes)."""
    window = text[:room]
    for sep in BOUNDARIES:
        at = window.rfind(sep)
        if at > room // 3:  # a boundary in the first third would leave a stub
            return at + len(sep)
    cut = room
    while cut > 1 and _dangling_escape(window[:cut]):
        cut -= 1
    return max(cut, 1)


def _dangling_escape(head: str) -> bool:
    """Whether ``head`` ends with a backslash that escapes what follows it: an odd run
    of trailing backslashes (an even run is escaped backslashes only)."""
    return (len(head) - len(head.rstrip("\\"))) % 2 == 1


def split(text: str, limit: int, measure: Measure = len) -> list[str]:
    """``text`` in pieces that measure at most ``limit``, cut at boundaries; none empty."""
    pieces: list[str] = []
    rest = text.strip()
    while rest and measure(rest) > limit:
        piece = rest[: _cut(rest, max(_fitting(rest, limit, measure), 1))].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[len(piece) :].lstrip() if piece else rest[1:]
    if rest:
        pieces.append(rest)
    return pieces


def trim(text: str, limit: int, measure: Measure = len) -> str:
    """``text`` if it fits, else its longest head ending at a boundary, with an ellipsis."""
    text = text.strip()
    if measure(text) <= limit:
        return text
    room = limit - measure(ELLIPSIS)
    if room <= 0:
        return ELLIPSIS if measure(ELLIPSIS) <= limit else ""
    head = text[: _cut(text, max(_fitting(text, room, measure), 1))].rstrip()
    while head and (measure(head + ELLIPSIS) > limit or _dangling_escape(head)):
        head = head[:-1]
    return head + ELLIPSIS


def pack(
    blocks: Iterable[str], limit: int, joiner: str = "\n\n", measure: Measure = len
) -> list[str]:
    """Join blocks (each within ``limit``) into as few pieces as fit; a block is never cut."""
    pieces: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{joiner}{block}" if current else block
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = block
    if current:
        pieces.append(current)
    return pieces


def first_sentence(text: str) -> str:
    found = sentences(text)
    return found[0] if found else ""


def source_line(
    src: SourceRef,
    *,
    escape: Callable[[str], str] = str,
    link: Callable[[str, str], str] | None = None,
) -> str:
    """ "Title (outlet, date)": the title linked where ``link`` is given (it gets the
    escaped title and the URL), else the URL written after it; every text escaped."""
    details = [d for d in (src.outlet, src.date.isoformat() if src.date else None) if d]
    title = escape(src.title)
    url = src.url if src.url and src.url.startswith(("https://", "http://")) else None
    if url and link is not None:
        title = link(title, url)
    line = title + (f" ({escape(', '.join(details))})" if details else "")
    return line + (f" {url}" if url and link is None else "")
