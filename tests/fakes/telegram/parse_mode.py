"""Telegram's HTML parse mode and text limits, validated as the Bot API validates them.

Stricter than Telegram where Telegram is lenient (see :func:`parse_html`), so that
unescaped text from the bot cannot slip through a test.
"""

from __future__ import annotations

import html
import re

MAX_TEXT = 4096

_TAG = re.compile(r'<(/?)([a-z][a-z-]*)((?:\s+[a-z-]+="[^"<>]*")*)\s*>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Apply Telegram's HTML parse-mode rules; return the visible text or raise ApiError(400).

    Stricter than Telegram where Telegram is lenient: every ``<``, ``>`` and ``&`` that is
    not part of a supported tag or entity is an error, so unescaped input cannot slip by.
    """
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            found = _TAG.match(text, i)
            if not found or found[2] not in _ALLOWED_TAGS:
                raise ApiError(400, f"Bad Request: can't parse entities: unsupported tag at {i}")
            closing, name, attrs = found[1], found[2], found[3]
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(400, f"Bad Request: can't parse entities: unexpected </{name}>")
                stack.pop()
            else:
                if name == "a" and 'href="' not in attrs:
                    raise ApiError(400, "Bad Request: can't parse entities: <a> without href")
                stack.append(name)
            i = found.end()
        elif char == "&":
            found = _ENTITY.match(text, i)
            if not found:
                raise ApiError(400, f"Bad Request: can't parse entities: bare & at {i}")
            out.append(html.unescape(found[0]))
            i = found.end()
        elif char == ">":
            raise ApiError(400, f"Bad Request: can't parse entities: bare > at {i}")
        else:
            out.append(char)
            i += 1
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed <{stack[-1]}>")
    return "".join(out)


def visible(text: str, parse_mode: str | None) -> str:
    """The text a user would see, validated like the Bot API does."""
    shown = parse_html(text) if parse_mode == "HTML" else text
    if not shown.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(shown) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return shown
