"""Chat platform adapters: translate platform events to engine calls and back, nothing more."""
