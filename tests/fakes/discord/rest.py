"""The fake's REST API: every request recorded, faults injected, routed like Discord routes it.

Routes: ``users/@me``, ``oauth2/applications/@me``, ``gateway/bot``, command sync for
global and guild, interaction callbacks, webhook follow-ups and edits, channel messages
(what they do with messages and interactions is in :mod:`.messages`). Every request is
recorded with its decoded JSON body as a :class:`Request`. Faults are injected per route:
``429`` with ``retry_after``, ``500``, or a dropped connection, for the next N matching
requests.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord.ids import APP_ID, EPHEMERAL, TOKEN
from tests.fakes.discord.limits import InvalidForm, check_message
from tests.fakes.discord.payloads import BOT_USER, application


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


class RestApi:
    """The REST half of :class:`~tests.fakes.discord.server.FakeDiscord` (a mixin)."""

    requests: list[Request]
    faults: list[Fault]
    commands: dict[int | None, list[dict[str, Any]]]

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
            check_message(body)
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
