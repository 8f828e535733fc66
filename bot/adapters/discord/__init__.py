"""Discord adapter (discord.py 2.x): slash commands, mentions, DMs, buttons.

Thin: gateway events and interactions become engine and store calls, engine
replies become embeds. See docs/discord.md for setting the bot up.
"""

from bot.adapters.discord.adapter import DiscordAdapter, DiscordStartError, sync_commands

__all__ = ["DiscordAdapter", "DiscordStartError", "sync_commands"]
