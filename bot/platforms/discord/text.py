"""Discord's size limits, and cutting text to them at natural boundaries.

Discord rejects a whole message when one part is too long, so every piece of
text is fitted before it is sent: split into several messages where all of it
matters (reports), trimmed with an ellipsis where one embed must hold it.
"""

from __future__ import annotations

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

ELLIPSIS = "…"
# Preferred places to cut, best first: paragraph, line, sentence, clause, word.
_BOUNDARIES = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")


def _cut(text: str, limit: int) -> int:
    """Index at which to end a piece of at most ``limit`` characters."""
    window = text[:limit]
    for sep in _BOUNDARIES:
        at = window.rfind(sep)
        # A boundary in the first third would leave a uselessly short piece.
        if at > limit // 3:
            return at + len(sep)
    cut = limit
    # Never split a markdown escape ("\*") from the character it escapes.
    while cut > 1 and window[:cut].endswith("\\") and not window[:cut].endswith("\\\\"):
        cut -= 1
    return cut


def trim(text: str, limit: int) -> str:
    """``text`` if it fits, else its longest head ending at a boundary, marked with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    head = text[: _cut(text, limit - len(ELLIPSIS))].rstrip()
    return head + ELLIPSIS


def split(text: str, limit: int = CONTENT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at boundaries; none empty."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut(rest, limit)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
