"""``check`` proves the answers: evidence verbatim in its own article, every figure and name
of an answer in its evidence. Each rule fails on a copy of the shipped knowledge with one
deliberate change; the shipped knowledge passes through the real command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.engine.lint import Finding, proofs
from bot.knowledge import load_knowledge
from bot.knowledge.articles import load_articles, normalize
from bot.knowledge.evidence import MAX_PASSAGE_CHARS
from tests.articles import seeds_or_skip
from tests.conftest import REPO

Change = Callable[[dict[str, Any]], None]


def _edit_intent(knowledge: Path, intent_id: str, change: Change) -> None:
    path = knowledge / "topics" / f"{intent_id.split('.')[0]}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    [intent] = [i for i in data["intents"] if i["id"] == intent_id]
    change(intent)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _errors(knowledge: Path, *, articles: bool = True) -> list[str]:
    loaded = load_knowledge(knowledge)
    texts = load_articles(seeds_or_skip(), loaded.sources) if articles else None
    return [str(f) for f in proofs(loaded, texts) if f.level == "error"]


def _passage(intent: dict[str, Any], starts: str) -> dict[str, str]:
    [passage] = [p for p in intent["evidence"] if p["quote"].startswith(starts)]
    return passage


def _replace_in_answer(lang: str, old: str, new: str) -> Change:
    def change(intent: dict[str, Any]) -> None:
        assert old in intent["answer"][lang]
        intent["answer"][lang] = intent["answer"][lang].replace(old, new, 1)

    return change


def test_shipped_knowledge_passes_check_with_the_articles_through_the_cli() -> None:
    seeds_or_skip()
    env = {k: v for k, v in os.environ.items() if k != "KNOWLEDGE_DIR"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--articles", "../shared/seeds"],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [line for line in done.stdout.splitlines() if line.startswith("error:")]
    assert done.stdout.splitlines()[-1].endswith("; 0 errors, 0 warnings")


def test_shipped_knowledge_has_evidence_on_every_intent_and_no_form_errors(
    knowledge_copy: Path,
) -> None:
    assert _errors(knowledge_copy, articles=False) == []
    knowledge = load_knowledge(knowledge_copy)
    assert all(intent.evidence for intent in knowledge.intents.values())


def test_an_altered_passage_fails_and_says_where_it_departs(knowledge_copy: Path) -> None:
    def alter(intent: dict[str, Any]) -> None:
        passage = _passage(intent, "Der Ansatz überraschte selbst Elon Musk")
        passage["quote"] = passage["quote"].replace("überraschte", "verblüffte")

    _edit_intent(knowledge_copy, "costs.development", alter)
    [error] = _errors(knowledge_copy)
    assert "intent 'costs.development'" in error
    assert "«Der Ansatz verblüffte selbst Elon Musk" in error
    assert "is not verbatim in ai-heroes (004_5578a18be417a9e9.txt)" in error
    # Where it departs: the longest stretch that agrees (here its end), and what differs.
    assert (
        "it agrees from «te selbst Elon Musk, der die o…» on; before that the passage has " in error
    )
    assert "«…Der Ansatz verblüff» where the article has «…DeepMind. Der Ansatz überrasch»" in error


def test_whitespace_and_quotes_are_normalised_dashes_are_not(knowledge_copy: Path) -> None:
    def retype(intent: dict[str, Any]) -> None:
        quoted = _passage(intent, "„Wenn dein Modell gut genug ist")
        quoted["quote"] = (
            '"Wenn dein Modell  gut genug ist,\nwird es von den großen Playern übernommen."'
        )

    _edit_intent(knowledge_copy, "adoption.telecoms_industry", retype)
    assert _errors(knowledge_copy) == []

    def dash(intent: dict[str, Any]) -> None:
        passage = _passage(intent, "Auch Chinas große Tech-Konzerne")
        passage["quote"] = passage["quote"].replace("Tech-Konzerne", "Tech–Konzerne")

    _edit_intent(knowledge_copy, "adoption.telecoms_industry", dash)
    [error] = _errors(knowledge_copy)
    assert "is not verbatim in china-tech-adoption" in error


def test_a_passage_attributed_to_the_wrong_source_fails_naming_where_it_is(
    knowledge_copy: Path,
) -> None:
    def misattribute(intent: dict[str, Any]) -> None:
        passage = _passage(intent, "Das machte die Entwicklung deutlich günstiger")
        assert passage["source"] == "ai-heroes"
        passage["source"] = "v3-breakthrough"  # also cited by the intent: the form is fine

    _edit_intent(knowledge_copy, "chips.nvidia_count", misattribute)
    [error] = _errors(knowledge_copy)
    assert "intent 'chips.nvidia_count'" in error
    assert "is attributed to v3-breakthrough (002_0511dd0860a441e4.txt) but is not in it" in error
    assert "it is in ai-heroes (004_5578a18be417a9e9.txt)" in error


def test_a_figure_in_an_answer_missing_from_the_evidence_fails(knowledge_copy: Path) -> None:
    _edit_intent(
        knowledge_copy, "adoption.users", _replace_in_answer("de", "22 Millionen", "23 Millionen")
    )
    [error] = _errors(knowledge_copy, articles=False)
    assert error == (
        "error: adoption.yaml: intent 'adoption.users': answer (de) says '23 Millionen', "
        "but no passage contains it"
    )


def test_a_figure_at_the_wrong_scale_fails_naming_the_passage(knowledge_copy: Path) -> None:
    """German "Billionen" are English trillions: "1.6 billion" would be a mistranslation."""
    _edit_intent(
        knowledge_copy,
        "costs.us_spending",
        _replace_in_answer("en", "investments of 1.6 trillion", "investments of 1.6 billion"),
    )
    [error] = _errors(knowledge_copy)
    assert "intent 'costs.us_spending': answer (en) says '1.6 billion'" in error
    assert "«Dieser Übergang dürfte jedoch schrittweise erfolgen" in error
    assert "has '1,6 Billionen', a different value" in error


def test_a_name_in_an_answer_missing_from_the_evidence_fails(knowledge_copy: Path) -> None:
    _edit_intent(
        knowledge_copy,
        "adoption.users",
        _replace_in_answer("de", "Nutzerzahlen nennen", "Nutzerzahlen, etwa von Microsoft, nennen"),
    )
    [error] = _errors(knowledge_copy)
    assert "intent 'adoption.users': answer (de) names 'Microsoft' (organisation)" in error
    assert "but no passage contains it" in error
    # The article that has it is named, so the curator can quote it (or drop the claim).
    assert (
        "silicon-valley-rethink (003_01aa73c7ef1c7ebf.txt), which the intent does not cite" in error
    )


def test_an_english_name_needs_its_german_spelling_in_the_evidence(knowledge_copy: Path) -> None:
    _edit_intent(
        knowledge_copy,
        "adoption.users",
        _replace_in_answer("en", "state media:", "state media (Italy blocked the app later):"),
    )
    [error] = _errors(knowledge_copy, articles=False)
    assert "answer (en) names 'Italy' (country)" in error
    _edit_intent(
        knowledge_copy,
        "adoption.users",
        lambda i: i["evidence"].append(
            {
                "source": "china-tech-adoption",
                "quote": "Italien hat die App im Januar komplett gesperrt, nachdem das "
                "Unternehmen nicht auf Datenschutzanfragen reagiert hatte.",
            }
        ),
    )
    assert _errors(knowledge_copy) == []


def test_a_capitalised_name_that_no_article_has_fails(knowledge_copy: Path) -> None:
    _edit_intent(
        knowledge_copy, "adoption.users", _replace_in_answer("en", "January", "January, in Spain")
    )
    [error] = _errors(knowledge_copy)
    assert "answer (en) names 'Spain', but no passage contains it; no article has it" in error


def test_form_without_the_articles(knowledge_copy: Path) -> None:
    _edit_intent(knowledge_copy, "bans.italy", lambda i: i.update(evidence=[]))

    def bad_passages(intent: dict[str, Any]) -> None:
        intent["evidence"][0]["quote"] = "Sehr lang. " * 30
        intent["evidence"][1]["source"] = "ai-heroes"  # exists, but not cited by the intent
        intent["evidence"][2]["source"] = "no-such-source"

    _edit_intent(knowledge_copy, "bans.taiwan", bad_passages)
    errors = _errors(knowledge_copy, articles=False)
    assert any("intent 'bans.italy': no evidence" in e for e in errors)
    taiwan = [e for e in errors if "intent 'bans.taiwan'" in e]
    assert any("passage 1" in e and "characters, more than 300" in e for e in taiwan)
    assert any("passage 2" in e and "cites 'ai-heroes', which is not among" in e for e in taiwan)
    assert any("passage 3" in e and "unknown source 'no-such-source'" in e for e in taiwan)


def test_every_cited_source_is_quoted(knowledge_copy: Path) -> None:
    _edit_intent(
        knowledge_copy, "bans.italy", lambda i: i.update(sources=[*i["sources"], "ai-heroes"])
    )
    [error] = _errors(knowledge_copy, articles=False)
    assert "intent 'bans.italy': cites 'ai-heroes' but quotes no passage of it" in error


def test_a_draft_is_a_draft_until_written(knowledge_copy: Path) -> None:
    def draft(intent: dict[str, Any]) -> None:
        intent["answer"] = {"de": "TODO: schreiben, 99 Leute.", "en": "TODO: write, Spain."}
        intent["evidence"] = []

    _edit_intent(knowledge_copy, "bans.italy", draft)
    assert _errors(knowledge_copy) == []


def test_the_article_of_a_source_is_data(knowledge_copy: Path) -> None:
    sources = knowledge_copy / "sources.yaml"
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    by_id = {s["id"]: s for s in data["sources"]}
    del by_id["silicon-valley-rethink"]["file"]  # the article holds its url: found by that
    by_id["ai-heroes"]["file"] = "missing.txt"
    sources.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    loaded = load_knowledge(knowledge_copy)
    articles = load_articles(seeds_or_skip(), loaded.sources)
    assert articles.by_source["silicon-valley-rethink"].name == "003_01aa73c7ef1c7ebf.txt"
    found: list[Finding] = proofs(loaded, articles)
    errors = [str(f) for f in found if f.level == "error"]
    assert errors == [
        "error: sources.yaml: source 'ai-heroes': no article text: its file 'missing.txt' "
        f"(sources.yaml) is not in {seeds_or_skip()}"
    ]
    assert any("004_5578a18be417a9e9.txt: no source names this article" in str(f) for f in found)


def _check(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["check", *args], out=out), out.getvalue()


def test_coverage_per_article(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)
    code, text = _check("--articles", str(seeds_or_skip()), "--coverage")
    assert code == 0, text
    lines = text.splitlines()
    per_article = [line for line in lines if line.startswith("  ") and " sentences (" in line]
    assert len(per_article) == 6  # five articles and the total
    assert per_article[0].startswith("  open-source-wave (000_178466a19ab8b2b3.txt): 17 of 17")
    assert per_article[-1].startswith("  all articles: ")
    assert any(line.startswith("    not quoted: «") for line in lines)
    assert lines[-1].endswith("; 0 errors, 0 warnings")


def test_check_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check("--coverage")[0] == 2
    assert "--coverage needs --articles DIR" in capsys.readouterr().err
    assert _check("--articles", str(tmp_path / "nowhere"))[0] == 2
    assert "not a folder" in capsys.readouterr().err


def test_the_articles_are_not_shipped() -> None:
    """The texts are read for checking only: neither the package nor the image holds them;
    the knowledge quotes passages of at most a few sentences, never a paragraph."""
    seeds = seeds_or_skip()
    allowed = [
        line[1:]
        for line in (REPO / ".dockerignore").read_text("utf-8").splitlines()
        if line[:1] == "!"
    ]
    assert set(allowed) <= {
        "pyproject.toml",
        "requirements.lock",
        "README.md",
        "bot/",
        "knowledge/",
    }
    for build_file in ("Dockerfile", "pyproject.toml", ".dockerignore"):
        assert "seeds" not in (REPO / build_file).read_text("utf-8"), build_file
    shipped = "\n".join(
        normalize(path.read_text("utf-8"))
        for folder in ("bot", "knowledge")
        for path in sorted((REPO / folder).rglob("*"))
        if path.is_file() and path.suffix in {".py", ".yaml", ".yml", ".md", ".txt", ".json"}
    )
    for article in sorted(seeds.glob("*.txt")):
        text = article.read_text("utf-8")
        assert normalize(text) not in shipped, article.name
        paragraphs = [normalize(line) for line in text.splitlines()]
        for paragraph in paragraphs:
            if len(paragraph) > MAX_PASSAGE_CHARS:
                assert paragraph not in shipped, (article.name, paragraph[:60])
