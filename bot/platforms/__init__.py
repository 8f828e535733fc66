"""The chat platforms: each translates its events into chat requests and renders responses.

Importing this package or a platform's pure modules (texts, limits, formatting) never
loads discord.py or python-telegram-bot; only the adapters do.
"""
