"""Keyed hashes of chat and user ids, so the database never holds a raw id.

With SQLite the key is created on first start beside the database (mode 0600),
unless ``HASH_KEY_FILE`` names one; with PostgreSQL ``HASH_KEY_FILE`` is required,
the same file for every replica. Without the key a hash cannot be linked back to an
account, and deleting the key unlinks every stored row at once. No message here
ever holds a key's content.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path


def key_path_for(database: Path) -> Path:
    return database.with_name(database.name + ".key")


KEY_BYTES = 32
MAKE_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"


def read_key_file(path: Path) -> bytes:
    """The key in a given file (``HASH_KEY_FILE``): 32 bytes as 64 hex digits.

    Never created here: a missing, unreadable or malformed file is a ValueError with one
    line naming the file and the reason.
    """
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a directory, not a key file") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        text = ""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"{path} must hold {KEY_BYTES} random bytes as {KEY_BYTES * 2} hex digits"
            f" (make one with {MAKE_KEY})"
        )
    return key


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) < 16:
            raise ValueError(f"{path}: hashing key is too short")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # Written beside the target and linked into place once complete: a crash (or a
    # power loss) while creating it leaves no key or the whole key, never a stub that
    # would keep the bot from ever starting again.
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(scratch, path)  # never replaces a key another process just made
        except FileExistsError:
            return load_or_create_key(path)
    finally:
        scratch.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the key's name on disk before any row hashed with it
    finally:
        os.close(directory)
    return key


class IdHasher:
    def __init__(self, key: bytes) -> None:
        self._key = key
        # The same people ask again and again; remember their hashes (bounded).
        self._cached = lru_cache(maxsize=8192)(self._hash)

    def __call__(self, platform: str, kind: str, raw_id: str | int | None) -> str | None:
        if raw_id is None or raw_id == "":
            return None
        return self._cached(platform, kind, str(raw_id))

    def _hash(self, platform: str, kind: str, raw_id: str) -> str:
        message = f"{platform}\x1f{kind}\x1f{raw_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]
