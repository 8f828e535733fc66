"""The aiohttp request class PTB uses, against a real HTTP server on 127.0.0.1.

The adapter tests drive it end to end (429s, 500s, a server going away); these
pin down what those cannot reach: how bodies are encoded, and how timeouts and
refused connections turn into PTB's own errors, which PTB's retries rely on.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.platforms.telegram.transport import AiohttpRequest

TIMEOUTS: dict[str, Any] = {
    "connect_timeout": 2.0,
    "read_timeout": 2.0,
    "write_timeout": 2.0,
    "pool_timeout": 2.0,
}


class Server:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.delay = 0.0
        self.drops = 0  # requests to read, then answer by closing the connection
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.drops:
            self.drops -= 1
            await request.read()
            self.seen.append({"dropped": True})
            assert request.transport is not None
            request.transport.abort()
            raise ConnectionResetError("dropped on purpose")
        entry: dict[str, Any] = {
            "type": request.content_type,
            "agent": request.headers.get("User-Agent"),
        }
        if request.content_type == "multipart/form-data":
            parts: dict[str, Any] = {}
            reader = await request.multipart()
            async for part in reader:
                assert isinstance(part, aiohttp.BodyPartReader)
                parts[part.name or ""] = (part.filename, await part.read())
            entry["parts"] = parts
        else:
            entry["form"] = dict(await request.post())
        self.seen.append(entry)
        await asyncio.sleep(self.delay)
        return web.json_response({"ok": True, "result": True}, status=201)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def request_class() -> AsyncIterator[AiohttpRequest]:
    transport = AiohttpRequest(connections=4, **TIMEOUTS)
    await transport.initialize()
    try:
        yield transport
    finally:
        await transport.shutdown()


def _data(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


async def test_form_fields_are_sent_as_ptb_encodes_them(
    server: Server, request_class: AiohttpRequest
) -> None:
    status, body = await request_class.do_request(
        f"{server.base}/botT/sendMessage",
        "POST",
        _data(chat_id=7, text="Grüße <b>", reply_markup={"inline_keyboard": []}),
    )
    assert status == 201 and b'"ok": true' in body
    seen = server.seen[-1]
    assert seen["type"] == "application/x-www-form-urlencoded"
    assert seen["form"] == {
        "chat_id": "7",
        "text": "Grüße <b>",
        "reply_markup": '{"inline_keyboard": []}',
    }
    assert "python-telegram-bot" in seen["agent"]


async def test_files_go_as_multipart(server: Server, request_class: AiohttpRequest) -> None:
    upload = InputFile(b"hello", filename="note.txt")
    await request_class.do_request(
        f"{server.base}/botT/sendDocument", "POST", _data(chat_id=7, document=upload)
    )
    parts = server.seen[-1]["parts"]
    assert parts["chat_id"] == (None, b"7")
    assert [filename for filename, _ in parts.values()].count("note.txt") == 1
    assert b"hello" in [content for _, content in parts.values()]


async def test_a_slow_answer_is_timed_out_and_a_per_call_timeout_wins(
    server: Server, request_class: AiohttpRequest
) -> None:
    server.delay = 0.5
    with pytest.raises(TimedOut):
        await request_class.do_request(f"{server.base}/botT/getMe", "POST", read_timeout=0.1)
    # The default (2 s) is long enough for the same answer.
    status, _ = await request_class.do_request(f"{server.base}/botT/getMe", "POST")
    assert status == 201
    assert request_class.read_timeout == 2.0


async def test_a_refused_connection_is_a_network_error(request_class: AiohttpRequest) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError, match="aiohttp"):
        await request_class.do_request(f"http://127.0.0.1:{port}/botT/getMe", "POST")


async def test_use_before_initialize_and_double_shutdown() -> None:
    transport = AiohttpRequest(connections=1, **TIMEOUTS)
    with pytest.raises(RuntimeError):
        await transport.do_request("http://127.0.0.1:9/", "POST")
    await transport.initialize()
    await transport.shutdown()
    await transport.shutdown()  # PTB may call it twice on a failed start
    with pytest.raises(RuntimeError):
        await transport.do_request("http://127.0.0.1:9/", "POST")


async def test_a_broken_connection_is_tried_once_more(
    server: Server, request_class: AiohttpRequest
) -> None:
    server.drops = 1
    status, _ = await request_class.do_request(
        f"{server.base}/botT/sendMessage", "POST", _data(chat_id=7, text="hi")
    )
    assert status == 201
    assert [s.get("dropped", False) for s in server.seen] == [True, False]
    assert server.seen[-1]["form"] == {"chat_id": "7", "text": "hi"}

    server.seen.clear()
    server.drops = 2  # broken twice: PTB gets its NetworkError
    with pytest.raises(NetworkError):
        await request_class.do_request(f"{server.base}/botT/sendMessage", "POST", _data(text="x"))
    assert len(server.seen) == 2


async def test_uploads_are_not_sent_twice(server: Server, request_class: AiohttpRequest) -> None:
    server.drops = 1
    with pytest.raises(NetworkError):
        await request_class.do_request(
            f"{server.base}/botT/sendDocument",
            "POST",
            _data(chat_id=7, document=InputFile(b"hello", filename="note.txt")),
        )
    assert len(server.seen) == 1
