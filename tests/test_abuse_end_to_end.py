"""Abuse end to end, on both platforms: admin-only commands, and what must never leak.

* A question over ``MAX_QUESTION_CHARS`` is refused on the Telegram path before any
  matching work, and a flood in a group costs one notice while everyone else is still
  answered (the rules on their own are in ``tests/test_abuse_limits.py``).
* Admin-only commands (``/stats``, ``/reload``) refuse everyone else on both platforms,
  however the request is dressed up (groups, forwards, anonymous admins, DMs, other
  moderator permissions).
* No token, raw id or question text reaches a log line, and no one's question reaches
  another user's reply: checked on the bot's real log set-up at DEBUG level during an
  end-to-end exchange on each platform.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import logs
from bot.domain.messages import message
from bot.domain.models import AskContext, Reply
from bot.engine.decision import Thresholds
from bot.engine.engine import Engine, EngineOptions
from bot.knowledge import Knowledge
from bot.platforms.discord.texts import say as dc_say
from tests.bots import RunningBot, discord_bot, telegram_bot
from tests.fakes import discord as dc
from tests.fakes.telegram import BOT_USERNAME, TOKEN, Call, FakeTelegram, parse_html
from tests.fakes.telegram import settings_for as tg_settings_for
from tests.matching_spy import MatchingSpy

# The fixture (defined once in tests/matching_spy.py), in this module for pytest.
from tests.matching_spy import spy as spy

ADMIN = 4242
LIANG_DE = "gegründet"

# -- Telegram end to end ---------------------------------------------------------------------


TgBot = RunningBot
MakeTg = Callable[..., Awaitable[TgBot]]


@pytest.fixture
async def make_tg(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[MakeTg]:
    """A bot on a fake of its own, with its own database, per call."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(**overrides: Any) -> TgBot:
            fake = FakeTelegram()
            await fake.start()
            stack.push_async_callback(fake.stop)
            settings = {"telegram_admin_ids": str(ADMIN), **overrides}
            folder = tmp_path / f"bot{len(stack._exit_callbacks)}"
            folder.mkdir()
            engine = Engine(knowledge, tg_settings_for(fake, **settings).engine_options())
            return await stack.enter_async_context(telegram_bot(fake, folder, engine, **settings))

        yield make


def shown(call: Call) -> str:
    assert call.params.get("parse_mode") == "HTML"
    return parse_html(call.text)


async def reply_to(fake: FakeTelegram, text: str, **kwargs: Any) -> Call:
    before = len(fake.sent())
    fake.say(text, **kwargs)
    return (await fake.wait_for("sendMessage", before + 1))[before]


async def test_telegram_refuses_a_long_question_politely_without_matching_it(
    make_tg: MakeTg, spy: MatchingSpy
) -> None:
    bot = await make_tg(max_question_chars=200)
    spy.calls = 0  # (building the engine's index normalises every example)
    question = "🤖 <b>Wer</b> ist Liang Wenfeng? " * 120  # ~4000 characters, emoji and markup
    call = await reply_to(bot.fake, question)
    assert shown(call) == message("too_long", "de", length=len(question.strip()), limit=200)
    assert spy.calls == 0
    answer = await reply_to(bot.fake, "Wer ist Liang Wenfeng?")  # the next one is matched
    assert LIANG_DE in shown(answer) and spy.calls > 0
    await bot.store.flush()
    assert bot.rows("SELECT outcome, question FROM questions ORDER BY id") == [
        ("refused", None),  # the refused text is not kept
        ("answered", None),
    ]


async def test_telegram_group_flood_one_notice_and_others_still_answered(
    make_tg: MakeTg, spy: MatchingSpy, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_tg(user_rate_limit="3/60", chat_rate_limit="10/60")
    fake = bot.fake
    group = FakeTelegram.group()
    flooder = FakeTelegram.user(666, "Flo", "de")
    others = [FakeTelegram.user(700 + n, f"U{n}", "de") for n in range(4)]
    mention = f"@{BOT_USERNAME}"
    asked: dict[int, int] = {}
    with caplog.at_level(logging.INFO):
        for n in range(40):
            fake.say(f"{mention} Wer ist Liang Wenfeng?", user=flooder, chat=group)
            if n % 10 == 5:
                other = others[n // 10]
                msg = fake.say(
                    f"{mention} Warum hat Italien DeepSeek gesperrt?", user=other, chat=group
                )
                asked[msg["message_id"]] = other["id"]
        calls = await fake.wait_for("sendMessage", 3 + 1 + 4, within=15)
        await fake.settle(0.5)
    calls = fake.sent()
    texts = [shown(c) for c in calls]
    assert len(calls) == 8
    assert texts.count(message("rate_limited", "de")) == 1
    assert sum(LIANG_DE in t for t in texts) == 3  # the flooder's first three
    italy = [c for c in calls if "Italien" in shown(c)]
    assert sorted(c.params["reply_parameters"]["message_id"] for c in italy) == sorted(asked)
    # The flood never reached the matcher, and did not flood the log either.
    await bot.store.flush()
    assert bot.rows("SELECT COUNT(*) FROM questions") == [(7,)]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


# -- admin-only commands ---------------------------------------------------------------------

ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


@pytest.mark.parametrize("command", ["stats", "reload"])
async def test_telegram_admin_commands_refuse_everyone_else(make_tg: MakeTg, command: str) -> None:
    bot = await make_tg()
    fake = bot.fake
    group = FakeTelegram.group()
    admin = FakeTelegram.user(ADMIN, "Op", "de")
    stranger = FakeTelegram.user(5150, "Mal", "de")
    fake.say("Wie wird das Wetter in Quxlingen?", user=admin)  # something /stats would show
    await fake.wait_for("sendMessage")
    knowledge = bot.engine.knowledge
    attempts = [
        {"user": stranger},
        {"user": stranger, "chat": group},
        {"user": stranger, "text": f"/{command}@{BOT_USERNAME} 30"},
        {"user": ANONYMOUS_ADMIN, "chat": group, "extra": {"sender_chat": group}},
        {  # the admin's own command, forwarded by someone else
            "user": stranger,
            "extra": {"forward_origin": {"type": "user", "sender_user": admin, "date": 0}},
        },
        {"user": FakeTelegram.user(-ADMIN, "Neg", "de")},
        {"user": FakeTelegram.user(ADMIN * 10, "Ten", "de")},
    ]
    for attempt in attempts:
        text = attempt.pop("text", f"/{command}")
        call = await reply_to(fake, text, **attempt)
        assert shown(call) == message("not_admin", "de"), attempt
        assert "Quxlingen" not in call.text
    assert bot.engine.knowledge is knowledge  # nothing was reloaded


async def test_telegram_admin_commands_refuse_everyone_when_no_admin_is_configured(
    make_tg: MakeTg,
) -> None:
    bot = await make_tg(telegram_admin_ids="")
    for command in ("stats", "reload"):
        call = await reply_to(bot.fake, f"/{command}", user=FakeTelegram.user(ADMIN, "Op"))
        assert shown(call) == message("not_admin", "de")


# -- Discord -------------------------------------------------------------------------------

CALLBACK = r"/interactions/\d+/[^/]+/callback"
CHANNEL_POST = r"/channels/\d+/messages"
MODERATOR = str(
    int(dc.MEMBER_PERMISSIONS)
    | 1 << 1  # kick members
    | 1 << 2  # ban members
    | 1 << 4  # manage channels
    | 1 << 13  # manage messages
    | 1 << 17  # mention everyone
    | 1 << 28  # manage roles
    | 1 << 40  # moderate members
)


DcBot = RunningBot


@contextlib.asynccontextmanager
async def running_dcbot(tmp_path: Path, engine: Engine) -> AsyncIterator[DcBot]:
    """A started Discord adapter on a fresh fake, with its own SQLite file."""
    async with (
        dc.FakeDiscord.running() as fake,
        discord_bot(
            fake, tmp_path, engine, user_rate_limit="100/60", chat_rate_limit="100/60"
        ) as bot,
    ):
        yield bot


@pytest.fixture
async def dcbot(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[DcBot]:
    async with running_dcbot(tmp_path, Engine(knowledge)) as bot:
        yield bot
    for request in bot.fake.requests:  # nothing sent may ping, or be refused
        msg = request.message
        assert request.status not in (400, 401, 404), (request.path, request.body)
        if msg is not None and (msg.get("content") or msg.get("embeds")):
            assert msg.get("allowed_mentions", {}).get("parse") == [], msg


async def slash(fake: dc.FakeDiscord, name: str, **context: Any) -> dc.Request:
    mark = fake.mark()
    await fake.slash(name, context.pop("options", None), **context)
    return (await fake.wait_request("POST", CALLBACK, after=mark))[0]


@pytest.mark.parametrize("command", ["stats", "reload"])
async def test_discord_admin_commands_need_manage_server_in_a_server(
    dcbot: DcBot, command: str
) -> None:
    knowledge = dcbot.engine.knowledge
    refusal = {
        "de": dc_say("not_admin", "de"),
        "en": dc_say("not_admin", "en"),
    }
    attempts: list[dict[str, Any]] = [
        {},  # a plain member
        {"permissions": MODERATOR, "user_id": dc.BOB_ID, "locale": "en-US"},
        {"dm": True},  # no server, so no Manage Server to have
        {"dm": True, "permissions": dc.ALL_PERMISSIONS, "user_id": dc.BOB_ID},
    ]
    for attempt in attempts:
        request = await slash(dcbot.fake, command, **attempt)
        assert request.ephemeral
        assert request.text in refusal.values(), attempt
    assert dcbot.engine.knowledge is knowledge


async def test_discord_stats_never_show_other_peoples_questions(dcbot: DcBot) -> None:
    """Manage Server in *a* server is no licence to read what people asked elsewhere."""
    elsewhere = AskContext(platform="telegram", chat_id="1", user_id="2")
    await dcbot.engine.ask("Wie wird das Wetter in Quxlingen?", elsewhere)
    other_server = AskContext(platform="discord", chat_id="99", user_id="98")
    await dcbot.engine.ask("Was kostet ein Abo in Zwiebelhausen?", other_server)
    await dcbot.store.flush()
    manager = str(int(dc.MEMBER_PERMISSIONS) | dc.MANAGE_GUILD)
    request = await slash(dcbot.fake, "stats", permissions=manager, locale="en-US")
    assert request.ephemeral and request.text.startswith("Last 7 days: 2 questions")
    assert "Quxlingen" not in request.text and "Zwiebelhausen" not in request.text


# -- one user's question, another user's tap -------------------------------------------------

HESITANT = {"answer_threshold": 100, "suggest_threshold": 40}  # close calls, not answers


async def test_telegram_a_pick_on_someone_elses_question_is_theirs_to_forget(
    make_tg: MakeTg,
) -> None:
    """Bob taps a suggestion under Alice's close call: the question is Alice's, kept under
    her id, so her /forget deletes it (and Bob's cannot)."""
    bot = await make_tg(**HESITANT)
    fake = bot.fake
    group = FakeTelegram.group()
    alice, bob = FakeTelegram.user(81, "Alice"), FakeTelegram.user(82, "Bob")
    question = "Was hat DeepSeek gekostet?"
    close = await reply_to(fake, f"@{BOT_USERNAME} {question}", user=alice, chat=group)
    assert close.buttons and close.buttons[0]["callback_data"].startswith("pick:")
    fake.tap(fake.message_of(close), close.buttons[0]["callback_data"], user=bob)
    await fake.wait_for("editMessageText")
    await bot.store.flush()
    hashed = {
        n: bot.store.hash("telegram", "user", str(u["id"])) for n, u in [("a", alice), ("b", bob)]
    }
    assert bot.rows("SELECT user_hash, question FROM suggestion_picks") == [(hashed["a"], question)]
    await reply_to(fake, "/forget", user=bob)
    assert bot.rows("SELECT COUNT(*) FROM suggestion_picks") == [(1,)]
    await reply_to(fake, "/forget", user=alice)
    assert bot.rows("SELECT COUNT(*) FROM suggestion_picks") == [(0,)]
    assert bot.rows("SELECT COUNT(*) FROM questions WHERE question IS NOT NULL") == [(0,)]


async def test_discord_a_pick_on_someone_elses_question_is_theirs_to_forget(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    hesitant = Engine(knowledge, EngineOptions(thresholds=Thresholds(answer=100.1, suggest=40)))
    async with running_dcbot(tmp_path, hesitant) as bot:
        fake, store, db = bot.fake, bot.store, bot.db
        mark = fake.mark()
        question = "Wer ist Liang Wenfeng?"
        await fake.send_message(f"<@{dc.BOT_ID}> {question}", mentions=[dc.BOT_ID])
        (offer,) = await fake.wait_request("POST", CHANNEL_POST, after=mark)
        mark = fake.mark()
        await fake.click(fake.message_of(offer), offer.custom_ids[0], user_id=dc.BOB_ID)
        await fake.wait_request("POST", CALLBACK, after=mark)
        await bot.store.flush()
        with sqlite3.connect(db) as conn:
            picks = conn.execute("SELECT user_hash, question FROM suggestion_picks").fetchall()
        assert picks == [(store.hash("discord", "user", str(dc.ALICE_ID)), question)]
        await slash(fake, "forget")  # Alice
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM suggestion_picks").fetchall() == [(0,)]


# -- nothing leaks ---------------------------------------------------------------------------


class DebugLogs:
    """The bot's real log set-up (with redaction) at DEBUG, into the captured stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str], secrets: list[str]) -> None:
        self.capsys = capsys
        self.secrets = secrets

    def start(self) -> None:
        logs.configure("DEBUG", "text", self.secrets)

    def read(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def debug_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[list[str]], DebugLogs]]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    yield lambda secrets: DebugLogs(capsys, secrets)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for name in set(logging.root.manager.loggerDict) - set(levels):
        logging.getLogger(name).setLevel(logging.NOTSET)


def assert_absent(text: str, secrets: dict[str, str], where: str) -> None:
    for what, value in secrets.items():
        assert value not in text, f"{what} ({value!r}) appears in {where}"


async def test_telegram_no_token_id_or_question_in_logs_or_other_replies(
    make_tg: MakeTg, debug_logs: Callable[[list[str]], DebugLogs], monkeypatch: pytest.MonkeyPatch
) -> None:
    captured = debug_logs([TOKEN])
    captured.start()
    bot = await make_tg()
    fake = bot.fake
    group = FakeTelegram.group(-1009182736450, "Runde")
    alice = FakeTelegram.user(918273645, "Alice", "de")
    bob = FakeTelegram.user(918273646, "Bob", "en")
    mention = f"@{BOT_USERNAME}"
    alices = "Wie wird das Wetter in Quxlingen morgen?"
    bobs = "Does Zwiebelhausen sell DeepSeek subscriptions?"

    # Questions in a group and in private, a feedback tap, settings, a failure.
    fake.say(f"{mention} {alices}", user=alice, chat=group)
    fake.say(bobs, user=bob)
    await fake.wait_for("sendMessage", 2)
    answer = await reply_to(fake, "Who is Liang Wenfeng?", user=bob)
    fake.tap(fake.message_of(answer), answer.buttons[0]["callback_data"], user=bob)
    await fake.wait_for("answerCallbackQuery")
    await reply_to(fake, "/lang en", user=bob)
    await reply_to(fake, "/forget", user=alice)
    await reply_to(fake, "/stats", user=bob)  # not an admin
    fake.inline("Quxlingen Wetter", user=alice)
    await fake.wait_for("answerInlineQuery")
    real_ask = bot.engine.ask

    async def failing(question: str, *rest: Any) -> Reply:
        if "Quxlingen" in question:
            raise RuntimeError("matching failed")
        return await real_ask(question, *rest)

    monkeypatch.setattr(bot.engine, "ask", failing)
    await reply_to(fake, f"{mention} Nochmal: {alices}", user=alice, chat=group)
    await bot.store.flush()
    await bot.adapter.stop()
    output = captured.read()

    assert "Traceback" in output and "RuntimeError" in output  # DEBUG logs were captured
    secrets = {
        "the token": TOKEN,
        "the token's secret part": TOKEN.split(":")[1],
        "Alice's id": str(alice["id"]),
        "Bob's id": str(bob["id"]),
        "the group's id": str(group["id"])[4:],
        "Alice's question": "Quxlingen",
        "Bob's question": "Zwiebelhausen",
    }
    assert_absent(output, secrets, "the log")
    for call in fake.calls:
        if call.method not in ("sendMessage", "editMessageText", "answerCallbackQuery"):
            continue
        text = str(call.params.get("text", ""))
        assert_absent(text, {k: v for k, v in secrets.items() if "question" not in k}, "a reply")
        to_bob = call.params.get("chat_id") == bob["id"]
        assert not to_bob or "Quxlingen" not in text
        assert to_bob or "Zwiebelhausen" not in text


async def test_discord_no_token_id_or_question_in_logs_or_other_replies(
    tmp_path: Path, knowledge: Knowledge, debug_logs: Callable[[list[str]], DebugLogs]
) -> None:
    captured = debug_logs([dc.TOKEN])
    captured.start()
    async with (
        dc.FakeDiscord.running() as fake,
        discord_bot(
            fake, tmp_path, Engine(knowledge), user_rate_limit="100/60", chat_rate_limit="100/60"
        ) as bot,
    ):
        mark = fake.mark()
        await fake.send_message(
            f"<@{dc.BOT_ID}> Wie wird das Wetter in Quxlingen?", mentions=[dc.BOT_ID]
        )
        await fake.wait_request("POST", CHANNEL_POST, after=mark)
        answered = await slash(
            fake, "ask", options={"question": "Who is Liang Wenfeng?"}, user_id=dc.BOB_ID
        )
        await slash(
            fake, "ask", options={"question": "Zwiebelhausen subscription?"}, user_id=dc.BOB_ID
        )
        mark = fake.mark()
        await fake.click(fake.message_of(answered), answered.custom_ids[0], user_id=dc.BOB_ID)
        await fake.wait_request("POST", CALLBACK, after=mark)
        await slash(fake, "forget")
        await slash(fake, "stats", user_id=dc.BOB_ID)
        fake.fail("POST", CALLBACK, times=1, status=429, retry_after=0.01)
        await slash(fake, "topics", user_id=dc.BOB_ID)  # a rate-limited interaction reply
        fake.fail("POST", CHANNEL_POST, times=1, status=429, retry_after=0.01)
        mark = fake.mark()
        await fake.send_message(f"<@{dc.BOT_ID}> Quxlingen?", mentions=[dc.BOT_ID])
        await fake.wait_request("POST", CHANNEL_POST, after=mark)
        await bot.store.flush()
    output = captured.read()
    assert "IDENTIFY" in output or "discord" in output  # DEBUG logs were captured
    secrets = {
        "the token": dc.TOKEN,
        "Alice's id": str(dc.ALICE_ID),
        "Bob's id": str(dc.BOB_ID),
        "the channel's id": str(dc.CHANNEL_ID),
        "the server's id": str(dc.GUILD_ID),
        "an interaction token": "itoken-",
        "Alice's question": "Quxlingen",
        "Bob's question": "Zwiebelhausen",
    }
    assert_absent(output, secrets, "the log")
    for request in fake.requests:
        if request.posts_content:
            assert_absent(request.text, secrets, "a reply")


def test_the_log_filter_masks_ids_and_interaction_tokens_in_urls() -> None:
    scrub = logs.RedactingFilter([dc.TOKEN]).scrub
    base = "https://discord.com/api/v10"
    assert scrub(f"POST {base}/channels/{dc.CHANNEL_ID}/messages responded with 429") == (
        f"POST {base}/channels/[id]/messages responded with 429"
    )
    assert scrub(f"{base}/interactions/{dc.APP_ID}/aW50ZXJhY3Rpb24Ab/callback?x=1") == (
        f"{base}/interactions/[id]/[redacted]/callback?x=1"
    )
    assert scrub(f"{base}/webhooks/{dc.APP_ID}/aW50ZXJhY3Rpb24Ab/messages/@original") == (
        f"{base}/webhooks/[id]/[redacted]/messages/@original"
    )
    invite = f"https://discord.com/oauth2/authorize?client_id={dc.APP_ID}"
    assert scrub(invite) == invite  # the bot's own id, in the link operators need
    record = logging.LogRecord("telegram.ext.ExtBot", logging.DEBUG, "x", 1, "%s", ("p",), None)
    assert not logs.RedactingFilter().filter(record)  # payload dumps never pass
    record.levelno = logging.WARNING
    assert logs.RedactingFilter().filter(record)  # but its warnings do
