"""The command line as operators and outside harnesses use it (shared/contract.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    base["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd or REPO,
        timeout=120,
        check=False,
    )


def test_ask_json_matches_contract(tmp_path: Path) -> None:
    result = _run("ask", "--json", "Wer ist Liang Wenfeng?", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    data = json.loads(line)
    assert data["intent"] == "people.liang_wenfeng" and data["topic"] == "people"
    assert data["lang"] == "de" and data["fallback"] is False
    assert isinstance(data["score"], float) and "Liang" in data["answer"]
    for source in data["sources"]:
        assert set(source) >= {"id", "title", "outlet", "date", "url"}
    assert not list(tmp_path.iterdir()), "ask must not store anything"


def test_ask_plain_and_forced_language() -> None:
    result = _run("ask", "--lang", "en", "Wer", "ist", "Liang", "Wenfeng?")
    assert result.returncode == 0
    assert "founder" in result.stdout.lower() and "Sources:" in result.stdout


def test_ask_batch_from_stdin_one_line_each() -> None:
    questions = ["Wer ist Liang Wenfeng?", "What did Italy do?", "Wie wird das Wetter?", ""]
    result = _run("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert rows[0]["intent"] == "people.liang_wenfeng"
    assert rows[1]["lang"] == "en" and rows[1]["intent"] == "bans.italy"
    assert rows[2]["fallback"] is True and rows[3]["fallback"] is True
    plain = _run("ask", "-", stdin="Wer ist Liang Wenfeng?\nItalien\n")
    assert len(plain.stdout.splitlines()) == 2


def test_topics_lists_each_topic_on_one_line() -> None:
    result = _run("topics")
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) >= 11
    assert any(line.startswith("sanctions: ") for line in lines)


def test_check_passes_on_shipped_and_fails_on_broken(tmp_path: Path) -> None:
    ok = _run("check")
    assert ok.returncode == 0, ok.stdout
    (tmp_path / "topics").mkdir()
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    bad = _run("check", env={"KNOWLEDGE_DIR": str(tmp_path)})
    assert bad.returncode == 1
    assert "error:" in bad.stdout and "sources.yaml" in bad.stdout


def test_chat_reads_questions_and_picks_suggestions() -> None:
    result = _run("chat", stdin="Wer ist Liang Wenfeng?\n/topics\n/quit\n")
    assert result.returncode == 0
    assert "Zhejiang" in result.stdout and "Quellen" in result.stdout


def test_chat_understands_small_talk_help_and_follow_ups() -> None:
    lines = ["Hallo", "Hilfe", "Wer ist Sam Altman?", "Und Elon Musk?", "danke", "/quit"]
    result = _run("chat", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hallo!" in out  # a greeting back, not "not in my sources"
    assert "Darauf finde ich in meinen Quellen keine Antwort" not in out
    assert "Kosten" in out and "/topics" in out  # the help: topics and commands
    assert "Zu: Was sagt Elon Musk zu DeepSeek?" in out  # the follow-up, resolved
    assert "Gern geschehen" in out


def test_chat_has_no_flood_limit_for_the_one_person_at_the_terminal() -> None:
    result = _run("chat", stdin="Wer ist Liang Wenfeng?\n" * 12 + "/quit\n")
    assert result.returncode == 0 and result.stdout.count("Zhejiang") == 12


def test_ask_conversation_carries_context_from_line_to_line() -> None:
    lines = "Wer ist Sam Altman?\nUnd Elon Musk?\nhi\n"
    alone = [json.loads(x) for x in _run("ask", "--json", "-", stdin=lines).stdout.splitlines()]
    talk = _run("ask", "--json", "--conversation", "-", stdin=lines)
    assert talk.returncode == 0, talk.stderr
    replies = [json.loads(x) for x in talk.stdout.splitlines()]
    assert [r["intent"] for r in replies[:2]] == ["people.sam_altman", "people.elon_musk"]
    assert replies[1]["resolved"] and "Sam Altman" in replies[1]["resolved"]
    assert alone[1]["resolved"] is None  # each line on its own without --conversation
    assert replies[2]["outcome"] == "smalltalk" and replies[2]["sources"] == []
    assert replies[2]["fallback"] is False and replies[2]["kind"] == "greeting"


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEFAULT_LANGUAGE", "fr"), ("LOG_LEVEL", "LOUD"), ("TELEGRAM_BASE_URL", "ftp://x")],
)
def test_misconfigured_variable_one_line_naming_it(name: str, value: str) -> None:
    result = _run("ask", "Hallo", env={name: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0]
