"""Self-hosting exactly as documented: settings files, start-up failures, the console, set-up.

Everything runs the real ``python -m bot`` in a subprocess where the operator would,
because the defects these tests pin down (a hang after a failed start, a traceback
instead of one line) only show in a real process.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import _parser
from bot.config import Settings, load_settings
from tests.fakes.telegram import TOKEN

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def _env(**extra: str) -> dict[str, str]:
    """A clean environment for the bot: nothing from the developer's shell or .env."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **extra}


def _run_bot(tmp_path: Path, *args: str, within: float = 60, **env: str) -> tuple[int, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=within,
    )
    assert time.monotonic() - started < within
    return done.returncode, done.stderr


def _one_error_line(stderr: str) -> str:
    """The process said why in one line, and no traceback."""
    assert "Traceback" not in stderr, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr[-3000:]
    return errors[0]


# -- settings: empty means unset, the defaults file, .env.example ----------------------------


def test_an_empty_variable_falls_back_to_the_deployments_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``HEALTH_PORT=`` from an env file must not switch the image's health endpoint off."""
    defaults = tmp_path / "defaults.env"
    defaults.write_text("HEALTH_PORT=8080\nDATABASE_PATH=/data/bot.sqlite3\n", encoding="utf-8")
    dotenv = tmp_path / ".env"
    dotenv.write_text("HEALTH_PORT=\nDATABASE_PATH=\nLOG_LEVEL=debug\n", encoding="utf-8")
    monkeypatch.setenv("HEALTH_PORT", "")  # as compose's env_file sets it
    monkeypatch.setenv("DATABASE_PATH", "")
    settings = load_settings(dotenv, defaults)
    assert settings.health_port == 8080
    assert settings.database_path == Path("/data/bot.sqlite3")
    assert settings.log_level == "DEBUG"  # .env still wins over the defaults
    monkeypatch.setenv("HEALTH_PORT", "9090")
    assert load_settings(dotenv, defaults).health_port == 9090  # and the environment over both


def _documented(text: str) -> set[str]:
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_env_example_documents_every_setting_and_sets_none_but_the_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    names = {name.upper() for name in Settings.model_fields}
    assert names <= _documented(example), names - _documented(example)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert {n for n in names if f"`{n}`" not in readme} == set()
    active = re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", example, re.MULTILINE)
    assert active == [("TELEGRAM_TOKEN", ""), ("DISCORD_TOKEN", "")]  # the rest commented out
    for name in names:
        monkeypatch.delenv(name, raising=False)
    copied = tmp_path / ".env"
    copied.write_text(example, encoding="utf-8")
    assert load_settings(copied, None) == load_settings(None, None)  # a copy changes nothing


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("LOG_LEVEL=INFO\n".encode("utf-16"), "UTF-16"),
        (b"LOG_LEVEL=INFO\nPRIVACY_URL=https://example.org/\xe9\n", "not UTF-8"),
    ],
)
def test_a_settings_file_that_is_not_utf8_is_one_clear_line(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / ".env").write_bytes(content)
    code, stderr = _run_bot(tmp_path, "check")
    assert code == 2
    assert not stderr.startswith("Traceback") and len(stderr.strip().splitlines()) == 1, stderr
    assert ".env" in stderr and says in stderr


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"\xef\xbb\xbfLOG_LEVEL=warning\n")  # as Windows editors save it
    assert load_settings(dotenv, None).log_level == "WARNING"


# -- start-up failures: one line, non-zero, and nothing left running -------------------------


@contextlib.contextmanager
def _port_in_use() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _telegram_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens: never reached
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        **extra,
    }


def test_a_health_port_in_use_stops_start_up_at_once_with_one_line(tmp_path: Path) -> None:
    with _port_in_use() as port:
        env = _telegram_env(tmp_path, HEALTH_PORT=str(port), HEALTH_HOST="127.0.0.1")
        code, stderr = _run_bot(tmp_path, "run", within=20, **env)
    assert code == 2
    line = _one_error_line(stderr)
    assert "HEALTH_PORT" in line and str(port) in line and "in use" in line


def test_an_invalid_health_host_stops_start_up_at_once_with_one_line(tmp_path: Path) -> None:
    env = _telegram_env(tmp_path, HEALTH_PORT="8099", HEALTH_HOST="999.1.1.1")
    code, stderr = _run_bot(tmp_path, "run", within=20, **env)
    assert code == 2
    assert "HEALTH_HOST" in _one_error_line(stderr)


def test_an_unusable_database_path_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = _telegram_env(tmp_path, DATABASE_PATH=str(blocker / "bot.sqlite3"))
    code, stderr = _run_bot(tmp_path, "run", within=20, **env)
    assert code == 2
    line = _one_error_line(stderr)
    assert "DATABASE_PATH" in line and str(blocker) in line


def test_discord_without_network_is_one_line_after_a_few_retries(tmp_path: Path) -> None:
    env = {
        "DISCORD_TOKEN": "MTIz.abc.def",
        "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10",  # refused, like no network
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
    }
    code, stderr = _run_bot(tmp_path, "run", within=60, **env)
    assert code == 2
    assert "cannot reach the Discord API" in _one_error_line(stderr)
    assert "voice will NOT be supported" not in stderr  # the bot has no voice: no warning


# -- the database file ---------------------------------------------------------------------


def test_the_database_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    code, _ = _run_bot(tmp_path, "run", within=20, **_telegram_env(tmp_path, HEALTH_PORT="x"))
    assert code == 2  # the bad HEALTH_PORT stops it before anything is opened
    db = tmp_path / "bot.sqlite3"
    assert not db.exists()
    with _port_in_use() as port:  # now it gets as far as the database, then stops
        env = _telegram_env(tmp_path, HEALTH_PORT=str(port), HEALTH_HOST="127.0.0.1")
        _run_bot(tmp_path, "run", within=20, **env)
    assert db.exists()
    for path in (db, db.with_name("bot.sqlite3.key")):
        assert path.stat().st_mode & 0o777 == 0o600, path


# -- the console ---------------------------------------------------------------------------


class Console:
    """``python -m bot chat`` on a pseudo-terminal, as a person would use it."""

    def __init__(self, tmp_path: Path) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            # As a shell starts a program on a terminal: a test run started in the
            # background by a non-interactive shell has SIGINT ignored, and exec keeps that.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.chdir(tmp_path)
            os.execve(sys.executable, [sys.executable, "-m", "bot", "chat"], _env(TERM="dumb"))
        self.output = b""

    def read_until(self, text: str, within: float = 30) -> str:
        deadline = time.monotonic() + within
        while text.encode() not in self.output:
            left = deadline - time.monotonic()
            assert left > 0, self.output.decode(errors="replace")[-2000:]
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child is gone
                    chunk = b""
                if not chunk:
                    break
                self.output += chunk
        return self.output.decode(errors="replace")

    def send(self, data: str) -> None:
        os.write(self.fd, data.encode())

    def exit_code(self, within: float = 10) -> int:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            with contextlib.suppress(OSError):  # keep the terminal drained meanwhile
                if select.select([self.fd], [], [], 0.05)[0]:
                    self.output += os.read(self.fd, 4096)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the console did not exit")

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    running = Console(tmp_path)
    try:
        yield running
    finally:
        running.close()


def test_the_first_ctrl_c_ends_the_console_without_a_traceback(console: Console) -> None:
    console.read_until("> ")
    console.send("\x03")  # Ctrl-C while it waits for a line
    assert console.exit_code() == 130
    assert "Traceback" not in console.output.decode(errors="replace")


def test_ctrl_d_ends_the_console(console: Console) -> None:
    console.read_until("> ")
    console.send("Wer ist Liang Wenfeng?\r")
    console.read_until("Quellen")
    console.send("\x04")  # Ctrl-D at the start of a line
    assert console.exit_code() == 0
    assert "Traceback" not in console.output.decode(errors="replace")


def test_a_number_not_on_the_list_is_not_taken_for_a_question(tmp_path: Path) -> None:
    lines = "Wer ist der CEO?\n7\n2\n/quit\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=lines,
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Meintest du" in out
    after_seven = out.split("Meintest du", 1)[1]
    assert "Bitte wähl eine Zahl von 1 bis 3" in after_seven
    assert "Darauf finde ich in meinen Quellen keine Antwort" not in after_seven
    assert "Quellen:" in after_seven  # and "2" then picked the second suggestion


# -- set-up: scripts/start installs only what changed --------------------------------------


def test_a_complete_venv_starts_without_pip_and_without_network() -> None:
    """``scripts/venv.sh`` in the environment the test command just prepared: no pip run.

    Every index is pointed at a closed port, so any pip call would fail.
    """
    offline = {
        "VENV": sys.prefix,
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_NO_INDEX": "1",
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    stamp = Path(sys.prefix) / ".installed-dev"
    made = (
        b"dev\n"
        + (REPO / "pyproject.toml").read_bytes()
        + (REPO / "requirements.lock").read_bytes()
    )
    if not stamp.exists() or stamp.read_text().strip() != hashlib.sha256(made).hexdigest():
        pytest.skip("this environment was not made by scripts/venv.sh from today's files")
    before = stamp.read_text()
    done = subprocess.run(
        ["bash", "-c", ". scripts/venv.sh dev && python -c 'import bot'"],
        cwd=REPO,
        env={**_env(), **offline},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pip" not in done.stderr.lower()
    assert stamp.read_text() == before


# -- docs: what the operator follows --------------------------------------------------------


def test_cli_docs_list_every_command() -> None:
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    missing = [name for name in commands if f"`{name}" not in cli]
    assert missing == []


def test_selfhosting_docs_give_commands_for_restore_and_the_install_without_a_container() -> None:
    text = (DOCS / "selfhosting.md").read_text(encoding="utf-8")
    restore = text.split("**Restore:**", 1)[1].split("\n- **", 1)[0]
    assert "```sh" in restore and "bot.sqlite3.key" in restore and "start bot" in restore
    without = text.split("## 4. Without a container", 1)[1].split("\n## ", 1)[0]
    assert "pip install -r requirements.lock" in without
    assert "useradd" in without and "faqbot" in without  # the unit's user exists
    unit = (DOCS / "deepseek-faq-bot.service").read_text(encoding="utf-8")
    assert "User=faqbot" in unit and "WorkingDirectory=/var/lib/deepseek-faq-bot" in unit
    assert "Environment=DATABASE_PATH" not in unit  # a .env line could blank it out


def test_selfhosting_docs_match_the_image() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "DATABASE_PATH=/data/bot.sqlite3" in dockerfile  # in the defaults file ...
    assert not re.search(r"^ENV[^\n]*(DATABASE_PATH|HEALTH_PORT)", dockerfile, re.MULTILINE)
    assert "/etc/deepseek-faq-bot/defaults.env" in dockerfile  # ... which the bot reads
