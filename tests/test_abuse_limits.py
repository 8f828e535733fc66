"""Abuse, the rules on their own: over-long input and flood control.

* A question over ``MAX_QUESTION_CHARS`` is refused before any matching work (a spy on the
  matcher proves it); the same on the Telegram path is in ``tests/test_abuse_end_to_end.py``.
* Flood control holds per user and per chat under a flood from one user, while everyone
  else is still answered: the gate's exact rule as a property (and once end to end, in
  ``tests/test_abuse_end_to_end.py``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.ratelimit import FloodGate, Rate, Verdict
from bot.config import Settings
from bot.domain.messages import message
from bot.domain.models import AskContext, Outcome
from bot.engine.engine import Engine
from bot.runtime.services import build_engine
from tests.matching_spy import MatchingSpy

# The fixture (defined once in tests/matching_spy.py), in this module for pytest.
from tests.matching_spy import spy as spy

# -- over-long input -----------------------------------------------------------------------


@pytest.mark.parametrize("length", [1001, 4096, 100_000])
async def test_too_long_is_refused_before_any_matching_work(
    engine: Engine, spy: MatchingSpy, length: int
) -> None:
    question = ("Wer ist Liang Wenfeng? " * (length // 23 + 1))[:length]
    reply = await engine.ask(question, AskContext("telegram", "1", "1"))
    assert reply.outcome is Outcome.REFUSED and reply.intent is None
    assert reply.text == message("too_long", reply.language, length=length, limit=1000)
    assert spy.calls == 0  # no normalising, no matching
    assert max(spy.detected, default=0) <= 1000  # only the allowed head was looked at
    assert engine.top_answers(question) == [] and spy.calls == 0  # inline mode too
    # The boundary: exactly at the limit, the question is matched.
    assert engine.answer(question[:1000]).outcome is not Outcome.REFUSED
    assert spy.calls > 0


def test_the_configured_maximum_is_the_one_enforced(spy: MatchingSpy) -> None:
    settings = Settings(_env_file=None, max_question_chars=40)  # type: ignore[call-arg]
    engine = build_engine(settings)
    spy.calls = 0
    question = "Wer ist Liang Wenfeng, der Gründer?"  # 35 characters
    assert engine.answer(question).intent == "people.liang_wenfeng" and spy.calls > 0
    spy.calls = 0
    refused = engine.answer(question + " Und sonst?")
    assert refused.outcome is Outcome.REFUSED and spy.calls == 0
    assert "46" in refused.text and "40" in refused.text


# -- flood control: the rule -----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


events = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),  # user
        st.integers(min_value=0, max_value=2),  # chat (2 = the user's private chat)
        st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0, 3.0, 11.0]),  # seconds since the last one
    ),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(events)
def test_flood_gate_refuses_exactly_when_a_window_is_full(
    timeline: list[tuple[int, int, float]],
) -> None:
    """Per user and per chat: at most ``count`` answers in any ``seconds`` window, and a
    message is refused only when one of its windows really is full (nobody else pays for
    a flood); refused messages cost nothing; one notice per flood, then silence."""
    user_rate, chat_rate = Rate(3, 10), Rate(5, 10)
    clock = Clock()
    gate = FloodGate(user_rate, chat_rate, clock=clock)
    allowed: list[tuple[float, str, str | None]] = []
    notices: dict[str, int] = {}
    for user_n, chat_n, gap in timeline:
        clock.now += gap
        user = f"u{user_n}"
        chat = user if chat_n == 2 else f"c{chat_n}"  # a private chat is the user's own
        now = clock.now
        recent = [a for a in allowed if now - a[0] < 10]
        user_full = sum(a[1] == user for a in recent) >= user_rate.count
        chat_full = chat != user and sum(a[2] == chat for a in recent) >= chat_rate.count
        verdict = gate.check("telegram", chat, user)
        assert (verdict is Verdict.ALLOW) == (not user_full and not chat_full), (user, chat)
        if verdict is Verdict.ALLOW:
            allowed.append((now, user, chat if chat != user else None))
        elif verdict is Verdict.NOTIFY:
            notices[user] = notices.get(user, 0) + 1
    # Never more than one notice per user for each time the limit was reached after a
    # quiet window: at most one per 10 seconds of flooding.
    span = sum(gap for _, _, gap in timeline)
    for count in notices.values():
        assert count <= 2 + span / 10 * 2


def test_a_flood_from_one_user_leaves_everyone_else_answered() -> None:
    clock = Clock()
    gate = FloodGate(Rate(6, 60), Rate(30, 60), clock=clock)
    verdicts = [gate.check("telegram", "group", "flooder") for _ in range(1000)]
    assert verdicts.count(Verdict.ALLOW) == 6
    assert verdicts.count(Verdict.NOTIFY) == 1 and verdicts[6] is Verdict.NOTIFY
    assert set(verdicts[7:]) == {Verdict.SILENT}
    # The flood cost the group only the flooder's six answers: 24 others fit.
    others = [gate.check("telegram", "group", f"user{n}") for n in range(24)]
    assert set(others) == {Verdict.ALLOW}
    # Now the group is full: one notice for the group, then silence ...
    assert gate.check("telegram", "group", "late1") is Verdict.NOTIFY
    assert gate.check("telegram", "group", "late2") is Verdict.SILENT
    # ... while other chats and private chats go on as before.
    assert gate.check("telegram", "other-group", "user1") is Verdict.ALLOW
    assert gate.check("telegram", "user3", "user3") is Verdict.ALLOW
    assert gate.check("discord", "group", "flooder") is Verdict.ALLOW  # another platform
    clock.now += 60  # a minute later the flooder may ask again (and is warned again)
    assert gate.check("telegram", "group", "flooder") is Verdict.ALLOW


def test_a_flood_of_new_ids_does_not_grow_memory_without_bound() -> None:
    clock = Clock()
    gate = FloodGate(Rate(6, 60), Rate(30, 60), clock=clock)
    for n in range(20_000):
        gate.check("discord", f"channel{n % 50}", f"user{n}")
        clock.now += 0.001
    clock.now += 61
    gate.check("discord", "channel", "user")
    assert len(gate._windows) <= 2
