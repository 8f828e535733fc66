"""Score the engine on an evaluation file: per kind, in-scope vs fallback accuracy.

A question with expected intents is correct when the bot answers with one of
them; a question with ``expect: []`` is correct when the bot does not answer
(fallback or close call).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.engine import Engine

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
        ok = (reply.intent in expect and not reply.fallback) if expect else reply.fallback
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
