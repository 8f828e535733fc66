"""Is a word correctly spelt German or English? A veto for typo correction.

Without it, a real word the knowledge never uses ("Wetter") would be
"corrected" to a knowledge word one letter away ("weiter") and the
question would look on-topic. The word list comes from pyspellchecker's
German and English frequency dictionaries; the package ships only sorted
32-bit hashes of the folded words (``data/wordlist.u32``, built by
``scripts/build_wordlist.py``), which load in milliseconds. A hash
collision can only make an unknown word look real (1 in ~10,000).
"""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np

_RESOURCE = "data/wordlist.u32"


def word_hash(word: str) -> int:
    """A stable 32-bit hash of an already folded word."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")


class WordList:
    def __init__(self) -> None:
        self._hashes: np.ndarray | None = None

    def _load(self) -> np.ndarray:
        if self._hashes is None:
            raw = resources.files("bot.nlp").joinpath(_RESOURCE).read_bytes()
            self._hashes = np.frombuffer(raw, dtype="<u4")
        return self._hashes

    def __len__(self) -> int:
        return len(self._load())

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        hashes = self._load()
        h = word_hash(word)
        i = int(np.searchsorted(hashes, h))
        return i < len(hashes) and int(hashes[i]) == h


WORDS = WordList()
