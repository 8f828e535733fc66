"""Property tests over bad input: normalisation, matching and both renderers.

Hypothesis throws arbitrary Unicode at the bot, along with the input people actually use to
break chat bots: 100,000 characters, zero-width and right-to-left characters, control
characters, Markdown, HTML and ``<script>``, ``@everyone``, ``<@&role>`` and ``<@id>``
mentions, and Telegram entities at awkward UTF-16 offsets. The properties: nothing raises,
nothing exceeds a platform limit, nothing comes out as markup that was not meant as markup,
nothing can ping anyone, and a question over the limit is refused before any matching.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any
from unittest import mock

import discord
import pytest
import rapidfuzz.process
from discord.http import handle_message_parameters
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from telegram import Message

from bot.chat.reports import stats_lines
from bot.chat.service import reply_buttons
from bot.domain.messages import message
from bot.domain.models import LANGUAGES, Outcome, Reply, SourceRef, Suggestion
from bot.domain.stats import Stats
from bot.engine.engine import Engine
from bot.engine.matcher import Matcher
from bot.engine.smalltalk import MAX_WORDS as SMALLTALK_MAX_WORDS
from bot.nlp.text import clean, strip_invisible, tokenize
from bot.platforms.discord import render as dc_render
from bot.platforms.discord.handlers import question_text
from bot.platforms.telegram import render as tg_render
from bot.platforms.telegram.addressing import addressed_question, command_parts
from bot.render.text import ELLIPSIS
from tests.fakes.telegram import BOT_ID, BOT_USERNAME, FakeTelegram, parse_html

# A moderate number of examples keeps the file well under 30 s; the engine and the
# libraries are loaded once (module fixtures), so per-example deadlines do not apply.
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies ----------------------------------------------------------------------------

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069"]
CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\r", "\t", "\x0b", "\x0c", "\u0085", "\u2028"]
NASTY = [
    "<script>alert(1)</script>",
    "<b>",
    "</i>",
    '<a href="tg://user?id=42">x</a>',
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "**bold**",
    "__u__",
    "`code`",
    "```py\nx\n```",
    "||spoiler||",
    "~~s~~",
    "> quote",
    "# heading",
    "-# small",
    "[link](https://evil.example)",
    "[x](**bold**)",
    "[a](||spoiler|| `code`)",
    "\\",
    "\\*",
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&987654321098765432>",
    "<#111111111111111111>",
    "<:emoji:222222222222222222>",
    "<t:1700000000:R>",
    f"@{BOT_USERNAME}",
    "@SomeOtherBot",
    "/stats",
    "https://example.com/a_b_(c)",
    "👩‍💻",
    "🇩🇪",
    "🤖",
    "e\u0301",
    "مرحبا",
    "שלום",
]
KNOWN = [
    "Wer ist Liang Wenfeng?",
    "Wie viel hat DeepSeek gekostet?",
    "Warum hat Italien DeepSeek gesperrt?",
    "Who uses DeepSeek in China?",
    "Sanktionen",
    "Nvidia",
]

specials = st.sampled_from(ZERO_WIDTH + BIDI + CONTROL + NASTY + KNOWN)
any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
# Arbitrary Unicode interleaved with the pieces above, so both turn up in one string.
nasty_text = st.lists(st.one_of(any_text, specials), max_size=12).map("".join)
long_text = st.builds(
    lambda piece, times: (piece or "x") * times,
    st.one_of(specials, st.text(min_size=1, max_size=8)),
    st.integers(min_value=200, max_value=4000),
)
reply_text = st.one_of(nasty_text, long_text, st.lists(nasty_text, max_size=6).map("\n\n".join))
urls = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "https://example.com/x?a=1&b=2",
            'https://example.com/"><script>alert(1)</script>',
            "javascript:alert(1)",
            "tg://user?id=42",
            "http://example.com/a (b)",
        ]
    ),
    any_text,
)
sources = st.builds(
    SourceRef,
    id=st.just("s"),
    title=nasty_text,
    outlet=st.one_of(st.none(), nasty_text),
    date=st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1))),
    url=urls,
)
intent_ids = st.from_regex(r"[a-z][a-z0-9_]{0,20}\.[a-z][a-z0-9_]{0,20}", fullmatch=True)
replies = st.builds(
    Reply,
    question=nasty_text,
    language=st.sampled_from(LANGUAGES),
    outcome=st.sampled_from(list(Outcome)),
    text=reply_text,
    intent=st.one_of(st.none(), intent_ids),
    title=st.one_of(st.none(), nasty_text),
    suggestions=st.lists(st.builds(Suggestion, intent_ids, nasty_text), max_size=30).map(tuple),
    sources=st.lists(sources, max_size=12).map(tuple),
    as_of=st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1))),
    id=st.from_regex(r"[0-9a-f]{0,12}", fullmatch=True),
)

# The platforms' limits, written out here rather than imported: a wrong constant in the
# code must not move the goalposts of its own test.
TELEGRAM_MESSAGE = 4096  # UTF-16 code units
DISCORD_CONTENT = 2000
DISCORD_TITLE, DISCORD_DESCRIPTION, DISCORD_FIELDS = 256, 4096, 25
DISCORD_FIELD_NAME, DISCORD_FIELD_VALUE, DISCORD_FOOTER = 256, 1024, 2048
DISCORD_EMBED_TOTAL, DISCORD_LABEL, DISCORD_CUSTOM_ID = 6000, 80, 100

MENTION_MARKUP = re.compile(r"<@[!&]?\d+>|@everyone|@here")
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    return _WS.sub("", text)


@pytest.fixture(scope="module")
def faq(engine: Engine) -> Engine:
    """The session engine, warmed up (word list, stemmer caches) before anything is timed."""
    engine.answer("Wer ist Lian Wenfeng?")
    return engine


# -- normalisation -------------------------------------------------------------------------


@FAST
@given(nasty_text)
@example("<º>")  # NFKC turns it into a tag ("<o>"), found under load
@example("&amp;lt;b&amp;gt;")  # an entity inside an entity
@example("＆lt;b＞")  # full-width characters that NFKC turns into markup
def test_clean_leaves_no_invisible_characters_and_is_idempotent(text: str) -> None:
    cleaned = clean(text)
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in cleaned)
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert clean(cleaned) == cleaned
    for token in tokenize(text):
        assert token and not any(ch.isspace() for ch in token)


@FAST
@given(
    st.sampled_from(KNOWN),
    st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from([*ZERO_WIDTH[1:], *BIDI])),
        max_size=8,
    ),
)
def test_invisible_characters_inside_words_change_nothing(
    faq: Engine, question: str, inserts: list[tuple[int, str]]
) -> None:
    """Soft hyphens, joiners and bidi marks copied along with a question are not word breaks."""
    mangled = question
    for position, char in inserts:
        at = position % (len(mangled) + 1)
        mangled = mangled[:at] + char + mangled[at:]
    assert tokenize(mangled) == tokenize(question)
    before, after = faq.answer(question), faq.answer(mangled)
    assert (after.outcome, after.intent) == (before.outcome, before.intent)


@FAST
@given(st.sampled_from(KNOWN), st.sampled_from(["\u200b", *BIDI, *CONTROL]))
def test_separators_and_bidi_around_words_change_nothing(
    faq: Engine, question: str, char: str
) -> None:
    spaced = char + question.replace(" ", f" {char}") + char
    before, after = faq.answer(question), faq.answer(spaced)
    assert (after.outcome, after.intent) == (before.outcome, before.intent)


@FAST
@given(nasty_text, st.sampled_from(LANGUAGES))
def test_normaliser_terms_never_raise(faq: Engine, text: str, lang: str) -> None:
    for term in faq.matcher.normalizer.terms(text, lang):
        assert term.key and term.surface and not any(ch.isspace() for ch in term.key)
    assert "\u200d" not in strip_invisible(text)


# -- matching ------------------------------------------------------------------------------


@FAST
@given(st.one_of(nasty_text, long_text), st.sampled_from([None, *LANGUAGES]))
def test_any_question_gets_a_well_formed_reply_that_does_not_echo_it(
    faq: Engine, question: str, lang: Any
) -> None:
    marker = "zqxjmarker"  # a word the knowledge never uses, to spot an echo of the question
    question = f"{question} {marker}" if len(question) % 2 else f"{marker} {question}"
    reply = faq.answer(question, lang)
    limit = faq.options.max_question_chars
    assert (reply.outcome is Outcome.REFUSED) == (len(question) > limit)
    assert reply.text.strip() and marker not in reply.text
    assert lang is None or reply.language == lang
    intents = faq.knowledge.intents
    if reply.outcome is Outcome.ANSWERED:
        assert reply.intent in intents
        assert reply.text == intents[reply.intent].answer.get(reply.language)
    else:
        assert reply.intent is None
    assert len(reply.suggestions) <= faq.matcher.thresholds.max_suggestions
    assert all(s.intent in intents for s in reply.suggestions)


@SLOW
@given(st.one_of(specials, st.characters(codec="utf-8")), st.sampled_from([None, *LANGUAGES]))
def test_a_100000_character_question_is_refused_without_matching_it(
    faq: Engine, piece: str, lang: Any
) -> None:
    question = (piece * (100_000 // len(piece) + 1))[:100_000]
    with mock.patch.object(Matcher, "match", side_effect=AssertionError("matched")):
        reply = faq.answer(question, lang)
    assert reply.outcome is Outcome.REFUSED
    assert "100000" in reply.text and str(faq.options.max_question_chars) in reply.text


def test_the_longest_allowed_questions_stay_cheap(faq: Engine) -> None:
    """Bounded work: a question of exactly the maximum length, built to be expensive."""
    limit = faq.options.max_question_chars
    words = " ".join(f"wqrt{n:04d}xv" for n in range(limit))  # unknown words: typo search
    worst = [
        words[:limit],
        ("Kostn Chipps Nvidai Wenfnge Itallien Sanktionn " * 40)[:limit],
        ("Entwicklungskostenproblem" * 50)[:limit],
        ("a" * limit),
        ("🤖\u200d" * limit)[:limit],
    ]
    searches = {"matcher": 0, "small talk": 0}
    real_extract = rapidfuzz.process.extract
    talk = faq._index.smalltalk
    small_talk_words = talk._words if talk is not None else None

    def counted(query: Any, choices: Any, *args: Any, **kwargs: Any) -> Any:
        searches["small talk" if choices is small_talk_words else "matcher"] += 1
        return real_extract(query, choices, *args, **kwargs)

    for question in worst:
        searches.update({"matcher": 0, "small talk": 0})
        with mock.patch.object(rapidfuzz.process, "extract", counted):
            faq.answer(question)
        # At most one typo search per distinct word: work grows with the question, no faster.
        assert searches["matcher"] <= len(set(tokenize(question))), (question[:40], searches)
        # Small talk spells a short message, or only the first few words of a long one.
        assert searches["small talk"] <= SMALLTALK_MAX_WORDS, (question[:40], searches)


# -- Telegram HTML -------------------------------------------------------------------------

TG_TAGS = re.compile(r"<(/?)([a-z-]+)([^>]*)>")


def assert_telegram_safe(chunks: list[str]) -> str:
    """Each message: valid Telegram HTML, only the tags we emit, within 4096; the visible text."""
    assert chunks
    shown = []
    for chunk in chunks:
        assert tg_render.size(chunk) <= TELEGRAM_MESSAGE  # markup counted too
        visible = parse_html(chunk)  # raises on anything Telegram would not parse
        assert visible.strip()
        for closing, name, attrs in TG_TAGS.findall(chunk):
            assert name in {"b", "i", "a"}, chunk
            if name == "a" and not closing:
                assert re.fullmatch(r' href="https?://[^"<>]*"', attrs), attrs
        shown.append(visible)
    return "\n\n".join(shown)


@FAST
@given(replies)
def test_telegram_answers_are_valid_html_within_the_limit_and_lose_nothing(reply: Reply) -> None:
    shown = assert_telegram_safe(tg_render.answer(reply))
    if reply.text.strip():
        assert squash(shown).startswith(squash(reply.text))
    for src in reply.sources:
        assert squash(src.title) in squash(shown)


@FAST
@given(st.lists(nasty_text, max_size=8), st.sampled_from(LANGUAGES))
def test_telegram_stats_show_questions_literally(questions: list[str], lang: Any) -> None:
    stats = Stats(days=7, total=len(questions), recent_unanswered=questions)
    shown = assert_telegram_safe(tg_render.plain("\n".join(stats_lines(stats, lang))))
    for question in questions:
        assert squash(question) in squash(shown)


@FAST
@given(st.one_of(nasty_text, long_text), st.sampled_from([None, *LANGUAGES]))
def test_telegram_whole_pipeline_question_to_html(faq: Engine, question: str, lang: Any) -> None:
    assert_telegram_safe(tg_render.answer(faq.answer(question, lang)))


def _segments() -> st.SearchStrategy[list[str]]:
    plain = st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="@/"), min_size=1, max_size=20
    )
    handle = st.sampled_from(
        [f"@{BOT_USERNAME}", f"@{BOT_USERNAME.lower()}", f"@{BOT_USERNAME.upper()}"]
    )
    other = st.sampled_from(["@SomeOtherBot", "@everyone", "👩‍💻", "🇩🇪", "\u202e", "\u200d"])
    return st.lists(st.one_of(plain, handle, other), min_size=1, max_size=10)


@FAST
@given(_segments(), st.booleans())
def test_telegram_mentions_at_any_utf16_offset_are_found_and_removed(
    segments: list[str], in_group: bool
) -> None:
    text = " ".join(segments)
    assume(text.strip() and not text.startswith("/"))
    chat = FakeTelegram.group() if in_group else None
    msg = Message.de_json(FakeTelegram().say(text, chat=chat), None)
    own = [s for s in segments if s.lower() == f"@{BOT_USERNAME.lower()}"]
    question = addressed_question(msg, BOT_USERNAME, BOT_ID)
    if in_group and not own:
        assert question is None
        return
    assert question is not None
    rest = " ".join(s for s in segments if s not in own)
    assert squash(question).strip(",:;") == squash(rest).strip(",:;")
    assert f"@{BOT_USERNAME.lower()}" not in question.lower().replace(
        f"@{BOT_USERNAME.lower()}_", ""
    )


@FAST
@given(
    nasty_text,
    st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["mention", "text_mention", "bold", "url", "bot_command"]),
                "offset": st.integers(min_value=-5, max_value=400),
                "length": st.integers(min_value=-5, max_value=400),
            },
            optional={"user": st.just({"id": BOT_ID, "is_bot": True, "first_name": "Bot"})},
        ),
        max_size=6,
    ),
)
def test_telegram_malformed_entities_never_raise(text: str, entities: list[dict[str, Any]]) -> None:
    """Offsets past the end, negative, overlapping, or cutting an emoji in half."""
    assume(text)
    data = FakeTelegram().say(text, chat=FakeTelegram.group())
    data["entities"] = entities
    msg = Message.de_json(data, None)
    addressed_question(msg, BOT_USERNAME, BOT_ID)
    command_parts(text)


# -- Discord -------------------------------------------------------------------------------

_URL = re.compile(r"<[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def unescaped_markdown(value: str) -> list[str]:
    """Markdown that could take effect in ``value``: a marker (``*_~|```) left unescaped in
    two separate places, which could open and close a span (URLs aside). A single run of
    them ("a**") cannot, so ``escape_markdown`` rightly leaves it."""
    found = []
    for part in _URL.split(value):
        rest = _ESCAPE.sub("\x00", part)  # escaped characters: gone, but still separating
        for marker in "*_~|`":
            runs = re.findall(rf"{re.escape(marker)}+", rest)
            if len(runs) > 1:
                found.append(marker)
    return found


def assert_embed_within_limits(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= DISCORD_TITLE
    assert len(embed.description or "") <= DISCORD_DESCRIPTION
    assert len(embed.fields) <= DISCORD_FIELDS
    for fld in embed.fields:
        assert 0 < len(fld.name or "") <= DISCORD_FIELD_NAME
        assert 0 < len(fld.value or "") <= DISCORD_FIELD_VALUE
    assert len(embed.footer.text or "") <= DISCORD_FOOTER
    total = len(embed.title or "") + len(embed.description or "") + len(embed.footer.text or "")
    total += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    assert total <= DISCORD_EMBED_TOTAL


def payloads(out: dc_render.Outgoing) -> list[dict[str, Any]]:
    """The JSON bodies discord.py itself builds for the messages of one answer."""
    bodies = []
    for piece in out.pieces or [None]:
        params = handle_message_parameters(
            content=piece, allowed_mentions=dc_render.NO_MENTIONS, mention_author=False
        )
        bodies.append(params.payload)
    if out.embeds:
        params = handle_message_parameters(
            embeds=out.embeds, allowed_mentions=dc_render.NO_MENTIONS, mention_author=False
        )
        bodies.append(params.payload)
    return [b for b in bodies if b and (b.get("content") or b.get("embeds"))]


def assert_never_pings(body: dict[str, Any]) -> None:
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}


@FAST
@given(replies)
@example(Reply("", "de", Outcome.ANSWERED, "\\*" * 1025))  # an escape cut in two, found under load
def test_discord_reply_embeds_fit_every_limit_and_show_text_literally(reply: Reply) -> None:
    out = dc_render.outgoing(reply, reply.language, reply_buttons(reply))
    (embed,) = out.embeds
    assert_embed_within_limits(embed)
    description = embed.description or ""
    assert not unescaped_markdown(description)
    assert not unescaped_markdown(embed.title or "")
    # The shown text is the reply's own, from its start (trimmed with "…" when too long).
    head = _ESCAPE.sub(r"\1", description.removesuffix(ELLIPSIS))
    if "://" not in reply.text:
        assert squash(reply.text).startswith(squash(head))
    assert len(out.buttons) <= 20
    for button in out.buttons:
        assert len(button.label) <= DISCORD_LABEL and len(button.custom_id) <= DISCORD_CUSTOM_ID
    for body in payloads(out):
        assert_never_pings(body)
        assert len(body.get("embeds", [])) <= 10


@pytest.mark.parametrize(
    "raw", ["[x](**bold**)", "[a](||s||) and `c`", "x [y](__u__) [z](~~s~~)", "[**x**](y)"]
)
def test_discord_masked_links_cannot_smuggle_markup(raw: str) -> None:
    escaped = dc_render.md(raw)
    assert not unescaped_markdown(escaped) and "\\[" in escaped
    assert _ESCAPE.sub(r"\1", escaped) == raw  # and it still reads as typed


@FAST
@given(st.lists(nasty_text, max_size=8), st.sampled_from(LANGUAGES))
def test_discord_notices_split_within_2000_and_never_ping(questions: list[str], lang: Any) -> None:
    stats = Stats(days=7, total=len(questions), recent_unanswered=questions)
    body = "\n".join(dc_render.md(line) for line in stats_lines(stats, lang))
    out = dc_render.Outgoing.notice(body)
    assert out.pieces and all(0 < len(p) <= DISCORD_CONTENT for p in out.pieces)
    assert squash("".join(out.pieces)) == squash(body)
    for sent in payloads(out):
        assert_never_pings(sent)
        assert len(sent["content"]) <= DISCORD_CONTENT


@FAST
@given(st.one_of(nasty_text, long_text))
def test_discord_question_text_drops_every_mention(raw: str) -> None:
    question = question_text(raw)
    assert question == question.strip()
    assert not re.search(r"<@[!&]?\d+>|<#\d+>", question)


@FAST
@given(st.one_of(nasty_text, long_text), st.sampled_from([None, *LANGUAGES]))
def test_discord_whole_pipeline_question_to_payload(faq: Engine, raw: str, lang: Any) -> None:
    reply = faq.answer(question_text(raw), lang)
    out = dc_render.outgoing(reply, reply.language, reply_buttons(reply))
    assert_embed_within_limits(out.embeds[0])
    for body in payloads(out):
        assert_never_pings(body)
        for embed in body.get("embeds", []):
            shown = " ".join(str(embed.get(k, "")) for k in ("title", "description"))
            assert not MENTION_MARKUP.search(shown)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_refusal_itself_is_polite_and_fits_everywhere(faq: Engine, lang: Any) -> None:
    reply = faq.answer("x" * 100_000, lang)
    assert reply.text == message("too_long", lang, length=100_000, limit=1000)
    assert_telegram_safe(tg_render.answer(reply))
    assert_embed_within_limits(
        dc_render.outgoing(reply, reply.language, reply_buttons(reply)).embeds[0]
    )
