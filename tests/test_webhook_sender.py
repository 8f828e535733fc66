"""The webhook sender retries like Telegram, keeps per-chat order and sends the secret."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.telegram.server import free_port
from tests.fakes.telegram.webhook_sender import (
    SECRET_HEADER,
    WebhookSender,
    lost_and_twice,
    reply_tally,
)


def _update(update_id: int, chat_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": chat_id}}}


class _App:
    def __init__(self) -> None:
        self.fail_first = 0
        self.break_first = 0
        self.seen: list[tuple[int, int, str | None]] = []
        self.in_flight: dict[int, int] = {}
        self.overlap = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        chat = body["message"]["chat"]["id"]
        self.in_flight[chat] = self.in_flight.get(chat, 0) + 1
        self.overlap |= self.in_flight[chat] > 1
        try:
            if self.break_first > 0:
                self.break_first -= 1
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=200)
            if self.fail_first > 0:
                self.fail_first -= 1
                return web.Response(status=503)
            await asyncio.sleep(0)
            self.seen.append((chat, body["update_id"], request.headers.get(SECRET_HEADER)))
            return web.Response(status=200)
        finally:
            self.in_flight[chat] -= 1


@pytest.fixture
async def app() -> AsyncIterator[tuple[_App, str]]:
    state = _App()
    application = web.Application()
    application.router.add_post("/hook", state.handle)
    runner = web.AppRunner(application)
    await runner.setup()
    try:
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield state, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def test_retries_non_2xx_then_delivers_with_secret(app: tuple[_App, str]) -> None:
    state, url = app
    state.fail_first = 3
    records = await WebhookSender(url, secret="s3", backoff=0.01).send_all([_update(1, 7)])
    assert records[1].delivered and records[1].attempts == 4
    assert state.seen == [(7, 1, "s3")]


async def test_retries_after_broken_connection(app: tuple[_App, str]) -> None:
    state, url = app
    state.break_first = 2
    records = await WebhookSender(url, backoff=0.01).send_all([_update(5, 1)])
    assert records[5].delivered and records[5].attempts == 3
    assert [s[1] for s in state.seen] == [5]


async def test_one_in_flight_per_chat_in_order(app: tuple[_App, str]) -> None:
    state, url = app
    updates = [_update(i, i % 3) for i in range(1, 31)]
    await WebhookSender(url).send_all(updates)
    assert not state.overlap
    for chat in range(3):
        ids = [u for c, u, _ in state.seen if c == chat]
        assert ids == sorted(ids) and len(ids) == 10


def test_tally_counts_lost_and_twice() -> None:
    class C:
        def __init__(self, chat: int, reply: int) -> None:
            self.params = {"chat_id": chat, "reply_parameters": {"message_id": reply}}

    tally = reply_tally([C(1, 10), C(1, 11), C(1, 11)])
    lost, twice = lost_and_twice([(1, 10), (1, 11), (1, 12)], tally)
    assert lost == [(1, 12)] and twice == [(1, 11)]
