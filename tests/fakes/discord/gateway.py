"""The fake's gateway: one WebSocket session at a time, as Discord's gateway speaks it.

HELLO, heartbeat ACKs, IDENTIFY -> READY (``resume_gateway_url`` pointing here) and
GUILD_CREATE, RESUME with replay of missed events, and INVALID_SESSION when a session
cannot be resumed. :meth:`Gateway.drop_gateway` closes the connection with a resumable
code (or no close frame at all) or a non-resumable one.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord.ids import APP_ID, GUILD_ID, TOKEN
from tests.fakes.discord.payloads import BOT_USER, application, guild


@dataclass
class Session:
    id: str
    shard: list[int] | None
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    resumable: bool = True


class Gateway:
    """The gateway half of :class:`~tests.fakes.discord.server.FakeDiscord` (a mixin)."""

    heartbeat_interval_ms: int
    identify_close_code: int | None
    extra_channels: tuple[int, ...]
    gateway_ops: list[int]
    identify_payloads: list[dict[str, Any]]
    resumes: int
    invalid_sessions: int
    connections: int
    _sessions: dict[str, Session]
    _current: Session | None

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        self._notify()
        session: Session | None = None
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
    ) -> Session | None:
        self.identify_payloads.append({k: v for k, v in data.items() if k != "token"})
        if data.get("token") != TOKEN or self.identify_close_code is not None:
            await ws.close(code=self.identify_close_code or 4004, message=b"Identify refused.")
            return None
        session = Session(uuid.uuid4().hex, data.get("shard"))
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
    ) -> Session | None:
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
