"""Low-level text clean-up shared by matching and rendering.

Everything here is pure and fast: it runs on every question before matching.
"""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# US/USA written in capitals means the country, not the pronoun "us".
_US = re.compile(r"\bU\.?S\.?(?:A\.?)?(?=\W|$)")
_THOUSANDS = re.compile(r"(?<=\d)[.,'’](?=\d{3}(?!\d))")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_TOKEN = re.compile(r"[^\W_]+(?:\.\d+)?")


def strip_invisible(text: str) -> str:
    """Replace control and format characters (zero-width, bidi marks) with spaces."""
    return "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch for ch in text
    )


def clean(text: str) -> str:
    """NFKC-normalise, drop invisible characters and collapse whitespace."""
    text = strip_invisible(unicodedata.normalize("NFKC", text))
    return " ".join(text.split())


def fold(token: str) -> str:
    """Case-fold and transliterate: umlauts to ae/oe/ue, ß to ss, accents dropped."""
    token = token.casefold().translate(_UMLAUTS)
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
