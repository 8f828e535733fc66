"""Button payloads shared by the adapters (Telegram callback_data, Discord custom_id).

Kept short (Telegram allows 64 bytes) and validated on the way back in:
a payload is data from the outside world.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INTENT = r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"
_FEEDBACK = re.compile(rf"^fb:([01]):({_INTENT}):([0-9a-f]{{1,16}})$")
_PICK = re.compile(rf"^pick:({_INTENT})$")
_TOPIC = re.compile(r"^topic:([a-z][a-z0-9_-]*)$")


@dataclass(frozen=True)
class Feedback:
    intent: str
    reply_id: str
    helpful: bool


@dataclass(frozen=True)
class Pick:
    intent: str


@dataclass(frozen=True)
class TopicChoice:
    topic: str


def feedback(intent: str, reply_id: str, helpful: bool) -> str:
    return f"fb:{int(helpful)}:{intent}:{reply_id[:16]}"


def pick(intent: str) -> str:
    return f"pick:{intent}"


def topic(topic_id: str) -> str:
    return f"topic:{topic_id}"


def parse(data: str | None) -> Feedback | Pick | TopicChoice | None:
    if not data or len(data) > 100:
        return None
    if found := _FEEDBACK.match(data):
        return Feedback(found[2], found[3], found[1] == "1")
    if found := _PICK.match(data):
        return Pick(found[1])
    if found := _TOPIC.match(data):
        return TopicChoice(found[1])
    return None
