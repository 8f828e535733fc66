"""Sentences of a text, knowing German and English abbreviations, initials and ordinals.

Shared by the renderers (a topic's first sentence) and the knowledge checks (the
sentences of an article, for ``check --coverage``); pure and dependency-free.
"""

from __future__ import annotations

import re

# A full stop ends a sentence unless it ends an abbreviation, an initial ("Gregory C.
# Allen") or an ordinal number ("20. Januar"); the next sentence starts with a capital
# letter, a digit or an opening quote.
_ABBREVIATIONS = frozenset(
    [
        "z.b",
        "d.h",
        "u.a",
        "o.ä",
        "bzw",
        "ca",
        "vgl",
        "usw",
        "etc",
        "dr",
        "prof",
        "nr",
        "st",
        "mio",
        "mrd",
        "jh",
        "e.g",
        "i.e",
        "mr",
        "mrs",
        "ms",
        "vs",
        "inc",
        "co",
        "ltd",
        "jr",
        "sr",
    ]
)
_END = re.compile(r"[.!?…](?=[\"'”“»)]?\s+[\"'„“«(]?[A-ZÄÖÜ0-9])")


def sentences(text: str) -> list[str]:
    """``text`` split into sentences, knowing abbreviations and initials."""
    flat = " ".join(text.split())
    found: list[str] = []
    start = 0
    for end in _END.finditer(flat):
        if end.group() == "." and _abbreviated(flat[start : end.start()]):
            continue
        stop = end.end()
        while stop < len(flat) and flat[stop] in "\"'”“»)":
            stop += 1
        found.append(flat[start:stop].strip())
        start = stop
    rest = flat[start:].strip()
    if rest:
        found.append(rest)
    return found


def _abbreviated(head: str) -> bool:
    """Whether the word before a full stop is an abbreviation, an initial or an ordinal."""
    word = head.rsplit(" ", 1)[-1].strip("(\"'„“")
    if len(word) == 1 and word.isalpha():
        return True  # an initial
    if word.isdigit():
        return True  # "20. Januar", "15. Jahrhundert"
    return word.lower().rstrip(".") in _ABBREVIATIONS or word.lower() in _ABBREVIATIONS
