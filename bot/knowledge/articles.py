"""The article texts the knowledge quotes, found beside it for ``check --articles DIR``.

Which file holds which source is data: a source's ``file`` in ``sources.yaml`` names its
file inside DIR; a source without one is the single file in DIR that contains its
``url``. The texts are read for checking only; they are never part of the package.

Passages and articles are compared after :func:`normalize`, which evens out exactly two
things a copy from a web page changes: whitespace (runs of spaces, line breaks, no-break
spaces) and quotation marks („“”‚‘’«»‹›" and the apostrophes). Dashes, hyphens, case and
everything else must be as published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.schema import Source
from bot.nlp.sentences import sentences

ARTICLE_SUFFIXES = (".txt", ".md")
# Every quotation mark and apostrophe, single or double, typographic or typed.
QUOTE_MARKS = "\"'`´„“”‟‚‘’‛«»‹›″′"
QUOTE = '"'
_QUOTES = str.maketrans(dict.fromkeys(QUOTE_MARKS, QUOTE))
_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """``text`` with every whitespace run as one space (none at the ends) and every
    quotation mark or apostrophe as '"'; nothing else changes."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTES)).strip()


@dataclass(frozen=True)
class Article:
    path: Path
    text: str  # as read
    flat: str  # normalize(text)
    source: str | None = None  # the source id it belongs to, if any

    @property
    def name(self) -> str:
        return self.path.name

    def label(self) -> str:
        return f"{self.source} ({self.name})" if self.source else self.name


@dataclass(frozen=True)
class Articles:
    """The article texts of one folder, and which source each belongs to."""

    directory: Path
    by_source: dict[str, Article]
    unclaimed: list[Article]  # files no source names
    missing: dict[str, str]  # source id -> why it has no article text

    def all(self) -> list[Article]:
        return [*self.by_source.values(), *self.unclaimed]

    def corpus(self) -> str:
        """Every article's normalised text, one a line."""
        return "\n".join(a.flat for a in self.all())


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def load_articles(directory: Path, sources: Mapping[str, Source]) -> Articles:
    """The articles in ``directory`` (``*.txt``, ``*.md``) mapped to ``sources``.

    Raises OSError or UnicodeDecodeError when the folder or a file cannot be read.
    """
    files = sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
    )
    texts = {p.name: _read(p) for p in files}
    by_source: dict[str, Article] = {}
    missing: dict[str, str] = {}
    claimed: set[str] = set()
    for source in sources.values():
        name, why = _file_of(source, directory, texts)
        if name is None:
            missing[source.id] = why
            continue
        text = texts[name] if name in texts else _read(directory / name)
        by_source[source.id] = Article(directory / name, text, normalize(text), source.id)
        claimed.add(name)
    unclaimed = [
        Article(directory / name, text, normalize(text))
        for name, text in texts.items()
        if name not in claimed
    ]
    return Articles(directory, by_source, unclaimed, missing)


def _file_of(source: Source, directory: Path, texts: Mapping[str, str]) -> tuple[str | None, str]:
    """The file name of ``source``'s article in ``directory``, or None and why not."""
    if source.file:
        if (directory / source.file).is_file():
            return source.file, ""
        return None, f"its file {source.file!r} (sources.yaml) is not in {directory}"
    if source.url:
        holding = [name for name, text in texts.items() if source.url in text]
        if len(holding) == 1:
            return holding[0], ""
        if len(holding) > 1:
            listed = ", ".join(holding)
            return None, f"its url is in {len(holding)} files ({listed}): give it a file"
    return None, f"it has no file in sources.yaml (and no file in {directory} holds its url)"


def occurrences(needle: str, haystack: str) -> Iterable[int]:
    """Start of every occurrence of ``needle`` in ``haystack``."""
    at = haystack.find(needle)
    while at >= 0 and needle:
        yield at
        at = haystack.find(needle, at + 1)


_BULLET = re.compile(r"^\s*[-–•*·]\s+")


def article_sentences(text: str) -> list[str]:
    """The sentences of an article: each line (a paragraph, heading or list item, its
    bullet dropped) split by :func:`bot.nlp.sentences.sentences`, so a heading without a
    full stop never runs into the paragraph below it."""
    found: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if line:
            found.extend(sentences(line))
    return found
