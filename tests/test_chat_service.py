"""The chat service's behaviour, once for every platform: requests in, responses collected.

Like errbot's test backend or Rasa's collecting output channel: no platform, no HTTP,
a real SQLite file; each test takes milliseconds. The fakes of Telegram and Discord
test translation, rendering and transport; ``test_parity.py`` runs the scenarios where
the platforms used to differ through both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.chat.requests import Ask, Caller, Click, Command, Complete, Inline, Request
from bot.chat.responses import (
    ButtonKind,
    Choices,
    Edit,
    Help,
    InlineResults,
    Notice,
    Privacy,
    Response,
    Say,
    SourceList,
    Text,
    Toast,
    TopicList,
)
from bot.chat.service import ChatService
from bot.config import Settings
from bot.domain import callbacks
from bot.domain.models import Outcome, Reply, TopicView
from bot.engine.decision import Thresholds
from bot.engine.engine import Engine, EngineOptions
from bot.engine.reload import ReloadResult
from bot.errors import StorageError
from bot.runtime.services import Services, open_services

ALICE = Caller("telegram", "100", "100", locale="de", private=True)
BOB = Caller("telegram", "200", "200", locale="en", private=True)
GROUP = replace(ALICE, chat_id="-1001", private=False)


def settings(tmp_path: Path, **values: Any) -> Settings:
    roomy = {"user_rate_limit": "100/60", "chat_rate_limit": "100/60"}
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=tmp_path / "bot.sqlite3", **{**roomy, **values}
    )


@dataclass
class Chat:
    """The service with a person to talk to it: ``await chat(request)`` -> responses."""

    services: Services

    @property
    def service(self) -> ChatService:
        return self.services.chat

    async def __call__(self, request: Request, caller: Caller = ALICE) -> list[Response]:
        return await self.service.handle(caller, request)

    async def say(self, request: Request, caller: Caller = ALICE) -> Say:
        [response] = await self(request, caller)
        assert isinstance(response, Say), response
        return response

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        import sqlite3

        with sqlite3.connect(self.services.settings.database_path) as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def hesitant(knowledge: Any) -> Engine:
    """Answers nothing outright: every good match becomes a close call."""
    return Engine(knowledge, EngineOptions(thresholds=Thresholds(answer=100.1, suggest=40)))


@pytest.fixture
async def open_chat(tmp_path: Path, engine: Engine) -> AsyncIterator[Any]:
    opened: list[Services] = []

    async def start(with_engine: Engine | None = None, **values: Any) -> Chat:
        services = await open_services(settings(tmp_path, **values), engine=with_engine or engine)
        opened.append(services)
        return Chat(services)

    try:
        yield start
    finally:
        for services in opened:
            await services.close()


@pytest.fixture
async def chat(open_chat: Any) -> Chat:
    return await open_chat()  # type: ignore[no-any-return]


def notice_of(response: Response) -> str:
    assert isinstance(response, Say | Toast), response
    item = response.content if isinstance(response, Say) else response.notice
    assert isinstance(item, Notice), item
    return item.key


# -- questions --------------------------------------------------------------------------


async def test_an_answer_carries_votes_and_is_quoted_only_in_groups(chat: Chat) -> None:
    said = await chat.say(Ask("Wer ist Liang Wenfeng?"))
    assert isinstance(said.content, Reply) and said.content.intent == "people.liang_wenfeng"
    assert [b.kind for b in said.buttons] == [ButtonKind.HELPFUL, ButtonKind.UNHELPFUL]
    assert not said.quote
    assert (await chat.say(Ask("Wer ist Liang Wenfeng?"), GROUP)).quote


async def test_the_chats_language_setting_wins_over_the_questions(chat: Chat) -> None:
    assert notice_of(await chat.say(Command("lang", "en"))) == "lang_set"
    said = await chat.say(Ask("Wer ist Liang Wenfeng?"))
    assert said.language == "en" and isinstance(said.content, Reply)
    assert "founder" in said.content.text
    said = await chat.say(Command("lang", "auto"))
    assert notice_of(said) == "lang_auto" and said.language == "de"  # Alice's app language
    assert (await chat.say(Ask("Wer ist Liang Wenfeng?"))).language == "de"
    assert notice_of(await chat.say(Command("lang", "fr"))) == "lang_usage"


# -- close calls: the memory is the question log ------------------------------------------


async def test_a_pick_answers_in_place_and_is_kept_under_the_asker_even_after_a_restart(
    open_chat: Any, hesitant: Engine
) -> None:
    first = await open_chat(hesitant)
    offer = await first.say(Ask("Wer ist Liang Wenfeng?"))
    assert isinstance(offer.content, Reply) and offer.content.outcome is Outcome.CLOSE_CALL
    payloads = [b.payload for b in offer.buttons]
    assert all(
        callbacks.parse(p) == callbacks.Pick(p.split(":")[1], offer.content.id) for p in payloads
    )
    await first.services.close()  # the process ends: nothing of it stays in memory

    second = await open_chat(hesitant)
    toast, edit = await second(Click(payloads[1]), BOB)  # someone else taps
    assert isinstance(toast, Toast) and toast.notice is None
    assert isinstance(edit, Edit) and isinstance(edit.content, Reply)
    chosen = offer.content.suggestions[1].intent
    assert edit.content.intent == chosen and edit.language == "de"  # the question's language
    assert edit.content.question == "Wer ist Liang Wenfeng?"
    assert second.services.store is not None
    await second.services.store.flush()
    alice = second.services.store.hash("telegram", "user", "100")
    assert second.rows("SELECT user_hash, intent, question FROM suggestion_picks") == [
        (alice, chosen, "Wer ist Liang Wenfeng?")
    ]
    # Alice's /forget takes her question and the pick on it with her.
    await second(Command("forget"))
    assert second.rows("SELECT * FROM suggestion_picks") == []
    late = await second(Click(payloads[0]), BOB)  # the question is gone: still an answer
    assert isinstance(late[1], Edit) and second.rows("SELECT * FROM suggestion_picks") == []


async def test_a_pick_from_a_topic_list_is_a_new_message(chat: Chat) -> None:
    [_, said] = await chat(Click(callbacks.pick("bans.italy")))
    assert isinstance(said, Say) and isinstance(said.content, Reply)
    assert said.content.intent == "bans.italy"


# -- buttons from the outside world -------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "fb:1:gone.intent:abc123",  # feedback on an intent the knowledge no longer has
        "pick:gone.intent",
        "topic:gone",
        "topic:bann",  # close to "bans": a button names its topic exactly, typos are typed
        "pick:bans.italy:zz",  # not a reply id
        "<script>",
        None,
    ],
)
async def test_stale_or_forged_buttons_are_unavailable_and_store_nothing(
    chat: Chat, payload: str | None
) -> None:
    [toast] = await chat(Click(payload))
    assert isinstance(toast, Toast) and notice_of(toast) == "unavailable"
    assert chat.rows("SELECT * FROM feedback") == chat.rows("SELECT * FROM suggestion_picks") == []


async def test_feedback_is_one_vote_per_person_and_reply(chat: Chat) -> None:
    said = await chat.say(Ask("Wer ist Liang Wenfeng?"))
    up, down = (b.payload for b in said.buttons)
    for payload in (up, down):
        [toast] = await chat(Click(payload))
        assert notice_of(toast) == "feedback_thanks"
    assert chat.rows("SELECT intent, helpful FROM feedback") == [("people.liang_wenfeng", 0)]


async def test_a_topic_button_opens_its_topic_with_its_questions(chat: Chat) -> None:
    [_, said] = await chat(Click(callbacks.topic("bans")))
    assert isinstance(said, Say) and isinstance(said.content, TopicView)
    assert said.content.id == "bans"
    assert {b.payload for b in said.buttons} == {
        callbacks.pick(i.intent) for i in said.content.intents
    }


# -- flood control: questions, commands and clicks alike ------------------------------------


@pytest.mark.parametrize("request_", [Ask("Italien"), Command("lang", "de"), Command("forget")])
async def test_flood_control_covers_every_command(open_chat: Any, request_: Request) -> None:
    chat = await open_chat(user_rate_limit="2/60")
    limited = [Say(Notice("rate_limited"), "de", ephemeral=True)]
    assert await chat(request_) != limited
    assert await chat(request_) != limited
    assert await chat(request_) == limited  # once ...
    assert await chat(request_) == []  # ... then silence
    assert await chat(request_, BOB) not in ([], limited)  # nobody else is held up


async def test_a_flooded_click_is_acknowledged_without_a_message(open_chat: Any) -> None:
    chat = await open_chat(user_rate_limit="1/60")
    await chat(Ask("Italien"))
    [notice] = await chat(Click(callbacks.topic("bans")))
    assert isinstance(notice, Toast) and notice_of(notice) == "rate_limited"
    [silent] = await chat(Click(callbacks.topic("bans")))
    assert isinstance(silent, Toast) and silent.notice is None


# -- commands -----------------------------------------------------------------------------


async def test_browsing_commands(chat: Chat) -> None:
    assert isinstance((await chat.say(Command("help"))).content, Help)
    topics = await chat.say(Command("topics"))
    assert isinstance(topics.content, TopicList) and len(topics.buttons) == len(
        topics.content.topics
    )
    assert isinstance((await chat.say(Command("sources"))).content, SourceList)
    assert isinstance((await chat.say(Command("topic", "Sanktionn"))).content, TopicView)  # typed
    unknown = await chat.say(Command("topic", "Quxlingen"))
    assert notice_of(unknown) == "unknown_topic" and unknown.buttons  # with the topics to pick
    assert notice_of(await chat.say(Command("topic"))) == "choose_topic"
    assert notice_of(await chat.say(Command("ask"))) == "ask_usage"
    assert isinstance((await chat.say(Command("ask", "Italien"))).content, Reply)
    privacy = await chat.say(Command("privacy"))
    assert privacy.ephemeral and isinstance(privacy.content, Privacy)


async def test_an_unknown_command_gets_help_in_private_and_nothing_in_a_group(chat: Chat) -> None:
    assert isinstance((await chat.say(Command("quatsch"))).content, Help)
    assert await chat(Command("quatsch"), GROUP) == []


ROLES = {
    "member": ALICE,
    "operator in a group": replace(GROUP, operator=True),
    "manager, whispered": replace(GROUP, manager=True, whisper=True),
    "operator in private": replace(ALICE, operator=True),
}


@pytest.mark.parametrize(
    ("role", "outcome"),
    [
        ("member", "not_admin"),
        ("operator in a group", "stats_private_only"),
        ("manager, whispered", "counts only"),
        ("operator in private", "everything"),
    ],
)
async def test_stats_by_who_asks_and_where(chat: Chat, role: str, outcome: str) -> None:
    await chat(Ask("Wie wird das Wetter in Quxlingen?"), BOB)  # a miss: its text is kept
    assert chat.services.store is not None
    await chat.services.store.flush()
    said = await chat.say(Command("stats", "30"), ROLES[role])
    assert said.ephemeral
    if outcome in ("not_admin", "stats_private_only"):
        assert notice_of(said) == outcome
        return
    assert isinstance(said.content, Text) and said.content.text.startswith("Letzte 30 Tage: 1")
    assert ("Quxlingen" in said.content.text) is (outcome == "everything")


@pytest.mark.parametrize("role", ["member", "operator in a group"])
async def test_reload_is_refused_to_members_and_in_groups(chat: Chat, role: str) -> None:
    said = await chat.say(Command("reload"), ROLES[role])
    assert notice_of(said) in ("not_admin", "admin_private_only")


async def test_reload_for_an_operator_reports_the_result(chat: Chat) -> None:
    """What /reload runs is the runtime's (tested with each platform); here: who, and what."""
    ran: list[str] = []

    async def reload() -> ReloadResult:
        ran.append("reload")
        return ReloadResult(True, "new", "old", topics=11, intents=65, warnings=2)

    old = chat.service
    service = ChatService(old.engine, old.store, old.gate, old.options, reload=reload)
    [said] = await service.handle(ROLES["operator in private"], Command("reload"))
    assert isinstance(said, Say) and isinstance(said.content, Text) and ran == ["reload"]
    assert said.content.text.startswith("Wissen neu geladen: 11 Themen, 65 Fragen")


# -- the rest ---------------------------------------------------------------------------------


async def test_inline_queries_and_autocomplete(chat: Chat) -> None:
    [results] = await chat(Inline("Italien"))
    assert isinstance(results, InlineResults) and results.replies[0].intent == "bans.italy"
    assert await chat(Inline("  ")) == [InlineResults(())]
    [choices] = await chat(Complete("topic", "sank"))
    assert isinstance(choices, Choices) and choices.items[0][1] == "sanctions"


async def test_a_failing_store_gets_an_error_notice_not_an_exception(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise StorageError("disk full")

    assert chat.services.store is not None
    monkeypatch.setattr(chat.services.store, "set_chat_language", broken)
    assert notice_of(await chat.say(Command("lang", "en"))) == "error"
    monkeypatch.setattr(chat.services.store, "record_feedback", broken)
    said = await chat.say(Ask("Wer ist Liang Wenfeng?"))
    [toast] = await chat(Click(said.buttons[0].payload))
    assert notice_of(toast) == "error"


async def test_without_a_store_nothing_is_kept_and_settings_say_so(open_chat: Any) -> None:
    from bot.runtime.services import build_chat

    base = await open_chat()
    service = build_chat(base.services.settings, base.services.engine, None)
    [said] = await service.handle(ALICE, Command("lang", "en"))
    assert notice_of(said) == "error"
    [said] = await service.handle(ALICE, Ask("Wer ist Liang Wenfeng?"))
    assert isinstance(said, Say) and isinstance(said.content, Reply)
