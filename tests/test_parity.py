"""The same scenario through both platforms: where Telegram and Discord used to differ.

Before the chat service, each platform had its own copy of these behaviours and the
copies disagreed: Discord stored feedback for any well-formed payload, fuzzy-matched
topic buttons, did not limit /lang and /forget, and kept close calls in memory. Each
scenario here runs through the real python-telegram-bot and discord.py against their
fakes, and must end the same way on both.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.domain.messages import message
from bot.engine.decision import Thresholds
from bot.engine.engine import Engine, EngineOptions
from bot.knowledge import Knowledge
from tests.bots import RunningBot, discord_bot, telegram_bot
from tests.fakes import discord as dc
from tests.fakes import telegram as tg

CHANNEL_POST = r"/channels/\d+/messages"
CALLBACK = r"/interactions/\d+/[^/]+/callback"


class Driver(Protocol):
    """One platform, driven the way its users drive it."""

    bot: RunningBot

    async def ask(self, text: str, user: int = 1) -> Any: ...

    async def command(self, name: str, arg: str = "", user: int = 1) -> str | None: ...

    async def click(self, sent: Any, payload: str, user: int = 1) -> tuple[str, str]:
        """(the notice the clicker sees, or "", the message shown for the click, or "")."""

    def buttons(self, sent: Any) -> list[str]: ...

    def shown(self, sent: Any) -> str:
        """The text of a sent message, as its reader sees it."""


class TelegramDriver:
    def __init__(self, fake: tg.FakeTelegram, bot: RunningBot) -> None:
        self.fake, self.bot = fake, bot

    @staticmethod
    def _user(user: int) -> dict[str, Any]:
        return tg.FakeTelegram.user(1000 + user, f"U{user}", "de")

    async def ask(self, text: str, user: int = 1) -> tg.Call:
        before = len(self.fake.sent())
        self.fake.say(text, user=self._user(user))
        return (await self.fake.wait_for("sendMessage", before + 1, within=15))[before]

    async def handled(self) -> None:
        """Every update so far fetched by the bot, and its handler finished (silence too)."""
        fake, adapter = self.fake, self.bot.adapter

        def done() -> bool:
            return fake.taken() >= fake.last_update_id and adapter.updates_in_hand == 0

        await fake.wait_until(done, "the bot to handle every update", within=15)

    async def command(self, name: str, arg: str = "", user: int = 1) -> str | None:
        before = len(self.fake.sent())
        self.fake.say(f"/{name} {arg}".strip(), user=self._user(user))
        await self.handled()
        sent = self.fake.sent()
        return tg.parse_html(sent[before].text) if len(sent) > before else None

    async def click(self, sent: tg.Call, payload: str, user: int = 1) -> tuple[str, str]:
        shown = len(self.fake.calls_to("editMessageText")) + len(self.fake.sent())
        toasts = len(self.fake.calls_to("answerCallbackQuery"))
        self.fake.tap(self.fake.message_of(sent), payload, user=self._user(user))
        await self.handled()
        toast = self.fake.calls_to("answerCallbackQuery")[toasts]
        messages = sorted([*self.fake.calls_to("editMessageText"), *self.fake.sent()], key=_at)
        text = tg.parse_html(messages[-1].text) if len(messages) > shown else ""
        return str(toast.params.get("text") or ""), text

    def buttons(self, sent: tg.Call) -> list[str]:
        return [b["callback_data"] for b in sent.buttons]

    def shown(self, sent: tg.Call) -> str:
        return tg.parse_html(sent.text)


def _at(call: tg.Call) -> float:
    return call.at


class DiscordDriver:
    def __init__(self, fake: dc.FakeDiscord, bot: RunningBot) -> None:
        self.fake, self.bot = fake, bot

    @staticmethod
    def _user(user: int) -> int:
        return dc.ALICE_ID if user == 1 else dc.BOB_ID

    async def ask(self, text: str, user: int = 1) -> dc.Request:
        mark = self.fake.mark()
        await self.fake.send_message(
            f"<@{dc.BOT_ID}> {text}", mentions=[dc.BOT_ID], author_id=self._user(user)
        )
        return (await self.fake.wait_request("POST", CHANNEL_POST, after=mark))[0]

    async def command(self, name: str, arg: str = "", user: int = 1) -> str | None:
        mark = self.fake.mark()
        options = {"language": arg} if name == "lang" else None
        await self.fake.slash(name, options, user_id=self._user(user))
        [reply] = await self.fake.wait_request("POST", CALLBACK, after=mark)
        return reply.text or None  # type 5/6 without text: nothing shown

    async def click(self, sent: dc.Request, payload: str, user: int = 1) -> tuple[str, str]:
        message = self.fake.message_of(sent)
        if payload not in sent.custom_ids:
            # Discord only sends clicks on buttons a message has: a stale one (an intent
            # removed by a reload since) sits on an old message, as the fake keeps it.
            message = copy.deepcopy(message)
            message["components"][0]["components"][0]["custom_id"] = payload
        mark = self.fake.mark()
        await self.fake.click(message, payload, user_id=self._user(user))
        [reply] = await self.fake.wait_request("POST", CALLBACK, after=mark)
        return (reply.text, "") if reply.ephemeral else ("", reply.text)

    def buttons(self, sent: dc.Request) -> list[str]:
        return list(sent.custom_ids)

    def shown(self, sent: dc.Request) -> str:
        return sent.text


class Platform:
    """Starts bots of one platform on one fake; a second bot on the same database is a
    restart."""

    def __init__(self, name: str, stack: contextlib.AsyncExitStack, folder: Path) -> None:
        self.name, self.stack, self.folder = name, stack, folder
        self.fake: Any = None

    async def start(self, engine: Engine, **settings: Any) -> Driver:
        roomy = {"user_rate_limit": "100/60", "chat_rate_limit": "100/60", **settings}
        if self.name == "telegram":
            if self.fake is None:
                self.fake = tg.FakeTelegram()
                await self.fake.start()
                self.stack.push_async_callback(self.fake.stop)
            running = telegram_bot(self.fake, self.folder, engine, **roomy)
            return TelegramDriver(self.fake, await self.stack.enter_async_context(running))
        if self.fake is None:
            self.fake = await self.stack.enter_async_context(dc.FakeDiscord.running())
        running = discord_bot(self.fake, self.folder, engine, **roomy)
        return DiscordDriver(self.fake, await self.stack.enter_async_context(running))

    async def stop(self, driver: Driver) -> None:
        await driver.bot.adapter.stop()
        await driver.bot.services.close()


@pytest.fixture(params=["telegram", "discord"])
async def platform(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Platform]:
    async with contextlib.AsyncExitStack() as stack:
        yield Platform(request.param, stack, tmp_path)


@pytest.fixture(scope="module")
def shared(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture(scope="module")
def hesitant(knowledge: Knowledge) -> Engine:
    return Engine(knowledge, EngineOptions(thresholds=Thresholds(answer=100.1, suggest=40)))


UNAVAILABLE = message("unavailable", "de")


async def test_feedback_for_an_intent_that_is_gone_is_refused_and_not_stored(
    platform: Platform, shared: Engine
) -> None:
    driver = await platform.start(shared)
    answer = await driver.ask("Wer ist Liang Wenfeng?")
    assert await driver.click(answer, "fb:1:gone.intent:abc123") == (UNAVAILABLE, "")
    thanks = await driver.click(answer, driver.buttons(answer)[0])
    assert thanks == (message("feedback_thanks", "de"), "")
    assert driver.bot.rows("SELECT intent FROM feedback") == [("people.liang_wenfeng",)]


async def test_a_topic_button_must_name_its_topic_exactly(
    platform: Platform, shared: Engine
) -> None:
    driver = await platform.start(shared)
    answer = await driver.ask("Wer ist Liang Wenfeng?")
    assert await driver.click(answer, "topic:bann") == (UNAVAILABLE, "")  # no typo forgiveness
    notice, shown = await driver.click(answer, "topic:bans")
    assert notice == "" and "Verbote und Datenschutz" in shown


async def test_lang_and_forget_count_against_the_flood_limit(
    platform: Platform, shared: Engine
) -> None:
    driver = await platform.start(shared, user_rate_limit="2/60")
    assert await driver.command("lang", "de") == message("lang_set", "de")
    assert await driver.command("forget") == message("forgot", "de")
    assert await driver.command("lang", "de") == message("rate_limited", "de")  # one notice
    assert await driver.command("forget") is None  # then silence
    assert await driver.command("forget", user=2) == message("forgot", "de")  # only that person


async def test_a_did_you_mean_click_after_a_restart_answers_and_is_recorded(
    platform: Platform, hesitant: Engine
) -> None:
    before = await platform.start(hesitant)
    offer = await before.ask("Wer ist Liang Wenfeng?")
    picks = before.buttons(offer)
    assert picks and all(p.startswith("pick:") for p in picks)
    await platform.stop(before)

    after = await platform.start(hesitant)  # a new process: nothing of the old one in memory
    notice, shown = await after.click(offer, picks[0], user=2)  # someone else taps
    chosen = picks[0].split(":")[1]
    answer = hesitant.answer_intent(chosen, "de")
    assert notice == "" and answer is not None and answer.paragraphs[0][:50] in shown
    await after.bot.store.flush()
    asker = after.bot.store.hash(platform.name, "user", str(_user_id(platform, 1)))
    assert after.bot.rows("SELECT user_hash, intent, question FROM suggestion_picks") == [
        (asker, chosen, "Wer ist Liang Wenfeng?")
    ]


def _user_id(platform: Platform, user: int) -> int:
    return 1000 + user if platform.name == "telegram" else dc.ALICE_ID


# -- a conversation, not a questionnaire ----------------------------------------------------


async def test_small_talk_help_and_sources_in_free_text(platform: Platform, shared: Engine) -> None:
    driver = await platform.start(shared)
    hello = await driver.ask("Hallo!")
    smalltalk = shared.knowledge.smalltalk
    assert smalltalk is not None
    assert smalltalk.examples.de[0] in driver.shown(hello)  # a friendly reply with an example
    assert driver.buttons(hello) == []  # nothing to rate, no sources
    assert message("sources_label", "de") not in driver.shown(hello)
    helped = driver.shown(await driver.ask("Hilfe"))
    assert all(v.title in helped for v in shared.topics("de"))  # the /help topics
    sources = driver.shown(await driver.ask("Welche Quellen nutzt du?"))
    assert all(s.title in sources for s in shared.sources("de"))  # the /sources list
    assert driver.bot.rows("SELECT outcome FROM questions WHERE question IS NOT NULL") == []


async def test_a_follow_up_leans_on_the_askers_last_answer_only(
    platform: Platform, shared: Engine
) -> None:
    driver = await platform.start(shared)
    italy = shared.knowledge.intents["bans.italy"].title.get("de")
    await driver.ask("Warum hat Italien DeepSeek gesperrt?")
    other = driver.shown(await driver.ask("Und wann?", user=2))  # someone else in the chat
    assert italy not in other
    when = driver.shown(await driver.ask("Und wann?"))
    assert italy in when  # answered, saying which question it took it for
    musk = shared.knowledge.intents["people.elon_musk"].title.get("de")
    await driver.ask("Wer ist Sam Altman?")
    assert musk in driver.shown(await driver.ask("Und Elon Musk?"))
    await driver.command("forget")
    assert italy not in driver.shown(await driver.ask("Und wann?"))  # /forget drops it too
