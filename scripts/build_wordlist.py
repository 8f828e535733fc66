"""Build bot/nlp/data/wordlist.u32 from pyspellchecker's German and English word lists.

Run after changing the normalisation in bot/nlp/text.py (the hashes are of
folded words):  python scripts/build_wordlist.py   (needs: pip install pyspellchecker)
"""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

import numpy as np

from bot.nlp.dictionary import word_hash
from bot.nlp.text import fold

TARGET = Path(__file__).resolve().parent.parent / "bot" / "nlp" / "data" / "wordlist.u32"


def main() -> None:
    hashes: set[int] = set()
    for lang in ("de", "en"):
        resource = resources.files("spellchecker").joinpath(f"resources/{lang}.json.gz")
        with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            for word in json.load(fh):
                if len(word) >= 3:
                    hashes.add(word_hash(fold(word)))
    array = np.array(sorted(hashes), dtype="<u4")
    TARGET.write_bytes(array.tobytes())
    print(f"{len(array):,} words -> {TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
