"""``sync-commands``: the commands registered (globally or in one guild) against the fake."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bot.platforms.discord.adapter import sync_commands
from bot.platforms.discord.texts import say
from tests.fakes.discord import APP_ID, GUILD_ID, TOKEN, FakeDiscord, settings_for

REPO = Path(__file__).resolve().parent.parent
NAMES = {
    "ask": "frage",
    "topic": "thema",
    "topics": "themen",
    "sources": "quellen",
    "lang": "sprache",
    "forget": "vergessen",
    "stats": "statistik",
    "privacy": "datenschutz",
    "reload": "neuladen",
    "help": "hilfe",
}


def by_name(payload: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in payload}


async def test_global_sync_registers_every_command_with_german_localisations() -> None:
    async with FakeDiscord.running() as fake:
        count = await sync_commands(settings_for(fake), None)
        [put] = fake.find("PUT", rf"/applications/{APP_ID}/commands")
    assert count == 11 == len(put.body)
    commands = by_name(put.body)
    assert set(commands) == {*NAMES, "Ask the FAQ"}
    for name, german in NAMES.items():
        assert commands[name]["type"] == 1
        assert commands[name]["name_localizations"] == {"de": german}
        key = f"discord_cmd_{name}"
        assert commands[name]["description"] == say(key, "en")
        assert commands[name]["description_localizations"] == {"de": say(key, "de")}
    menu = commands["Ask the FAQ"]
    assert menu["type"] == 3 and menu["name_localizations"] == {"de": "FAQ fragen"}

    [question] = commands["ask"]["options"]
    assert question["name"] == "question" and question["name_localizations"] == {"de": "frage"}
    assert question["required"] is True and question["type"] == 3
    [topic] = commands["topic"]["options"]
    assert topic["autocomplete"] is True
    [language] = commands["lang"]["options"]
    assert [c["value"] for c in language["choices"]] == ["de", "en", "auto"]
    assert language["choices"][2]["name_localizations"] == {"de": "automatisch"}

    stats = commands["stats"]
    assert int(stats["default_member_permissions"]) == 1 << 5  # Manage Server
    assert stats["contexts"] == [0]  # guilds only
    assert commands["ask"]["default_member_permissions"] is None
    reload = commands["reload"]
    assert int(reload["default_member_permissions"]) == 1 << 5 and reload["contexts"] == [0]
    assert commands["privacy"]["default_member_permissions"] is None


async def test_guild_sync_registers_in_that_guild_only() -> None:
    async with FakeDiscord.running() as fake:
        count = await sync_commands(settings_for(fake), GUILD_ID)
        assert count == 11
        assert len(fake.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")) == 1
        assert not fake.find("PUT", rf"/applications/{APP_ID}/commands")
        assert len(fake.commands[GUILD_ID]) == 11


async def test_cli_sync_commands_against_the_fake(tmp_path: Path) -> None:
    async with FakeDiscord.running() as fake:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "LOG_LEVEL": "DEBUG",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "sync-commands",
            "--guild",
            str(GUILD_ID),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        assert out.decode().strip() == f"registered 11 commands guild {GUILD_ID}"
        assert TOKEN not in err.decode()
        assert len(fake.commands[GUILD_ID]) == 11
