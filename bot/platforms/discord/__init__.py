"""Discord (discord.py 2.x): slash commands, mentions, DMs and buttons as chat requests.

The adapter lives in :mod:`.adapter`; importing this package loads nothing from discord.
See docs/discord.md for setting the bot up.
"""
