"""A fake Discord (REST + gateway, aiohttp, 127.0.0.1) for end-to-end tests of discord.py.

The real client talks to it over real HTTP and a real WebSocket once
``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` point here
(the adapter does that from ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL``).

REST (:mod:`.rest`, :mod:`.messages`): the routes the bot calls (``users/@me``,
``oauth2/applications/@me``, ``gateway/bot``, command sync for global and guild,
interaction callbacks with ``?with_response=1``, webhook follow-ups and edits, channel
messages). Every request is recorded with its decoded JSON body; Discord's size limits
(2000 characters of content, embed and component limits, :mod:`.limits`) are enforced
with the same 400 Discord sends. Faults are injected per route: ``429`` with
``retry_after``, ``500``, or a dropped connection, for the next N matching requests.

Gateway (:mod:`.gateway`): HELLO, heartbeat ACKs, IDENTIFY -> READY
(``resume_gateway_url`` pointing here) and GUILD_CREATE, RESUME with replay of missed
events, and INVALID_SESSION when a session cannot be resumed.
:meth:`FakeDiscord.drop_gateway` closes the connection with a resumable code (or no close
frame at all) or a non-resumable one. Helpers (:mod:`.events`) build complete
MESSAGE_CREATE and INTERACTION_CREATE payloads (slash command, autocomplete, button
click, message context menu); :mod:`.ids` and :mod:`.payloads` hold the ids and the
guild, users and application they describe.
"""

from tests.fakes.discord.ids import (
    ALICE_ID,
    ALL_PERMISSIONS,
    APP_ID,
    BOB_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    MANAGE_GUILD,
    MAX_CONTENT,
    MEMBER_PERMISSIONS,
    MOD_ROLE_ID,
    OWNER_ID,
    TOKEN,
)
from tests.fakes.discord.limits import InvalidForm, check_message
from tests.fakes.discord.payloads import (
    BOT_USER,
    USERS,
    application,
    dm_channel,
    guild,
    member,
    role,
    text_channel,
    user,
)
from tests.fakes.discord.rest import Fault, Request
from tests.fakes.discord.server import FakeDiscord, settings_for

__all__ = [
    "ALICE_ID",
    "ALL_PERMISSIONS",
    "APP_ID",
    "BOB_ID",
    "BOT_ID",
    "BOT_ROLE_ID",
    "BOT_USER",
    "CHANNEL_ID",
    "DM_CHANNEL_ID",
    "EPHEMERAL",
    "GUILD_ID",
    "MANAGE_GUILD",
    "MAX_CONTENT",
    "MEMBER_PERMISSIONS",
    "MOD_ROLE_ID",
    "OWNER_ID",
    "TOKEN",
    "USERS",
    "FakeDiscord",
    "Fault",
    "InvalidForm",
    "Request",
    "application",
    "check_message",
    "dm_channel",
    "guild",
    "member",
    "role",
    "settings_for",
    "text_channel",
    "user",
]
