"""Names of people, organisations, countries and places, with their German and English spellings.

``knowledge/entities.yaml`` is curated data: each entity lists how the answers and the
articles write it ("Italien", "Italy", "italienisch*"). The answer naming any spelling of
an entity needs a passage naming any spelling of it. A spelling matches whole words;
multi-word spellings match word by word ("Liang Wenfeng", "Zhejiang-Universität"); the
last word may take a genitive or plural "s" ("Chinas", "Nvidia's"); a word ending in
``*`` takes any ending ("chinesisch*": chinesische, chinesischen). A spelling written in
lower case also matches with a capital first letter (at the start of a sentence), one with
capitals matches only as written ("US", never "us"). The longest spelling wins, so
"MIT Technology Review" is not also "MIT".

``not_names`` lists capitalised words that look like names in an English answer but are
not (see :mod:`bot.knowledge.claims`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.knowledge.loader import _read_yaml, _validate

ENTITIES_FILE = "entities.yaml"
Kind = Literal["person", "organisation", "country", "region", "place", "product", "month"]
Spelling = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
WORD = re.compile(r"[^\W_]+")
_SPELLING_WORD = re.compile(r"[^\W_]+\*?")
# What may stand between the words of one name: a space, a hyphen, an initial's full stop.
_GAP = re.compile(r"[\s\-.\u00a0]{1,3}")


class Entity(BaseModel):
    """One named thing and its spellings (``de``, ``en``: both are matched in every text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    de: list[Spelling] = Field(default_factory=list)
    en: list[Spelling] = Field(default_factory=list)

    @model_validator(mode="after")
    def _named(self) -> Entity:
        if not self.de and not self.en:
            raise ValueError("give at least one spelling (de or en)")
        return self

    @property
    def name(self) -> str:
        return (self.en or self.de)[0].replace("*", "")

    def spellings(self) -> list[str]:
        return [*self.de, *self.en]


class EntitiesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entities: list[Entity] = Field(default_factory=list)
    not_names: list[Spelling] = Field(default_factory=list)


@dataclass(frozen=True)
class Mention:
    entity: Entity
    written: str  # as the text has it
    start: int
    end: int


def _word_matches(word: str, spelling: str, last: bool) -> bool:
    prefix = spelling.endswith("*")
    expected = spelling[:-1] if prefix else spelling
    if expected[:1].islower():
        word = word[:1].lower() + word[1:]
    if prefix:
        return word.startswith(expected)
    return word == expected or (last and word == expected + "s")


def _key(word: str) -> str:
    return word.rstrip("*")[:3].lower()


class Names:
    """Finds the curated entities in a text."""

    def __init__(self, entities: Sequence[Entity], not_names: Sequence[str] = ()) -> None:
        self.entities = list(entities)
        self.not_names = frozenset(not_names)
        # Spellings by the first (up to) three letters of their first word, lower-cased.
        self._spellings: dict[str, list[tuple[tuple[str, ...], Entity]]] = defaultdict(list)
        for entity in self.entities:
            for spelling in entity.spellings():
                words = tuple(_SPELLING_WORD.findall(spelling))
                if words:
                    self._spellings[_key(words[0])].append((words, entity))
        self._candidates: dict[str, list[tuple[tuple[str, ...], Entity]]] = {}

    def mentions(self, text: str) -> list[Mention]:
        """Every entity named in ``text``, longest spelling first, in order."""
        words = list(WORD.finditer(text))
        found: list[Mention] = []
        at = 0
        while at < len(words):
            hit = self._match(text, words, at)
            if hit is None:
                at += 1
                continue
            length, entity = hit
            start, end = words[at].start(), words[at + length - 1].end()
            found.append(Mention(entity, text[start:end], start, end))
            at += length
        return found

    def _starting(self, word: str) -> list[tuple[tuple[str, ...], Entity]]:
        """The spellings that may start at ``word``, longest first."""
        head = word[:3].lower()
        if head not in self._candidates:
            found = [c for n in (1, 2, 3) for c in self._spellings.get(head[:n], [])]
            self._candidates[head] = sorted(found, key=lambda item: -len(item[0]))
        return self._candidates[head]

    def _match(self, text: str, words: list[re.Match[str]], at: int) -> tuple[int, Entity] | None:
        for spelling, entity in self._starting(words[at].group()):
            n = len(spelling)
            if at + n > len(words):
                continue
            if all(
                _word_matches(words[at + i].group(), spelling[i], i == n - 1) for i in range(n)
            ) and all(
                _GAP.fullmatch(text[words[at + i].end() : words[at + i + 1].start()])
                for i in range(n - 1)
            ):
                return n, entity
        return None


def load_entities(directory: Path) -> tuple[Names, list[str]]:
    """The entities of the knowledge folder (none if it has no entities.yaml), and problems."""
    path = directory / ENTITIES_FILE
    problems: list[str] = []
    if not path.is_file():
        return Names([]), problems
    parsed = _validate(EntitiesFile, _read_yaml(path, problems), path, problems)
    if parsed is None:
        return Names([]), problems
    return Names(parsed.entities, parsed.not_names), problems
