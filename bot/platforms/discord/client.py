"""The discord.py client as this bot needs it: endpoints, intents, mentions, events.

No privileged intents: Discord delivers the content of messages that mention
the bot and of DMs without the message-content intent, and the bot needs no
member list. ``AllowedMentions.none()`` is the client default, and every send
passes it explicitly as well.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import INTERNAL_API_VERSION, Route

from bot.config import Settings
from bot.platforms.discord.commands import FaqTranslator, install
from bot.platforms.discord.render import NO_MENTIONS

if TYPE_CHECKING:
    from bot.platforms.discord.handlers import Handlers

log = logging.getLogger(__name__)

OFFICIAL_API = f"https://discord.com/api/v{INTERNAL_API_VERSION}"
OFFICIAL_GATEWAY = "wss://gateway.discord.gg/"

Tree = app_commands.CommandTree[discord.Client]


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py's REST and gateway at the configured URLs (proxies, tests).

    discord.py reads both from class attributes, so this is process-wide. With
    sharding, the gateway URL comes from ``GET /gateway/bot`` on the REST base.
    """
    Route.BASE = (settings.discord_api_base_url or OFFICIAL_API).rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url or OFFICIAL_GATEWAY)


# What the bot needs in a channel: see it, answer (also in threads) with embeds,
# and reply to the question (replies need the message history).
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    read_message_history=True,
)


def invite_url(application_id: int) -> str:
    """The link that adds the bot to a server with its commands and permissions."""
    return discord.utils.oauth_url(
        application_id, permissions=PERMISSIONS, scopes=("bot", "applications.commands")
    )


def intents() -> discord.Intents:
    wanted = discord.Intents.default()
    wanted.message_content = False
    wanted.members = False
    wanted.presences = False
    wanted.typing = False
    return wanted


def build_client(settings: Settings, *, guild_ready_timeout: float = 2.0) -> discord.Client:
    # The bot has no voice: discord.py's warnings about missing voice libraries
    # (PyNaCl, davey) at every start would only alarm operators.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    options: dict[str, Any] = {
        "intents": intents(),
        "allowed_mentions": NO_MENTIONS,
        "chunk_guilds_at_startup": False,
        "guild_ready_timeout": guild_ready_timeout,
        "max_messages": None,  # no message cache: answers never need old messages
    }
    if settings.discord_sharded:
        return discord.AutoShardedClient(**options)
    return discord.Client(**options)


async def build_tree(client: discord.Client, handlers: Handlers | None) -> Tree:
    """A command tree with every command and the German translator."""
    tree: Tree = app_commands.CommandTree(client)
    install(tree, handlers)
    await tree.set_translator(FaqTranslator())
    return tree
