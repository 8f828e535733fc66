"""Settings from the environment and a ``.env`` file, validated once at start-up.

Secrets are ``SecretStr`` so they never show up in a repr or a log line.
A bad value raises :class:`ConfigError` with one line naming the variable.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.matcher import Thresholds
from bot.core.models import Language


class ConfigError(Exception):
    """A misconfigured environment variable; the message is one line for the operator."""


def _check_url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value.startswith(tuple(f"{s}://" for s in schemes)) or len(value) <= 8:
        raise ValueError(f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    discord_token: SecretStr | None = None
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    database_path: Path = Path("data/bot.sqlite3")
    knowledge_dir: Path | None = None
    default_language: Language = "de"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    max_question_chars: int = Field(1000, ge=20, le=100_000)
    answer_threshold: float = Field(Thresholds.answer, ge=0, le=100)
    suggest_threshold: float = Field(Thresholds.suggest, ge=0, le=100)
    answer_margin: float = Field(Thresholds.margin, ge=0, le=100)
    retention_days: int = Field(30, ge=1, le=3650)

    @field_validator("telegram_base_url", "discord_api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("http", "https"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("ws", "wss"))

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

    def thresholds(self) -> Thresholds:
        return Thresholds(
            answer=self.answer_threshold,
            suggest=min(self.suggest_threshold, self.answer_threshold),
            margin=self.answer_margin,
        )


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read and validate the settings; raise ConfigError naming the bad variable."""
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{name}: {msg}")
        raise ConfigError("configuration error: " + "; ".join(parts)) from None
