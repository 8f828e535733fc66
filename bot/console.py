"""``python -m bot chat``: an interactive console chat on the engine, no network.

The loop reads on the main thread and runs each answer on one event loop
(:class:`asyncio.Runner`): Ctrl-C then interrupts the read at once and Ctrl-D
ends it, with no reader thread left for the interpreter to wait for. On a
terminal it waits for a line in short ``select`` steps, so that a Ctrl-C is
seen even when it comes just before the read would start (a blocking read
only notices a signal that interrupts it).
"""

from __future__ import annotations

import asyncio
import select
import sys
from typing import TextIO

from bot.domain.messages import message
from bot.domain.models import AskContext, Language, Outcome, Reply
from bot.engine.engine import Engine
from bot.render.plain import render

EXIT_INTERRUPTED = 130
PROMPT = "> "

_BANNER = {
    "de": (
        "DeepSeek-FAQ – stell eine Frage (z. B. „Wer ist Liang Wenfeng?“). "
        "Eine Zahl wählt einen Vorschlag, /topics zeigt die Themen, /quit oder Strg-D beendet."
    ),
    "en": (
        'DeepSeek FAQ - ask a question (e.g. "Who is Liang Wenfeng?"). '
        "A number picks a suggestion, /topics lists the topics, /quit or Ctrl-D ends."
    ),
}


def _read(stdin: TextIO, stdout: TextIO, interactive: bool) -> str | None:
    """One line without its newline, or None at the end of input."""
    if interactive:
        print(PROMPT, end="", file=stdout, flush=True)
        while not select.select([stdin], [], [], 0.2)[0]:
            pass  # Python runs signal handlers between these waits
    line = stdin.readline()
    return line.rstrip("\n") if line else None


def chat(
    engine: Engine,
    language: Language | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin is sys.stdin and stdout is sys.stdout and stdin.isatty()
    ui_lang: Language = language or engine.options.default_language
    print(_BANNER[ui_lang], file=stdout)
    last: Reply | None = None
    ctx = AskContext(platform="console", language=language)
    with asyncio.Runner() as runner:
        while True:
            try:
                line = _read(stdin, stdout, interactive)
                if line is None:
                    break
                text = line.strip()
                if text in {"/quit", "/exit", "quit", "exit"}:
                    break
                if text in {"/topics", "/themen"}:
                    for view in engine.topics(ui_lang):
                        print(f"- {view.title}: {view.summary}", file=stdout)
                    continue
                if last is not None and last.suggestions and text.isdigit():
                    reply = _pick(engine, last, int(text))
                else:
                    reply = runner.run(engine.ask(text, ctx))
                print(render(reply), file=stdout, flush=True)
                if reply.outcome is not Outcome.REFUSED:
                    ui_lang = reply.language
                if reply.intent is not None or reply.suggestions or not text.isdigit():
                    last = reply
            except KeyboardInterrupt:
                print(file=stdout)
                return EXIT_INTERRUPTED
    if interactive:
        print(file=stdout)
    return 0


def _pick(engine: Engine, last: Reply, number: int) -> Reply:
    """The suggestion with that number, or a reminder of which numbers there are."""
    if 1 <= number <= len(last.suggestions):
        chosen = engine.answer_intent(last.suggestions[number - 1].intent, last.language)
        if chosen is not None:
            return chosen
    text = message("pick_range", last.language, count=len(last.suggestions))
    return Reply(question=str(number), language=last.language, outcome=Outcome.FALLBACK, text=text)
