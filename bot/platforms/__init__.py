"""The chat platforms: each translates its events into chat requests and renders responses.

Importing this package or a platform's pure modules (texts, limits, formatting) never
loads discord.py or python-telegram-bot; only the adapters do.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.models import Reply


def answer_checks() -> list[Callable[[Reply], str | None]]:
    """Each platform's verdict on whether an answer fits one of its messages, for ``check``.

    The renderers' pure modules answer (their limits are defined there, once); neither
    loads discord.py or python-telegram-bot.
    """
    from bot.platforms.discord.format import overflow as discord_fits
    from bot.platforms.telegram.render import overflow as telegram_fits

    return [telegram_fits, discord_fits]
