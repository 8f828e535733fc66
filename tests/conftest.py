"""Shared fixtures: the shipped knowledge, an engine over it, scratch copies to break, and
databases on both backends (``db``: a SQLite file, then a database on a PostgreSQL
server this session starts; see tests/databases.py).

Every test must close what it opens: :func:`_closes_what_it_opens` fails a test that
leaves a thread running (an unclosed database connection keeps the interpreter alive
after the last test, so the suite would hang instead of reporting), and stops a leaked
SQLite worker so the run can still end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.engine import Engine
from bot.knowledge import Knowledge, default_knowledge_dir, load_knowledge
from bot.storage import Store
from tests.databases import Database, PostgresServer, unavailable

REPO = Path(__file__).resolve().parent.parent
OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge(default_knowledge_dir())


@pytest.fixture(scope="session")
def engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge, for tests that break or edit it."""
    target = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), target)
    return target


@pytest.fixture
async def open_store(tmp_path: Path) -> AsyncIterator[OpenStore]:
    """``await open_store(path=None, **options)``: a Store closed after the test, pass or fail."""
    opened: list[Store] = []

    async def _open(path: Path | None = None, **options: Any) -> Store:
        store = await Store.open(path or tmp_path / "bot.sqlite3", **options)
        opened.append(store)
        return store

    try:
        yield _open
    finally:
        for store in reversed(opened):
            await store.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, on 127.0.0.1 and a free port.

    Skipped where no server can be started; in CI (``CI=true``, where .ci/run installs
    PostgreSQL) that is a failure instead, so the PostgreSQL tests cannot quietly go.
    """
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.init()
        server.start()
        server.create_role()
        yield server
    finally:
        if server.running():
            server.stop()
        server.remove()


@contextlib.asynccontextmanager
async def _postgres_database(server: PostgresServer, folder: Path) -> AsyncIterator[Database]:
    name = await server.create_database()
    database = Database("postgresql", folder, server.url(name))
    try:
        yield database
    finally:
        try:
            await database.close()
        finally:
            if server.running():
                await server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database on each backend in turn; its stores are closed after the test."""
    if request.param == "sqlite":
        database = Database("sqlite", tmp_path)
        try:
            yield database
        finally:
            await database.close()
        return
    async with _postgres_database(request.getfixturevalue("postgres"), tmp_path) as database:
        yield database


@pytest.fixture
async def pg_db(postgres: PostgresServer, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty PostgreSQL database (for what only PostgreSQL has: replicas, restarts)."""
    async with _postgres_database(postgres, tmp_path) as database:
        yield database


async def close_all(*closers: Callable[[], Awaitable[object]]) -> None:
    """Run every closer even when one fails; then raise the first failure."""
    failures: list[BaseException] = []
    for close in closers:
        try:
            await close()
        except Exception as exc:
            failures.append(exc)
    if failures:
        raise failures[0]


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], what: str, within: float = 30.0
) -> None:
    """Wait until ``check()`` is true, looking again every 20 ms; fail naming ``what``.

    For conditions nothing announces (a row on disk, a flag in another object): the
    deadline is generous, because only a broken bot, never a slow machine, may miss it.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"waited {within:g} s for {what}")
        await asyncio.sleep(0.02)


def _stop_sqlite_worker(thread: threading.Thread) -> None:
    """Let a leaked aiosqlite worker thread end (it waits on its queue for ever)."""
    import aiosqlite.core as core

    if getattr(thread, "_target", None) is core._connection_worker_thread:
        queue = thread._args[0]  # type: ignore[attr-defined]
        queue.put_nowait((None, lambda: core._STOP_RUNNING_SENTINEL))


@pytest.fixture(autouse=True)
def _closes_what_it_opens() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    new = [t for t in threading.enumerate() if t not in before and not t.daemon]
    for thread in new:
        thread.join(timeout=5)  # a close still on its way
    leaked = [
        t for t in new if t.is_alive() and not t.name.startswith(("asyncio_", "ThreadPoolExecutor"))
    ]
    for thread in leaked:
        _stop_sqlite_worker(thread)
    assert not leaked, f"the test left threads running: {[t.name for t in leaked]}"
