"""Buttons: how they are sent, how clicks come back, and how they expire.

Clicks are handled by one :class:`discord.ui.DynamicItem` registered on the
client, which hands the ``custom_id`` to the chat service as it is (the service
parses and validates it). So a click works the same on a message sent a minute
ago and on one sent before a restart.

The views sent with answers only carry the buttons; they are never stored or
timed by discord.py (see :mod:`.expiry` for why and what disables them).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.platforms.discord.render import ButtonSpec, Style

ClickHandler = Callable[[discord.Interaction[discord.Client], str], Awaitable[None]]

# Anything in our prefixes: malformed payloads still reach the handler, which
# answers "no longer available" instead of leaving the click unanswered.
TEMPLATE = re.compile(r"(?:fb|pick|topic):.{1,96}", re.DOTALL)

_STYLES = {
    Style.PRIMARY: discord.ButtonStyle.primary,
    Style.SECONDARY: discord.ButtonStyle.secondary,
}


def click_item(on_click: ClickHandler) -> type[discord.ui.DynamicItem[discord.ui.Button[Any]]]:
    """The dynamic item class that routes every click on our buttons to ``on_click``."""

    class FaqButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
        @classmethod
        async def from_custom_id(
            cls,
            interaction: discord.Interaction[discord.Client],
            item: discord.ui.Item[Any],
            match: re.Match[str],
            /,
        ) -> FaqButton:
            button = item if isinstance(item, discord.ui.Button) else discord.ui.Button()
            return cls(button)

        async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
            await on_click(interaction, self.custom_id)

    return FaqButton


def button_view(buttons: Sequence[ButtonSpec], *, disabled: bool = False) -> discord.ui.View:
    """A view that only carries ``buttons`` into a message payload.

    It is stopped at once, so discord.py neither keeps it in its view store nor
    runs a timer for it: clicks go to the dynamic item, and
    :class:`~bot.platforms.discord.expiry.ButtonExpiry` greys the buttons out later.
    """
    view = discord.ui.View(timeout=None)
    for spec in buttons:
        view.add_item(
            discord.ui.Button(
                label=spec.label or None,
                emoji=spec.emoji,
                custom_id=spec.custom_id,
                style=_STYLES[spec.style],
                row=spec.row,
                disabled=disabled,
            )
        )
    view.stop()
    return view
