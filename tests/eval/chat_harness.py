"""Score the engine on the chat corpus: messages as people type them, and dialogues.

The corpus (``chat.yaml``) was written blind to the knowledge's examples. It is split
once, by a hash of each message (or dialogue id), into a development part and a
held-out part: only the development part's failures are ever read while the bot is
built; the held-out figures are the honest ones.

A reply is of the *right kind* when:

* ``smalltalk: K`` -- the reply is small talk of kind K (help and sources included);
* ``intents: [...]`` -- it answers with one of them;
* ``topic: T`` (bare subjects) -- it answers with one of the listed intents or T's
  overview, or offers a "did you mean" whose choices are mostly T's questions;
* ``decline: true`` -- it does not answer with a fact.

A **confident wrong answer** is an answer with a fact (an intent) that is not right.
Dialogue turns are asked in order in one conversation; follow-ups are scored apart.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.domain.models import Outcome, Reply
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine

EVAL_DIR = Path(__file__).resolve().parent
CORPUS = EVAL_DIR / "chat.yaml"
PARTS = ("dev", "held_out")


def part_of(key: str) -> str:
    """A fixed 40/60 split: dev or held_out, by a hash of the message or dialogue id."""
    return "dev" if hashlib.sha256(key.encode()).digest()[0] < 102 else "held_out"


def load(
    part: str | None = None, path: Path = CORPUS
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    messages = [m for m in data["messages"] if part in (None, part_of(str(m["q"])))]
    dialogues = [d for d in data["dialogues"] if part in (None, part_of(str(d["id"])))]
    return messages, dialogues


@dataclass
class Result:
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)  # confident wrong answers
    failures: list[str] = field(default_factory=list)

    def rate(self, key: str) -> float:
        return self.right[key] / self.total[key] if self.total[key] else 1.0

    def wrong_rate(self, key: str) -> float:
        return self.wrong[key] / self.total[key] if self.total[key] else 0.0


def _topic_of(intent: str) -> str:
    return intent.split(".", 1)[0]


def judge(reply: Reply, expect: dict[str, Any]) -> tuple[bool, bool]:
    """(right kind of reply, confidently wrong)."""
    answered = reply.outcome is Outcome.ANSWERED and reply.intent is not None
    if "smalltalk" in expect:
        right = reply.outcome is Outcome.SMALLTALK and reply.kind == expect["smalltalk"]
        return right, answered
    if expect.get("decline"):
        return not answered, answered
    intents = set(expect.get("intents") or [])
    topic = expect.get("topic")
    if answered:
        right = reply.intent in intents or (
            topic is not None and reply.intent == f"{topic}.overview"
        )
        return right, not right
    if topic is not None and reply.outcome is Outcome.CLOSE_CALL and reply.suggestions:
        # A fitting "did you mean": it offers the question meant, or mostly the subject's.
        if any(s.intent in intents for s in reply.suggestions):
            return True, False
        ours = sum(_topic_of(s.intent) == topic for s in reply.suggestions)
        return ours * 2 > len(reply.suggestions), False
    return False, False


def groups(kind: str, expect: dict[str, Any], follow_up: bool) -> list[str]:
    """The figures a message counts towards."""
    keys = [f"kind:{kind}"]
    if "smalltalk" in expect:
        keys.append("smalltalk_help_meta")
    elif expect.get("decline"):
        keys.append("off_topic" if kind == "off_topic" else "declines")
    elif kind == "bare_subject":
        keys.append("bare_subjects")
    else:
        keys.append("in_scope")
    if follow_up:
        keys.append("follow_ups")
    return keys


def _score(result: Result, reply: Reply, q: dict[str, Any], kind: str, follow_up: bool) -> None:
    right, wrong = judge(reply, q["expect"])
    for key in ["all", *groups(kind, q["expect"], follow_up)]:
        result.total[key] += 1
        result.right[key] += right
        result.wrong[key] += wrong
    if not right:
        got = (
            reply.intent
            or f"<{reply.outcome.value}:{reply.kind or ''}:"
            + ",".join(s.intent for s in reply.suggestions)
            + ">"
        )
        mark = "WRONG " if wrong else ""
        result.failures.append(
            f"{mark}[{kind}] {q['q']!r} -> {got} ({reply.score:.0f}); want {q['expect']}"
        )


def evaluate(
    engine: Engine, messages: Iterable[dict[str, Any]], dialogues: Iterable[dict[str, Any]]
) -> Result:
    result = Result()
    for q in messages:
        _score(result, engine.answer(str(q["q"])), q, str(q["kind"]), False)
    for dialogue in dialogues:
        conversation = Conversation()
        for turn in dialogue["turns"]:
            reply = engine.answer(str(turn["q"]), context=conversation)
            conversation = conversation.after(reply)
            follow_up = bool(turn.get("follow_up"))
            _score(result, reply, turn, "follow_up" if follow_up else "dialogue_opening", follow_up)
    return result


def report(result: Result) -> str:
    lines = [f"{'':28} {'right':>11} {'rate':>7} {'conf. wrong':>12}"]
    for key in sorted(result.total, key=lambda k: (k.startswith("kind:"), k)):
        lines.append(
            f"{key:28} {result.right[key]:5}/{result.total[key]:<5} {result.rate(key):7.1%}"
            f" {result.wrong[key]:5} {result.wrong_rate(key):6.1%}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    part = next((a for a in sys.argv[1:] if a in PARTS), "dev")
    engine = Engine.from_directory()
    res = evaluate(engine, *load(part))
    print(f"chat corpus, {part} part")
    print(report(res))
    if "-v" in sys.argv:
        if part != "dev":
            raise SystemExit("failures are only ever listed for the dev part")
        print("\n".join(res.failures))
