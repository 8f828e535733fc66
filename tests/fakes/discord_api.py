"""A fake Discord (REST + gateway, aiohttp, 127.0.0.1) for end-to-end tests of discord.py.

The real client talks to it over real HTTP and a real WebSocket once
``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` point here
(the adapter does that from ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL``).

REST: the routes the bot calls (``users/@me``, ``oauth2/applications/@me``,
``gateway/bot``, command sync for global and guild, interaction callbacks with
``?with_response=1``, webhook follow-ups and edits, channel messages). Every
request is recorded with its decoded JSON body; Discord's size limits (2000
characters of content, embed and component limits) are enforced with the same
400 Discord sends. Faults are injected per route: ``429`` with ``retry_after``,
``500``, or a dropped connection, for the next N matching requests.

Gateway: HELLO, heartbeat ACKs, IDENTIFY -> READY (``resume_gateway_url``
pointing here) and GUILD_CREATE, RESUME with replay of missed events, and
INVALID_SESSION when a session cannot be resumed. :meth:`FakeDiscord.drop_gateway`
closes the connection with a resumable code (or no close frame at all) or a
non-resumable one. Helpers build complete MESSAGE_CREATE and INTERACTION_CREATE
payloads (slash command, autocomplete, button click, message context menu).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.config import Settings

# A made-up token in Discord's shape (so log redaction patterns would match it too).
TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0MzI.GfAkEt.fakeTokenForTestsOnly_abcdefghijklmn"
APP_ID = 1098765432109876543
BOT_ID = APP_ID
GUILD_ID = 1200000000000000001
CHANNEL_ID = 1200000000000000002
MOD_ROLE_ID = 1200000000000000003
BOT_ROLE_ID = 1200000000000000004
OWNER_ID = 1200000000000000005
ALICE_ID = 1200000000000000010
BOB_ID = 1200000000000000011
DM_CHANNEL_ID = 1200000000000000020

MAX_CONTENT = 2000
ALL_PERMISSIONS = str((1 << 51) - 1)
MEMBER_PERMISSIONS = str(0x0000_0000_0006_4C40)  # view, send, read history, embed, ...
MANAGE_GUILD = 1 << 5
EPHEMERAL = 1 << 6

_EMBED_LIMITS = {"title": 256, "description": 4096}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
        "system": False,
        "primary_guild": None,
        "collectibles": None,
    }


BOT_USER = user(BOT_ID, "deepseek-faq", bot=True)
USERS = {
    ALICE_ID: user(ALICE_ID, "alice"),
    BOB_ID: user(BOB_ID, "bob"),
    OWNER_ID: user(OWNER_ID, "owner"),
}


def member(
    user_id: int | None, *, roles: list[int] | None = None, permissions: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in roles or []],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if user_id is not None:
        data["user"] = BOT_USER if user_id == BOT_ID else USERS[user_id]
    if permissions is not None:
        data["permissions"] = permissions
    return data


def role(role_id: int, name: str, *, permissions: str, position: int, managed: bool = False):
    data: dict[str, Any] = {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": permissions,
        "managed": managed,
        "mentionable": True,
        "flags": 0,
    }
    if managed:
        data["tags"] = {"bot_id": str(BOT_ID)}
    return data


def text_channel(channel_id: int = CHANNEL_ID, name: str = "general") -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "parent_id": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "last_pin_timestamp": None,
        "default_thread_rate_limit_per_user": 0,
        "flags": 0,
        "permissions": ALL_PERMISSIONS,
    }


def dm_channel(user_id: int = ALICE_ID, channel_id: int = DM_CHANNEL_ID) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [USERS[user_id]],
    }


def guild(extra_channels: Sequence[int] = ()) -> dict[str, Any]:
    """A complete GUILD_CREATE payload: the @everyone role's id is the guild id.

    ``extra_channels``: ids of more text channels (load tests spread questions over them).
    """
    return {
        "id": str(GUILD_ID),
        "name": "FAQ Test Server",
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(OWNER_ID),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(CHANNEL_ID),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "de",
        "nsfw_level": 0,
        "nsfw": False,
        "incidents_data": None,
        "inventory_settings": None,
        "hub_type": None,
        "latest_onboarding_question_id": None,
        "roles": [
            role(GUILD_ID, "@everyone", permissions=MEMBER_PERMISSIONS, position=0),
            role(MOD_ROLE_ID, "Moderators", permissions=str(MANAGE_GUILD), position=1),
            role(
                BOT_ROLE_ID,
                "deepseek-faq",
                permissions=MEMBER_PERMISSIONS,
                position=2,
                managed=True,
            ),
        ],
        "emojis": [],
        "stickers": [],
        "soundboard_sounds": [],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "large": False,
        "unavailable": False,
        "member_count": 4,
        "voice_states": [],
        "members": [member(BOT_ID, roles=[BOT_ROLE_ID])],
        "channels": [
            text_channel(),
            *(text_channel(cid, f"channel-{n}") for n, cid in enumerate(extra_channels, 1)),
        ],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "embedded_activities": [],
        "activity_instances": [],
        "application_command_counts": {},
        "lazy": True,
        "home_header": None,
    }


def application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "DeepSeek FAQ",
        "icon": None,
        "description": "FAQ bot (test)",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 1 << 23,
        "owner": USERS[OWNER_ID],
        "team": None,
        "bot": BOT_USER,
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
        "integration_types_config": {"0": {}},
        "custom_install_url": None,
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "interactions_event_types": [],
        "interactions_version": 1,
        "explicit_content_filter": 0,
        "is_monetized": False,
        "is_verified": False,
        "is_discoverable": False,
        "storefront_available": False,
        "event_webhooks_url": None,
        "event_webhooks_status": 1,
        "event_webhooks_types": [],
    }


@dataclass
class Request:
    """One REST request as the fake saw it (``path`` without the ``/api/v10`` prefix)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 200
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def message(self) -> dict[str, Any] | None:
        """The message payload this request sends or edits, if any."""
        if not isinstance(self.body, dict):
            return None
        if self.path.endswith("/callback"):
            data = self.body.get("data")
            return data if isinstance(data, dict) and self.body.get("type") in (4, 7) else None
        if re.search(r"/(messages|webhooks)/", self.path + "/") and self.method in (
            "POST",
            "PATCH",
        ):
            return self.body
        return None

    @property
    def posts_content(self) -> bool:
        msg = self.message
        return bool(msg and (msg.get("content") or msg.get("embeds")))

    @property
    def text(self) -> str:
        """Content and every embed string of the message, joined (for fact checks)."""
        msg = self.message or {}
        parts = [msg.get("content") or ""]
        for embed in msg.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    @property
    def custom_ids(self) -> list[str]:
        msg = self.message or {}
        return [
            c["custom_id"]
            for row in msg.get("components") or []
            for c in row.get("components", [])
            if "custom_id" in c
        ]

    @property
    def ephemeral(self) -> bool:
        msg = self.message or {}
        return bool((msg.get("flags") or 0) & EPHEMERAL)


@dataclass
class Fault:
    method: str | None
    path: re.Pattern[str]
    remaining: int
    status: int = 429
    retry_after: float = 0.05
    is_global: bool = False
    drop: bool = False  # close the connection before handling the request
    drop_after: bool = False  # handle it, then close the connection without the answer


@dataclass
class _Session:
    id: str
    shard: list[int] | None
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    resumable: bool = True


class InvalidForm(Exception):
    """What Discord answers 400 Invalid Form Body for."""


def _check_message(body: dict[str, Any]) -> None:
    content = body.get("content")
    if content is not None and len(content) > MAX_CONTENT:
        raise InvalidForm(f"content: must be {MAX_CONTENT} or fewer in length")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise InvalidForm("embeds: at most 10")
    total = 0
    for embed in embeds:
        for key, limit in _EMBED_LIMITS.items():
            if len(embed.get(key) or "") > limit:
                raise InvalidForm(f"embeds.{key}: must be {limit} or fewer in length")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise InvalidForm("embeds.fields: at most 25")
        for f in fields:
            if not f.get("name") or not f.get("value"):
                raise InvalidForm("embeds.fields: name and value are required")
            if len(f["name"]) > 256 or len(f["value"]) > 1024:
                raise InvalidForm("embeds.fields: too long")
        footer = (embed.get("footer") or {}).get("text") or ""
        if len(footer) > 2048:
            raise InvalidForm("embeds.footer.text: too long")
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in fields) + len(footer)
    if total > 6000:
        raise InvalidForm("embeds: more than 6000 characters in total")
    rows = body.get("components") or []
    if len(rows) > 5:
        raise InvalidForm("components: at most 5 rows")
    for row in rows:
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            raise InvalidForm("components: rows hold 1 to 5 items")
        for button in buttons:
            if len(button.get("label") or "") > 80 or len(button.get("custom_id") or "") > 100:
                raise InvalidForm("components: label or custom_id too long")
    if content in (None, "") and not embeds and not rows and "flags" not in body:
        raise InvalidForm("Cannot send an empty message")


def settings_for(fake: FakeDiscord, **extra: Any) -> Settings:
    """Bot settings pointing REST and gateway at ``fake``, with the fake's token."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        discord_token=TOKEN,
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        **extra,
    )


class FakeDiscord:
    """Discord's REST API and gateway for one bot, one guild, a few users."""

    def __init__(
        self,
        *,
        heartbeat_interval_ms: int = 41250,
        identify_close_code: int | None = None,
        extra_channels: Sequence[int] = (),
    ) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.extra_channels = tuple(extra_channels)
        # Close every IDENTIFY with this code (4004 bad token, 4014 disallowed intents, ...).
        self.identify_close_code = identify_close_code
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self._by_nonce: dict[tuple[int, str], int] = {}  # (channel, nonce) -> message id
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, dict[str, Any]] = {}
        self.gateway_ops: list[int] = []
        self.identify_payloads: list[dict[str, Any]] = []
        self.resumes = 0
        self.invalid_sessions = 0
        self.connections = 0
        self._sessions: dict[str, _Session] = {}
        self._current: _Session | None = None
        self._ids = itertools.count(1300000000000000000)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._changed = asyncio.Event()

    # -- life cycle ----------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        for session in self._sessions.values():
            if session.ws is not None and not session.ws.closed:
                with contextlib.suppress(Exception):
                    await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, **options: Any) -> AsyncIterator[FakeDiscord]:
        fake = cls(**options)
        await fake.start()
        try:
            yield fake
        finally:
            await fake.close()

    def snowflake(self) -> int:
        return next(self._ids)

    def _notify(self) -> None:
        self._changed.set()

    async def until(
        self, predicate: Callable[[], Any], within: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``predicate()`` is truthy; return its value."""
        deadline = time.monotonic() + within
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))

    # -- REST: recording and faults --------------------------------------------------

    def fail(
        self,
        method: str | None,
        path: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: float = 0.05,
        is_global: bool = False,
        drop: bool = False,
        drop_after: bool = False,
    ) -> Fault:
        """Fail the next ``times`` requests whose path matches the regex ``path``."""
        fault = Fault(
            method, re.compile(path), times, status, retry_after, is_global, drop, drop_after
        )
        self.faults.append(fault)
        return fault

    def mark(self) -> int:
        return len(self.requests)

    def since(self, mark: int) -> list[Request]:
        return self.requests[mark:]

    def find(
        self, method: str, path: str, *, after: int = 0, status: int | None = 200
    ) -> list[Request]:
        pattern = re.compile(path)
        return [
            r
            for r in self.requests[after:]
            if r.method == method
            and pattern.fullmatch(r.path)
            and (status is None or r.status == status)
        ]

    async def wait_request(
        self,
        method: str,
        path: str,
        *,
        after: int = 0,
        count: int = 1,
        within: float = 5.0,
        status: int | None = 200,
    ) -> list[Request]:
        """The first ``count`` matching requests after ``after``, waiting for them."""

        def found() -> list[Request] | None:
            hits = self.find(method, path, after=after, status=status)
            return hits[:count] if len(hits) >= count else None

        result: list[Request] = await self.until(found, within, f"{method} {path}")
        return result

    def _fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if (
                fault.remaining > 0
                and (fault.method in (None, method))
                and fault.path.fullmatch(path)
            ):
                fault.remaining -= 1
                return fault
        return None

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json": discord.py decodes nothing else.
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    async def _read_body(self, request: web.Request) -> Any:
        if request.content_type == "application/json":
            raw = await request.text()
            return json.loads(raw) if raw else None
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload = form.get("payload_json")
            return json.loads(payload) if isinstance(payload, str) else dict(form)
        return None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body = await self._read_body(request)
        record = Request(request.method, path, dict(request.query), body)
        self.requests.append(record)
        self._notify()
        fault = self._fault_for(request.method, path)
        if fault is not None and not fault.drop_after:
            record.status = fault.status
            if fault.drop:
                assert request.transport is not None
                request.transport.close()
                record.status = 0
                raise ConnectionResetError("fault: dropped")
            if fault.status == 429:
                return self._json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": fault.retry_after,
                        "global": fault.is_global,
                    },
                    429,
                    {
                        "Via": "1.1 google",
                        "Retry-After": str(max(1, round(fault.retry_after))),
                        "X-RateLimit-Scope": "global" if fault.is_global else "user",
                    },
                )
            return self._json({"message": "fault", "code": 0}, fault.status)
        authorized = request.headers.get("Authorization") == f"Bot {TOKEN}"
        is_webhook = path.startswith(("/interactions/", "/webhooks/"))
        if not authorized and not is_webhook:
            record.status = 401
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            status, data = self._route(request.method, path, record)
        except InvalidForm as exc:
            record.status = 400
            return self._json(
                {"message": "Invalid Form Body", "code": 50035, "errors": str(exc)}, 400
            )
        record.status = status
        record.response = data
        if fault is not None and fault.drop_after:
            assert request.transport is not None
            request.transport.close()  # handled, but the answer never arrives
            record.status = 0
            raise ConnectionResetError("fault: dropped after handling")
        if status == 204:
            return web.Response(status=204)
        return self._json(data, status)

    def _route(self, method: str, path: str, record: Request) -> tuple[int, Any]:
        body = record.body if isinstance(record.body, dict) else {}
        call = f"{method} {path}"
        if call == "GET /users/@me":
            return 200, {**BOT_USER, "verified": True, "mfa_enabled": False, "locale": "en-US"}
        if call == "GET /oauth2/applications/@me":
            return 200, application()
        if call == "GET /gateway/bot":
            limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}
        if call == "GET /gateway":
            return 200, {"url": self.gateway_url}
        if found := re.fullmatch(
            rf"(GET|PUT) /applications/{APP_ID}(?:/guilds/(\d+))?/commands", call
        ):
            guild_id = int(found[2]) if found[2] else None
            if method == "PUT":
                payload = record.body if isinstance(record.body, list) else []
                self.commands[guild_id] = [self._command(c, guild_id) for c in payload]
            return 200, self.commands.get(guild_id, [])
        if found := re.fullmatch(r"POST /channels/(\d+)/messages", call):
            _check_message(body)
            return 200, self._store_message(int(found[1]), body)
        if found := re.fullmatch(r"PATCH /channels/\d+/messages/(\d+)", call):
            return 200, self._edit_message(int(found[1]), body)
        if re.fullmatch(r"POST /channels/\d+/typing", call):
            return 204, None
        if found := re.fullmatch(r"POST /interactions/(\d+)/([^/]+)/callback", call):
            return 200, self._callback(int(found[1]), found[2], body)
        if found := re.fullmatch(rf"POST /webhooks/{APP_ID}/([^/]+)", call):
            return 200, self._followup(found[1], body)
        hook = rf"(GET|PATCH|DELETE) /webhooks/{APP_ID}/([^/]+)/messages/(@original|\d+)"
        if found := re.fullmatch(hook, call):
            message_id = self._webhook_message_id(found[2], found[3])
            if method == "PATCH":
                return 200, self._edit_message(message_id, body)
            if method == "GET":
                return 200, self.messages[message_id]
            self.messages.pop(message_id, None)
            return 204, None
        return 404, {"message": "404: Not Found", "code": 0}

    def _command(self, payload: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
        data = {
            "id": str(self.snowflake()),
            "application_id": str(APP_ID),
            "version": str(self.snowflake()),
            "type": payload.get("type", 1),
            "name": payload["name"],
            "name_localizations": payload.get("name_localizations"),
            "description": payload.get("description", ""),
            "description_localizations": payload.get("description_localizations"),
            "options": payload.get("options", []),
            "default_member_permissions": payload.get("default_member_permissions"),
            "dm_permission": payload.get("dm_permission", True),
            "contexts": payload.get("contexts"),
            "integration_types": payload.get("integration_types", [0]),
            "nsfw": payload.get("nsfw", False),
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data

    # -- REST: messages and interactions ---------------------------------------------

    def _message(
        self, channel_id: int, body: dict[str, Any], *, author: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": author or BOT_USER,
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "reactions": [],
            "pinned": False,
            "type": 19 if body.get("message_reference") else 0,
            "flags": body.get("flags") or 0,
            "components": body.get("components") or [],
            "sticker_items": [],
            "position": 0,
        }
        if channel_id != DM_CHANNEL_ID:
            data["guild_id"] = str(GUILD_ID)
        if body.get("message_reference"):
            data["message_reference"] = {
                "channel_id": str(channel_id),
                "type": 0,
                **body["message_reference"],
            }
        return data

    def _store_message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        nonce = body.get("nonce")
        if body.get("enforce_nonce") and nonce is not None:
            # Discord: the same author and nonce again returns the message already made.
            earlier = self._by_nonce.get((channel_id, str(nonce)))
            if earlier is not None:
                return self.messages[earlier]
        data = self._message(channel_id, body)
        self.messages[int(data["id"])] = data
        if nonce is not None:
            self._by_nonce[(channel_id, str(nonce))] = int(data["id"])
        return data

    def _edit_message(self, message_id: int, body: dict[str, Any]) -> dict[str, Any]:
        _check_message({**self.messages.get(message_id, {}), **body, "flags": 0})
        data = self.messages.setdefault(message_id, self._message(CHANNEL_ID, {}))
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                data[key] = body[key]
        data["edited_timestamp"] = _now()
        return data

    def _interaction_message(
        self, interaction: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        data = self._message(int(interaction["channel_id"]), body)
        data["webhook_id"] = str(APP_ID)
        data["application_id"] = str(APP_ID)
        data["type"] = 20 if interaction["type"] == 2 else 0
        data["interaction_metadata"] = {
            "id": interaction["id"],
            "type": interaction["type"],
            "user": interaction.get("member", {}).get("user") or interaction.get("user"),
            "authorizing_integration_owners": interaction["authorizing_integration_owners"],
        }
        self.messages[int(data["id"])] = data
        return data

    def _callback(self, interaction_id: int, token: str, body: dict[str, Any]) -> dict[str, Any]:
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction["token"] != token:
            raise InvalidForm("Unknown interaction")
        if interaction.get("_responded"):
            raise InvalidForm("Interaction has already been acknowledged.")
        interaction["_responded"] = True
        kind = body.get("type")
        data = body.get("data") or {}
        info: dict[str, Any] = {"id": str(interaction_id), "type": interaction["type"]}
        result: dict[str, Any] = {"interaction": info}
        if kind == 4:
            _check_message(data)
            message = self._interaction_message(interaction, data)
            interaction["_original"] = int(message["id"])
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = False
            info["response_message_ephemeral"] = bool((data.get("flags") or 0) & EPHEMERAL)
            result["resource"] = {"type": 4, "message": message}
        elif kind == 5:
            flags = (data.get("flags") or 0) | 128  # LOADING
            message = self._interaction_message(interaction, {"flags": flags})
            interaction["_original"] = int(message["id"])
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = True
            info["response_message_ephemeral"] = bool(flags & EPHEMERAL)
            result["resource"] = {"type": 5, "message": message}
        elif kind == 7:
            target = int(interaction["message"]["id"])
            message = self._edit_message(target, data)
            info["response_message_id"] = message["id"]
            result["resource"] = {"type": 7, "message": message}
        elif kind in (6, 8, 9):
            result["resource"] = {"type": kind}
        else:
            raise InvalidForm(f"unsupported interaction response type {kind}")
        return result

    def _interaction_by_token(self, token: str) -> dict[str, Any]:
        for interaction in self.interactions.values():
            if interaction["token"] == token:
                return interaction
        raise InvalidForm("Unknown Webhook")

    def _webhook_message_id(self, token: str, which: str) -> int:
        interaction = self._interaction_by_token(token)
        if which == "@original":
            if "_original" not in interaction:
                raise InvalidForm("Unknown Message")
            return int(interaction["_original"])
        # By id: only a message this interaction's webhook sent (original or follow-up).
        meta = self.messages.get(int(which), {}).get("interaction_metadata") or {}
        if meta.get("id") != interaction["id"]:
            raise InvalidForm("Unknown Message")
        return int(which)

    def _followup(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        interaction = self._interaction_by_token(token)
        if not interaction.get("_responded"):
            raise InvalidForm("Unknown Webhook")
        _check_message(body)
        original = interaction.get("_original")
        loading = original is not None and self.messages[original]["flags"] & 128
        if loading:
            # The first follow-up after a deferral replaces the "thinking" message.
            data = self.messages[original]
            data.update(
                content=body.get("content") or "",
                embeds=body.get("embeds") or [],
                components=body.get("components") or [],
                flags=(data["flags"] & ~128) | (body.get("flags") or 0),
            )
            return data
        return self._interaction_message(interaction, body)

    # -- gateway -------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        self._notify()
        session: _Session | None = None
        await ws.send_str(
            json.dumps(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                    "s": None,
                    "t": None,
                }
            )
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                self.gateway_ops.append(op)
                self._notify()
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    session = await self._identify(ws, request, frame["d"])
                elif op == 6:
                    session = await self._resume(ws, request, frame["d"])
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
                session.request = None
            self._notify()
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, request: web.Request, data: dict[str, Any]
    ) -> _Session | None:
        self.identify_payloads.append({k: v for k, v in data.items() if k != "token"})
        if data.get("token") != TOKEN or self.identify_close_code is not None:
            await ws.close(code=self.identify_close_code or 4004, message=b"Identify refused.")
            return None
        session = _Session(uuid.uuid4().hex, data.get("shard"))
        self._sessions[session.id] = session
        session.ws, session.request = ws, request
        self._current = session
        ready = {
            "v": 10,
            "user": {**BOT_USER, "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": application()["flags"]},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["frankfurt"],
            "auth": {},
            "_trace": ["fake-gateway"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", guild(self.extra_channels))
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, request: web.Request, data: dict[str, Any]
    ) -> _Session | None:
        session = self._sessions.get(data.get("session_id") or "")
        if data.get("token") != TOKEN or session is None or not session.resumable:
            self.invalid_sessions += 1
            self._notify()
            await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
            return None
        session.ws, session.request = ws, request
        self._current = session
        last = data.get("seq") or 0
        for frame in [f for f in session.log if f["s"] > last]:
            await ws.send_str(json.dumps(frame))
        session.seq += 1
        await ws.send_str(
            json.dumps({"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["fake"]}})
        )
        self.resumes += 1
        self._notify()
        return session

    @property
    def online(self) -> bool:
        session = self._current
        return session is not None and session.ws is not None and not session.ws.closed

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one event to the current session; kept for replay if it is disconnected."""
        session = self._current
        if session is None:
            raise AssertionError("no gateway session")
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.log.append(frame)
        if session.ws is not None and not session.ws.closed:
            await session.ws.send_str(json.dumps(frame))

    async def drop_gateway(self, code: int | None = 4000, *, resumable: bool = True) -> None:
        """Close the gateway connection: with ``code``, or abruptly (no close frame) if None.

        ``resumable=False`` forgets the session, so the client's RESUME is answered
        with INVALID_SESSION and it has to IDENTIFY again.
        """
        session = self._current
        assert session is not None and session.ws is not None
        session.resumable = resumable
        ws, request = session.ws, session.request
        session.ws = session.request = None
        if code is None:
            assert request is not None and request.transport is not None
            request.transport.close()
        else:
            await ws.close(code=code, message=b"fake drop")
        self._notify()

    async def reconnect_request(self) -> None:
        """Op 7 RECONNECT: Discord asks the client to reconnect and resume."""
        session = self._current
        assert session is not None and session.ws is not None
        await session.ws.send_str(json.dumps({"op": 7, "d": None, "s": None, "t": None}))

    # -- events the tests dispatch -------------------------------------------------------

    def message_payload(
        self,
        content: str,
        *,
        author_id: int = ALICE_ID,
        channel_id: int = CHANNEL_ID,
        dm: bool = False,
        mentions: list[int] | None = None,
        mention_roles: list[int] | None = None,
        mention_everyone: bool = False,
        bot: bool = False,
        webhook: bool = False,
    ) -> dict[str, Any]:
        author = BOT_USER if author_id == BOT_ID else dict(USERS[author_id], bot=bot)
        body = {"content": content}
        data = self._message(DM_CHANNEL_ID if dm else channel_id, body, author=author)
        data["nonce"] = str(self.snowflake())
        data["mention_everyone"] = mention_everyone
        data["mention_roles"] = [str(r) for r in mention_roles or []]
        data["mentions"] = []
        for uid in mentions or []:
            mentioned = BOT_USER if uid == BOT_ID else USERS[uid]
            entry = dict(mentioned)
            if not dm:
                entry["member"] = member(None, roles=[BOT_ROLE_ID] if uid == BOT_ID else [])
            data["mentions"].append(entry)
        if not dm:
            data["member"] = member(None)
        if webhook:
            data["webhook_id"] = str(self.snowflake())
        return data

    async def send_message(self, content: str, **options: Any) -> dict[str, Any]:
        """A MESSAGE_CREATE from a user (``mentions=[BOT_ID]`` to address the bot)."""
        data = self.message_payload(content, **options)
        self.messages[int(data["id"])] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any] | None,
        *,
        user_id: int = ALICE_ID,
        dm: bool = False,
        locale: str = "de",
        permissions: str = MEMBER_PERMISSIONS,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"itoken-{uuid.uuid4().hex}",
            "version": 1,
            "locale": locale,
            "app_permissions": ALL_PERMISSIONS,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": str(GUILD_ID)}
            if not dm
            else {"1": str(user_id)},
            "context": 1 if dm else 0,
        }
        if data is not None:
            payload["data"] = data
        if dm:
            payload["channel_id"] = str(DM_CHANNEL_ID)
            payload["channel"] = dm_channel(user_id)
            payload["user"] = USERS[user_id]
        else:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild"] = {"id": str(GUILD_ID), "locale": "de", "features": []}
            payload["guild_locale"] = "de"
            payload["channel_id"] = str(CHANNEL_ID)
            payload["channel"] = text_channel()
            payload["member"] = member(user_id, permissions=permissions)
        if message is not None:
            payload["message"] = message
        self.interactions[interaction_id] = payload
        return payload

    def _command_id(self, name: str, kind: int = 1) -> str:
        for commands in self.commands.values():
            for command in commands:
                if command["name"] == name and command["type"] == kind:
                    return str(command["id"])
        return str(self.snowflake())

    async def slash(
        self, name: str, options: dict[str, Any] | None = None, **context: Any
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for ``/name option=value...`` (string options)."""
        data = {
            "id": self._command_id(name),
            "name": name,
            "type": 1,
            "options": [
                {"name": key, "type": 3, "value": value} for key, value in (options or {}).items()
            ],
        }
        payload = self._interaction(2, data, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(
        self, name: str, option: str, typed: str, **context: Any
    ) -> dict[str, Any]:
        data = {
            "id": self._command_id(name),
            "name": name,
            "type": 1,
            "options": [{"name": option, "type": 3, "value": typed, "focused": True}],
        }
        payload = self._interaction(4, data, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click(
        self, message: dict[str, Any], custom_id: str, **context: Any
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for a click on a button of ``message`` (as the fake stored it)."""
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._interaction(3, data, message=message, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def message_command(
        self, name: str, target: dict[str, Any], **context: Any
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for a message context-menu command on ``target``."""
        data = {
            "id": self._command_id(name, 3),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        payload = self._interaction(2, data, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def message_of(self, request: Request) -> dict[str, Any]:
        """The stored message a recorded send created (e.g. to click its buttons)."""
        data = request.response
        if isinstance(data, dict) and "resource" in data:
            data = data["resource"].get("message")
        if not isinstance(data, dict) or "id" not in data:
            raise KeyError("this request created no message")
        return self.messages[int(data["id"])]
