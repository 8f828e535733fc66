"""Platform-neutral values every part shares: languages, replies, stats, button payloads, texts."""
