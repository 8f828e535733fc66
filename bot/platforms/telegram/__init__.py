"""Telegram (python-telegram-bot v22): updates in as chat requests, responses out as HTML.

The adapter lives in :mod:`.adapter`; importing this package loads nothing from telegram.
"""
