"""Command line: ``python -m bot <command>`` (see shared/contract.md for what is stable).

Library code raises; only this module turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.config import Settings, load_settings, postgres_url
from bot.domain.models import Language, as_language
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.errors import ConfigError, KnowledgeError, StartupError, StorageError
from bot.knowledge import load_knowledge

if TYPE_CHECKING:
    from bot.storage import Store

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
DEFAULT_DAYS = 7


class _UsageError(Exception):
    """A command cannot run as asked (e.g. no database yet); one line for the operator."""


def _days(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 3650:
        raise argparse.ArgumentTypeError("must be a whole number of days from 1 to 3650")
    return int(value)


def _user_id(value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,20}", value):
        raise argparse.ArgumentTypeError("must be the numeric user id")
    return str(int(value))


def _postgres_url(value: str) -> str:
    try:
        return postgres_url(value)
    except ValueError as exc:  # never argparse's own message: it would echo the password
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    p.add_argument(
        "--conversation",
        action="store_true",
        help="the lines are one person's messages in a row: follow-ups lean on the line before",
    )
    p.add_argument("question", nargs="+", help="the question, or '-' to read lines from stdin")

    p = sub.add_parser("topics", help="list topics with their one-line summaries")
    p.add_argument("--lang", choices=["de", "en"])

    p = sub.add_parser("check", help="validate knowledge/; exit 1 on errors")
    p.add_argument(
        "--articles",
        type=Path,
        metavar="DIR",
        help="also check every evidence passage against the article texts in DIR",
    )
    p.add_argument(
        "--coverage",
        action="store_true",
        help="with --articles: print the share of each article's sentences the evidence quotes",
    )

    sub.add_parser("run", help="start every adapter whose token is configured")

    p = sub.add_parser(
        "misses", help="missed questions grouped, with counts and the closest intent"
    )
    p.add_argument("--days", type=_days, default=DEFAULT_DAYS, help="period (default 7)")
    p.add_argument("--export", type=Path, metavar="FILE", help="write draft intents (YAML)")

    p = sub.add_parser("stats", help="usage per day and platform, rates, top and worst intents")
    p.add_argument("--days", type=_days, default=DEFAULT_DAYS, help="period (default 7)")
    p.add_argument("--lang", choices=["de", "en"])

    p = sub.add_parser("forget", help="delete everything stored about one user")
    p.add_argument("--platform", required=True, choices=["telegram", "discord"])
    p.add_argument("--user", required=True, type=_user_id, metavar="ID", help="numeric user id")

    sub.add_parser("health", help="probe the running bot's /healthz (for container health checks)")

    p = sub.add_parser(
        "migrate-db", help="copy the SQLite database (DATABASE_PATH) into PostgreSQL"
    )
    p.add_argument(
        "--to",
        type=_postgres_url,
        metavar="URL",
        help="postgresql://USER:PASSWORD@HOST/DATABASE (default: DATABASE_URL)",
    )
    p.add_argument("--force", action="store_true", help="replace the rows the target holds")

    p = sub.add_parser("sync-commands", help="register the Discord slash commands and exit")
    p.add_argument("--guild", type=int, help="only in this guild (instant, for testing)")
    return parser


def cmd_ask(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    from bot.render.plain import one_line, render

    lang: Language | None = as_language(args.lang)
    question = " ".join(args.question)
    # Each line on its own, or (--conversation) one chat: what was said last carries over.
    conversation = Conversation() if args.conversation else None

    def emit(text: str, batch: bool) -> None:
        nonlocal conversation
        reply = engine.answer(text, lang, conversation)
        if conversation is not None:
            conversation = conversation.after(reply)
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
    from bot.render.text import first_sentence

    lang = as_language(args.lang) or engine.options.default_language
    for view in engine.topics(lang):
        out.write(f"{view.id}: {view.title} - {first_sentence(view.summary)}\n")
    return EXIT_OK


def cmd_check(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.engine.lint import index_of, lint
    from bot.knowledge.articles import load_articles
    from bot.platforms import answer_checks

    if args.coverage and args.articles is None:
        raise _UsageError("--coverage needs --articles DIR (the article texts to measure)")
    if args.articles is not None and not args.articles.is_dir():
        raise _UsageError(f"--articles {args.articles}: not a folder")
    try:
        knowledge = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        for problem in exc.problems:
            out.write(f"error: {problem}\n")
        return EXIT_FINDINGS
    articles = None
    if args.articles is not None:
        try:
            articles = load_articles(args.articles, knowledge.sources)
        except (OSError, UnicodeDecodeError) as exc:
            raise _UsageError(f"--articles {args.articles}: cannot read: {exc}") from None
    findings = lint(
        index_of(knowledge, settings.engine_options()),
        checks=answer_checks(),
        max_review_age_days=settings.review_max_age_days,
        articles=articles,
    )
    for finding in findings:
        out.write(f"{finding}\n")
    if args.coverage and articles is not None:
        from bot.knowledge.coverage import coverage_lines, measure

        out.write("\n".join(coverage_lines(measure(knowledge, articles))) + "\n")
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    out.write(
        f"{knowledge.directory}: {len(knowledge.topics)} topics, {len(knowledge.intents)} "
        f"intents, {len(knowledge.sources)} sources; {errors} errors, {warnings} warnings\n"
    )
    return EXIT_FINDINGS if errors else EXIT_OK


async def _open_store(settings: Settings) -> Store:
    """The bot's database; never creates one (or a new hashing key) from a report."""
    from bot.runtime.services import open_store

    if settings.database_url is None:
        path = settings.database_path
        if not path.is_file():
            raise _UsageError(f"no database at {path} (DATABASE_PATH); has the bot run yet?")
        _sqlite_key(settings)
    try:
        return await open_store(settings)
    except StorageError as exc:
        raise _UsageError(str(exc)) from None


def _sqlite_key(settings: Settings) -> Path:
    """The key the SQLite installation hashes with: HASH_KEY_FILE, or ``<database>.key``."""
    from bot.storage.hashing import key_path_for, load_or_create_key, read_key_file

    path = settings.database_path
    beside = key_path_for(path)
    chosen = settings.hash_key_file
    if chosen is None:
        if not beside.is_file():
            raise _UsageError(
                f"hashing key {beside} is missing: restore it from the backup "
                "(without it no stored row can be tied to a user)"
            )
        return beside
    if beside.is_file():
        try:
            same = load_or_create_key(beside) == read_key_file(chosen)
        except (OSError, ValueError) as exc:
            raise _UsageError(f"hashing key {beside}: {exc}") from None
        if not same:
            raise _UsageError(
                f"HASH_KEY_FILE {chosen} is not the key of {path} ({beside}): the copied "
                f"hashes would not match; set HASH_KEY_FILE={beside}"
            )
    return chosen


async def cmd_migrate_db(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Copy DATABASE_PATH's rows into PostgreSQL; print the rows per table, and the key."""
    from bot.storage.postgres import redact
    from bot.storage.transfer import copy_sqlite_to_postgres

    target = settings.database_url.get_secret_value() if settings.database_url else None
    url = args.to or target
    if url is None:
        raise _UsageError("migrate-db: give the target with --to postgresql://… or DATABASE_URL")
    path = settings.database_path
    if not path.is_file():
        raise _UsageError(f"no database at {path} (DATABASE_PATH): nothing to copy")
    key = _sqlite_key(settings)
    try:
        counts = await copy_sqlite_to_postgres(path, url, replace=args.force)
    except StorageError as exc:
        raise _UsageError(str(exc)) from None
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    out.write(f"copied {path} to {redact(url)}: {summary}\n")
    out.write(
        f"now run the bot with DATABASE_URL and HASH_KEY_FILE={key.resolve()} (the key "
        "these rows were hashed with), the same for every replica\n"
    )
    return EXIT_OK


async def cmd_misses(
    engine: Engine, settings: Settings, args: argparse.Namespace, out: TextIO
) -> int:
    from bot.curation.export import export_drafts, write_export
    from bot.curation.grouping import group_misses
    from bot.curation.proposals import proposed_examples
    from bot.curation.report import misses_lines

    store = await _open_store(settings)
    try:
        missed = await store.missed_questions(args.days)
        picks = await store.suggestion_picks(args.days)
    finally:
        await store.close()
    groups = group_misses(engine, missed)
    proposals = proposed_examples(engine, picks)
    out.write("\n".join(misses_lines(groups, proposals, args.days)) + "\n")
    if args.export is not None:
        export = export_drafts(engine, groups, proposals, days=args.days)
        for group, reason in export.left_out:
            out.write(f'not exported: "{" ".join(group.question.split())[:80]}": {reason}\n')
        if not export.drafts:
            out.write("nothing to export\n")
            return EXIT_OK
        write_export(export, args.export)
        out.write(f"wrote {len(export.drafts)} draft intents to {args.export}\n")
    return EXIT_OK


async def cmd_stats(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.chat.reports import stats_lines

    lang = as_language(args.lang) or settings.default_language
    store = await _open_store(settings)
    try:
        stats = await store.stats(args.days)
    finally:
        await store.close()
    out.write("\n".join(stats_lines(stats, lang)) + "\n")
    return EXIT_OK


async def cmd_forget(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    store = await _open_store(settings)
    try:
        count = await store.user_rows(args.platform, args.user)
        await store.forget_user(args.platform, args.user)
    finally:
        await store.close()
    out.write(f"deleted {count} rows (questions, ratings, choices) of that {args.platform} user\n")
    return EXIT_OK


def cmd_run(settings: Settings) -> int:
    from bot import logs
    from bot.runtime.app import serve

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
    from bot.errors import StartupError
    from bot.platforms.discord.adapter import sync_commands

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
            return cmd_check(settings, args, out)
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "health":
            return cmd_health(settings, out)
        if args.command == "sync-commands":
            return cmd_sync(settings, args.guild)
        if args.command == "stats":
            return asyncio.run(cmd_stats(settings, args, out))
        if args.command == "forget":
            return asyncio.run(cmd_forget(settings, args, out))
        if args.command == "migrate-db":
            return asyncio.run(cmd_migrate_db(settings, args, out))
        if args.command == "misses" and args.export is not None and args.export.exists():
            raise _UsageError(f"{args.export} exists; choose a new file (it may hold edits)")
        from bot.runtime.services import build_chat, build_engine

        engine = build_engine(settings)
        if args.command == "ask":
            return cmd_ask(engine, args, out)
        if args.command == "topics":
            return cmd_topics(engine, args, out)
        if args.command == "misses":
            return asyncio.run(cmd_misses(engine, settings, args, out))
        if args.command == "chat":
            from bot.console import chat

            return chat(build_chat(settings, engine, None, limited=False), as_language(args.lang))
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FINDINGS
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_USAGE


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
