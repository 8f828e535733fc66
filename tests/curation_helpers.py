"""What the curation tests share: a clock for the store, contexts, rows, the CLI in-process.

The fixtures (``faq``, ``run_cli`` and the autouse ``no_leftover_sink``) are defined
once, here, and visible in the test modules that import them
(``from tests.curation_helpers import faq as faq``).
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.domain.models import AskContext, Outcome, Reply
from bot.engine.engine import Engine
from bot.knowledge import Knowledge

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TG = "telegram"
DC = "discord"


class Clock:
    """The store's clock, set by the test: rows get exactly the times we count with."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def ctx(platform: str, user: str, chat: str | None = None) -> AskContext:
    return AskContext(platform=platform, chat_id=chat or f"chat-{user}", user_id=user)


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def faq(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., tuple[int, str]]:
    """``python -m bot ...`` in this process, on DATABASE_PATH=tmp_path/bot.sqlite3."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)
    monkeypatch.delenv("DEFAULT_LANGUAGE", raising=False)

    def run(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main(list(args), out)
        return code, out.getvalue()

    return run


def reply(question: str, outcome: Outcome, intent: str | None = None) -> Reply:
    return Reply(question=question, language="de", outcome=outcome, text="-", intent=intent)


@pytest.fixture(autouse=True)
def no_leftover_sink(faq: Engine) -> Iterator[None]:
    """The module's engine logs to no store once a test is over, pass or fail."""
    try:
        yield
    finally:
        faq.sink = None
