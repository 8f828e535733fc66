"""Telegram adapter (python-telegram-bot v22): updates in, engine calls, HTML messages out."""

from bot.adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
