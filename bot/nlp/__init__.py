"""Language handling: text clean-up, tokens, stems, synonyms and language detection."""
