"""Low-level text clean-up shared by matching and rendering.

Everything here is pure and fast: it runs on every question before matching.
"""

from __future__ import annotations

import html
import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# US/USA written in capitals means the country, not the pronoun "us".
_US = re.compile(r"\bU\.?S\.?(?:A\.?)?(?=\W|$)")
_THOUSANDS = re.compile(r"(?<=\d)[.,'’](?=\d{3}(?!\d))")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_TOKEN = re.compile(r"[^\W_]+(?:\.\d+)?")


_ZERO_WIDTH_SPACE = "\u200b"  # the one invisible character that separates words (UAX #29)
_SEPARATORS = frozenset({"Cc", "Zl", "Zp"})


def strip_invisible(text: str) -> str:
    """Drop format characters, turn control characters and line separators into spaces.

    Format characters (soft hyphen, zero-width joiners, bidi marks, BOM) sit invisibly
    *inside* words, as copied from web pages: "Kos\u00adten" is one word, so they are
    dropped. Control characters, line separators and the zero-width space separate words.
    """
    if text.isprintable():  # fast path: nothing invisible in it (checked in C)
        return text
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf" and ch != _ZERO_WIDTH_SPACE:
            continue
        out.append(" " if category in _SEPARATORS or ch == _ZERO_WIDTH_SPACE else ch)
    return "".join(out)


# HTML or XML tags as pasted from a web page or an editor: <b>, </p>, <br/>, <a href="…">.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,200})?/?>")


def strip_markup(text: str) -> str:
    """Character references (&amp;, &#8220;) become their characters, then tags spaces.

    References inside references ("&amp;lt;") are resolved to the end, so that cleaning
    a cleaned text changes nothing; each round shortens the text, so this ends.
    """
    while "&" in text:
        resolved = html.unescape(text)
        if resolved == text:
            break
        text = resolved
    if "<" in text:
        text = _TAG.sub(" ", text)
    return text


def clean(text: str) -> str:
    """Drop invisible characters and markup, NFKC-normalise and collapse whitespace.

    Invisible characters go first, so that they cannot keep NFKC from composing a
    letter with its accent. NFKC can make markup ("<º>" is "<o>", "＆lt;" is "&lt;")
    and resolved references can make invisible or compatibility characters, so the
    steps repeat until nothing changes: cleaning a cleaned text changes nothing.
    """
    if text.isascii() and text.isprintable() and "<" not in text and "&" not in text:
        return " ".join(text.split())  # the usual question: nothing to undo
    for _ in range(8):  # in practice once or twice
        cleaned = strip_markup(unicodedata.normalize("NFKC", strip_invisible(text)))
        if cleaned == text:
            break
        text = cleaned
    return " ".join(text.split())


def fold(token: str) -> str:
    """Case-fold and transliterate: umlauts to ae/oe/ue, ß to ss, accents dropped."""
    token = token.casefold().translate(_UMLAUTS)
    if token.isascii():  # fast path: no accents to drop
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[tuple[str, bool]]:
    """Folded word tokens, each with whether it was written with a capital letter.

    Numbers keep one canonical form (16.000 -> 16000, 5,58 -> 5.58).
    """
    text = _US.sub(" usa ", clean(text))
    text = _THOUSANDS.sub("", text)
    text = _DECIMAL_COMMA.sub(".", text)
    return [(fold(tok), tok[:1].isupper()) for tok in _TOKEN.findall(text)]


def tokenize(text: str) -> list[str]:
    """Folded word tokens only."""
    return [word for word, _ in words(text)]


_SKELETON = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def skeleton(word: str) -> str:
    """A folded word with umlaut spellings merged: "gruender" and "grunder" alike."""
    for old, new in _SKELETON:
        word = word.replace(old, new)
    return word
