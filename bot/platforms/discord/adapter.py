"""The Discord adapter's life cycle, and ``sync-commands``.

Start-up is ``login`` (REST: who am I, which application) and then a task
running the gateway connection, which discord.py keeps alive on its own
(heartbeats, RESUME after a drop, a fresh IDENTIFY when the session is gone).
Slash commands are registered only on request: ``python -m bot sync-commands``,
or at start when ``DISCORD_SYNC_COMMANDS_ON_START`` is set.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import aiohttp
import discord

from bot.chat.service import ChatService
from bot.config import Settings
from bot.errors import StartupError
from bot.platforms.base import Adapter, Telemetry
from bot.platforms.discord.client import (
    Tree,
    build_client,
    build_tree,
    configure_endpoints,
    invite_url,
)
from bot.platforms.discord.handlers import Handlers
from bot.platforms.discord.views import click_item

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 600.0  # seconds; below the 15 minutes an interaction token can edit
READY_TIMEOUT = 60.0
DEFER_AFTER = 1.5  # seconds of work before an interaction is deferred (Discord allows 3)
DRAIN_SECONDS = 5.0
START_ATTEMPTS = 4  # REST login attempts at start-up when the network is not there yet


class DiscordStartError(StartupError):
    """The bot could not get onto Discord; the message is one line for the operator."""


def _token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise DiscordStartError("DISCORD_TOKEN is not set")
    return settings.discord_token.get_secret_value().strip()


async def _login(client: discord.Client, settings: Settings) -> None:
    """Log in over REST, with a few retries for a network that is not up yet."""
    delay = 1.0
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            await client.login(_token(settings))
            return
        except discord.LoginFailure:
            raise DiscordStartError("Discord rejected DISCORD_TOKEN (401 Unauthorized)") from None
        except (aiohttp.ClientError, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if attempt == START_ATTEMPTS:
                raise DiscordStartError(f"cannot reach the Discord API: {reason}") from None
            log.warning("Discord API not reachable (%s); retrying in %.0f s", reason, delay)
            await asyncio.sleep(delay)
            delay *= 2


async def _sync(tree: Tree, guild_id: int | None) -> int:
    guild = discord.Object(id=guild_id) if guild_id else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    registered = await tree.sync(guild=guild)
    log.info(
        "registered %d Discord commands %s",
        len(registered),
        f"in guild {guild_id}" if guild_id else "globally",
    )
    return len(registered)


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """Register the commands globally (or in one guild, instantly); return how many."""
    configure_endpoints(settings)
    client = build_client(settings)
    try:
        await _login(client, settings)
        tree = await build_tree(client, None)
        return await _sync(tree, guild_id)
    finally:
        await client.close()


class DiscordAdapter(Adapter):
    name: ClassVar[str] = "discord"

    def __init__(
        self,
        chat: ChatService,
        settings: Settings,
        telemetry: Telemetry | None = None,
        *,
        view_timeout: float = VIEW_TIMEOUT,
        defer_after: float = DEFER_AFTER,
        ready_timeout: float = READY_TIMEOUT,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(chat, settings, telemetry)
        self.view_timeout = view_timeout
        self.defer_after = defer_after
        self.ready_timeout = ready_timeout
        self.guild_ready_timeout = guild_ready_timeout
        self.client: discord.Client | None = None
        self.handlers: Handlers | None = None
        self._runner: asyncio.Task[None] | None = None
        self._up = False

    @property
    def connected(self) -> bool:
        client = self.client
        return client is not None and self._up and not client.is_closed()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # no half-started client left behind
            raise

    async def _start(self) -> None:
        settings = self.settings
        configure_endpoints(settings)
        client = build_client(settings, guild_ready_timeout=self.guild_ready_timeout)
        handlers = Handlers(
            self.chat,
            client,
            self.telemetry,
            default_language=settings.default_language,
            view_timeout=self.view_timeout,
            defer_after=self.defer_after,
        )
        self.client, self.handlers = client, handlers
        tree = await build_tree(client, handlers)
        self._wire(client, tree, handlers)
        await _login(client, settings)
        if settings.discord_sync_commands_on_start:
            await _sync(tree, None)
        self._runner = asyncio.create_task(self._connect(client), name="discord-gateway")
        ready = asyncio.create_task(client.wait_until_ready(), name="discord-ready")
        done, _ = await asyncio.wait(
            {ready, self._runner}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if self._runner in done:
                self._runner.result()  # raises why the connection ended
                raise DiscordStartError("the Discord gateway closed during start-up")
            raise DiscordStartError(f"not ready on Discord within {self.ready_timeout:g} s")
        user = client.user
        log.info("connected to Discord as %s (id %s)", user, user.id if user else "?")
        if client.application_id is not None:
            log.info("invite link: %s", invite_url(client.application_id))

    async def _connect(self, client: discord.Client) -> None:
        try:
            await client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            raise DiscordStartError("Discord requires a privileged intent") from None
        except Exception:
            if not client.is_closed():
                log.exception("the Discord connection ended")
            raise
        finally:
            self._up = False

    def _wire(self, client: discord.Client, tree: Tree, handlers: Handlers) -> None:
        """Route events to the handlers; one error handler for events and one for commands."""

        @client.event
        async def on_message(message: discord.Message) -> None:
            await handlers.on_message(message)

        @client.event
        async def on_connect() -> None:
            self._up = True

        @client.event
        async def on_resumed() -> None:
            self._up = True
            log.info("Discord session resumed")

        @client.event
        async def on_disconnect() -> None:
            if self._up:
                log.info("Discord gateway disconnected; reconnecting")
            self._up = False

        @client.event
        async def on_error(event: str, /, *args: Any, **kwargs: Any) -> None:
            # Called from inside discord.py's except block: the traceback is current.
            log.exception("error handling Discord event %s; the bot goes on", event)

        @tree.error
        async def on_command_error(
            interaction: discord.Interaction[discord.Client],
            error: discord.app_commands.AppCommandError,
        ) -> None:
            await handlers.report(interaction, error)

        client.add_dynamic_items(click_item(handlers.on_click))

    async def stop(self) -> None:
        client, runner = self.client, self._runner
        if client is None:
            return
        if self.handlers is not None:
            await self.handlers.drain(DRAIN_SECONDS)
        await client.close()
        if runner is not None:
            await asyncio.wait({runner}, timeout=5.0)
            if not runner.done():
                runner.cancel()
            elif not runner.cancelled() and runner.exception() is not None:
                log.debug("the gateway task had ended with %r", runner.exception())
        self._up = False
        log.info("Discord adapter stopped")
