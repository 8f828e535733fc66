"""The Telegram adapter's pure parts: HTML rendering, splitting, addressing, keyboards."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Message

from bot.chat.service import reply_buttons
from bot.domain import callbacks
from bot.domain.models import Outcome, Reply, SourceRef, Suggestion
from bot.engine.engine import Engine
from bot.platforms.telegram import keyboards, render
from bot.platforms.telegram.adapter import file_url
from bot.platforms.telegram.addressing import (
    addressed_question,
    command_parts,
    original_question,
)
from tests.fakes.telegram import BOT_ID, BOT_USERNAME, FakeTelegram, parse_html


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- escaping and sources ------------------------------------------------------------


def test_answer_escapes_text_titles_and_links() -> None:
    src = SourceRef(
        "x",
        'Chips <b>"&"</b>',
        "Out&let",
        dt.date(2025, 1, 29),
        'https://example.com/?a=1&b="2"><script>',
    )
    plain_src = SourceRef("y", "No link", None, None, "javascript:alert(1)")
    reply = Reply(
        "q",
        "en",
        Outcome.ANSWERED,
        "A <i>b</i> & c\n\nsecond",
        intent="chips.overview",
        sources=(src, plain_src),
        as_of=dt.date(2025, 1, 29),
        id="r1",
    )
    (html,) = render.answer(reply)
    assert html.startswith("A &lt;i&gt;b&lt;/i&gt; &amp; c\n\nsecond\n\n<b>Sources:</b>\n")
    assert '<a href="https://example.com/?a=1&amp;b=&quot;2&quot;&gt;&lt;script&gt;">' in html
    assert "Chips &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;</a> (Out&amp;let, 2025-01-29)" in html
    assert "• No link" in html and "javascript" not in html
    assert html.endswith("<i>As of: 2025-01-29</i>")
    parse_html(html)


def test_topics_sources_and_help_render_as_valid_html(engine: Engine) -> None:
    for lang in ("de", "en"):
        views = engine.topics(lang)
        chunks = [
            *render.topics(views, lang),
            *render.topic(views[0], lang),
            *render.sources(engine.sources(lang), lang),
            *render.help_text(lang, BOT_USERNAME, views),
        ]
        for chunk in chunks:
            assert render.size(parse_html(chunk)) <= render.MAX_MESSAGE
    with pytest.MonkeyPatch.context() as patch:  # a command description is escaped too
        patch.setattr(render, "described", lambda lang: [("ask", "Frage <x>")])
        assert "/ask – Frage &lt;x&gt;" in render.help_text("de", "B", [])[0]


# -- splitting -----------------------------------------------------------------------


def test_long_text_splits_at_paragraphs_then_sentences_then_words() -> None:
    paragraphs = [f"Absatz {n}. " + "Wort & Satz. " * 150 for n in range(6)]  # ~2000 each
    chunks = render.plain("\n\n".join(paragraphs))
    assert len(chunks) >= 3
    for chunk in chunks:
        assert render.size(chunk) <= render.MAX_MESSAGE
        assert chunk.startswith("Absatz")  # every message starts at a paragraph
    one = "Satz mit Inhalt. " * 400  # a single paragraph of 6800 characters
    pieces = render.split_text(one)
    assert len(pieces) == 2 and all(p.endswith(".") for p in pieces)
    assert _squash("".join(pieces)) == _squash(one)


def test_text_without_breaks_is_cut_hard_but_never_inside_an_entity() -> None:
    text = "<&>" * 3000
    chunks = render.plain(text, limit=100)
    assert all(render.size(c) <= 100 for c in chunks)
    assert "".join(parse_html(c) for c in chunks) == text


def test_utf16_length_counts_emoji_twice() -> None:
    assert render.size("🤖") == 2 and render.size("ä") == 1
    chunks = render.plain("🤖" * 3000)
    assert len(chunks) == 2 and render.size(chunks[0]) <= render.MAX_MESSAGE


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_text_renders_to_valid_html_that_fits_and_keeps_every_character(text: str) -> None:
    chunks = render.plain(text, limit=60)
    shown = [parse_html(c) for c in chunks]
    assert all(render.size(c) <= 60 for c in chunks)
    assert _squash("".join(shown)) == _squash(text) or not text.strip()


# -- addressing ----------------------------------------------------------------------


def _message(text: str, **kwargs: Any) -> Message:
    data = FakeTelegram().say(text, **kwargs)
    return Message.de_json(data, None)


GROUP = FakeTelegram.group()


@pytest.mark.parametrize(
    ("text", "chat", "expected"),
    [
        ("Wer ist Liang?", None, "Wer ist Liang?"),
        ("Wer ist Liang?", GROUP, None),
        (f"@{BOT_USERNAME}: Wer ist Liang?", GROUP, "Wer ist Liang?"),
        (f"Wer ist Liang, @{BOT_USERNAME.lower()}?", GROUP, "Wer ist Liang, ?"),
        ("@SomeOtherBot Wer ist Liang?", GROUP, None),
        (f"🇩🇪 @{BOT_USERNAME} Kosten", GROUP, "🇩🇪 Kosten"),
        (f"@{BOT_USERNAME}", GROUP, ""),
    ],
)
def test_addressed_question(text: str, chat: dict[str, Any] | None, expected: str | None) -> None:
    assert addressed_question(_message(text, chat=chat), BOT_USERNAME, BOT_ID) == expected


def test_replies_to_the_bot_are_addressed_others_not() -> None:
    fake = FakeTelegram()
    bot_said = {
        "message_id": 500,
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
        "chat": GROUP,
        "date": 0,
        "text": "…",
    }
    someone = fake.say("hallo", chat=GROUP, user=FakeTelegram.user(3))
    to_bot = Message.de_json(fake.say("Und Kosten?", chat=GROUP, reply_to=bot_said), None)
    to_other = Message.de_json(fake.say("Und Kosten?", chat=GROUP, reply_to=someone), None)
    assert addressed_question(to_bot, BOT_USERNAME, BOT_ID) == "Und Kosten?"
    assert addressed_question(to_other, BOT_USERNAME, BOT_ID) is None


def test_command_parts_and_original_question() -> None:
    assert command_parts("/ask@Bot  Wer ist\nLiang?") == ("ask", "Bot", "Wer ist\nLiang?")
    assert command_parts("/Topics") == ("topics", None, "")
    assert command_parts("keine") is None
    assert original_question(_message("/ask Kosten?"), BOT_USERNAME, BOT_ID) == "Kosten?"
    assert original_question(_message("/topic chips"), BOT_USERNAME, BOT_ID) == ""
    assert original_question(_message(f"@{BOT_USERNAME} USA"), BOT_USERNAME, BOT_ID) == "USA"
    assert original_question(None, BOT_USERNAME, BOT_ID) == ""


# -- keyboards and URLs --------------------------------------------------------------


def test_keyboards() -> None:
    answered = Reply("q", "de", Outcome.ANSWERED, "t", intent="bans.italy", id="abc")
    markup = keyboard_for(answered)
    assert markup is not None
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data == ["fb:1:bans.italy:abc", "fb:0:bans.italy:abc"]
    assert keyboard_for(Reply("q", "de", Outcome.FALLBACK, "t", id="x")) is None
    close = Reply(
        "q",
        "de",
        Outcome.CLOSE_CALL,
        "t",
        suggestions=(Suggestion("bans.italy", "x" * 100), Suggestion("a." + "b" * 70, "zu lang")),
        id="y",
    )
    markup = keyboard_for(close)
    assert markup is not None
    (row,) = markup.inline_keyboard  # the button whose payload exceeds 64 bytes is left out
    assert row[0].callback_data == callbacks.pick("bans.italy", "y")  # with its close call
    assert len(row[0].text) == keyboards.MAX_LABEL and row[0].text.endswith("…")


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://h/custom/bot{token}/", "http://h/custom/file/bot{token}/"),
        ("http://h/api/", "http://h/api/"),
    ],
)
def test_file_url(base: str, expected: str) -> None:
    assert file_url(base) == expected


def keyboard_for(reply: Reply):  # type: ignore[no-untyped-def]
    """The keyboard the chat service's buttons for ``reply`` become."""
    return keyboards.keyboard(reply_buttons(reply))
