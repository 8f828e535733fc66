"""Load the knowledge folder and validate it, failing with messages a curator can act on.

Layout: ``sources.yaml``, ``synonyms.yaml`` (optional) and ``topics/*.yaml``.
Every problem names the file, the entry (intent or source id) and the field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import KnowledgeError
from bot.knowledge.schema import (
    Intent,
    SmalltalkFile,
    Source,
    SourcesFile,
    SynonymsFile,
    Topic,
    TopicFile,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Knowledge:
    directory: Path
    sources: dict[str, Source]
    topics: dict[str, Topic]
    intents: dict[str, Intent]
    intent_topic: dict[str, str]
    intent_file: dict[str, Path]
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    required: tuple[str, ...] = ()  # concepts an answer must share with the question
    contrasts: tuple[tuple[str, str], ...] = ()  # (outside, china): see synonyms.yaml
    version: str = ""
    smalltalk: SmalltalkFile | None = None

    def topic_intents(self, topic_id: str) -> list[Intent]:
        return [i for i in self.intents.values() if self.intent_topic[i.id] == topic_id]


def default_knowledge_dir() -> Path:
    """The shipped knowledge: inside the installed package, or the repository's folder."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_knowledge"
    if installed.is_dir():
        return installed
    return package.parent / "knowledge"


_UNREADABLE = object()
# libyaml when PyYAML was built with it (the wheels are): the knowledge parses 5x faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, problems: list[str]) -> Any:
    """The parsed file, or _UNREADABLE after recording why it could not be read."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problems.append(f"{path}:{where}: not valid YAML: {getattr(exc, 'problem', exc)}")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read: {exc}")
    return _UNREADABLE


def _entry_name(raw: Any, loc: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """Turn ('intents', 3, 'answer', 'de') into ("intent 'x.y'", ('answer', 'de'))."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw, dict):
        items = raw.get(loc[0])
        kind = {"intents": "intent", "sources": "source"}.get(str(loc[0]), str(loc[0]))
        ident = None
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            ident = items[loc[1]].get("id")
        label = f"{kind} {ident!r}" if ident else f"{kind} #{loc[1] + 1}"
        return label, loc[2:]
    if loc:
        return str(loc[0]), loc[1:]
    return "file", ()


def _validate(model: type[M], raw: Any, path: Path, problems: list[str]) -> M | None:
    if raw is _UNREADABLE:
        return None
    if raw is None:
        problems.append(f"{path}: file: the file is empty")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            entry, rest = _entry_name(raw, tuple(err["loc"]))
            fieldname = ".".join(str(p) for p in rest) or "-"
            problems.append(f"{path}: {entry}: field {fieldname}: {err['msg']}")
    return None


def load_knowledge(directory: Path | str | None = None) -> Knowledge:
    """Load and validate; raises KnowledgeError listing every problem found."""
    root = Path(directory) if directory is not None else default_knowledge_dir()
    problems: list[str] = []
    if not root.is_dir():
        raise KnowledgeError([f"{root}: knowledge folder not found"])
    digest = hashlib.sha256()

    sources: dict[str, Source] = {}
    sources_path = root / "sources.yaml"
    if not sources_path.is_file():
        problems.append(f"{sources_path}: missing (every answer must cite a source)")
    else:
        digest.update(sources_path.read_bytes())
        parsed = _validate(SourcesFile, _read_yaml(sources_path, problems), sources_path, problems)
        for src in parsed.sources if parsed else []:
            if src.id in sources:
                problems.append(f"{sources_path}: source {src.id!r}: field id: duplicate id")
            sources[src.id] = src

    synonyms: dict[str, list[str]] = {}
    required: tuple[str, ...] = ()
    contrasts: tuple[tuple[str, str], ...] = ()
    synonyms_path = root / "synonyms.yaml"
    if synonyms_path.is_file():
        digest.update(synonyms_path.read_bytes())
        syn = _validate(SynonymsFile, _read_yaml(synonyms_path, problems), synonyms_path, problems)
        if syn:
            synonyms = {k: list(v) for k, v in syn.groups.items()}
            required = tuple(syn.required)
            contrasts = tuple(syn.contrasts.items())

    smalltalk: SmalltalkFile | None = None
    smalltalk_path = root / "smalltalk.yaml"
    if smalltalk_path.is_file():
        digest.update(smalltalk_path.read_bytes())
        raw = _read_yaml(smalltalk_path, problems)
        smalltalk = _validate(SmalltalkFile, raw, smalltalk_path, problems)

    topics: dict[str, Topic] = {}
    intents: dict[str, Intent] = {}
    intent_topic: dict[str, str] = {}
    intent_file: dict[str, Path] = {}
    topic_files = sorted((root / "topics").glob("*.yaml"))
    if not topic_files:
        problems.append(f"{root / 'topics'}: no topic files (*.yaml)")
    for path in topic_files:
        digest.update(path.name.encode() + path.read_bytes())
        parsed_topic = _validate(TopicFile, _read_yaml(path, problems), path, problems)
        if parsed_topic is None:
            continue
        topic = parsed_topic.topic
        if topic.id in topics:
            problems.append(f"{path}: topic {topic.id!r}: field id: defined twice")
        topics[topic.id] = topic
        for intent in parsed_topic.intents:
            label = f"{path}: intent {intent.id!r}"
            if intent.id in intents:
                problems.append(f"{label}: field id: also defined in {intent_file[intent.id]}")
            if intent.id.split(".", 1)[0] != topic.id:
                problems.append(f"{label}: field id: must start with the topic id '{topic.id}.'")
            for cited in intent.sources:
                if sources and cited not in sources:
                    problems.append(f"{label}: field sources: unknown source {cited!r}")
            intents[intent.id] = intent
            intent_topic[intent.id] = topic.id
            intent_file[intent.id] = path
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        directory=root,
        sources=sources,
        topics=topics,
        intents=intents,
        intent_topic=intent_topic,
        intent_file=intent_file,
        synonyms=synonyms,
        required=required,
        contrasts=contrasts,
        version=digest.hexdigest()[:12],
        smalltalk=smalltalk,
    )
