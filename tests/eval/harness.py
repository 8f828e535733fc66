"""Score the engine on an evaluation file: per kind, in-scope vs fallback accuracy.

A question with expected intents is correct when the bot answers with one of
them; a question with ``expect: []`` is correct when the bot does not answer it
with a fact (a fallback, a close call, or small talk such as "Hallo, wie geht's?").
A one- or two-word question (``kind: short``) names a subject, and a subject gets
its topic's overview or a "did you mean" of its topic's questions (the chat issue
made that the rule), so those are correct for it too, as in ``chat_harness``.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.domain.models import Outcome
from bot.engine.engine import Engine
from tests.eval.chat_harness import judge

EVAL_DIR = Path(__file__).resolve().parent


@dataclass
class Result:
    total: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def rate(self, group: str) -> float:
        return self.correct[group] / self.total[group] if self.total[group] else 1.0


def load(name: str) -> list[dict[str, object]]:
    data = yaml.safe_load((EVAL_DIR / name).read_text(encoding="utf-8"))
    return list(data["questions"])


def evaluate(engine: Engine, questions: list[dict[str, object]]) -> Result:
    result = Result()
    for q in questions:
        text = str(q["q"])
        expect = [str(e) for e in q["expect"]]  # type: ignore[attr-defined]
        reply = engine.answer(text)
        group = "in_scope" if expect else "out_of_scope"
        answered = reply.outcome is Outcome.ANSWERED and reply.intent is not None
        ok = (reply.intent in expect and answered) if expect else not answered
        if expect and not ok and q["kind"] == "short":
            topic = str(expect[0]).split(".", 1)[0]
            ok = judge(reply, {"intents": expect, "topic": topic})[0]
        for key in (group, f"kind:{q['kind']}", f"lang:{reply.language}"):
            result.total[key] += 1
            result.correct[key] += ok
        if expect:  # the language of an answer matters; of a fallback, less so
            result.total["language"] += 1
            result.correct["language"] += reply.language == q["lang"]
        if not ok:
            got = (
                reply.intent
                or f"<{reply.outcome.value}: " + ",".join(s.intent for s in reply.suggestions) + ">"
            )
            result.failures.append(
                f"[{q['kind']}] {text!r} -> {got} ({reply.score:.0f}); want {expect or 'fallback'}"
            )
    return result


def report(result: Result) -> str:
    lines = [
        f"{key:24} {result.correct[key]:4}/{result.total[key]:<4} {result.rate(key):6.1%}"
        for key in sorted(result.total)
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    engine = Engine.from_directory()
    res = evaluate(engine, load(sys.argv[1] if len(sys.argv) > 1 else "dev.yaml"))
    print(report(res))
    if "-v" in sys.argv:
        print("\n".join(res.failures))
