"""Missed-question groups as draft intents in the knowledge file format (``misses --export``).

The file is one topic, ``drafts``, that loads and passes ``check`` when copied
into ``knowledge/topics/`` (so a curator can try it at once), yet is plainly
unfinished: titles in the other language and every answer say TODO, and
``check`` warns about each until a curator has written them. Nothing is
invented: where a group has fewer phrasings than the schema asks for, its real
phrasings are repeated (and stand in for the other language), and the file
says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.curation.grouping import MissGroup
from bot.curation.proposals import ProposedExample
from bot.domain.models import LANGUAGES, Language
from bot.engine.engine import Engine, EngineOptions
from bot.engine.lint import DRAFT_MARK, index_of, lint
from bot.engine.matcher import QUESTION_CONCEPTS, Matcher
from bot.knowledge import Knowledge
from bot.knowledge.schema import Examples, TopicFile
from bot.nlp.text import fold
from bot.platforms import answer_checks

DRAFT_TOPIC = "drafts"
MAX_EXAMPLES = 30
VALIDATION_ROUNDS = 3
_DRAFT_ID = re.compile(rf"\b{DRAFT_TOPIC}\.[a-z0-9_]+")


def _minimum(lang: Language) -> int:
    """The schema's minimum number of examples in ``lang`` (6 German, 3 English)."""
    for rule in Examples.model_fields[lang].metadata:
        if hasattr(rule, "min_length"):
            return int(rule.min_length)
    return 1


@dataclass(frozen=True)
class Export:
    text: str  # the YAML file; empty when nothing could be exported
    drafts: tuple[str, ...]  # the draft intent ids written
    left_out: tuple[tuple[MissGroup, str], ...]  # groups not exported, and why


def slug(text: str, taken: set[str]) -> str:
    """A valid, unused intent name from a question: ``drafts.<slug>``."""
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split()
    name = ""
    for word in words:
        if len(name) + len(word) + 1 > 40:
            break
        name = f"{name}_{word}" if name else word
    if not name or not name[0].isalpha():
        name = f"q_{name}" if name else "question"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _comment(text: str, limit: int = 80) -> str:
    """Text safe inside a YAML comment: one line, printable characters only."""
    flat = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Keys:
    """The example keys ``check`` compares (matcher tokens), to avoid duplicates up front."""

    def __init__(self, knowledge: Knowledge, matcher: Matcher) -> None:
        self.matcher = matcher
        self.taken = {
            self.key(example, lang)
            for intent in knowledge.intents.values()
            if knowledge.intent_topic[intent.id] != DRAFT_TOPIC
            for lang in LANGUAGES
            for example in getattr(intent.examples, lang)
        }

    def key(self, text: str, lang: Language) -> str:
        return " ".join(self.matcher.tokens(text, lang))

    def usable(self, texts: Iterable[str], lang: Language) -> list[str]:
        """Phrasings with a content word that no other intent already has as an example."""
        found = []
        for text in texts:
            tokens = self.matcher.tokens(text, lang)
            key = " ".join(tokens)
            if key not in self.taken and any(t not in QUESTION_CONCEPTS for t in tokens):
                found.append(text)
        return found

    def claim(self, texts: Iterable[str], lang: Language) -> None:
        self.taken.update(self.key(text, lang) for text in texts)


def _padded(texts: Sequence[str], lang: Language) -> list[str]:
    count = min(max(_minimum(lang), len(texts)), MAX_EXAMPLES)
    return [texts[n % len(texts)] for n in range(count)]


def _intent(
    group: MissGroup,
    name: str,
    titles: dict[Language, str],
    examples: dict[Language, list[str]],
    knowledge: Knowledge,
) -> dict[str, Any]:
    question = group.question
    closest = knowledge.intents.get(group.closest or "")
    sources = list(closest.sources) if closest else [next(iter(knowledge.sources))]
    asked = {"de": f"„{question}“ ({group.count}×)", "en": f'"{question}" ({group.count}x)'}
    return {
        "id": f"{DRAFT_TOPIC}.{name}",
        "title": {lang: titles[lang] for lang in LANGUAGES},
        "examples": {lang: examples[lang] for lang in LANGUAGES},
        "answer": {
            "de": f"{DRAFT_MARK}: Antwort in eigenen Worten aus den Quellen schreiben. "
            f"Gefragt wurde {asked['de']}.",
            "en": f"{DRAFT_MARK}: write the answer in our own words from the sources. "
            f"Asked: {asked['en']}.",
        },
        "sources": sources,
    }


def _topic() -> dict[str, Any]:
    return {
        "id": DRAFT_TOPIC,
        "title": {"de": "Entwürfe aus verpassten Fragen", "en": "Drafts from missed questions"},
        "summary": {
            "de": f"{DRAFT_MARK}: Entwürfe, vor dem Einsatz in echte Themen verschieben.",
            "en": f"{DRAFT_MARK}: drafts, move into real topics before serving.",
        },
    }


def _with_drafts(knowledge: Knowledge, drafts: TopicFile) -> Knowledge:
    """The knowledge as ``check`` would see it with the drafts file beside the topics."""
    path = knowledge.directory / "topics" / f"{DRAFT_TOPIC}.yaml"
    kept = [i for i in knowledge.intents if knowledge.intent_topic[i] != DRAFT_TOPIC]
    intents = {i: knowledge.intents[i] for i in kept}
    intent_topic = {i: knowledge.intent_topic[i] for i in kept}
    intent_file = {i: knowledge.intent_file[i] for i in kept}
    for intent in drafts.intents:
        intents[intent.id] = intent
        intent_topic[intent.id] = DRAFT_TOPIC
        intent_file[intent.id] = path
    topics = {k: v for k, v in knowledge.topics.items() if k != DRAFT_TOPIC}
    topics[DRAFT_TOPIC] = drafts.topic
    return dataclasses.replace(
        knowledge,
        topics=topics,
        intents=intents,
        intent_topic=intent_topic,
        intent_file=intent_file,
    )


def _blocking(knowledge: Knowledge, drafts: TopicFile, options: EngineOptions) -> dict[str, str]:
    """Draft ids that ``check`` would report an error for, with the first such error."""
    ids = {intent.id for intent in drafts.intents}
    found: dict[str, str] = {}
    index = index_of(_with_drafts(knowledge, drafts), options)
    for finding in lint(index, checks=answer_checks()):
        if finding.level != "error":
            continue
        for draft in set(_DRAFT_ID.findall(str(finding))) & ids:
            found.setdefault(draft, f"{finding.where}: {finding.text}")
    return found


def export_drafts(
    engine: Engine,
    groups: Sequence[MissGroup],
    proposals: Sequence[ProposedExample] = (),
    *,
    days: int,
    today: dt.date | None = None,
) -> Export:
    """The drafts file for ``groups`` (and the picks as comments), checked like ``check`` does."""
    knowledge = engine.knowledge
    keys = _Keys(knowledge, engine.matcher)
    names: set[str] = set()
    left_out: list[tuple[MissGroup, str]] = []
    drafted: list[tuple[MissGroup, dict[str, Any]]] = []
    for group in groups:
        if group.answered_now:
            left_out.append((group, f"now answered by {group.closest}"))
            continue
        texts = [p.text for p in group.phrasings]
        written = {t: engine.detect_language(t, group.language) for t in texts}
        examples: dict[Language, list[str]] = {}
        titles: dict[Language, str] = {}
        for lang in LANGUAGES:
            # Each language's own phrasings; the others stand in only where it has none.
            own = keys.usable([t for t in texts if written[t] == lang], lang)
            examples[lang] = own or keys.usable(texts, lang)
            titles[lang] = own[0] if own else f"{DRAFT_MARK}: {group.question}"
        if not all(examples.values()):
            left_out.append((group, "no phrasing the matcher could learn from"))
            continue
        for lang in LANGUAGES:
            keys.claim(examples[lang], lang)
        padded = {lang: _padded(examples[lang], lang) for lang in LANGUAGES}
        name = slug(group.question, names)
        drafted.append((group, _intent(group, name, titles, padded, knowledge)))

    for _ in range(VALIDATION_ROUNDS):
        if not drafted:
            break
        parsed = TopicFile.model_validate(
            {"topic": _topic(), "intents": [data for _, data in drafted]}
        )
        blocking = _blocking(knowledge, parsed, engine.options)
        if not blocking:
            break
        left_out += [(g, f"check: {blocking[d['id']]}") for g, d in drafted if d["id"] in blocking]
        drafted = [(g, d) for g, d in drafted if d["id"] not in blocking]
    else:
        left_out += [(g, "check kept finding errors") for g, _ in drafted]
        drafted = []

    if not drafted:
        return Export("", (), tuple(left_out))
    text = _render(drafted, proposals, days, today or dt.date.today())
    return Export(text, tuple(d["id"] for _, d in drafted), tuple(left_out))


_HEADER = """\
# Draft intents from missed questions of the {days} days up to {today}
# (python -m bot misses --export). Not ready to serve. For each intent:
# - write the answer in our own words from the sources, with every fact exact,
#   and fix the sources (copied from the closest intent, or the first source);
# - write the TODO title, and replace repeated or untranslated examples: where a
#   group had fewer phrasings than the schema needs ({de} German, {en} English),
#   its real phrasings are repeated and stand in for the other language;
# - move it into its real topic file with a new id (topic.name).
# `python -m bot check` accepts this file, and warns while anything says TODO.
"""


def _render(
    drafted: Sequence[tuple[MissGroup, dict[str, Any]]],
    proposals: Sequence[ProposedExample],
    days: int,
    today: dt.date,
) -> str:
    def dump(value: Any) -> str:
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100)

    parts = [
        _HEADER.format(days=days, today=today.isoformat(), de=_minimum("de"), en=_minimum("en")),
        dump({"topic": _topic()}),
        "intents:\n",
    ]
    for group, data in drafted:
        closest = (
            f"closest intent {group.closest} ({group.closest_score:.0f})"
            if group.closest
            else "no close intent"
        )
        parts.append(
            f"  # {group.count}x ({group.fallbacks} fallback, {group.close_calls} close call), "
            f"{group.first_asked[:10]} to {group.last_asked[:10]}; {closest}\n"
        )
        parts.append("".join(f"  {line}\n" for line in dump([data]).splitlines()))
    if proposals:
        parts.append(
            '\n# Proposed example phrasings from "did you mean" picks (review; they are\n'
            "# not in any intent above and were not added anywhere):\n"
        )
        for p in proposals:
            parts.append(f"#   {p.intent}: {_comment(p.question)} ({p.count}x)\n")
    return "".join(parts)


def write_export(export: Export, path: Path) -> None:
    """Write the drafts file; refuses to replace an existing file (it may hold edits)."""
    with path.open("x", encoding="utf-8") as handle:
        handle.write(export.text)
