"""Command line: ``python -m bot <command>`` (see shared/contract.md for what is stable).

Library code raises; only this module turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.config import ConfigError, Settings, load_settings
from bot.core.engine import Engine, EngineOptions
from bot.core.models import Language, as_language
from bot.knowledge import KnowledgeError, load_knowledge

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="DeepSeek FAQ bot for Discord and Telegram."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("chat", help="interactive console chat on the shipped knowledge")
    p.add_argument("--lang", choices=["de", "en"], help="answer in this language")

    p = sub.add_parser("ask", help="answer one question (or one per stdin line with '-')")
    p.add_argument("--json", action="store_true", help="one JSON object per answer")
    p.add_argument("--lang", choices=["de", "en"], help="answer in this language")
    p.add_argument("question", nargs="+", help="the question, or '-' to read lines from stdin")

    p = sub.add_parser("topics", help="list topics with their one-line summaries")
    p.add_argument("--lang", choices=["de", "en"])

    sub.add_parser("check", help="validate knowledge/; exit 1 on errors")

    sub.add_parser("run", help="start every adapter whose token is configured")

    sub.add_parser("health", help="probe the running bot's /healthz (for container health checks)")

    p = sub.add_parser("sync-commands", help="register the Discord slash commands and exit")
    p.add_argument("--guild", type=int, help="only in this guild (instant, for testing)")
    return parser


def _engine(settings: Settings) -> Engine:
    options = EngineOptions(
        default_language=settings.default_language,
        max_question_chars=settings.max_question_chars,
        thresholds=settings.thresholds(),
    )
    return Engine(load_knowledge(settings.knowledge_dir), options)


def _first_sentence(text: str) -> str:
    head = " ".join(text.split())
    for end in (". ", "! ", "? "):
        if end in head:
            return head.split(end, 1)[0] + end.strip()
    return head


def cmd_ask(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    from bot.render.plain import one_line, render

    lang: Language | None = as_language(args.lang)
    question = " ".join(args.question)

    def emit(text: str, batch: bool) -> None:
        reply = engine.answer(text, lang)
        if args.json:
            out.write(json.dumps(reply.as_dict(), ensure_ascii=False) + "\n")
        else:
            out.write((one_line(reply) if batch else render(reply)) + "\n")
        out.flush()

    if question == "-":
        for line in sys.stdin:
            emit(line.rstrip("\n"), batch=True)
    else:
        emit(question, batch=False)
    return EXIT_OK


def cmd_topics(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    lang = as_language(args.lang) or engine.options.default_language
    for view in engine.topics(lang):
        out.write(f"{view.id}: {view.title} - {_first_sentence(view.summary)}\n")
    return EXIT_OK


def cmd_check(settings: Settings, out: TextIO) -> int:
    from bot.knowledge.lint import lint

    try:
        knowledge = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        for problem in exc.problems:
            out.write(f"error: {problem}\n")
        return EXIT_FINDINGS
    findings = lint(knowledge)
    for finding in findings:
        out.write(f"{finding}\n")
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    out.write(
        f"{knowledge.directory}: {len(knowledge.topics)} topics, {len(knowledge.intents)} "
        f"intents, {len(knowledge.sources)} sources; {errors} errors, {warnings} warnings\n"
    )
    return EXIT_FINDINGS if errors else EXIT_OK


def cmd_run(settings: Settings) -> int:
    from bot import logs
    from bot.app import StartupError, serve

    logs.configure(settings.log_level, settings.log_format, settings.secrets())
    try:
        return asyncio.run(serve(settings))
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def cmd_health(settings: Settings, out: TextIO) -> int:
    """Exit 0 when the running bot reports healthy on HEALTH_PORT, else 1."""
    import urllib.error
    import urllib.request

    if settings.health_port is None:
        print("error: HEALTH_PORT is not set, so there is no endpoint to probe", file=sys.stderr)
        return EXIT_USAGE
    url = f"http://127.0.0.1:{settings.health_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            out.write(response.read().decode("utf-8") + "\n")
            return EXIT_OK
    except urllib.error.HTTPError as exc:
        out.write(exc.read().decode("utf-8", "replace") + "\n")
    except OSError as exc:
        out.write(f"unreachable: {exc}\n")
    return EXIT_FINDINGS


def cmd_sync(settings: Settings, guild: int | None) -> int:
    from bot import logs

    if settings.discord_token is None:
        print("error: DISCORD_TOKEN is not set", file=sys.stderr)
        return EXIT_USAGE
    logs.configure(settings.log_level, settings.log_format, settings.secrets())
    from bot.adapters.discord import sync_commands
    from bot.app import StartupError

    try:
        count = asyncio.run(sync_commands(settings, guild))
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    where = f"guild {guild}" if guild else "globally"
    print(f"registered {count} commands {where}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "check":
            return cmd_check(settings, out)
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "health":
            return cmd_health(settings, out)
        if args.command == "sync-commands":
            return cmd_sync(settings, args.guild)
        engine = _engine(settings)
        if args.command == "ask":
            return cmd_ask(engine, args, out)
        if args.command == "topics":
            return cmd_topics(engine, args, out)
        if args.command == "chat":
            from bot.console import chat

            return asyncio.run(chat(engine, as_language(args.lang)))
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_USAGE


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
