"""Core benchmark: engine latency and throughput against a bare rapidfuzz baseline.

Run:  python -m benchmarks.bench_core [--quick]    (from the repository root)

Measured in one run, on one core:
  * per-question latency (p50, p99) of Engine.answer on the shipped knowledge,
    cold (first sight of every word) and warm, and of the baseline: a bare
    rapidfuzz.process.extractOne over every example string;
  * the same on a synthetic knowledge of 10,000 intents;
  * questions per second through Engine.ask with the SQLite question log on.
The question mix is the evaluation sets in tests/eval (questions users ask).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from rapidfuzz import process

from bot.domain.models import AskContext
from bot.engine.engine import Engine
from bot.engine.matcher import Matcher
from bot.knowledge import Knowledge, load_knowledge
from bot.knowledge.schema import Intent, Source, Topic
from bot.storage import Store

ROOT = Path(__file__).resolve().parent.parent


def questions() -> list[str]:
    """The evaluation sets: questions as users ask them (also off-topic ones)."""
    out: list[str] = []
    for name in ("questions.yaml", "dev.yaml"):
        data = yaml.safe_load((ROOT / "tests" / "eval" / name).read_text(encoding="utf-8"))
        out.extend(str(q["q"]) for q in data["questions"])
    return out


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return p50 * 1000, p99 * 1000


def timed(fn: Callable[[str], object], qs: Sequence[str]) -> list[float]:
    out = []
    for q in qs:
        t0 = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t0)
    return out


def examples_of(knowledge: Knowledge) -> list[str]:
    return [e.lower() for i in knowledge.intents.values() for e in [*i.examples.de, *i.examples.en]]


def synthetic(n: int, seed: int = 7) -> Knowledge:
    """n intents over a German-like vocabulary, shaped like the real ones."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ten", "ber", "sch", "ung", "an", "rei", "tor", "vo", "gel"]
    vocab = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(20000)})
    lead_de = ["Was ist", "Wer hat", "Wie viele", "Warum ist", "Wann kam", "Wo gibt es"]
    lead_en = ["What is", "Who has", "How many", "Why is"]
    src = Source(id="s", title={"de": "Quelle", "en": "Source"})  # type: ignore[arg-type]
    topic = Topic(
        id="t",
        title={"de": "T", "en": "T"},
        summary={"de": "T.", "en": "T."},  # type: ignore[arg-type]
    )
    intents: dict[str, Intent] = {}
    for k in range(n):
        core = rng.sample(vocab, 3)

        def phrase(lead: str, core: list[str] = core) -> str:
            return f"{lead} {' '.join(rng.sample(core, 2))} {rng.choice(vocab)}?"

        intent = Intent(
            id=f"t.i{k}",
            title={"de": phrase(lead_de[0]), "en": phrase(lead_en[0])},  # type: ignore[arg-type]
            examples={  # type: ignore[arg-type]
                "de": [phrase(lead) for lead in lead_de],
                "en": [phrase(lead) for lead in lead_en[:3]],
            },
            answer={"de": " ".join(core) + " ist gut.", "en": " ".join(core) + " is good."},  # type: ignore[arg-type]
            sources=["s"],
        )
        intents[intent.id] = intent
    return Knowledge(
        directory=Path("."),
        sources={"s": src},
        topics={"t": topic},
        intents=intents,
        intent_topic=dict.fromkeys(intents, "t"),
        intent_file=dict.fromkeys(intents, Path("synthetic")),
    )


def latency_rows(label: str, engine: Engine, qs: list[str]) -> list[tuple[str, float, float]]:
    choices = examples_of(engine.knowledge)
    extract_one = process.extractOne
    baseline = timed(lambda q: extract_one(q.lower(), choices), qs)
    Matcher._resolve_uncached  # noqa: B018 - cold pass below starts with empty caches
    engine.matcher._resolve.cache_clear()  # type: ignore[attr-defined]
    cold = timed(engine.answer, qs)
    warm = timed(engine.answer, qs)
    return [
        (f"{label}: baseline extractOne ({len(choices)} examples)", *percentiles(baseline)),
        (f"{label}: engine, cold", *percentiles(cold)),
        (f"{label}: engine, warm", *percentiles(warm)),
    ]


async def throughput(engine: Engine, qs: list[str], seconds: float) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.sqlite3")
        engine.sink = store
        ctx = AskContext(platform="bench", chat_id="1", user_id="2")
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            for q in qs:
                await engine.ask(q, ctx)
            done += len(qs)
        await store.flush()
        elapsed = time.perf_counter() - start
        rows = (await store.stats(days=1)).total
        await store.close()
        engine.sink = None
    return done / elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1,000 synthetic intents")
    args = parser.parse_args()
    qs = questions()
    gc.disable()
    rows = latency_rows("shipped", Engine(load_knowledge()), qs * 3)
    n = 1000 if args.quick else 10_000
    t0 = time.perf_counter()
    big = Engine(synthetic(n))
    build = time.perf_counter() - t0
    rows += latency_rows(f"synthetic {n:,}", big, qs)
    gc.enable()
    qps, logged = asyncio.run(throughput(Engine(load_knowledge()), qs, 3.0))

    print(f"{'measure':58} {'p50 ms':>8} {'p99 ms':>8}")
    for label, p50, p99 in rows:
        print(f"{label:58} {p50:8.3f} {p99:8.3f}")
    print(f"\nshipped warm p99 / baseline p99: {rows[2][2] / rows[0][2]:.2f}x")
    print(f"synthetic warm p99 / baseline p99: {rows[5][2] / rows[3][2]:.2f}x")
    print(f"synthetic index build: {build:.1f} s")
    print(f"questions/s with question log on: {qps:,.0f} ({logged:,} rows written)")


if __name__ == "__main__":
    main()
