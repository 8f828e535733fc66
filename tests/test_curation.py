"""The curation loop and privacy, on real SQLite files: misses, export, stats, forget, reload.

Every command runs against a database written by the real :class:`Store`; figures are
compared with rows counted by hand, the export is fed to ``python -m bot check``, and the
database files are scanned byte by byte for raw ids.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.chat.reports import reload_text
from bot.cli import main
from bot.config import Settings
from bot.curation.export import DRAFT_TOPIC, export_drafts
from bot.curation.grouping import group_misses
from bot.curation.proposals import ProposedExample, proposed_examples
from bot.domain.models import AskContext, Outcome, Reply
from bot.engine.engine import Engine
from bot.engine.lint import index_of, lint
from bot.engine.reload import reload_knowledge
from bot.knowledge import Knowledge, load_knowledge
from bot.platforms import answer_checks
from bot.runtime import app
from bot.storage import Store
from tests.conftest import REPO, eventually
from tests.fakes.telegram import TOKEN, FakeTelegram, parse_html

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


# -- a session of questions ----------------------------------------------------------

# (days ago, platform, user, question); outcomes are asserted when the session is asked.
SESSION = [
    (3, TG, "1001", "Wer ist Liang Wenfeng?", Outcome.ANSWERED),
    (3, TG, "1001", "Wie ist das Wetter in Peking?", Outcome.FALLBACK),
    (3, TG, "1002", "Wie ist denn das Wetter in Peking?", Outcome.FALLBACK),
    (2, DC, "2001", "wie ist das wetter in peking", Outcome.FALLBACK),
    (2, DC, "2002", "Wie ist das Wetter in Beijing?", Outcome.FALLBACK),
    (2, TG, "1003", "Wie viele Parameter hat V3?", Outcome.FALLBACK),
    (1, TG, "1004", "Wieviele Parameter hat DeepSeek V3", Outcome.FALLBACK),
    (1, DC, "2003", "Who won the football world cup?", Outcome.FALLBACK),
    (1, TG, "1005", "USA", Outcome.CLOSE_CALL),
    (1, TG, "1006", "USA?", Outcome.CLOSE_CALL),
    (0, TG, "1006", "Warum hat Italien DeepSeek gesperrt?", Outcome.ANSWERED),
    (0, TG, "1007", "Hallo", Outcome.FALLBACK),
    (9, TG, "1008", "Wie ist das Wetter in Peking eigentlich?", Outcome.FALLBACK),  # outside 7 days
]


async def ask_session(engine: Engine, db: Path) -> None:
    clock = Clock()
    store = await Store.open(db, clock=clock)
    engine.sink = store
    try:
        for n, (days, platform, user, question, outcome) in enumerate(SESSION):
            clock.now = NOW - dt.timedelta(days=days, minutes=60 - n)
            reply = await engine.ask(question, ctx(platform, user))
            assert reply.outcome is outcome, (question, reply.outcome)
        clock.now = NOW
        store.record_pick(ctx(TG, "1005"), "reactions.us_threat", "USA")
        store.record_pick(ctx(TG, "1006"), "reactions.us_threat", "USA?")
        store.record_pick(ctx(DC, "2003"), "bans.italy", "Italien Verbot")
    finally:
        engine.sink = None
        await store.close()


# -- misses: grouping ----------------------------------------------------------------


async def test_misses_are_grouped_with_counts_and_the_closest_intent(
    faq: Engine, tmp_path: Path
) -> None:
    db = tmp_path / "bot.sqlite3"
    await ask_session(faq, db)
    store = await Store.open(db)
    try:
        missed = await store.missed_questions(7)
        picks = await store.suggestion_picks(7)
    finally:
        await store.close()
    assert len(missed) == 10  # 12 within 7 days, 2 of them answered; none older
    groups = group_misses(faq, missed)
    by_question = {g.question: g for g in groups}
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)

    abo = by_question["Wie ist das Wetter in Peking?"]
    assert abo.count == 4 and (abo.fallbacks, abo.close_calls) == (4, 0)
    assert {p.text for p in abo.phrasings} == {
        "Wie ist das Wetter in Peking?",
        "Wie ist denn das Wetter in Peking?",
        "wie ist das wetter in peking",
        "Wie ist das Wetter in Beijing?",  # joined through the matcher's CHINA concept
    }
    params = by_question["Wie viele Parameter hat V3?"]
    assert params.count == 2 and params.language == "de"
    usa = next(g for g in groups if g.question in {"USA", "USA?"})
    assert (usa.count, usa.close_calls) == (2, 2)
    football = by_question["Who won the football world cup?"]
    assert football.count == 1 and football.language == "en"
    assert by_question["Hallo"].closest is None
    for group in (abo, params, usa, football):
        best = faq.matcher.match(group.question, group.language).ranked[0]
        assert group.closest == best.intent and group.closest in faq.knowledge.intents
        assert not group.answered_now
    assert sum(g.count for g in groups) == len(missed)

    proposals = proposed_examples(faq, picks)
    assert [(p.intent, p.question, p.count, p.answered_now) for p in proposals] == [
        ("bans.italy", "Italien Verbot", 1, True),
        ("reactions.us_threat", "USA", 2, False),  # "USA" and "USA?" are one phrasing
    ]
    # Listed, never learnt: the knowledge is exactly as loaded.
    assert faq.knowledge.version == load_knowledge(faq.knowledge.directory).version


async def test_misses_command_prints_groups_and_proposed_examples(
    faq: Engine, tmp_path: Path, run_cli: Callable[..., tuple[int, str]]
) -> None:
    await ask_session(faq, tmp_path / "bot.sqlite3")
    code, out = await asyncio.to_thread(run_cli, "misses", "--days", "7")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == ("Missed questions, last 7 days: 10 (8 fallback, 2 close call) in 5 groups")
    first = lines.index('   4x  "Wie ist das Wetter in Peking?"  [de]')
    assert lines[first + 1 : first + 4] == [
        '       also "wie ist das wetter in peking" (1x)',
        '       also "Wie ist denn das Wetter in Peking?" (1x)',
        '       also "Wie ist das Wetter in Beijing?" (1x)',
    ]
    assert lines[first + 4].startswith("       4 fallback, 0 close call; ")
    assert re.search(r"closest: [a-z]+\.[a-z_]+ \(\d+\)$", lines[first + 4]), lines[first + 4]
    assert "Wie ist das Wetter in Peking eigentlich?" not in out  # 9 days ago
    assert "Wer ist Liang Wenfeng?" not in out  # answered: its text was never stored
    tail = lines[lines.index(next(x for x in lines if x.startswith("Proposed example"))) :]
    assert tail[1:] == [
        '   1x  bans.italy: "Italien Verbot"  [already answered]',
        '   2x  reactions.us_threat: "USA"',
    ]

    code, out = await asyncio.to_thread(run_cli, "misses", "--days", "30")
    assert "Wie ist das Wetter in Peking eigentlich?" in out and "5x" in out


# -- misses --export -----------------------------------------------------------------


def _tricky_rows() -> list[Any]:
    """Missed questions with YAML-special and invisible characters, straight into the log."""
    from bot.domain.stats import MissedQuestion

    at = NOW.strftime("%Y-%m-%dT%H:%M:%S")
    texts = [
        'Ist "DeepSeek: R2" # schon - [draußen]? {ja}',
        "Ist DeepSeek R2 schon draußen?",
        "Wie ist\x85 das Wetter\u2028 bei: DeepSeek? &*!",
        "- @Abo: 'R2' %TAG `x` | > *anker &a !!python/object",
        "What is the weather like at the DeepSeek office?",
        "?!",
    ]
    return [MissedQuestion(at, TG, "de", Outcome.FALLBACK, t) for t in texts]


def test_export_writes_drafts_that_check_accepts(
    faq: Engine, tmp_path: Path, run_cli: Callable[..., tuple[int, str]]
) -> None:
    asyncio.run(ask_session(faq, tmp_path / "bot.sqlite3"))
    target = tmp_path / "drafts.yaml"
    code, out = run_cli("misses", "--export", str(target))
    assert code == 0, out
    assert 'not exported: "Hallo": no phrasing the matcher could learn from' in out
    assert f"wrote 4 draft intents to {target}" in out
    text = target.read_text(encoding="utf-8")
    assert "#   reactions.us_threat: USA (2x)" in text  # picks, as comments only

    again = run_cli("misses", "--export", str(target))
    assert again[0] == 2 and target.read_text(encoding="utf-8") == text  # never overwritten

    copy = tmp_path / "knowledge"
    shutil.copytree(faq.knowledge.directory, copy)
    shutil.copy(target, copy / "topics" / f"{DRAFT_TOPIC}.yaml")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    env |= {"PYTHONPATH": str(REPO), "KNOWLEDGE_DIR": str(copy)}
    check = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout[-3000:]
    assert " 0 errors," in check.stdout
    assert "still a draft" in check.stdout  # check keeps reminding

    merged = load_knowledge(copy)
    drafts = merged.topic_intents(DRAFT_TOPIC)
    assert len(drafts) == 4 and len(merged.intents) == len(faq.knowledge.intents) + 4
    abo = merged.intents["drafts.wie_ist_das_wetter_in_peking"]
    assert abo.title.de == "Wie ist das Wetter in Peking?" and abo.title.en.startswith("TODO")
    assert abo.answer.de.startswith("TODO") and abo.answer.en.startswith("TODO")
    assert len(abo.examples.de) == 6 and set(abo.examples.de) == {
        "Wie ist das Wetter in Peking?",
        "Wie ist denn das Wetter in Peking?",
        "wie ist das wetter in peking",
        "Wie ist das Wetter in Beijing?",
    }
    assert set(abo.sources) <= set(merged.sources)
    football = merged.intents["drafts.who_won_the_football_world_cup"]
    assert football.title.en == "Who won the football world cup?"
    assert football.examples.en == ["Who won the football world cup?"] * 3  # repeated, not made up


def test_export_survives_yaml_special_and_invisible_characters(
    faq: Engine, knowledge_copy: Path
) -> None:
    groups = group_misses(faq, _tricky_rows())
    pick = ProposedExample("bans.italy", "Italien\nintents: []\x85- id: x", 1, True, False)
    export = export_drafts(faq, groups, [pick], days=7)
    path = knowledge_copy / "topics" / f"{DRAFT_TOPIC}.yaml"
    path.write_text(export.text, encoding="utf-8")
    merged = load_knowledge(knowledge_copy)
    assert [f for f in lint(index_of(merged), checks=answer_checks()) if f.level == "error"] == []
    drafts = merged.topic_intents(DRAFT_TOPIC)
    assert len(drafts) == len(export.drafts) == len(groups) - 1
    examples = {e for i in drafts for e in i.examples.de}
    assert 'Ist "DeepSeek: R2" # schon - [draußen]? {ja}' in examples
    assert "- @Abo: 'R2' %TAG `x` | > *anker &a !!python/object" in examples
    assert "Wie ist das Wetter bei: DeepSeek? &*!" in examples  # invisible characters dropped
    assert "#   bans.italy: Italien intents: [] - id: x (1x)" in export.text
    assert [g.question for g, _ in export.left_out] == ["?!"]  # nothing a matcher could learn


# -- stats ---------------------------------------------------------------------------


def reply(question: str, outcome: Outcome, intent: str | None = None) -> Reply:
    return Reply(question=question, language="de", outcome=outcome, text="-", intent=intent)


async def write_counted_rows(db: Path) -> tuple[str, str]:
    """Rows we count by hand below; returns the two days they fall on (UTC)."""
    clock = Clock()
    store = await Store.open(db, clock=clock)
    try:
        day_a, day_b = NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)
        liang, italy = "people.liang_wenfeng", "bans.italy"
        clock.now = day_a
        for _ in range(3):
            store.record_question(ctx(TG, "1"), reply("q", Outcome.ANSWERED, liang), 1.0)
        store.record_question(ctx(TG, "2"), reply("USA", Outcome.CLOSE_CALL), 1.0)
        store.record_question(
            ctx(TG, "2"), reply("Wie ist das Wetter in Peking?", Outcome.FALLBACK), 1.0
        )
        clock.now = day_b
        store.record_question(ctx(DC, "3"), reply("q", Outcome.ANSWERED, italy), 1.0)
        store.record_question(ctx(DC, "3"), reply("q", Outcome.ANSWERED, italy), 1.0)
        store.record_question(ctx(DC, "4"), reply("q", Outcome.ANSWERED, liang), 1.0)
        store.record_question(ctx(DC, "4"), reply("Wie viele Parameter?", Outcome.FALLBACK), 1.0)
        store.record_question(ctx(TG, "5"), reply("Gibt es eine App?", Outcome.FALLBACK), 1.0)
        await store.record_feedback(ctx(DC, "3"), "r1", italy, False)
        await store.record_feedback(ctx(DC, "4"), "r1", italy, False)
        await store.record_feedback(ctx(TG, "1"), "r2", liang, True)
        await store.record_feedback(ctx(TG, "1"), "r3", liang, True)
        await store.record_feedback(ctx(DC, "4"), "r4", liang, False)
        clock.now = NOW - dt.timedelta(days=10)  # outside the 7 days
        store.record_question(ctx(TG, "1"), reply("q", Outcome.ANSWERED, "costs.development"), 1.0)
        await store.record_feedback(ctx(TG, "1"), "r5", "costs.development", False)
    finally:
        await store.close()
    return day_a.date().isoformat(), day_b.date().isoformat()


def test_stats_command_matches_hand_counted_rows(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str]]
) -> None:
    day_a, day_b = asyncio.run(write_counted_rows(tmp_path / "bot.sqlite3"))
    code, out = run_cli("stats", "--days", "7", "--lang", "en")
    assert code == 0, out
    assert out.splitlines() == [
        "Last 7 days: 10 questions - answered 6 (60%), did-you-mean 1 (10%), unanswered 3 (30%).",
        "",
        "Questions per day and platform:",
        f"- {day_a}: telegram 5",
        f"- {day_b}: discord 4, telegram 1 (5)",
        "",
        "Top intents:",
        "- people.liang_wenfeng: 4",
        "- bans.italy: 2",
        "",
        "Ratings, worst first (👍/👎):",
        "- bans.italy: +0 / -2",
        "- people.liang_wenfeng: +2 / -1",
        "",
        "Recently unanswered:",
        "- Gibt es eine App?",
        "- Wie viele Parameter?",
        "- Wie ist das Wetter in Peking?",
        "- USA",
    ]
    code, out = run_cli("stats", "--days", "30")  # DEFAULT_LANGUAGE: German
    assert out.startswith("Letzte 30 Tage: 11 Fragen – beantwortet 7 (64%)")
    assert "- costs.development: +0 / -1" in out


def test_stats_rejects_a_bad_period(run_cli: Callable[..., tuple[int, str]]) -> None:
    with pytest.raises(SystemExit) as info:
        run_cli("stats", "--days", "0")
    assert info.value.code == 2


# -- forget --------------------------------------------------------------------------


async def write_people(db: Path) -> None:
    store = await Store.open(db)
    try:
        for c in (ctx(TG, "111"), ctx(TG, "111", chat="-1005"), ctx(TG, "222"), ctx(DC, "111")):
            store.record_question(c, reply("Wie ist das Wetter in Peking?", Outcome.FALLBACK), 1.0)
        await store.record_feedback(ctx(TG, "111"), "r1", "bans.italy", True)
        store.record_pick(ctx(TG, "111"), "bans.italy", "Italien?")
        await store.set_chat_language(ctx(TG, "111"), "en")
    finally:
        await store.close()


def test_forget_command_removes_that_users_rows_only(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str]]
) -> None:
    db = tmp_path / "bot.sqlite3"
    asyncio.run(write_people(db))
    code, out = run_cli("forget", "--platform", "telegram", "--user", "111")
    assert (code, out) == (
        0,
        "deleted 4 rows (questions, ratings, choices) of that telegram user\n",
    )
    assert rows(db, "SELECT platform FROM questions ORDER BY platform") == [(DC,), (TG,)]
    assert rows(db, "SELECT COUNT(*) FROM feedback") == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM suggestion_picks") == [(0,)]
    assert rows(db, "SELECT language FROM chat_settings") == [("en",)]  # the chat's, not theirs
    assert run_cli("forget", "--platform", "telegram", "--user", "111")[1].startswith("deleted 0")
    with pytest.raises(SystemExit):
        run_cli("forget", "--platform", "telegram", "--user", "@eve")  # ids only


def test_reports_never_create_a_database_or_a_key(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["misses"], ["stats"], ["forget", "--platform", "discord", "--user", "1"]):
        assert run_cli(*command)[0] == 2
    assert "no database at" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    asyncio.run(write_people(tmp_path / "bot.sqlite3"))
    (tmp_path / "bot.sqlite3.key").unlink()
    assert run_cli("stats")[0] == 2
    assert "hashing key" in capsys.readouterr().err
    assert not (tmp_path / "bot.sqlite3.key").exists()


# -- retention and raw ids -----------------------------------------------------------


async def test_purge_by_age_in_every_table(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    clock = Clock()
    store = await Store.open(db, clock=clock)
    try:
        for age in (40, 29, 1):
            clock.now = NOW - dt.timedelta(days=age)
            c = ctx(TG, str(age))
            store.record_question(c, reply(f"{age} Tage", Outcome.FALLBACK), 1.0)
            await store.record_feedback(c, f"r{age}", "bans.italy", True)
            store.record_pick(c, "bans.italy", f"{age} Tage")
            await store.set_chat_language(c, "en")
        clock.now = NOW
        await store.purge(older_than_days=30)
    finally:
        await store.close()
    assert rows(db, "SELECT question FROM questions") == [("29 Tage",), ("1 Tage",)]
    assert rows(db, "SELECT reply_id FROM feedback ORDER BY id") == [("r29",), ("r1",)]
    assert rows(db, "SELECT question FROM suggestion_picks") == [("29 Tage",), ("1 Tage",)]
    assert len(rows(db, "SELECT * FROM chat_settings")) == 3  # settings, not a log


async def test_runtime_purges_again_every_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "PURGE_INTERVAL", 0.05)
    clock = Clock()
    store = await Store.open(tmp_path / "bot.sqlite3", clock=clock)
    settings = Settings(_env_file=None, retention_days=30)  # type: ignore[call-arg]
    task = asyncio.create_task(app.Runtime(settings)._purge_loop(store))
    try:
        store.record_question(ctx(TG, "1"), reply("alt", Outcome.FALLBACK), 1.0)
        await store.flush()
        clock.now = NOW + dt.timedelta(days=31)  # a month passes while the bot runs

        async def purged() -> bool:
            return (await store.stats(days=3650)).total == 0

        await eventually(purged, "the retention task to purge the old row")
    finally:
        task.cancel()
        await store.close()


RAW = {"chat": "-1009876543210", "user": "8765432109", "discord": "555444333222111000"}


def _binary_forms(raw: str) -> list[bytes]:
    number = int(raw)
    return [number.to_bytes(8, "big", signed=True), raw.encode("utf-8"), raw.encode("utf-16-le")]


async def test_no_raw_id_is_ever_written(faq: Engine, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    faq.sink = store
    telegram = AskContext(TG, RAW["chat"], RAW["user"])
    discord = AskContext(DC, RAW["discord"], RAW["discord"])
    other = AskContext(TG, RAW["chat"], "77")
    try:
        for c in (telegram, discord, other):
            answered = await faq.ask("Wer ist Liang Wenfeng?", c)
            await faq.ask("Wie ist das Wetter in Peking?", c)
            await faq.ask("USA", c)
            await store.record_feedback(c, answered.id, "people.liang_wenfeng", True)
            store.record_pick(c, "reactions.us_threat", "USA")
            await store.set_chat_language(c, "de")
        await store.flush()

        def scan(running: bool = True) -> None:
            files = [p for p in tmp_path.iterdir() if p.is_file()]
            assert not running or {p.name for p in files} >= {"bot.sqlite3", "bot.sqlite3-wal"}
            data = b"".join(p.read_bytes() for p in files)
            for raw in RAW.values():
                for form in _binary_forms(raw):
                    assert form not in data, (raw, form)

        scan()  # while the bot runs: the write-ahead log too
        await store.forget_user(TG, RAW["user"])
        await store.purge(older_than_days=30)
        scan()
    finally:
        faq.sink = None
        await store.close()
    scan(running=False)
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    assert str(value) not in RAW.values(), (table, row)


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


@pytest.fixture(autouse=True)
def _no_leftover_sink(faq: Engine) -> Iterator[None]:
    try:
        yield
    finally:
        faq.sink = None
