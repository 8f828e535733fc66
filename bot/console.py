"""``python -m bot chat``: an interactive console chat on the engine, no network."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.core.engine import Engine
from bot.core.models import AskContext, Language, Outcome, Reply
from bot.render.plain import render

_BANNER = {
    "de": (
        "DeepSeek-FAQ – stell eine Frage (z. B. „Wer ist Liang Wenfeng?“). "
        "Eine Zahl wählt einen Vorschlag, /topics zeigt die Themen, /quit beendet."
    ),
    "en": (
        'DeepSeek FAQ - ask a question (e.g. "Who is Liang Wenfeng?"). '
        "A number picks a suggestion, /topics lists the topics, /quit ends."
    ),
}


async def chat(
    engine: Engine,
    language: Language | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    ui_lang: Language = language or engine.options.default_language
    interactive = stdin.isatty()
    print(_BANNER[ui_lang], file=stdout)
    last: Reply | None = None
    ctx = AskContext(platform="console", language=language)
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.strip()
        if text in {"/quit", "/exit", "quit", "exit"}:
            break
        if text in {"/topics", "/themen"}:
            for view in engine.topics(ui_lang):
                print(f"- {view.title}: {view.summary}", file=stdout)
            continue
        if last is not None and last.suggestions and text.isdigit():
            pick = int(text) - 1
            if 0 <= pick < len(last.suggestions):
                chosen = engine.answer_intent(last.suggestions[pick].intent, last.language)
                if chosen is not None:
                    print(render(chosen), file=stdout, flush=True)
                    last = chosen
                    continue
        reply = await engine.ask(text, ctx)
        print(render(reply), file=stdout, flush=True)
        if reply.outcome is not Outcome.REFUSED:
            ui_lang = reply.language
        last = reply
    return 0
