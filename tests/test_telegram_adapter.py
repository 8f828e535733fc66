"""End to end: the real python-telegram-bot Application against a fake Bot API on 127.0.0.1.

Messages, commands, buttons and inline mode, and how they are rendered; what happens
when things go wrong (faults, webhooks, secrets, the real process) is in
``tests/test_telegram_resilience.py``. Every assertion is on what the fake recorded (the
exact REST payloads) or on the real SQLite file; nothing reaches beyond 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.chat.reports import privacy_text
from bot.domain import callbacks
from bot.domain.messages import message
from bot.domain.models import Outcome, Reply
from bot.engine.engine import Engine
from bot.knowledge import load_knowledge
from bot.platforms.telegram.texts import say as tg_say
from tests.fakes.telegram import BOT_USERNAME, FakeTelegram, parse_html
from tests.telegram_helpers import (
    ADMIN,
    GROUP,
    LIANG_DE,
    MENTION,
    Bot,
    MakeBot,
    assert_safe_html,
    reply_to,
    said,
)

# The fixtures (defined once in tests/telegram_helpers.py), in this module for pytest.
from tests.telegram_helpers import bot as bot
from tests.telegram_helpers import fake as fake
from tests.telegram_helpers import make_bot as make_bot
from tests.telegram_helpers import shared_engine as shared_engine

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
        ("🙂", "Zum Beispiel"),  # an emoji alone: an acknowledgement, answered in kind
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

    async def long_reply(question: str, *rest: Any) -> Reply:
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
        return assert_safe_html((await fake.wait_for("sendMessage", before + 1, within=60))[before])

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
    for question in ("USA", "Verbot?", "Kosten und Chips", "Chips und Verbot"):
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
