"""Discord rendering without a client: limits, escaping, buttons, text splitting."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bot.chat.service import pick_buttons, reply_buttons
from bot.domain import callbacks
from bot.domain.models import LANGUAGES, Outcome, Reply, SourceRef, Suggestion
from bot.engine.engine import Engine
from bot.platforms.discord import format as text
from bot.platforms.discord import render
from bot.platforms.discord.handlers import question_text
from bot.render.text import ELLIPSIS

WORDS = st.text(alphabet=st.sampled_from("abc xyz.!?,;\n*_\\"), max_size=3000)


@given(WORDS, st.integers(min_value=10, max_value=500))
def test_split_keeps_every_character_within_the_limit(body: str, limit: int) -> None:
    pieces = text.split(body, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(body.split())


@given(WORDS, st.integers(min_value=2, max_value=500))
def test_trim_is_a_marked_prefix_within_the_limit(body: str, limit: int) -> None:
    trimmed = text.trim(body, limit)
    assert len(trimmed) <= limit
    if trimmed.endswith(ELLIPSIS) and len(body.strip()) > limit:
        assert body.strip().startswith(trimmed[: -len(ELLIPSIS)])
    else:
        assert trimmed == body.strip()


def test_split_prefers_paragraphs_then_sentences() -> None:
    body = "Erster Absatz. Noch ein Satz.\n\nZweiter Absatz, etwas länger als der erste."
    assert text.split(body, 50) == [
        "Erster Absatz. Noch ein Satz.",
        "Zweiter Absatz, etwas länger als der erste.",
    ]
    sentences = "Eins zwei drei. Vier fünf sechs. Sieben acht neun."
    assert text.split(sentences, 35) == ["Eins zwei drei. Vier fünf sechs.", "Sieben acht neun."]
    assert text.trim(sentences, 35) == "Eins zwei drei. Vier fünf sechs.…"


def test_every_answer_fits_one_embed_with_valid_buttons(engine: Engine) -> None:
    for intent_id in engine.knowledge.intents:
        for lang in LANGUAGES:
            reply = engine.answer_intent(intent_id, lang)
            assert reply is not None
            out = render.outgoing(reply, reply.language, reply_buttons(reply))
            [embed] = out.embeds
            assert render.embed_size(embed) <= text.EMBED_TOTAL
            assert len(embed.description or "") <= text.EMBED_DESCRIPTION
            assert all(len(f.value or "") <= text.FIELD_VALUE for f in embed.fields)
            assert [callbacks.parse(b.custom_id) for b in out.buttons] == [
                callbacks.Feedback(intent_id, reply.id, True),
                callbacks.Feedback(intent_id, reply.id, False),
            ]
    for lang in LANGUAGES:
        for view in engine.topics(lang):
            out = render.outgoing(view, lang, pick_buttons(view.intents))
            assert render.embed_size(out.embeds[0]) <= text.EMBED_TOTAL
            assert len(out.buttons) <= text.BUTTONS
            assert all(len(b.label) <= text.BUTTON_LABEL for b in out.buttons)


def test_dynamic_text_is_shown_literally_and_links_stay_links() -> None:
    source = SourceRef(
        "s",
        "A [fake](https://evil.example) *title*",
        "Out_let",
        dt.date(2025, 1, 29),
        "https://example.org/a_(b)",
    )
    reply = Reply(
        question="q",
        language="en",
        outcome=Outcome.ANSWERED,
        text="**not bold** __nor__ `code` > quote\n# no heading",
        intent="a.b",
        title="Who *is* it?",
        sources=(source,),
        as_of=dt.date(2025, 1, 29),
        id="abc",
    )
    embed = render.reply_embed(reply)
    assert embed.description is not None and "\\*\\*not bold\\*\\*" in embed.description
    assert "\\`code\\`" in embed.description and "\\_\\_nor\\_\\_" in embed.description
    assert embed.title == "Who \\*is\\* it?"
    value = embed.fields[0].value or ""
    assert value.startswith(
        "• [A \\[fake](https://evil.example) \\*title\\*](https://example.org/a_%28b%29)"
    )
    assert "(Out\\_let, 2025-01-29)" in value
    assert embed.footer.text == "As of: 2025-01-29"


def test_overlong_text_is_trimmed_at_a_sentence_and_suggestions_become_buttons() -> None:
    long_text = "Ein Satz mit einigen Wörtern. " * 400
    suggestions = tuple(Suggestion(f"t.i{n}", "Frage " * 30) for n in range(30))
    reply = Reply("q", "de", Outcome.CLOSE_CALL, long_text, suggestions=suggestions, id="x")
    out = render.outgoing(reply, reply.language, reply_buttons(reply))
    description = out.embeds[0].description or ""
    assert len(description) <= text.EMBED_DESCRIPTION and description.endswith("Wörtern.…")
    assert out.embeds[0].title is None
    assert len(out.buttons) == 20 and all(len(b.label) <= 80 for b in out.buttons)
    assert out.buttons[0].custom_id == "pick:t.i0:x"  # with the close call it was offered in


def test_notices_are_split_into_messages_of_2000_characters() -> None:
    out = render.Outgoing.notice("\n".join(f"- Zeile {n} mit etwas Text" for n in range(300)))
    assert len(out.pieces) > 1 and all(len(p) <= text.CONTENT for p in out.pieces)
    assert all(p.startswith("- Zeile") for p in out.pieces)


def test_question_text_drops_discord_markup() -> None:
    raw = "<@123> @everyone <@!456> <@&789> <#42> <:wave:99> @here Wer ist Liang Wenfeng?"
    assert question_text(raw) == "Wer ist Liang Wenfeng?"
    assert question_text("mail@here.org") == "mail@here.org"
