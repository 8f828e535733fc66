"""Discord's limits on a message (content, embeds, components), refused as Discord does.

The REST routes check every message the bot sends or edits with :func:`check_message`; what
breaks a limit is answered 400 Invalid Form Body, as Discord answers it.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.discord.ids import MAX_CONTENT

_EMBED_LIMITS = {"title": 256, "description": 4096}


class InvalidForm(Exception):
    """What Discord answers 400 Invalid Form Body for."""


def check_message(body: dict[str, Any]) -> None:
    content = body.get("content")
    if content is not None and len(content) > MAX_CONTENT:
        raise InvalidForm(f"content: must be {MAX_CONTENT} or fewer in length")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise InvalidForm("embeds: at most 10")
    total = 0
    for embed in embeds:
        for key, limit in _EMBED_LIMITS.items():
            if len(embed.get(key) or "") > limit:
                raise InvalidForm(f"embeds.{key}: must be {limit} or fewer in length")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise InvalidForm("embeds.fields: at most 25")
        for f in fields:
            if not f.get("name") or not f.get("value"):
                raise InvalidForm("embeds.fields: name and value are required")
            if len(f["name"]) > 256 or len(f["value"]) > 1024:
                raise InvalidForm("embeds.fields: too long")
        footer = (embed.get("footer") or {}).get("text") or ""
        if len(footer) > 2048:
            raise InvalidForm("embeds.footer.text: too long")
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in fields) + len(footer)
    if total > 6000:
        raise InvalidForm("embeds: more than 6000 characters in total")
    rows = body.get("components") or []
    if len(rows) > 5:
        raise InvalidForm("components: at most 5 rows")
    for row in rows:
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            raise InvalidForm("components: rows hold 1 to 5 items")
        for button in buttons:
            if len(button.get("label") or "") > 80 or len(button.get("custom_id") or "") > 100:
                raise InvalidForm("components: label or custom_id too long")
    if content in (None, "") and not embeds and not rows and "flags" not in body:
        raise InvalidForm("Cannot send an empty message")
