"""Write to a bot database under load until killed; print one line per acknowledged write.

Used by ``tests/test_durability.py``, which kills this process with SIGKILL once it has
acknowledged a given number of writes, and then checks that every write acknowledged
here is in the database.

    python -m tests.durability_writer DB ROUND    (from the repository root)

Several tasks write concurrently, the way the adapters do: acknowledged feedback
(``ACK feedback <user> <reply>``), acknowledged ``/forget`` of a user who had rows
(``ACK forget <user>``), and a stream of question-log rows that nobody waits for. Each
``ACK`` line is printed only after the awaited write returned, i.e. was committed.
"""

from __future__ import annotations

import asyncio
import itertools
import sys

from bot.domain.models import AskContext, Outcome, Reply
from bot.storage import Store

PLATFORM = "telegram"
WRITERS = 4
MISSED = Reply("Wie wird das Wetter in Quxlingen?", "de", Outcome.FALLBACK, "…", id="x")


def ack(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def feedback_and_forget(store: Store, prefix: str) -> None:
    for n in itertools.count():
        user = f"{prefix}-{n}"
        ctx = AskContext(PLATFORM, "-100555", user)
        reply_id = f"{n:x}"
        await store.record_feedback(ctx, reply_id, "people.liang_wenfeng", n % 2 == 0)
        ack(f"ACK feedback {user} {reply_id}")
        if n % 5 == 4:
            store.record_question(ctx, MISSED, 1.0)  # a row the forget must also remove
            # Announced first: a kill between the commit and the ACK line below may
            # leave this user's rows legitimately deleted without an acknowledgement.
            ack(f"SENT forget {user}")
            await store.forget_user(PLATFORM, user)
            ack(f"ACK forget {user}")


async def question_log(store: Store, prefix: str) -> None:
    """Unacknowledged load: the batched writer commits these alongside the acknowledged ones.

    ``QUEUED <n>`` says how many rows were handed over so far (not that they are on disk).
    """
    for n in itertools.count(1):
        ctx = AskContext(PLATFORM, "-100555", f"{prefix}-asker-{n % 50}")
        for _ in range(20):
            store.record_question(ctx, MISSED, 1.0)
        if n % 10 == 0:
            ack(f"QUEUED {n * 20}")
        await asyncio.sleep(0.001)


async def main(db: str, round_name: str) -> None:
    store = await Store.open(db, flush_interval=0.01)
    ack("READY")
    tasks = [
        *(feedback_and_forget(store, f"{round_name}w{k}") for k in range(WRITERS)),
        question_log(store, round_name),
    ]
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
