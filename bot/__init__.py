"""DeepSeek FAQ bot: a curated, sourced FAQ engine with thin Discord and Telegram adapters."""

__version__ = "0.1.0"
