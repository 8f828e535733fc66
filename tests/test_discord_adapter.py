"""The Discord adapter end to end: real discord.py, real HTTP and WebSocket, a fake Discord.

Messages, slash commands, buttons, and the limits and safety of what is sent; faults,
reconnects, secrets and the adapter's life cycle are in ``tests/test_discord_resilience.py``.
Every test runs the adapter against :class:`tests.fakes.discord.FakeDiscord` on
127.0.0.1 with a real SQLite file, and asserts on the REST payloads the fake recorded.
After each test the fixture checks every recorded payload that posts content: none
may allow a mention, none may have been refused (400) or sent to an unknown route.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.chat.reports import privacy_text
from bot.domain.messages import message
from bot.domain.models import AskContext, Outcome
from bot.engine.engine import Engine
from bot.knowledge import load_knowledge
from bot.platforms.discord.adapter import DiscordAdapter
from bot.platforms.discord.texts import say as dc_say
from bot.storage import Store
from tests.bots import RunningBot
from tests.discord_helpers import (
    CALLBACK,
    CHANNEL_POST,
    FOLLOWUP,
    LIANG_DE,
    LIANG_EN,
    OpenBot,
    click,
    mention,
    rows,
    slash,
    user_hash,
)

# The fixtures (defined once in tests/discord_helpers.py), in this module for pytest.
from tests.discord_helpers import adapter as adapter
from tests.discord_helpers import bot as bot
from tests.discord_helpers import fake as fake
from tests.discord_helpers import faq_engine as faq_engine
from tests.discord_helpers import hesitant_engine as hesitant_engine
from tests.discord_helpers import open_bot as open_bot
from tests.discord_helpers import store as store
from tests.fakes.discord import (
    ALICE_ID,
    APP_ID,
    BOB_ID,
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    MOD_ROLE_ID,
    FakeDiscord,
    Request,
)

# -- messages ----------------------------------------------------------------------------


async def test_mention_in_guild_is_answered_with_the_fact(
    adapter: DiscordAdapter, fake: FakeDiscord, store: Store, tmp_path: Path
) -> None:
    reply = await mention(fake, "Wer ist Liang Wenfeng?")
    assert reply.path == f"/channels/{CHANNEL_ID}/messages"
    embed = reply.body["embeds"][0]
    assert LIANG_DE in embed["description"]
    assert embed["title"] == "Wer ist Liang Wenfeng?"
    assert embed["fields"][0]["name"] == "Quellen" and "•" in embed["fields"][0]["value"]
    assert "footer" not in embed  # "Stand" only where the answer's own sources carry a date
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert reply.body["message_reference"]["fail_if_not_exists"] is False
    ids = reply.custom_ids
    assert len(ids) == 2 and ids[0].startswith("fb:1:people.liang_wenfeng:")
    assert ids[1].startswith("fb:0:people.liang_wenfeng:")
    await store.flush()
    logged = rows(tmp_path / "bot.sqlite3", "SELECT platform, intent, outcome FROM questions")
    assert logged == [("discord", "people.liang_wenfeng", "answered")]
    assert adapter.connected


async def test_messages_not_addressed_to_the_bot_are_ignored(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    mark = fake.mark()
    await fake.send_message("Wer ist Liang Wenfeng?")  # no mention
    await fake.send_message("@everyone Wer ist Liang Wenfeng?", mention_everyone=True)
    await fake.send_message(f"<@&{MOD_ROLE_ID}> Wer?", mention_roles=[MOD_ROLE_ID])
    await fake.send_message(f"<@{BOT_ID}> Wer ist Liang Wenfeng?", mentions=[BOT_ID], bot=True)
    await fake.send_message(f"<@{BOT_ID}> Wer ist Liang Wenfeng?", mentions=[BOT_ID], webhook=True)
    await fake.send_message(f"<@{BOT_ID}> Italien", author_id=BOT_ID, mentions=[BOT_ID])
    # A message that is for the bot comes last; the ones before it got nothing.
    reply = await mention(fake, "Italien")
    posts = fake.find("POST", CHANNEL_POST, after=mark)
    assert posts == [reply]
    assert "Italien" in reply.text


async def test_dm_is_answered_without_a_mention(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    mark = fake.mark()
    await fake.send_message("Who is Liang Wenfeng?", dm=True)
    reply = (await fake.wait_request("POST", CHANNEL_POST, after=mark))[0]
    assert reply.path == f"/channels/{DM_CHANNEL_ID}/messages"
    assert LIANG_EN in reply.text
    assert reply.body["embeds"][0]["fields"][0]["name"] == "Sources"


# -- slash commands ----------------------------------------------------------------------


async def test_slash_ask_answers_publicly_with_feedback_buttons(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    reply = await slash(fake, "ask", {"question": "Wer ist Liang Wenfeng?"})
    assert reply.body["type"] == 4
    assert LIANG_DE in reply.text and not reply.ephemeral
    assert reply.body["data"]["allowed_mentions"] == {"parse": []}
    assert [c[:5] for c in reply.custom_ids] == ["fb:1:", "fb:0:"]


async def test_slow_answers_are_deferred_then_followed_up(
    open_bot: OpenBot, fake: FakeDiscord
) -> None:
    await open_bot(adapter_options={"defer_after": 0.0})
    mark = fake.mark()
    await fake.slash("ask", {"question": "Wer ist Liang Wenfeng?"})
    deferred = (await fake.wait_request("POST", CALLBACK, after=mark))[0]
    assert deferred.body["type"] == 5
    followup = (await fake.wait_request("POST", FOLLOWUP, after=mark))[0]
    assert followup.query.get("wait") in ("1", "true")
    assert LIANG_DE in followup.text
    assert followup.body["allowed_mentions"] == {"parse": []}


async def test_topic_autocomplete_and_topic(
    adapter: DiscordAdapter, fake: FakeDiscord, faq_engine: Engine
) -> None:
    mark = fake.mark()
    await fake.autocomplete("topic", "name", "chi", locale="en-US")
    choices = (await fake.wait_request("POST", CALLBACK, after=mark))[0].body
    assert choices["type"] == 8
    expected = faq_engine.topic_choices("chi", "en")
    assert choices["data"]["choices"] == [{"name": v.title, "value": v.id} for v in expected]
    assert 0 < len(expected) <= 25

    await fake.autocomplete("topic", "name", "", locale="de")
    every = (await fake.wait_request("POST", CALLBACK, after=mark, count=2))[1].body
    assert [c["value"] for c in every["data"]["choices"]] == [v.id for v in faq_engine.topics("de")]
    assert every["data"]["choices"][0]["name"] == faq_engine.topics("de")[0].title

    view = faq_engine.topics("de")[0]
    shown = await slash(fake, "topic", {"name": view.id})
    assert shown.body["data"]["embeds"][0]["title"] == view.title
    assert shown.custom_ids == [f"pick:{s.intent}" for s in view.intents][:20]

    unknown = await slash(fake, "topic", {"name": "Wetter in Hamburg"})
    assert unknown.ephemeral and "Dieses Thema kenne ich nicht" in unknown.text


async def test_topics_and_sources(
    adapter: DiscordAdapter, fake: FakeDiscord, faq_engine: Engine
) -> None:
    listed = await slash(fake, "topics", locale="en-US")
    assert listed.body["data"]["embeds"][0]["title"] == "Topics"
    for view in faq_engine.topics("en"):
        assert view.title in listed.text
    sources = await slash(fake, "sources")
    for src in faq_engine.sources("de"):
        assert src.title.split("„")[0][:20] in sources.text
    assert "(https://edition.cnn.com/2025/01/29/tech/deepseek-silicon-valley-ai/index.html)" in (
        sources.text
    )


async def test_lang_is_stored_per_channel_and_applied(
    adapter: DiscordAdapter, fake: FakeDiscord, store: Store, tmp_path: Path
) -> None:
    chosen = await slash(fake, "lang", {"language": "en"})
    assert chosen.text == message("lang_set", "en") and not chosen.ephemeral
    settings = rows(tmp_path / "bot.sqlite3", "SELECT platform, language FROM chat_settings")
    assert settings == [("discord", "en")]
    answer = await mention(fake, "Wer ist Liang Wenfeng?")  # German question, English channel
    assert LIANG_EN in answer.text

    auto = await slash(fake, "lang", {"language": "auto"}, locale="de")
    assert auto.text == message("lang_auto", "de")
    settings = rows(tmp_path / "bot.sqlite3", "SELECT language FROM chat_settings")
    assert settings == [(None,)]
    assert LIANG_DE in (await mention(fake, "Wer ist Liang Wenfeng?")).text


async def test_forget_deletes_only_the_callers_data(
    adapter: DiscordAdapter, fake: FakeDiscord, store: Store, tmp_path: Path
) -> None:
    answer = await mention(fake, "Wer ist Liang Wenfeng?")
    await click(fake, answer, answer.custom_ids[0])
    await mention(fake, "Italien", author_id=BOB_ID)
    await store.flush()
    db = tmp_path / "bot.sqlite3"
    alice, bob = user_hash(store, ALICE_ID), user_hash(store, BOB_ID)
    assert rows(db, "SELECT COUNT(*) FROM questions WHERE user_hash = ?", alice) == [(1,)]
    assert rows(db, "SELECT COUNT(*) FROM feedback WHERE user_hash = ?", alice) == [(1,)]

    forgot = await slash(fake, "forget")
    assert forgot.ephemeral and forgot.text == message("forgot", "de")
    assert rows(db, "SELECT COUNT(*) FROM questions WHERE user_hash = ?", alice) == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM feedback WHERE user_hash = ?", alice) == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM questions WHERE user_hash = ?", bob) == [(1,)]


async def test_stats_only_for_manage_server_and_ephemeral(
    bot: RunningBot, fake: FakeDiscord
) -> None:
    await mention(fake, "Wer ist Liang Wenfeng?")
    # Stats cover every platform: a question typed elsewhere may hold Discord markup.
    elsewhere = AskContext(platform="telegram", chat_id="1", user_id="2")
    await bot.engine.ask(f"@everyone <@&{MOD_ROLE_ID}> Wie wird das Wetter in Hamburg?", elsewhere)
    await bot.store.flush()

    refused = await slash(fake, "stats")
    assert refused.ephemeral
    assert refused.text == dc_say("not_admin", "de")

    admin = str(int(MEMBER_PERMISSIONS) | MANAGE_GUILD)
    shown = await slash(fake, "stats", permissions=admin, locale="en-US")
    assert shown.ephemeral
    assert shown.text.startswith("Last 7 days: 2 questions - answered 1 (50%)")
    assert ": discord 1, telegram 1 (2)" in shown.text  # per day and platform
    assert "people.liang\\_wenfeng: 1" in shown.text  # markdown-escaped: shown literally
    # Counts only: another user's question (here from Telegram) is never shown to a
    # server manager, and nothing pings anybody.
    assert "Wetter" not in shown.text and "@everyone" not in shown.text
    assert shown.body["data"]["allowed_mentions"] == {"parse": []}


async def test_privacy_is_shown_only_to_the_asker(open_bot: OpenBot, fake: FakeDiscord) -> None:
    await open_bot(retention_days=14, privacy_url="https://example.org/p_q")
    german = await slash(fake, "privacy")
    english = await slash(fake, "privacy", locale="en-US")
    assert german.ephemeral and english.ephemeral
    assert german.text == privacy_text("de", 14, "/vergessen", "https://example.org/p_q")
    assert english.text == privacy_text("en", 14, "/forget", "https://example.org/p_q")


async def test_reload_for_manage_server_keeps_old_knowledge_on_errors(
    fake: FakeDiscord, open_bot: OpenBot, knowledge_copy: Path
) -> None:
    running = await open_bot(Engine(load_knowledge(knowledge_copy)))
    engine = running.engine
    admin = str(int(MEMBER_PERMISSIONS) | MANAGE_GUILD)

    async def reload() -> Request:
        mark = fake.mark()
        await fake.slash("reload", permissions=admin, locale="en-US")
        [first] = await fake.wait_request("POST", CALLBACK, after=mark)
        if first.body["type"] == 5:  # deferred: loading and checking take a few seconds
            assert first.body["data"]["flags"] & 64  # ephemeral from the start
            return (await fake.wait_request("POST", FOLLOWUP, after=mark, within=20))[0]
        return first

    try:
        refused = await slash(fake, "reload")
        assert refused.ephemeral and refused.text == dc_say("not_admin", "de")
        people = knowledge_copy / "topics" / "people.yaml"
        answer = "forschte er an der Zhejiang-Universität"
        text = people.read_text(encoding="utf-8")
        people.write_text(text.replace(answer, "forschte er (neu) an der Zhejiang-Universität"))
        before = engine.knowledge.version
        done = await reload()
        assert done.ephemeral and done.text.startswith("Knowledge reloaded: ")
        assert f"(was {before})" in done.text and engine.knowledge.version != before
        assert "(neu)" in (await mention(fake, "Wer ist Liang Wenfeng?")).text

        (knowledge_copy / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
        failed = await reload()
        assert failed.ephemeral and "sources.yaml" in failed.text
        assert failed.text.startswith("The changed knowledge has errors")
        assert "(neu)" in (await mention(fake, "Wer ist Liang Wenfeng?")).text
    finally:
        await running.adapter.stop()


async def test_context_menu_answers_the_selected_message(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    target = fake.message_payload("Warum hat Italien DeepSeek gesperrt?", author_id=BOB_ID)
    mark = fake.mark()
    await fake.message_command("Ask the FAQ", target)
    reply = (await fake.wait_request("POST", CALLBACK, after=mark))[0]
    assert reply.body["type"] == 4 and not reply.ephemeral
    assert "Italien" in reply.text
    assert reply.custom_ids[0].startswith("fb:1:bans.italy:")


# -- buttons -----------------------------------------------------------------------------


async def test_close_call_offers_buttons_and_a_pick_answers_and_is_recorded(
    fake: FakeDiscord, hesitant_engine: Engine, open_bot: OpenBot, tmp_path: Path
) -> None:
    expected = hesitant_engine.answer("Wer ist Liang Wenfeng?")
    assert expected.outcome is Outcome.CLOSE_CALL and len(expected.suggestions) >= 2
    running = await open_bot(hesitant_engine)
    store = running.store
    try:
        offer = await mention(fake, "Wer ist Liang Wenfeng?")
        reply_id = offer.custom_ids[0].rsplit(":", 1)[1]  # the close call, kept with its question
        assert offer.custom_ids == [f"pick:{s.intent}:{reply_id}" for s in expected.suggestions]
        labels = [c["label"] for c in offer.body["components"][0]["components"]]
        assert labels == [s.title for s in expected.suggestions]

        chosen = expected.suggestions[1]
        answer = await click(fake, offer, offer.custom_ids[1], user_id=BOB_ID)
        assert answer.body["type"] == 7  # the "did you mean" message becomes the answer
        assert fake.message_of(answer)["id"] == fake.message_of(offer)["id"]
        wanted = hesitant_engine.answer_intent(chosen.intent, "de")
        assert wanted is not None and wanted.paragraphs[0][:60] in answer.text
        assert answer.custom_ids[0].startswith(f"fb:1:{chosen.intent}:")
        await store.flush()
        picks = rows(
            tmp_path / "bot.sqlite3", "SELECT platform, intent, question FROM suggestion_picks"
        )
        assert picks == [("discord", chosen.intent, "Wer ist Liang Wenfeng?")]
    finally:
        await running.adapter.stop()


async def test_feedback_is_stored_once_per_person_and_reply(
    adapter: DiscordAdapter, fake: FakeDiscord, tmp_path: Path
) -> None:
    answer = await mention(fake, "Wer ist Liang Wenfeng?")
    up, down = answer.custom_ids
    reply_id = up.rsplit(":", 1)[1]
    thanks = await click(fake, answer, up)
    assert thanks.ephemeral and thanks.text == message("feedback_thanks", "de")
    await click(fake, answer, down)  # changes the vote, no second row
    await click(fake, answer, up, user_id=BOB_ID, locale="en-US")
    stored = rows(
        tmp_path / "bot.sqlite3",
        "SELECT platform, reply_id, intent, helpful FROM feedback ORDER BY id",
    )
    assert stored == [
        ("discord", reply_id, "people.liang_wenfeng", 0),
        ("discord", reply_id, "people.liang_wenfeng", 1),
    ]


async def test_clicks_on_buttons_from_before_a_restart_still_work(
    adapter: DiscordAdapter, fake: FakeDiscord, tmp_path: Path
) -> None:
    # A message this process never sent (as after a restart), with our buttons on it.
    old = fake.message_payload("", author_id=BOT_ID)
    old["components"] = [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 2,
                    "custom_id": "fb:1:bans.italy:abc123",
                    "emoji": {"name": "👍"},
                },
                {"type": 2, "style": 1, "custom_id": "pick:bans.italy", "label": "Italien?"},
                {"type": 2, "style": 1, "custom_id": "pick:gone.away", "label": "Alt"},
                {"type": 2, "style": 2, "custom_id": "fb:x:broken", "label": "?"},
            ],
        }
    ]
    old["embeds"] = [{"type": "rich", "description": "alt"}]
    fake.messages[int(old["id"])] = old

    mark = fake.mark()
    await fake.click(old, "fb:1:bans.italy:abc123")
    await fake.click(old, "pick:bans.italy")
    await fake.click(old, "pick:gone.away")
    await fake.click(old, "fb:x:broken")
    replies = await fake.wait_request("POST", CALLBACK, after=mark, count=4)
    by_interaction = {r.path.split("/")[2]: r for r in replies}
    order = [str(i) for i in list(fake.interactions)[-4:]]
    thanks, picked, gone, broken = (by_interaction[i] for i in order)
    assert thanks.text == message("feedback_thanks", "de")
    assert "Italien" in picked.text and not picked.ephemeral
    assert gone.ephemeral and gone.text == message("unavailable", "de")
    assert broken.ephemeral and broken.text == message("unavailable", "de")
    assert rows(tmp_path / "bot.sqlite3", "SELECT reply_id, helpful FROM feedback") == [
        ("abc123", 1)
    ]


async def test_buttons_are_disabled_when_the_view_times_out(
    open_bot: OpenBot, fake: FakeDiscord
) -> None:
    adapter = (await open_bot(adapter_options={"view_timeout": 0.3})).adapter
    try:
        answer = await mention(fake, "Wer ist Liang Wenfeng?")
        sent = fake.message_of(answer)
        edit = (await fake.wait_request("PATCH", rf"/channels/\d+/messages/{sent['id']}"))[0]
        buttons = [c for row in edit.body["components"] for c in row["components"]]
        assert len(buttons) == 2 and all(b["disabled"] for b in buttons)
        assert edit.body["allowed_mentions"] == {"parse": []}

        via_slash = await slash(fake, "ask", {"question": "Verbot?"})
        token = via_slash.path.split("/")[3]
        path = rf"/webhooks/{APP_ID}/{token}/messages/(@original|\d+)"
        edited = (await fake.wait_request("PATCH", path))[0]
        assert edited.status == 200 and edit.status == 200
        assert all(c["disabled"] for row in edited.body["components"] for c in row["components"])
        stored = fake.message_of(via_slash)
        assert all(c["disabled"] for row in stored["components"] for c in row["components"])
        assert adapter.handlers is not None and len(adapter.handlers.expiry) == 0
    finally:
        await adapter.stop()


# -- safety and limits -------------------------------------------------------------------


async def test_everyone_and_role_mentions_in_questions_never_ping(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    sneaky = f"@everyone @here <@&{MOD_ROLE_ID}> <@{BOB_ID}> Wer ist Liang Wenfeng?"
    reply = await mention(
        fake, sneaky, mention_everyone=True, mention_roles=[MOD_ROLE_ID], mentions=[BOT_ID, BOB_ID]
    )
    assert LIANG_DE in reply.text
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    via_slash = await slash(fake, "ask", {"question": f"@everyone <@&{MOD_ROLE_ID}> Abo-Preis?"})
    assert via_slash.body["data"]["allowed_mentions"] == {"parse": []}
    # (check_payloads() re-checks every recorded payload after the test.)


async def test_very_long_questions_are_refused_within_discords_limits(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    long_question = ("Wer ist Liang Wenfeng und was hat er mit DeepSeek zu tun? " * 40)[:1990]
    reply = await mention(fake, long_question)
    assert "Die Frage ist mir zu lang" in reply.text
    assert reply.status == 200  # the fake enforces Discord's limits (400 otherwise)
    huge = await slash(fake, "ask", {"question": "x " * 3000})
    assert "too long" in huge.text or "zu lang" in huge.text


async def test_flood_control_notifies_once_then_stays_silent(
    fake: FakeDiscord, open_bot: OpenBot, hesitant_engine: Engine
) -> None:
    adapter = (await open_bot(hesitant_engine, user_rate_limit="1/60")).adapter
    try:
        first = await mention(fake, "Wer ist Liang Wenfeng?")
        assert first.custom_ids and first.text != message("rate_limited", "de")
        notice = await mention(fake, "Italien")
        assert notice.text == message("rate_limited", "de")
        mark = fake.mark()
        await fake.send_message(f"<@{BOT_ID}> Taiwan", mentions=[BOT_ID])
        # Bob is not limited: his answer arrives, Alice's third message got nothing.
        offer = await mention(fake, "Wer ist Liang Wenfeng?", author_id=BOB_ID)
        assert fake.find("POST", CHANNEL_POST, after=mark) == [offer]
        assert offer.custom_ids and offer.custom_ids[0].startswith("pick:")

        limited = await slash(fake, "ask", {"question": "Italien"}, user_id=BOB_ID)
        assert limited.ephemeral and limited.text == message("rate_limited", "de")
        silent = await click(fake, offer, offer.custom_ids[0], user_id=BOB_ID)
        assert silent.body["type"] == 6  # acknowledged without a message
    finally:
        await adapter.stop()


async def test_errors_are_answered_ephemerally_logged_and_survived(
    bot: RunningBot,
    fake: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = bot.adapter
    real_ask = bot.engine.ask
    calls = 0

    async def broken_once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError("engine exploded")
        return await real_ask(*args, **kwargs)

    monkeypatch.setattr(bot.engine, "ask", broken_once)
    with caplog.at_level(logging.ERROR):
        failed = await slash(fake, "ask", {"question": "Wer ist Liang Wenfeng?"})
        assert failed.ephemeral and failed.text == message("error", "de")
        event_failed = await mention(fake, "Wer ist Liang Wenfeng?")
        assert event_failed.text == message("error", "de")
        await fake.until(lambda: any("event on_message" in r.getMessage() for r in caplog.records))
    records = [r for r in caplog.records if r.exc_info and "engine exploded" in str(r.exc_info[1])]
    assert len(records) == 2 and all(r.exc_info for r in records)
    # The bot goes on: both paths work again.
    assert LIANG_DE in (await slash(fake, "ask", {"question": "Wer ist Liang Wenfeng?"})).text
    assert LIANG_DE in (await mention(fake, "Wer ist Liang Wenfeng?")).text
    assert adapter.connected
