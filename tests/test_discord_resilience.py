"""The Discord adapter end to end when things go wrong, and its life cycle.

REST rate limits and server errors, broken connections, gateway drops and resumes, a
token kept out of the logs, sharding, command sync, a rejected token or refused
IDENTIFY at start-up, and a clean stop. Messages, commands and buttons are in
``tests/test_discord_adapter.py``; the same fake Discord on 127.0.0.1 and the same
check of every recorded payload after each test.
"""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest

from bot.config import Settings
from bot.engine.engine import Engine
from bot.errors import StartupError
from bot.platforms.discord.adapter import DiscordAdapter, DiscordStartError
from bot.platforms.discord.expiry import ButtonExpiry
from bot.platforms.discord.render import ButtonSpec
from bot.runtime.services import build_chat
from tests.discord_helpers import CHANNEL_POST, LIANG_DE, OpenBot, mention, slash

# The fixtures (defined once in tests/discord_helpers.py), in this module for pytest.
from tests.discord_helpers import adapter as adapter
from tests.discord_helpers import bot as bot
from tests.discord_helpers import fake as fake
from tests.discord_helpers import faq_engine as faq_engine
from tests.discord_helpers import open_bot as open_bot
from tests.fakes.discord import APP_ID, BOT_ID, CHANNEL_ID, TOKEN, FakeDiscord, settings_for

# -- resilience --------------------------------------------------------------------------


async def test_rest_429_is_retried_after_retry_after(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.fail("POST", CHANNEL_POST, times=1, status=429, retry_after=0.2)
    mark = fake.mark()
    await fake.send_message(f"<@{BOT_ID}> Wer ist Liang Wenfeng?", mentions=[BOT_ID])
    sent = (await fake.wait_request("POST", CHANNEL_POST, after=mark))[0]
    attempts = fake.find("POST", CHANNEL_POST, after=mark, status=None)
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.19
    assert LIANG_DE in sent.text


async def test_server_errors_and_broken_connections_cost_no_answer_and_no_duplicate(
    adapter: DiscordAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("POST", CHANNEL_POST, times=1, status=500)
    assert LIANG_DE in (await mention(fake, "Wer ist Liang Wenfeng?")).text  # retried after 1 s

    # The connection breaks before Discord saw the send: sent again, answered once.
    fake.fail("POST", CHANNEL_POST, times=1, drop=True)
    mark = fake.mark()
    answer = await mention(fake, "Wer ist Liang Wenfeng?")
    assert LIANG_DE in answer.text
    attempts = fake.find("POST", CHANNEL_POST, after=mark, status=None)
    assert [a.status for a in attempts] == [0, 200]
    # ... and after Discord made the message but before its answer arrived: the repeat
    # carries the same nonce, so Discord hands back that message instead of a second one.
    fake.fail("POST", CHANNEL_POST, times=1, drop_after=True)
    mark, before = fake.mark(), len(fake.messages)
    answer = await mention(fake, "Italien")
    attempts = fake.find("POST", CHANNEL_POST, after=mark, status=None)
    assert [a.status for a in attempts] == [0, 200]
    assert attempts[0].body["nonce"] == attempts[1].body["nonce"]
    assert attempts[1].body["enforce_nonce"] is True
    assert len(fake.messages) == before + 2  # the question and one answer
    assert "Italien" in answer.text
    ours = [r for r in caplog.records if r.name.startswith(("bot.", "discord."))]
    assert not any(r.levelno >= logging.ERROR for r in ours)  # nothing failed on our side


@pytest.mark.parametrize("code", [4000, None], ids=["close-4000", "abrupt-drop"])
async def test_gateway_drop_is_resumed_and_missed_events_replayed(
    adapter: DiscordAdapter, fake: FakeDiscord, code: int | None
) -> None:
    await fake.drop_gateway(code)
    # Sent while the bot is away: Discord replays it after RESUME.
    mark = fake.mark()
    await fake.send_message(f"<@{BOT_ID}> Wer ist Liang Wenfeng?", mentions=[BOT_ID])
    reply = (await fake.wait_request("POST", CHANNEL_POST, after=mark, within=10))[0]
    assert LIANG_DE in reply.text
    assert fake.resumes == 1 and len(fake.identify_payloads) == 1
    await fake.until(lambda: adapter.connected, what="connected again")
    assert "Italien" in (await mention(fake, "Italien")).text


async def test_non_resumable_close_leads_to_a_fresh_identify(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    await fake.drop_gateway(4009, resumable=False)
    await fake.until(lambda: len(fake.identify_payloads) == 2, 10, "a second IDENTIFY")
    assert fake.invalid_sessions == 1 and fake.resumes == 0
    await fake.until(lambda: adapter.connected, what="connected again")
    assert LIANG_DE in (await mention(fake, "Wer ist Liang Wenfeng?")).text


async def test_token_never_appears_in_logs(
    open_bot: OpenBot, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = (await open_bot()).adapter
    try:
        await mention(fake, "Wer ist Liang Wenfeng?")
        await slash(fake, "ask", {"question": "Verbot?"})
        fake.fail("POST", CHANNEL_POST, times=1, status=429, retry_after=0.01)
        await mention(fake, "Italien")
        await fake.drop_gateway(4000)
        await fake.until(lambda: fake.resumes == 1, 10, "RESUME")
    finally:
        await adapter.stop()
    assert caplog.records, "expected discord.py debug logs"
    assert any("IDENTIFY" in r.getMessage() for r in caplog.records)
    invite = f"client_id={APP_ID}&scope=bot+applications.commands&permissions=274877991936"
    assert any(invite in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in (record.exc_text or "")
    assert TOKEN not in caplog.text


async def test_sharded_client_finds_the_gateway_through_rest(
    fake: FakeDiscord, open_bot: OpenBot
) -> None:
    adapter = (await open_bot(discord_sharded=True)).adapter
    try:
        assert fake.find("GET", "/gateway/bot")
        assert fake.identify_payloads[0]["shard"] == [0, 1]
        assert adapter.connected
        assert LIANG_DE in (await mention(fake, "Wer ist Liang Wenfeng?")).text
    finally:
        await adapter.stop()


async def test_commands_are_synced_on_start_only_when_configured(
    fake: FakeDiscord, open_bot: OpenBot
) -> None:
    plain = (await open_bot()).adapter
    await plain.stop()
    assert not fake.find("PUT", r"/applications/.*")
    syncing = (await open_bot(discord_sync_commands_on_start=True)).adapter
    await syncing.stop()
    [put] = fake.find("PUT", rf"/applications/{APP_ID}/commands")
    assert len(put.body) == 11 and "help" in {c["name"] for c in put.body}


async def test_a_rejected_token_stops_start_up_with_one_clear_line(
    fake: FakeDiscord, faq_engine: Engine
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        discord_token="not-the-token",
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
    )
    adapter = DiscordAdapter(build_chat(settings, faq_engine, None), settings)
    with pytest.raises(DiscordStartError, match="rejected DISCORD_TOKEN") as raised:
        await adapter.start()
    assert isinstance(raised.value, StartupError)
    assert "not-the-token" not in str(raised.value)
    assert adapter.client is not None and adapter.client.is_closed()  # cleaned up
    fake.requests.clear()  # the 401 is expected here


async def test_a_refused_identify_ends_start_up_cleanly(
    fake: FakeDiscord, faq_engine: Engine
) -> None:
    fake.identify_close_code = 4014  # Discord: disallowed (privileged) intents
    settings = settings_for(fake)
    adapter = DiscordAdapter(build_chat(settings, faq_engine, None), settings)
    with pytest.raises(DiscordStartError, match="privileged intent"):
        await adapter.start()
    assert adapter.client is not None and adapter.client.is_closed()
    assert not adapter.connected
    # No privileged intent was asked for: members (1 << 1), presences (1 << 8), content (1 << 15).
    intents = fake.identify_payloads[0]["intents"]
    assert intents & (1 << 1 | 1 << 8 | 1 << 15) == 0
    assert intents & (1 << 9 | 1 << 12) == (1 << 9 | 1 << 12)  # guild messages and DMs


async def test_stop_is_clean_and_idempotent(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await adapter.stop()
    assert not adapter.connected
    await adapter.stop()
    await asyncio.sleep(0)


async def test_button_expiry_keeps_a_bounded_queue() -> None:
    """Expiry is cosmetic: past the limit the oldest answers keep their buttons."""
    client = discord.Client(intents=discord.Intents.none())
    expiry = ButtonExpiry(client, timeout=3600, limit=3)
    buttons = [ButtonSpec(custom_id="pick:bans.italy", label="Italien")]
    try:
        for message_id in range(1, 6):
            expiry.channel_message(CHANNEL_ID, message_id, buttons)
        expiry.channel_message(CHANNEL_ID, 6, [])  # nothing to expire
        assert len(expiry) == 3 and expiry.dropped == 2
    finally:
        await expiry.close()
        await client.close()
    expiry.channel_message(CHANNEL_ID, 7, buttons)
    assert len(expiry) == 0  # closed: nothing new is queued
