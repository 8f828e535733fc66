"""The knowledge under curation: check and ask honour their settings, reload keeps the good.

``reload`` serves knowledge that loads and checks cleanly and keeps the last good one on
errors, off the event loop; the running ``python -m bot run`` reloads on SIGHUP (and
purges old rows right at start).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.chat.reports import reload_text
from bot.domain.models import Outcome
from bot.engine.engine import Engine
from bot.engine.reload import reload_knowledge
from bot.knowledge import load_knowledge
from bot.storage import Store
from tests.conftest import REPO, eventually
from tests.curation_helpers import NOW, TG, Clock, ctx, reply, rows

# The fixture (defined once in tests/curation_helpers.py), in this module for pytest.
from tests.curation_helpers import run_cli as run_cli
from tests.fakes.telegram import TOKEN, FakeTelegram, parse_html

# -- "Stand" and old sources ---------------------------------------------------------


def test_check_and_ask_use_the_settings(
    run_cli: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
    knowledge_copy: Path,
) -> None:
    bans = knowledge_copy / "topics" / "bans.yaml"
    bans.write_text(
        re.sub(r"reviewed: [0-9-]+", "reviewed: 2020-01-01", bans.read_text("utf-8")), "utf-8"
    )
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    for name in ("REVIEW_MAX_AGE_DAYS", "SOURCE_MAX_AGE_DAYS"):  # the new name and the old
        monkeypatch.setenv(name, "1")
        code, out = run_cli("check")
        assert code == 0 and "(REVIEW_MAX_AGE_DAYS=1): check its answers" in out, out
        monkeypatch.delenv(name)
    monkeypatch.delenv("KNOWLEDGE_DIR")
    code, out = run_cli("ask", "--lang", "en", "Was sagt Sam Altman zu DeepSeek?")
    assert code == 0 and out.rstrip().endswith("As of: 2025-01-29")  # its source is dated


# -- reload --------------------------------------------------------------------------

MARK = "Neu geladen und geprüft."


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def liang_answer_marked(data: dict[str, Any]) -> None:
    [liang] = [i for i in data["intents"] if i["id"] == "people.liang_wenfeng"]
    liang["answer"]["de"] += " " + MARK


async def test_reload_serves_good_knowledge_and_keeps_the_old_on_errors(
    knowledge_copy: Path,
) -> None:
    engine = Engine(load_knowledge(knowledge_copy))
    first = engine.knowledge.version
    edit(knowledge_copy / "topics" / "people.yaml", liang_answer_marked)

    # The loading and linting must run off the event loop: prove it by having the
    # worker wait for the loop to run a callback (on the loop itself this would hang).
    loop = asyncio.get_running_loop()
    real_prepare = engine.prepare
    loop_ran: list[bool] = []

    def prepare(directory: Path | None = None) -> Any:
        answered = threading.Event()
        loop.call_soon_threadsafe(answered.set)
        loop_ran.append(answered.wait(30))
        return real_prepare(directory)

    engine.prepare = prepare  # type: ignore[method-assign]
    result = await reload_knowledge(engine)
    assert result.ok and result.previous == first and result.version != first
    assert loop_ran == [True]  # the loop kept running: the work is off the loop
    assert MARK in engine.answer("Wer ist Liang Wenfeng?").text
    assert reload_text(result, "en").startswith(f"Knowledge reloaded: {result.topics} topics")
    good = result.version

    bans = knowledge_copy / "topics" / "bans.yaml"
    saved = bans.read_text(encoding="utf-8")
    bans.write_text(saved.replace("answer:", "antwort:", 1), encoding="utf-8")  # schema error
    result = await reload_knowledge(engine)
    assert not result.ok and result.version == good == engine.knowledge.version
    assert any("bans.yaml" in p and "antwort" in p for p in result.problems)
    assert MARK in engine.answer("Wer ist Liang Wenfeng?").text
    text = reload_text(result, "de")
    assert text.startswith("Das geänderte Wissen hat Fehler") and "bans.yaml" in text

    bans.write_text(saved, encoding="utf-8")
    borrowed = load_knowledge(knowledge_copy).intents["bans.italy"].examples.de[0]
    edit(
        knowledge_copy / "topics" / "people.yaml",
        lambda d: d["intents"][0]["examples"]["de"].append(borrowed),
    )
    result = await reload_knowledge(engine)  # loads fine, but check reports an error
    assert not result.ok and any("is an example of" in p for p in result.problems)
    assert engine.knowledge.version == good


# -- the running bot: SIGHUP and retention at start ----------------------------------


@pytest.fixture
async def telegram() -> Any:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def seed_old_and_new(db: Path) -> None:
    clock = Clock(NOW - dt.timedelta(days=40))
    store = await Store.open(db, clock=clock)
    try:
        store.record_question(ctx(TG, "1"), reply("vor 40 Tagen", Outcome.FALLBACK), 1.0)
        clock.now = NOW - dt.timedelta(days=2)
        store.record_question(ctx(TG, "1"), reply("vor 2 Tagen", Outcome.FALLBACK), 1.0)
    finally:
        await store.close()


async def test_sighup_reloads_the_running_bot_and_retention_runs_at_start(
    telegram: FakeTelegram, knowledge_copy: Path, tmp_path: Path
) -> None:
    db = tmp_path / "bot.sqlite3"
    await seed_old_and_new(db)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "DATABASE_PATH": str(db),
        "KNOWLEDGE_DIR": str(knowledge_copy),
        "RETENTION_DAYS": "30",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    log: list[str] = []

    async def read_log() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            log.append(line.decode(errors="replace"))

    reader = asyncio.create_task(read_log())

    async def logged(text: str, within: float = 20) -> None:
        deadline = time.monotonic() + within
        while not any(text in line for line in log):
            assert time.monotonic() < deadline, "".join(log)[-3000:]
            await asyncio.sleep(0.05)

    async def answer(question: str) -> str:
        before = len(telegram.sent())
        telegram.say(question)
        calls = await telegram.wait_for("sendMessage", before + 1, within=10)
        return parse_html(calls[before].text)

    try:
        await telegram.wait_for("deleteWebhook", within=20)
        await eventually(  # the retention task runs once right at start
            lambda: len(rows(db, "SELECT question FROM questions")) == 1, "the purge at start"
        )
        assert rows(db, "SELECT question FROM questions") == [("vor 2 Tagen",)]
        assert MARK not in await answer("Wer ist Liang Wenfeng?")

        edit(knowledge_copy / "topics" / "people.yaml", liang_answer_marked)
        process.send_signal(signal.SIGHUP)
        await logged("knowledge reloaded")
        assert MARK in await answer("Wer ist Liang Wenfeng?")

        (knowledge_copy / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        await logged("knowledge reload refused")
        assert MARK in await answer("Wer ist Liang Wenfeng?")  # the last good one stays
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await reader
    assert process.returncode == 0, "".join(log)[-3000:]
    assert any("sources.yaml" in line for line in log)
