"""Real databases for the storage tests: SQLite files, and a PostgreSQL server of our own.

:class:`PostgresServer` is a throw-away cluster (``initdb`` in a temporary folder, as
the ``postgres`` user when we are root, since PostgreSQL refuses to run as root),
listening on 127.0.0.1 only, on a free port, with password authentication; each test
gets a database of its own in it. :class:`Database` is what a test sees of either
backend: open stores on it, read its rows behind the store's back, the environment
that points the bot at it.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from bot.storage import Store
from bot.storage.hashing import key_path_for
from bot.storage.postgres import numbered
from tests.fakes.telegram import free_port

ROLE = "faqbot"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian's layout), or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable() -> str | None:
    """Why no PostgreSQL server can be started here, or None if one can."""
    if postgres_bin() is None:
        return "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, but there is no postgres user to run the server as"
    return None


class PostgresServer:
    def __init__(self) -> None:
        bindir = postgres_bin()
        assert bindir is not None
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="faqbot-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self._as_root = os.geteuid() == 0

    def _run(self, tool: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_root else []
        done = subprocess.run(
            [*prefix, str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            env={**os.environ, "PGPASSWORD": self.password},
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}\n{done.stderr}\n{self.log()}")

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def init(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            "initdb",
            "--no-sync",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--pwfile",
            str(pwfile),
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
        )
        pwfile.unlink()

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
            " -c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, user: str = ROLE) -> str:
        return f"postgresql://{user}:{self.password}@127.0.0.1:{self.port}/{database}"

    async def admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.url("postgres", "postgres"))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def create_role(self) -> None:
        """The bot's role: no superuser, owner of each test's database."""
        self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-c", f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'",
        )  # fmt: skip

    async def create_database(self) -> str:
        name = f"t_{secrets.token_hex(6)}"
        await self.admin(f"CREATE DATABASE {name} OWNER {ROLE}")
        return name

    async def drop_database(self, name: str) -> None:
        await self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Database:
    """One test's database on one backend."""

    def __init__(self, kind: str, folder: Path, url: str | None = None) -> None:
        self.kind = kind
        self.folder = folder
        self.path = folder / "bot.sqlite3"  # the SQLite file (also migrate-db's source)
        self.url = url
        if url is not None:
            self.key_file = folder / "hash.key"
            self.key_file.write_text(secrets.token_hex(32) + "\n")
        else:
            self.key_file = key_path_for(self.path)  # created by the first open
        self._opened: list[Store] = []

    @property
    def postgres(self) -> bool:
        return self.kind == "postgresql"

    async def open(self, **options: Any) -> Store:
        """A store on this database, closed after the test (pass or fail)."""
        if self.url is not None:
            store = await Store.open_postgres(self.url, key_file=self.key_file, **options)
        else:
            store = await Store.open(self.path, **options)
        self._opened.append(store)
        return store

    async def close(self) -> None:
        for store in reversed(self._opened):
            await store.close()

    def env(self) -> dict[str, str]:
        """The environment that points the bot at this database."""
        if self.url is not None:
            return {"DATABASE_URL": self.url, "HASH_KEY_FILE": str(self.key_file)}
        return {"DATABASE_PATH": str(self.path)}

    def settings(self) -> dict[str, Any]:
        """The same, as Settings fields."""
        if self.url is not None:
            return {"database_url": self.url, "hash_key_file": self.key_file}
        return {"database_path": self.path}

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows read on a connection of our own, behind the store's back (``?`` params)."""
        if self.url is None:
            with sqlite3.connect(self.path) as conn:
                return conn.execute(sql, params).fetchall()
        conn = await asyncpg.connect(self.url)
        try:
            return [tuple(r) for r in await conn.fetch(numbered(sql), *params)]
        finally:
            await conn.close()

    async def execute(self, sql: str) -> None:
        """A statement run behind the store's back."""
        if self.url is None:
            with sqlite3.connect(self.path) as conn:
                conn.execute(sql)
            return
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def schema_version(self) -> int:
        if self.url is None:
            return int((await self.rows("PRAGMA user_version"))[0][0])
        return int((await self.rows("SELECT MAX(version) FROM schema_migrations"))[0][0])
