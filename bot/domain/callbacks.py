"""Button payloads (Telegram callback_data, Discord custom_id), shared by every platform.

Kept short (Telegram allows 64 bytes) and validated on the way back in: a payload is
data from the outside world. A pick from a "did you mean" carries the close call's
reply id, so the chat service can find the question it answered (stored with the
question log) even after a restart; a pick from a topic list carries none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INTENT = r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"
_REPLY = r"[0-9a-f]{1,16}"
_FEEDBACK = re.compile(rf"^fb:([01]):({_INTENT}):({_REPLY})$")
_PICK = re.compile(rf"^pick:({_INTENT})(?::({_REPLY}))?$")
_TOPIC = re.compile(r"^topic:([a-z][a-z0-9_-]*)$")
MAX_BYTES = 64


@dataclass(frozen=True)
class Feedback:
    intent: str
    reply_id: str
    helpful: bool


@dataclass(frozen=True)
class Pick:
    intent: str
    reply_id: str | None = None  # the close call it was offered in, if any


@dataclass(frozen=True)
class TopicChoice:
    topic: str


Payload = Feedback | Pick | TopicChoice


def feedback(intent: str, reply_id: str, helpful: bool) -> str:
    return f"fb:{int(helpful)}:{intent}:{reply_id[:16]}"


def pick(intent: str, reply_id: str | None = None) -> str:
    return f"pick:{intent}:{reply_id[:16]}" if reply_id else f"pick:{intent}"


def topic(topic_id: str) -> str:
    return f"topic:{topic_id}"


def parse(data: str | None) -> Payload | None:
    if not data or len(data) > 100:
        return None
    if found := _FEEDBACK.match(data):
        return Feedback(found[2], found[3], found[1] == "1")
    if found := _PICK.match(data):
        return Pick(found[1], found[2])
    if found := _TOPIC.match(data):
        return TopicChoice(found[1])
    return None
