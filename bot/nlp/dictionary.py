"""Is a word correctly spelt German or English? A veto for typo correction.

Without it, a real word the knowledge never uses ("Wetter") would be
"corrected" to a knowledge word one letter away ("weiter") and the
question would look on-topic. The word lists are pyspellchecker's
frequency dictionaries; only 64-bit hashes are kept (a few MB), loaded
on first use.
"""

from __future__ import annotations

import gzip
import json
import threading
from array import array
from bisect import bisect_left
from importlib import resources

from bot.nlp.text import fold

_LANGUAGES = ("de", "en")


class WordList:
    def __init__(self, languages: tuple[str, ...] = _LANGUAGES) -> None:
        self._languages = languages
        self._hashes: array[int] | None = None
        self._lock = threading.Lock()

    def _load(self) -> array[int]:
        with self._lock:
            if self._hashes is None:
                hashes: set[int] = set()
                for lang in self._languages:
                    resource = resources.files("spellchecker").joinpath(f"resources/{lang}.json.gz")
                    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
                        for word in json.load(fh):
                            if len(word) >= 3:
                                hashes.add(hash(fold(word)))
                self._hashes = array("q", sorted(hashes))
            return self._hashes

    def warm(self) -> None:
        """Load now (e.g. in a thread at start-up) instead of on the first typo."""
        self._load()

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        hashes = self._load()
        h = hash(word)
        i = bisect_left(hashes, h)
        return i < len(hashes) and hashes[i] == h


WORDS = WordList()
