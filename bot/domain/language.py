"""The languages the bot speaks: defined once, used by the knowledge, matching and replies."""

from __future__ import annotations

from typing import Literal

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")


def as_language(value: str | None) -> Language | None:
    """``"de"``/``"en"`` (any case, ``de-DE`` too) or None."""
    if not value:
        return None
    code = value.strip().lower()[:2]
    if code == "de":
        return "de"
    if code == "en":
        return "en"
    return None
