"""The curation loop on real SQLite files: missed questions, grouped, listed and exported.

Every command runs against a database written by the real :class:`Store`; groups and
counts are compared with the questions asked, and the export is fed to
``python -m bot check``. Stats, forget and retention are in
``tests/test_curation_stats_and_privacy.py``; reload in ``tests/test_curation_knowledge.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.curation.export import DRAFT_TOPIC, export_drafts
from bot.curation.grouping import group_misses
from bot.curation.proposals import ProposedExample, proposed_examples
from bot.domain.models import Outcome
from bot.engine.engine import Engine
from bot.engine.lint import index_of, lint
from bot.knowledge import load_knowledge
from bot.platforms import answer_checks
from bot.storage import Store
from tests.conftest import REPO
from tests.curation_helpers import DC, NOW, TG, Clock, ctx

# The fixtures (defined once in tests/curation_helpers.py), in this module for pytest.
from tests.curation_helpers import faq as faq
from tests.curation_helpers import no_leftover_sink as no_leftover_sink
from tests.curation_helpers import run_cli as run_cli

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
    (0, TG, "1007", "Hallo", Outcome.SMALLTALK),  # a greeting: no miss to curate
    (0, TG, "1007", "???", Outcome.FALLBACK),
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
    assert "Hallo" not in by_question  # small talk is no miss
    assert by_question["???"].closest is None
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
    assert 'not exported: "???": no phrasing the matcher could learn from' in out
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
