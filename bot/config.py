"""Settings from the environment and a ``.env`` file, validated once at start-up.

Secrets are ``SecretStr`` so they never show up in a repr or a log line.
A bad value raises :class:`ConfigError` with one line naming the variable.

Where a value comes from, strongest first: the environment, ``.env``, the
deployment's defaults file (:data:`DEFAULTS_FILE`, which the container image and
the systemd set-up write), the defaults below. A variable set to the empty
string counts as unset at every level, so a ``VAR=`` line copied from
``.env.example`` falls through to the deployment's default instead of
replacing it (a container's ``ENV`` would be replaced by it).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.chat.ratelimit import Rate
from bot.domain.models import Language
from bot.engine.decision import Thresholds
from bot.engine.engine import EngineOptions
from bot.errors import ConfigError
from bot.storage.hashing import MAKE_KEY, read_key_file

DEFAULTS_FILE = Path("/etc/deepseek-faq-bot/defaults.env")


def _check_url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value.startswith(tuple(f"{s}://" for s in schemes)) or len(value) <= 8:
        raise ValueError(f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return value


def postgres_url(value: str) -> str:
    """A ``postgresql://`` (or ``postgres://``) URL, stripped; ValueError (without the URL,
    which may hold a password) for anything else."""
    url = value.strip()
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in ("postgresql", "postgres") or not rest:
        raise ValueError(
            "must be a PostgreSQL URL, postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            " (postgres:// works too); leave it unset for SQLite"
        )
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8-sig", extra="ignore", env_ignore_empty=True
    )

    discord_token: SecretStr | None = None
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    database_path: Path = Path("data/bot.sqlite3")
    # postgresql://…: PostgreSQL instead of SQLite (several replicas); wins over DATABASE_PATH.
    database_url: SecretStr | None = None
    hash_key_file: Path | None = None  # required with DATABASE_URL; else <database>.key
    knowledge_dir: Path | None = None
    default_language: Language = "de"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    max_question_chars: int = Field(1000, ge=20, le=100_000)
    answer_threshold: float = Field(Thresholds.answer, ge=0, le=100)
    suggest_threshold: float = Field(Thresholds.suggest, ge=0, le=100)
    answer_margin: float = Field(Thresholds.margin, ge=0, le=100)
    retention_days: int = Field(30, ge=1, le=3650)
    # `check` warns about topics whose `reviewed:` date is older (SOURCE_MAX_AGE_DAYS, the
    # old name, is still read).
    review_max_age_days: int = Field(
        365,
        ge=1,
        le=36500,
        validation_alias=AliasChoices("review_max_age_days", "source_max_age_days"),
    )
    privacy_url: str | None = None  # where users can read docs/privacy.md (shown by /privacy)

    conversation_minutes: float = Field(10, ge=0, le=1440)  # follow-ups lean on the last answer
    user_rate_limit: str = "6/60"  # questions per user per seconds
    chat_rate_limit: str = "30/60"  # questions per chat (group, channel) per seconds

    telegram_admin_ids: str = ""  # comma-separated Telegram user ids allowed /stats, /reload
    telegram_webhook_url: str | None = None  # public HTTPS URL; unset = long polling
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(8443, ge=1, le=65535)
    telegram_webhook_secret: SecretStr | None = None  # checked on every webhook request

    discord_sync_commands_on_start: bool = False
    discord_sharded: bool = False

    health_port: int | None = Field(None, ge=1, le=65535)  # /healthz and /metrics; unset = off
    health_host: str = "0.0.0.0"

    @field_validator("telegram_base_url", "discord_api_base_url", "privacy_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("http", "https"))

    @field_validator("user_rate_limit", "chat_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        Rate.parse(value)
        return value

    @field_validator("telegram_admin_ids")
    @classmethod
    def _ids(cls, value: str) -> str:
        for part in value.replace(";", ",").split(","):
            if part.strip() and not part.strip().lstrip("-").isdigit():
                raise ValueError("must be comma-separated numeric Telegram user ids")
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        return _check_url(value, ("https", "http"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("ws", "wss"))

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else SecretStr(postgres_url(value.get_secret_value()))

    @field_validator("hash_key_file")
    @classmethod
    def _key_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            read_key_file(value)  # a ValueError names the file and the problem, not the key
        return value

    @model_validator(mode="after")
    def _key_for_replicas(self) -> Settings:
        if self.database_url is not None and self.hash_key_file is None:
            raise ValueError(
                "HASH_KEY_FILE: required with DATABASE_URL: the file with the key user and"
                " chat ids are hashed with, the same file for every replica (moving from"
                " SQLite: its <database>.key; new: make one with"
                f" {MAKE_KEY} > FILE)"
            )
        return self

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        name = value.strip().upper()
        if not isinstance(logging.getLevelName(name), int):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return name

    @field_validator("default_language", mode="before")
    @classmethod
    def _lang(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def admin_ids(self) -> frozenset[int]:
        parts = self.telegram_admin_ids.replace(";", ",").split(",")
        return frozenset(int(p) for p in parts if p.strip())

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction."""
        values = [self.discord_token, self.telegram_token, self.telegram_webhook_secret]
        found = [v.get_secret_value() for v in values if v is not None]
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            found.append(url)
            parts = urlsplit(url)
            found += [parts.password or "", *parse_qs(parts.query).get("password", [])]
        found = [value for value in found if value]
        return found

    @property
    def database_variable(self) -> str:
        """The variable that chose the database, for messages."""
        return "DATABASE_URL" if self.database_url is not None else "DATABASE_PATH"

    def engine_options(self) -> EngineOptions:
        return EngineOptions(
            default_language=self.default_language,
            max_question_chars=self.max_question_chars,
            thresholds=self.thresholds(),
        )

    def thresholds(self) -> Thresholds:
        return Thresholds(
            answer=self.answer_threshold,
            suggest=min(self.suggest_threshold, self.answer_threshold),
            margin=self.answer_margin,
        )


def _readable(path: Path) -> None:
    """A settings file that exists must be UTF-8 text (a BOM is fine): one line if not."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(f"configuration error: cannot read {path}: {exc.strerror}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"configuration error: {path} is saved as UTF-16; save it as UTF-8")
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"configuration error: {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def load_settings(
    env_file: str | Path | None = ".env", defaults_file: Path | None = DEFAULTS_FILE
) -> Settings:
    """Read and validate the settings; raise ConfigError naming the bad variable or file."""
    files = [Path(f) for f in (defaults_file, env_file) if f is not None]  # weakest first
    for path in files:
        _readable(path)
    try:
        return Settings(_env_file=tuple(files))  # type: ignore[call-arg]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            # A check across variables names them in its message.
            parts.append(f"{str(err['loc'][0]).upper()}: {msg}" if err["loc"] else msg)
        raise ConfigError("configuration error: " + "; ".join(parts)) from None
