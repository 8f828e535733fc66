"""Invalid knowledge fails with messages that name the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine.engine import Engine
from bot.engine.lint import index_of, lint
from bot.errors import KnowledgeError
from bot.knowledge import load_knowledge
from bot.platforms import answer_checks


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(directory)
    return info.value.problems


def test_missing_field_names_file_entry_and_field(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "people.yaml"
    _edit(path, lambda d: d["intents"][0]["answer"].pop("en"))
    [problem] = _problems(knowledge_copy)
    assert "people.yaml" in problem
    assert "intent 'people." in problem
    assert "field answer.en" in problem


def test_too_few_examples_and_unknown_field(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "costs.yaml"

    def change(d: dict) -> None:  # type: ignore[type-arg]
        d["intents"][1]["examples"]["de"] = ["Nur eine Frage?"]
        d["intents"][1]["answr"] = "typo"

    _edit(path, change)
    problems = _problems(knowledge_copy)
    assert any("field examples.de" in p and "at least 6" in p for p in problems)
    assert any("field answr" in p for p in problems)


def test_unknown_source_and_wrong_topic_prefix(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "bans.yaml"

    def change(d: dict) -> None:  # type: ignore[type-arg]
        d["intents"][0]["sources"] = ["no-such-article"]
        d["intents"][1]["id"] = "chips.italy"

    _edit(path, change)
    problems = _problems(knowledge_copy)
    assert any("unknown source 'no-such-article'" in p for p in problems)
    assert any(
        "'chips.italy'" in p and "must start with the topic id 'bans.'" in p for p in problems
    )


def test_broken_yaml_reports_line(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "chips.yaml"
    path.write_text("topic:\n  id: chips\n  title: [unclosed\n", encoding="utf-8")
    [problem] = _problems(knowledge_copy)
    assert "chips.yaml" in problem and "line" in problem and "YAML" in problem


def test_duplicate_intent_across_files(knowledge_copy: Path) -> None:
    src = yaml.safe_load((knowledge_copy / "topics" / "people.yaml").read_text(encoding="utf-8"))
    clone = {"topic": {**src["topic"], "id": "people"}, "intents": [src["intents"][0]]}
    (knowledge_copy / "topics" / "people2.yaml").write_text(
        yaml.safe_dump(clone, allow_unicode=True), encoding="utf-8"
    )
    problems = _problems(knowledge_copy)
    assert any("also defined in" in p for p in problems)
    assert any("topic 'people'" in p and "defined twice" in p for p in problems)


def test_lint_flags_shared_example_and_overlong_answer(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "bans.yaml"
    other = yaml.safe_load((knowledge_copy / "topics" / "people.yaml").read_text("utf-8"))
    borrowed = other["intents"][0]["examples"]["de"][0]

    def change(d: dict) -> None:  # type: ignore[type-arg]
        d["intents"][0]["examples"]["de"].append(borrowed)
        d["intents"][1]["answer"]["de"] = "Sehr lang. " * 250

    _edit(path, change)
    index = index_of(load_knowledge(knowledge_copy))
    findings = [str(f) for f in lint(index, checks=answer_checks()) if f.level == "error"]
    assert any("is an example of" in f for f in findings)
    # The platforms' renderers are asked: a 2,750-character answer still fits a Discord
    # embed (4096) and a Telegram message, so only a longer one is an error.
    assert not any("Discord" in f or "Telegram" in f for f in findings)
    _edit(path, lambda d: d["intents"][1]["answer"].update(de="Sehr lang. " * 400))
    index = index_of(load_knowledge(knowledge_copy))
    findings = [str(f) for f in lint(index, checks=answer_checks()) if f.level == "error"]
    assert any("over Discord's 4096 for an embed" in f for f in findings)
    assert any("needs 2 Telegram messages" in f for f in findings)


def test_reload_keeps_old_knowledge_when_new_is_broken(knowledge_copy: Path) -> None:
    engine = Engine(load_knowledge(knowledge_copy))
    before = engine.knowledge.version
    (knowledge_copy / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        engine.reload()
    assert engine.knowledge.version == before
    assert engine.answer("Wer ist Liang Wenfeng?").intent == "people.liang_wenfeng"


def test_review_age_warns_per_topic_from_its_reviewed_date_not_the_articles(
    knowledge_copy: Path,
) -> None:
    import datetime as dt

    topics = knowledge_copy / "topics"
    _edit(topics / "bans.yaml", lambda d: d["topic"].update(reviewed="2026-01-01"))
    _edit(topics / "people.yaml", lambda d: d["topic"].update(reviewed="2026-11-30"))
    _edit(topics / "costs.yaml", lambda d: d["topic"].pop("reviewed", None))
    knowledge = load_knowledge(knowledge_copy)
    findings = lint(index_of(knowledge), max_review_age_days=90, today=dt.date(2026, 12, 4))
    about = {
        f.where.split("topic ")[-1].strip("'"): f.text for f in findings if "topic " in f.where
    }
    assert "reviewed 2026-01-01, 337 days ago (REVIEW_MAX_AGE_DAYS=90)" in about["bans"]
    assert "people" not in about  # reviewed four days ago
    assert "no reviewed: date" in about["costs"]
    # Old articles alone never warn: the CNN piece is from 2025, people.yaml cites it.
    assert not any("newest source" in f.text or "intent " in f.where for f in findings)
    assert lint(index_of(knowledge), max_review_age_days=400, today=dt.date(2026, 12, 4)) == [
        f for f in findings if "bans" not in f.where
    ]
