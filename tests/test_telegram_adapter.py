"""End to end: the real python-telegram-bot Application against a fake Bot API on 127.0.0.1.

Every assertion is on what the fake recorded (the exact REST payloads) or on the real
SQLite file; nothing reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot import logs
from bot.chat.reports import privacy_text
from bot.config import Settings
from bot.domain import callbacks
from bot.domain.messages import message
from bot.domain.models import AskContext, Outcome, Reply
from bot.engine.engine import Engine
from bot.errors import StartupError
from bot.knowledge import Knowledge, load_knowledge
from bot.platforms.telegram.adapter import TelegramAdapter
from bot.platforms.telegram.texts import say as tg_say
from bot.runtime.services import build_chat
from tests.bots import RunningBot, telegram_bot
from tests.conftest import eventually
from tests.fakes.telegram import (
    BOT_USERNAME,
    TOKEN,
    Call,
    FakeTelegram,
    free_port,
    parse_html,
)

ADMIN = 4242
GROUP = FakeTelegram.group()
LIANG_DE = "gegründet"  # the fact in the German answer about Liang Wenfeng
MENTION = f"@{BOT_USERNAME}"
REPO = Path(__file__).resolve().parent.parent


Bot = RunningBot


@pytest.fixture(scope="module")
def shared_engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


MakeBot = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(
    fake: FakeTelegram, tmp_path: Path, shared_engine: Engine
) -> AsyncIterator[MakeBot]:
    async with contextlib.AsyncExitStack() as stack:

        async def make(engine: Engine | None = None, **overrides: Any) -> Bot:
            settings = {"telegram_admin_ids": str(ADMIN), **overrides}
            running = telegram_bot(fake, tmp_path, engine or shared_engine, **settings)
            return await stack.enter_async_context(running)

        yield make


@pytest.fixture
async def bot(make_bot: MakeBot) -> Bot:
    return await make_bot()


async def said(fake: FakeTelegram, count: int = 1, **kwargs: Any) -> list[Call]:
    """Wait for ``count`` more successful sendMessage calls than there were before."""
    return await fake.wait_for("sendMessage", count, **kwargs)


async def reply_to(fake: FakeTelegram, text: str, **kwargs: Any) -> Call:
    """Send one message and wait for the bot's (next) message."""
    before = len(fake.sent())
    fake.say(text, **kwargs)
    return (await fake.wait_for("sendMessage", before + 1))[before]


def assert_safe_html(call: Call) -> str:
    """Valid Telegram HTML (the fake would have refused it otherwise); the visible text."""
    assert call.params.get("parse_mode") == "HTML"
    return parse_html(call.text)


# -- start-up ------------------------------------------------------------------------


async def test_start_up_order_and_command_menu_in_both_languages(bot: Bot) -> None:
    fake = bot.fake
    await fake.wait_for("getUpdates")
    order = [c.method for c in fake.calls]
    assert order[0] == "getMe"
    assert order.index("setMyCommands") < order.index("deleteWebhook") < order.index("getUpdates")
    assert set(fake.commands) == {"de", "en", ""}
    de = {c["command"]: c["description"] for c in fake.commands["de"]}
    en = {c["command"]: c["description"] for c in fake.commands["en"]}
    assert set(de) == set(en) >= {"start", "help", "ask", "topic", "topics", "sources", "lang"}
    assert "stats" not in de and "reload" not in de  # operators only, not advertised
    assert de["privacy"] == tg_say("telegram_command_privacy", "de") != en["privacy"]
    assert de["forget"] == tg_say("telegram_command_forget", "de") != en["forget"]
    assert fake.commands[""] == fake.commands["de"]  # DEFAULT_LANGUAGE for everyone else
    polls = fake.calls_to("getUpdates", ok=None)
    assert polls[0].params["allowed_updates"] == ["message", "callback_query", "inline_query"]
    assert bot.adapter.connected


# -- questions -----------------------------------------------------------------------


async def test_private_question_answered_with_fact_sources_and_buttons(bot: Bot) -> None:
    asked = bot.fake.say("Wie viel hat die Entwicklung von DeepSeek gekostet?")
    (call,) = await said(bot.fake)
    shown = assert_safe_html(call)
    assert call.params["chat_id"] == asked["chat"]["id"]
    assert "5,58" in shown  # the fact
    assert "<b>Quellen:</b>" in call.text and "Stand: 2025-01-29" in shown
    cnn = "https://edition.cnn.com/2025/01/29/tech/deepseek-silicon-valley-ai/index.html"
    assert f'<a href="{cnn}">' in call.text
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert "reply_parameters" not in call.params  # no quoting in a private chat
    data = [b["callback_data"] for b in call.buttons]
    assert [b["text"] for b in call.buttons] == ["👍", "👎"]
    assert all(isinstance(callbacks.parse(d), callbacks.Feedback) for d in data)
    await bot.store.flush()
    assert bot.rows("SELECT outcome, intent FROM questions") == [("answered", "costs.development")]


async def test_english_question_answered_in_english(bot: Bot) -> None:
    bo = FakeTelegram.user(7, "Bo", "en")
    bot.fake.say("How many employees does DeepSeek have?", user=bo)
    (call,) = await said(bot.fake)
    shown = assert_safe_html(call)
    # "As of" comes from the answer's own sources: this one cites only an undated article.
    assert "140" in shown and "Sources:" in shown and "As of: " not in shown
    bot.fake.say("What did Sam Altman say about DeepSeek?", user=bo)
    _, call = await said(bot.fake, 2)
    assert "As of: 2025-01-29" in assert_safe_html(call)  # the CNN piece is dated


async def test_group_answers_only_mentions_replies_and_ask(bot: Bot) -> None:
    fake = bot.fake
    fake.say("Wer ist Liang Wenfeng?", chat=GROUP)
    fake.say("/help@SomeOtherBot", chat=GROUP)
    await fake.settle(0.5)
    assert fake.sent() == []  # not addressed: silence

    asked = fake.say(f"{MENTION} wer ist Liang Wenfeng?", chat=GROUP)
    (first,) = await said(fake)
    assert LIANG_DE in assert_safe_html(first)
    assert first.params["chat_id"] == GROUP["id"]
    assert first.params["reply_parameters"]["message_id"] == asked["message_id"]

    fake.say(
        "Und wie viele Mitarbeiter hat die Firma?", chat=GROUP, reply_to=fake.message_of(first)
    )
    second = (await said(fake, 2))[-1]
    assert "140" in assert_safe_html(second)

    fake.say(f"/ask@{BOT_USERNAME} Warum hat Italien DeepSeek gesperrt?", chat=GROUP)
    third = (await said(fake, 3))[-1]
    assert "Italien" in assert_safe_html(third)
    await fake.settle(0.3)
    assert len(fake.sent()) == 3


async def test_edited_messages_inline_echoes_and_non_text_are_ignored(bot: Bot) -> None:
    fake = bot.fake
    fake.say("Liang Wenfeng hat DeepSeek gegründet.", extra={"via_bot": fake.bot})
    msg = fake.say("placeholder")
    fake.push({"edited_message": {**msg, "text": "Wer ist Liang Wenfeng?", "edit_date": 1}})
    photo = {k: v for k, v in msg.items() if k not in ("text", "entities")}
    fake.push({"message": {**photo, "message_id": 999, "photo": []}})
    first = (await said(fake))[0]  # only the placeholder question
    await fake.settle(0.4)
    assert fake.sent() == [first]


async def test_html_in_questions_is_never_markup(bot: Bot) -> None:
    fake = bot.fake
    admin = FakeTelegram.user(ADMIN, "Op", "de")
    fake.say("Wer ist <b>Liang Wenfeng</b> & was macht er?")
    answered = (await said(fake))[0]
    assert "Liang Wenfeng" in assert_safe_html(answered)  # an answer or a "did you mean"
    nasty = 'Was kostet <b>das Abo</b> & <script>alert("x")</script>?'
    fake.say(nasty)
    fake.say("<i>", user=admin)
    await said(fake, 3)
    await bot.store.flush()
    stats = await reply_to(fake, "/stats", user=admin)  # echoes recent unanswered questions
    calls = fake.sent()
    shown = assert_safe_html(stats)
    assert nasty in shown  # the user sees exactly what was typed ...
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in stats.text  # ... escaped
    for call in calls:
        assert_safe_html(call)
        assert "<script" not in call.text and "<b>das" not in call.text


async def test_ten_thousand_characters_get_a_polite_refusal(bot: Bot) -> None:
    fake = bot.fake
    fake.say("Warum " * 1666 + "????")
    (call,) = await said(fake)
    shown = assert_safe_html(call)
    assert "10000" in shown and "1000" in shown
    fake.say("Wer ist Liang Wenfeng?")  # and the bot carries on
    assert LIANG_DE in assert_safe_html((await said(fake, 2))[-1])


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("🤖 Wer ist Liang Wenfeng? 🇨🇳", LIANG_DE),
        ("Ｗｅｒ ｉｓｔ Ｌｉａｎｇ Ｗｅｎｆｅｎｇ？", LIANG_DE),  # full-width forms
        ("Wer ist Liang\u200b Wenfeng\u0301?", LIANG_DE),  # zero-width space, combining accent
        ("🙂", "keine Antwort"),
        ("مرحبا DeepSeek؟ \u202eevil\u202c", "keine Antwort"),  # right-to-left, bidi override
    ],
)
async def test_emoji_and_unusual_unicode(bot: Bot, question: str, fact: str) -> None:
    bot.fake.say(question)
    (call,) = await said(bot.fake)
    assert fact in assert_safe_html(call)


async def test_mention_after_emoji_in_a_group_uses_utf16_offsets(bot: Bot) -> None:
    bot.fake.say(f"👩‍💻🇩🇪 {MENTION} Wer ist Liang Wenfeng?", chat=GROUP)
    (call,) = await said(bot.fake)
    assert LIANG_DE in assert_safe_html(call)


async def test_long_replies_are_split_at_paragraphs(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraph = "Ein langer Absatz über DeepSeek & <Chips>. " * 30  # ~1300 characters
    text = "\n\n".join(f"{n}: {paragraph}".strip() for n in range(8))

    async def long_reply(question: str, ctx: AskContext | None = None) -> Reply:
        return Reply(question, "de", Outcome.ANSWERED, text, intent="chips.overview", id="abc")

    monkeypatch.setattr(bot.engine, "ask", long_reply)
    bot.fake.say("Chips")
    await said(bot.fake, 3)
    await bot.fake.settle(0.3)
    calls = bot.fake.sent()
    shown = [assert_safe_html(c) for c in calls]
    assert len(calls) >= 3 and all(len(c.text) <= 4096 for c in calls)
    assert "\n\n".join(shown) == text  # cut only between paragraphs, nothing lost
    assert [bool(c.buttons) for c in calls] == [False] * (len(calls) - 1) + [True]


# -- commands ------------------------------------------------------------------------


async def test_start_and_help_in_the_users_language(bot: Bot) -> None:
    fake = bot.fake
    de = assert_safe_html(await reply_to(fake, "/start"))
    en = assert_safe_html(await reply_to(fake, "/help", user=FakeTelegram.user(8, "Cy", "en-GB")))
    assert "Befehle:" in de and "/ask – " in de and MENTION in de
    assert "Commands:" in en and "/topic – " in en and "US sanctions" in en


async def test_ask_command(bot: Bot) -> None:
    fake = bot.fake
    usage = await reply_to(fake, "/ask")
    answer = await reply_to(fake, "/ask Wer ist Liang Wenfeng?")
    assert "/ask Wer ist Liang Wenfeng?" in assert_safe_html(usage)
    assert LIANG_DE in assert_safe_html(answer)


async def test_topic_command_keyboard_and_tap(bot: Bot) -> None:
    fake = bot.fake
    fake.say("/topic")
    (picker,) = await said(fake)
    assert message("choose_topic", "de") in assert_safe_html(picker)
    data = [b["callback_data"] for b in picker.buttons]
    assert "topic:sanctions" in data and len(data) == len(bot.engine.topics("de"))

    fake.tap(fake.message_of(picker), "topic:sanctions")
    await fake.wait_for("answerCallbackQuery")
    summary = (await said(fake, 2))[-1]
    sanctions = bot.engine.topic("sanctions", "de")
    assert sanctions is not None and sanctions.summary[:40] in assert_safe_html(summary)
    assert all(b["callback_data"].startswith("pick:sanctions.") for b in summary.buttons)

    # A question button under a topic summary answers in a new message (the list stays).
    fake.tap(fake.message_of(summary), summary.buttons[0]["callback_data"])
    answer = (await said(fake, 3))[-1]
    assert answer.buttons[0]["callback_data"].startswith("fb:1:sanctions.")
    assert fake.calls_to("editMessageText") == []
    await bot.store.flush()
    assert bot.rows("SELECT COUNT(*) FROM suggestion_picks") == [(0,)]  # not a close call


async def test_topic_by_name_and_unknown_topic(bot: Bot) -> None:
    fake = bot.fake
    known = await reply_to(fake, "/topic Sanktionn")  # typo forgiven
    unknown = await reply_to(fake, "/topic Fußball")
    sanctions = bot.engine.topic("sanctions", "de")
    assert sanctions is not None and f"<b>{sanctions.title}</b>" in known.text
    assert "Dieses Thema kenne ich nicht" in assert_safe_html(unknown)
    assert unknown.buttons[0]["callback_data"].startswith("topic:")


async def test_topics_and_sources(bot: Bot) -> None:
    fake = bot.fake
    topics = await reply_to(fake, "/topics")
    sources = await reply_to(fake, "/sources", user=FakeTelegram.user(9, "Di", "en"))
    assert all(v.title in assert_safe_html(topics) for v in bot.engine.topics("de"))
    shown = assert_safe_html(sources)
    assert shown.startswith("My sources") and shown.count("• ") == 5
    assert "(CNN, 2025-01-29)" in shown


async def test_lang_sets_the_chat_language(bot: Bot) -> None:
    fake = bot.fake

    async def shown(text: str) -> str:
        return assert_safe_html(await reply_to(fake, text))

    assert await shown("/lang en") == message("lang_set", "en")
    assert bot.rows("SELECT language FROM chat_settings") == [("en",)]
    assert "founder" in await shown("Wer ist Liang Wenfeng?")  # German question, English chat
    assert "Commands:" in await shown("/help")  # the bot's own texts follow the setting too
    assert await shown("/lang auto") == message("lang_auto", "de")
    assert LIANG_DE in await shown("Wer ist Liang Wenfeng?")
    assert await shown("/lang fr") == message("lang_usage", "de")
    assert bot.rows("SELECT language FROM chat_settings") == [(None,)]


async def test_forget_deletes_the_senders_rows(bot: Bot) -> None:
    fake = bot.fake
    other = FakeTelegram.user(77, "Eve", "de")
    fake.say("Wie wird das Wetter morgen?")
    fake.say("Wie wird das Wetter übermorgen?", user=other)
    await said(fake, 2)
    await bot.store.flush()
    assert bot.rows("SELECT COUNT(*) FROM questions") == [(2,)]
    assert assert_safe_html(await reply_to(fake, "/forget")) == message("forgot", "de")
    assert bot.rows("SELECT question FROM questions") == [("Wie wird das Wetter übermorgen?",)]


async def test_stats_only_for_admins_and_only_in_private(bot: Bot) -> None:
    fake = bot.fake
    admin = FakeTelegram.user(ADMIN, "Op", "en")
    fake.say("Wer ist Liang Wenfeng?")
    fake.say("Wie ist das Wetter in Peking?")
    await said(fake, 2)
    await bot.store.flush()
    assert assert_safe_html(await reply_to(fake, "/stats")) == message("not_admin", "de")
    in_group = await reply_to(fake, "/stats", user=admin, chat=GROUP)
    assert assert_safe_html(in_group) == message("stats_private_only", "en")
    shown = assert_safe_html(await reply_to(fake, "/stats 30", user=admin))
    assert shown.startswith("Last 30 days: 2 questions - answered 1 (50%)")
    assert "people.liang_wenfeng: 1" in shown and "Wie ist das Wetter in Peking?" in shown
    odd = assert_safe_html(await reply_to(fake, "/stats ²", user=admin))  # a digit, not a number
    assert odd.startswith("Last 7 days:")


async def test_privacy_says_what_is_stored_for_how_long_and_how_to_delete(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(retention_days=14, privacy_url="https://example.org/privacy?a=1&b=2")
    call = await reply_to(bot.fake, "/privacy")
    shown = assert_safe_html(call)
    assert shown == privacy_text("de", 14, "/forget", "https://example.org/privacy?a=1&b=2")
    assert "nach 14 Tagen" in shown and "/forget" in shown
    assert "?a=1&amp;b=2" in call.text  # escaped like every other text
    in_group = await reply_to(bot.fake, f"/privacy@{BOT_USERNAME}", chat=GROUP)
    assert "Hash" in assert_safe_html(in_group)


async def test_reload_for_admins_in_private_keeps_old_knowledge_on_errors(
    make_bot: MakeBot, knowledge_copy: Path
) -> None:
    engine = Engine(load_knowledge(knowledge_copy))
    bot = await make_bot(engine=engine)
    fake = bot.fake
    admin = FakeTelegram.user(ADMIN, "Op", "en")
    assert assert_safe_html(await reply_to(fake, "/reload")) == message("not_admin", "de")
    in_group = await reply_to(fake, "/reload", user=admin, chat=GROUP)
    assert assert_safe_html(in_group) == message("admin_private_only", "en")

    async def reload() -> str:  # loading and checking take a few seconds
        before = len(fake.sent())
        fake.say("/reload", user=admin)
        return assert_safe_html((await fake.wait_for("sendMessage", before + 1, within=20))[before])

    people = knowledge_copy / "topics" / "people.yaml"
    answer = "forschte er an der Zhejiang-Universität"
    text = people.read_text(encoding="utf-8")
    assert text.count(answer) == 1
    people.write_text(text.replace(answer, "forschte er (neu geladen) an der Zhejiang-Universität"))
    engine = bot.engine
    before = engine.knowledge.version
    done = await reload()
    assert done.startswith("Knowledge reloaded: ") and f"(was {before})" in done
    assert engine.knowledge.version != before
    assert "neu geladen" in assert_safe_html(await reply_to(fake, "Wer ist Liang Wenfeng?"))

    (knowledge_copy / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    refused = await reload()
    assert refused.startswith(message("reload_failed", "en", version=engine.knowledge.version))
    assert "sources.yaml" in refused
    assert "neu geladen" in assert_safe_html(await reply_to(fake, "Wer ist Liang Wenfeng?"))


async def test_unknown_command_in_private_gets_help(bot: Bot) -> None:
    bot.fake.say("/frobnicate")
    assert "Befehle:" in assert_safe_html((await said(bot.fake))[0])


# -- buttons -------------------------------------------------------------------------


def close_call(engine: Engine) -> tuple[str, Reply]:
    """A question the shipped knowledge answers with "did you mean" choices."""
    for question in ("USA", "Verbot?", "Nvidia Chips?", "Sanktionen und Chips"):
        reply = engine.answer(question)
        if reply.outcome is Outcome.CLOSE_CALL:
            return question, reply
    pytest.fail("none of the probe questions is a close call any more; add one")


async def test_close_call_keyboard_tap_answers_and_records_pick(bot: Bot) -> None:
    fake = bot.fake
    question, expected = close_call(bot.engine)
    fake.say(question)
    (close,) = await said(fake)
    assert "reply_parameters" not in close.params  # private: no quote needed to remember it
    picks = [b["callback_data"] for b in close.buttons]
    reply_id = picks[0].rsplit(":", 1)[1]  # the close call's id, kept with the question
    assert picks == [callbacks.pick(s.intent, reply_id) for s in expected.suggestions]
    assert [b["text"] for b in close.buttons] == [s.title for s in expected.suggestions]

    chosen = expected.suggestions[0].intent
    query_id = fake.tap(fake.message_of(close), picks[0])
    (edit,) = await fake.wait_for("editMessageText")
    assert edit.params["message_id"] == fake.message_of(close)["message_id"]
    shown = assert_safe_html(edit)
    answer = bot.engine.answer_intent(chosen, "de")
    assert answer is not None and answer.paragraphs[0] in shown and "Quellen:" in shown
    assert edit.buttons[0]["callback_data"].startswith(f"fb:1:{chosen}:")
    answered = fake.calls_to("answerCallbackQuery")
    assert [c.params["callback_query_id"] for c in answered] == [query_id]
    await bot.store.flush()
    assert bot.rows("SELECT intent, question FROM suggestion_picks") == [(chosen, question)]

    fake.tap(fake.message_of(close), picks[0])  # a second tap does no harm
    await fake.wait_for("answerCallbackQuery", 2)
    await fake.settle(0.3)
    assert len(fake.sent()) == 1 and fake.calls_to("sendMessage", ok=False) == []


async def test_feedback_is_stored_in_sqlite(bot: Bot) -> None:
    fake = bot.fake
    fake.say("Wer ist Liang Wenfeng?")
    (answer,) = await said(fake)
    up, down = (b["callback_data"] for b in answer.buttons)
    fake.tap(fake.message_of(answer), up)
    (thanks,) = await fake.wait_for("answerCallbackQuery")
    assert thanks.params["text"] == message("feedback_thanks", "de")
    assert bot.rows("SELECT intent, helpful FROM feedback") == [("people.liang_wenfeng", 1)]
    fake.tap(fake.message_of(answer), down)  # changing one's mind replaces the vote
    await fake.wait_for("answerCallbackQuery", 2)
    assert bot.rows("SELECT intent, helpful FROM feedback") == [("people.liang_wenfeng", 0)]


@pytest.mark.parametrize(
    "data",
    [
        "fb:1:gone.intent:abc123",  # an intent that no longer exists
        "pick:gone.intent",
        "topic:gone",
        "fb:1:people.liang_wenfeng",  # malformed
        "<script>",
        "x" * 64,
        "",
    ],
)
async def test_stale_or_forged_callbacks_never_crash(bot: Bot, data: str) -> None:
    fake = bot.fake
    fake.say("Wer ist Liang Wenfeng?")
    (answer,) = await said(fake)
    fake.tap(fake.message_of(answer), data)
    (reply,) = await fake.wait_for("answerCallbackQuery")
    assert reply.params["text"] == message("unavailable", "de")
    assert bot.rows("SELECT COUNT(*) FROM feedback") == [(0,)]
    fake.say("Wer ist Liang Wenfeng?")  # still alive
    await said(fake, 2)


# -- inline mode ---------------------------------------------------------------------


async def test_inline_query_offers_escaped_answers(bot: Bot) -> None:
    fake = bot.fake
    fake.inline("Verbot")
    (call,) = await fake.wait_for("answerInlineQuery")
    results = call.params["results"]
    assert 1 <= len(results) <= 5
    assert [r["type"] for r in results] == ["article"] * len(results)
    assert [r["id"] for r in results] == [r.intent for r in bot.engine.top_answers("Verbot")]
    for result in results:
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML"
        parse_html(content["message_text"])
    assert "Quellen" in results[0]["input_message_content"]["message_text"]

    fake.inline("")
    calls = await fake.wait_for("answerInlineQuery", 2)
    assert calls[-1].params["results"] == []


# -- flood control, faults, errors ---------------------------------------------------


async def test_flood_limit_one_notice_then_silence(make_bot: MakeBot) -> None:
    bot = await make_bot(user_rate_limit="2/60")
    fake = bot.fake
    for _ in range(5):
        fake.say("Wer ist Liang Wenfeng?")
    calls = await said(fake, 3)
    await fake.settle(0.5)
    calls = fake.sent()
    shown = [assert_safe_html(c) for c in calls]
    assert len(calls) == 3
    assert sum(LIANG_DE in s for s in shown) == 2
    assert shown.count(message("rate_limited", "de")) == 1
    fake.say("Wer ist Liang Wenfeng?", user=FakeTelegram.user(5, "Fay"))  # others are fine
    assert LIANG_DE in assert_safe_html((await said(fake, 4))[-1])


async def test_429_with_retry_after_then_success(bot: Bot) -> None:
    fake = bot.fake
    fake.fail(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    fake.say("Wer ist Liang Wenfeng?")
    (ok,) = await said(fake, within=8)
    attempts = fake.calls_to("sendMessage", ok=None)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # retry_after honoured
    assert LIANG_DE in assert_safe_html(ok)


async def test_server_goes_away_and_comes_back(bot: Bot) -> None:
    fake = bot.fake
    await fake.wait_for("getUpdates")
    await fake.stop()
    await eventually(lambda: not bot.adapter.connected, "the next getUpdates to fail")
    await asyncio.sleep(0.5)
    fake.say("Wer ist Liang Wenfeng?")  # queued while the bot cannot reach the server
    await fake.start()
    (call,) = await said(fake, within=15)
    assert LIANG_DE in assert_safe_html(call)
    assert bot.adapter.connected


async def test_server_errors_on_polling_are_retried(bot: Bot) -> None:
    fake = bot.fake
    fake.fail("getUpdates", status=500)
    fake.fail("getUpdates", status=502, description="Bad Gateway")
    fake.say("Wer ist Liang Wenfeng?")
    (call,) = await said(fake, within=15)
    assert LIANG_DE in assert_safe_html(call)
    assert [c.status for c in fake.calls_to("getUpdates", ok=False)] == [500, 502]


async def test_a_failing_update_is_logged_and_answered_and_the_bot_goes_on(
    bot: Bot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = bot.fake
    real_ask = bot.engine.ask

    async def flaky(question: str, ctx: AskContext | None = None) -> Reply:
        if "kaputt" in question:
            raise RuntimeError("boom")
        return await real_ask(question, ctx)

    monkeypatch.setattr(bot.engine, "ask", flaky)
    with caplog.at_level(logging.ERROR):
        fake.say("kaputt")
        (call,) = await said(fake)
    assert assert_safe_html(call) == message("error", "de")
    (record,) = [
        r
        for r in caplog.records
        if r.name.startswith("bot.platforms.telegram") and r.levelno >= logging.ERROR
    ]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])
    assert "boom" not in call.text  # no details for the user

    fake.fail("sendMessage", drop=True)  # the connection dies mid-request ...
    fake.say("Wer ist Liang Wenfeng?")
    answer = (await said(fake, 2))[-1]  # ... and the answer is sent once more
    assert LIANG_DE in assert_safe_html(answer)
    assert [c.status for c in fake.calls_to("sendMessage", ok=None)][-2:] == [-1, 200]
    fake.say("Wer ist Liang Wenfeng?")
    assert LIANG_DE in assert_safe_html((await said(fake, 3))[-1])


# -- webhook mode --------------------------------------------------------------------


async def _post_update(port: int, path: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/{path}", json=update, headers=headers) as response,
    ):
        return response.status


async def _wait_port(port: int) -> None:
    async def listening() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    await eventually(listening, f"the webhook server to listen on {port}")


def _update(fake: FakeTelegram, text: str) -> dict[str, Any]:
    """A queued update taken back out of the polling queue, to be posted to the webhook."""
    fake.say(text)
    return fake._pending.pop()


async def test_webhook_checks_the_secret_on_every_request(make_bot: MakeBot) -> None:
    port = free_port()
    bot = await make_bot(
        telegram_webhook_url="https://bot.example.test/tg-hook",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        telegram_webhook_secret="s3cret_Token-123",
    )
    fake = bot.fake
    assert fake.webhook["url"] == "https://bot.example.test/tg-hook"
    assert fake.webhook["secret_token"] == "s3cret_Token-123"
    await _wait_port(port)
    assert bot.adapter.connected

    update = _update(fake, "Wer ist Liang Wenfeng?")
    assert await _post_update(port, "tg-hook", _update(fake, "Kosten"), None) == 403
    assert await _post_update(port, "tg-hook", _update(fake, "Kosten"), "wrong") == 403
    assert await _post_update(port, "tg-hook", update, "s3cret_Token-123") == 200
    (call,) = await said(fake)
    assert LIANG_DE in assert_safe_html(call)
    await fake.settle(0.3)
    assert len(fake.sent()) == 1  # the forged ones were never answered
    assert fake.calls_to("getUpdates", ok=None) == []


async def test_webhook_generates_a_secret_when_none_is_configured(make_bot: MakeBot) -> None:
    port = free_port()
    bot = await make_bot(
        telegram_webhook_url="https://bot.example.test/",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    )
    secret = bot.fake.webhook["secret_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret)
    await _wait_port(port)
    assert await _post_update(port, "", _update(bot.fake, "Kosten"), None) == 403
    assert await _post_update(port, "", _update(bot.fake, "Kosten"), secret) == 200
    assert "5,58" in assert_safe_html((await said(bot.fake))[0])


# -- secrets -------------------------------------------------------------------------


class DebugLogs:
    """The bot's real log set-up (with redaction) at DEBUG, writing to the captured stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def start(self) -> None:
        # Inside the test: pytest swaps the captured stream between test phases.
        logs.configure("DEBUG", "text", [TOKEN])

    def read(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def debug_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[DebugLogs]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield DebugLogs(capsys)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name in ("httpx", "httpcore", "discord.gateway", "discord.http"):
        logging.getLogger(name).setLevel(logging.NOTSET)


async def test_token_never_appears_in_log_output(
    make_bot: MakeBot, debug_logs: DebugLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    debug_logs.start()
    bot = await make_bot()
    fake = bot.fake
    fake.fail("sendMessage", status=429, retry_after=1)
    fake.fail("getUpdates", status=500)
    fake.say("Wer ist Liang Wenfeng?")
    await said(fake, within=8)

    async def broken(question: str, ctx: AskContext | None = None) -> Reply:
        raise RuntimeError(f"failed at {fake.base_url}{TOKEN}/sendMessage")

    monkeypatch.setattr(bot.engine, "ask", broken)
    fake.say("Wer ist Liang Wenfeng?")
    await said(fake, 2)
    await bot.adapter.stop()
    output = debug_logs.read()
    # (The Bot API payloads themselves never reach the log: see tests/test_abuse.py.)
    assert "telegram.ext.Application" in output and "Traceback" in output  # logs were captured
    assert "[redacted]" in output  # ... the token was on its way into them ...
    assert TOKEN not in output and TOKEN.split(":")[1] not in output  # ... and never got there


async def test_generated_webhook_secret_never_appears_in_log_output(
    make_bot: MakeBot, debug_logs: DebugLogs
) -> None:
    debug_logs.start()
    bot = await make_bot(
        telegram_webhook_url="https://bot.example.test/hook",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=free_port(),
    )
    await bot.adapter.stop()
    output = debug_logs.read()
    assert "DEBUG" in output and "Telegram: webhook on" in output  # the logs were captured
    assert bot.fake.webhook["secret_token"] not in output


async def test_rejected_token_fails_start_up_without_showing_it(
    fake: FakeTelegram, tmp_path: Path, shared_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "987654321:AAWrongTokenWrongTokenWrongToken_xyz"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(wrong),
        telegram_base_url=fake.base_url,
    )
    adapter = TelegramAdapter(build_chat(settings, shared_engine, None), settings)
    with caplog.at_level(logging.DEBUG, logger="bot"), pytest.raises(StartupError) as raised:
        await adapter.start()
    assert "TELEGRAM_TOKEN" in str(raised.value)
    assert wrong not in str(raised.value) and raised.value.__suppress_context__
    assert wrong not in caplog.text
    assert not adapter.connected
    assert [(c.method, c.status) for c in fake.calls] == [("getMe", 401)]


# -- the real process ----------------------------------------------------------------


async def test_python_m_bot_run_answers_and_stops_cleanly_on_sigterm(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,  # no stray .env
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for("deleteWebhook", within=20)  # polling starts right after
        fake.say("Wer ist Liang Wenfeng?")
        (call,) = await said(fake, within=10)
        assert LIANG_DE in assert_safe_html(call)
        stop_started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 15)
        stop_seconds = time.monotonic() - stop_started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log_text = err.decode()
    assert process.returncode == 0, log_text[-2000:]
    assert "stopped" in log_text and TOKEN not in log_text
    last = fake.calls_to("getUpdates")[-1]
    assert last.params["timeout"] == 0  # the offset was acknowledged on the way out
    assert stop_seconds < 10
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:  # the log row was flushed on exit
        rows = db.execute("SELECT platform, intent, outcome FROM questions").fetchall()
    assert rows == [("telegram", "people.liang_wenfeng", "answered")]
