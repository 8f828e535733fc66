"""Knowledge reload without a restart (SIGHUP, /reload): load, check, then swap or keep.

Loading, indexing and the linter take a few seconds, so they run in a worker
thread while the bot goes on answering from the knowledge in service; only the
swap itself happens on the event loop. Anything ``check`` would call an error
keeps the old knowledge in service, and the result says why.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.engine.engine import Engine, KnowledgeIndex
from bot.engine.lint import AnswerCheck, lint
from bot.errors import KnowledgeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    version: str  # the knowledge in service after the attempt
    previous: str
    topics: int
    intents: int
    warnings: int = 0
    problems: tuple[str, ...] = ()  # why the new knowledge was refused


def _prepare(
    engine: Engine, directory: Path | None, checks: Sequence[AnswerCheck]
) -> tuple[KnowledgeIndex, list[str], int]:
    index = engine.prepare(directory)
    findings = lint(index, checks=checks)
    errors = [str(f) for f in findings if f.level == "error"]
    return index, errors, len(findings) - len(errors)


_LOCKS: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


async def reload_knowledge(
    engine: Engine, directory: Path | None = None, checks: Sequence[AnswerCheck] = ()
) -> ReloadResult:
    """Load and check the knowledge folder anew; serve it only if it has no errors.

    ``checks``: the platforms' answer checks, so the bar is ``check``'s. One reload at a
    time per engine: repeated /reload commands or signals queue up instead of indexing
    in parallel.
    """
    lock = _LOCKS.setdefault(engine, asyncio.Lock())
    async with lock:
        return await _reload(engine, directory, checks)


async def _reload(
    engine: Engine, directory: Path | None, checks: Sequence[AnswerCheck]
) -> ReloadResult:
    before = engine.knowledge
    problems: list[str]
    try:
        index, problems, warnings = await asyncio.to_thread(_prepare, engine, directory, checks)
    except KnowledgeError as exc:
        problems, warnings = list(exc.problems), 0
    except Exception as exc:  # unreadable folder, a bug: still keep serving the old one
        log.exception("knowledge reload crashed")
        problems, warnings = [f"{type(exc).__name__}: {exc}"], 0
    if problems:
        log.error(
            "knowledge reload refused, still serving version %s:\n%s",
            before.version,
            "\n".join(f"  {p}" for p in problems),
        )
        return ReloadResult(
            ok=False,
            version=before.version,
            previous=before.version,
            topics=len(before.topics),
            intents=len(before.intents),
            problems=tuple(problems),
        )
    engine.use(index)
    now = index.knowledge
    log.info(
        "knowledge reloaded: version %s (was %s), %d topics, %d intents, %d warnings",
        now.version,
        before.version,
        len(now.topics),
        len(now.intents),
        warnings,
    )
    return ReloadResult(
        ok=True,
        version=now.version,
        previous=before.version,
        topics=len(now.topics),
        intents=len(now.intents),
        warnings=warnings,
    )
