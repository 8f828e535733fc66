"""Buttons: how they are sent, how clicks come back, and how they expire.

Clicks are handled by one :class:`discord.ui.DynamicItem` registered on the
client, which reads everything it needs from the ``custom_id`` (the shared
codec in :mod:`bot.adapters.callbacks`). So a click works the same on a message
sent a minute ago and on one sent before a restart.

The views sent with answers only carry the buttons and a timeout: when it
elapses, the message is edited so its buttons show as disabled. Their own
buttons do nothing on click (the dynamic item does the work).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.adapters import callbacks
from bot.adapters.discord.render import ButtonSpec, Style

log = logging.getLogger(__name__)

Action = callbacks.Feedback | callbacks.Pick | callbacks.TopicChoice | None
ClickHandler = Callable[[discord.Interaction[discord.Client], Action], Awaitable[None]]
Editor = Callable[[discord.ui.View], Awaitable[Any]]

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
            await on_click(interaction, callbacks.parse(self.custom_id))

    return FaqButton


class ExpiringView(discord.ui.View):
    """Buttons that turn disabled (by editing their message) after ``timeout`` seconds."""

    def __init__(self, buttons: Sequence[ButtonSpec], timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._editor: Editor | None = None
        for spec in buttons:
            self.add_item(
                discord.ui.Button(
                    label=spec.label or None,
                    emoji=spec.emoji,
                    custom_id=spec.custom_id,
                    style=_STYLES[spec.style],
                    row=spec.row,
                )
            )

    def bind(self, editor: Editor) -> None:
        """How to edit the message these buttons were sent with."""
        self._editor = editor

    def disable_all(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True

    async def on_timeout(self) -> None:
        self.disable_all()
        if self._editor is None:
            return
        try:
            await self._editor(self)
        except discord.HTTPException as exc:
            # Deleted message, expired token, missing access: the buttons just stay.
            log.info("could not disable expired buttons: %s %s", exc.status, exc.text[:200])
        except Exception:
            log.exception("could not disable expired buttons")
