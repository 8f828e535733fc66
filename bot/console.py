"""``python -m bot chat``: an interactive console chat, through the same chat service.

The loop reads on the main thread and runs each request on one event loop
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

from bot.chat.requests import Ask, Caller, Click, Command, Request
from bot.chat.responses import Button, ButtonKind, Edit, Response, Say, Toast
from bot.chat.service import ChatService
from bot.domain.language import Language
from bot.domain.messages import message
from bot.render.plain import content

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


class Console:
    """One person in one private chat with the service, on a terminal."""

    def __init__(self, chat: ChatService, language: Language | None, stdout: TextIO) -> None:
        self.chat = chat
        self.stdout = stdout
        self.caller = Caller("console", "console", "console", locale=language, private=True)
        self.ui_lang: Language = language or chat.engine.options.default_language
        self.choices: tuple[Button, ...] = ()  # the last "did you mean" buttons

    def request(self, text: str) -> Request | str:
        """What a line asks for, or the bot's own reminder (a number not on the list)."""
        if self.choices and text.isdigit():
            number = int(text)
            if 1 <= number <= len(self.choices):
                return Click(self.choices[number - 1].payload)
            return message("pick_range", self.ui_lang, count=len(self.choices))
        if text.startswith("/"):
            name, _, arg = text[1:].partition(" ")
            return Command({"themen": "topics", "thema": "topic"}.get(name, name), arg)
        return Ask(text)

    def show(self, responses: list[Response]) -> None:
        for response in responses:
            if isinstance(response, Say | Edit):
                print(content(response.content, response.language), file=self.stdout, flush=True)
                picks = tuple(b for b in response.buttons if b.kind is ButtonKind.PICK)
                self.choices = picks
                self.ui_lang = response.language
            elif isinstance(response, Toast) and response.notice is not None:
                text = message(response.notice.key, response.language, **response.notice.params)
                print(text, file=self.stdout, flush=True)


def chat(
    service: ChatService,
    language: Language | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin is sys.stdin and stdout is sys.stdout and stdin.isatty()
    console = Console(service, language, stdout)
    print(_BANNER[console.ui_lang], file=stdout)
    with asyncio.Runner() as runner:
        while True:
            try:
                line = _read(stdin, stdout, interactive)
                if line is None:
                    break
                text = line.strip()
                if text in {"/quit", "/exit", "quit", "exit"}:
                    break
                request = console.request(text)
                if isinstance(request, str):
                    print(request, file=stdout, flush=True)
                    continue
                console.show(runner.run(service.handle(console.caller, request)))
            except KeyboardInterrupt:
                print(file=stdout)
                return EXIT_INTERRUPTED
    if interactive:
        print(file=stdout)
    return 0
