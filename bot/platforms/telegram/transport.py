"""python-telegram-bot's Bot API requests over aiohttp instead of httpx.

Why: profiling the Telegram path under load (``python -m benchmarks.e2e``) put
about 40 % of the bot's CPU in httpx, httpcore and anyio, mostly in connection
pool bookkeeping that runs on every request. aiohttp is already loaded for
discord.py, so one HTTP client serves both adapters. PTB supports this through
its :class:`~telegram.request.BaseRequest` interface; status codes, retries and
error mapping stay PTB's own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

_Timeout = float | None
_Default = type(BaseRequest.DEFAULT_NONE)  # PTB's "not given" marker


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connections`` connections to the Bot API.

    Timeouts mean what they mean for PTB's own HTTPXRequest: ``connect`` to open
    a connection, ``pool`` to wait for a free one, ``read`` between bytes of the
    answer (getUpdates adds its long-poll time to it), ``write`` to send the
    request. aiohttp has no write timeout, so the four together bound the whole
    request. Proxies come from the usual environment variables, as with httpx.
    """

    def __init__(
        self,
        *,
        connections: int,
        connect_timeout: _Timeout,
        read_timeout: _Timeout,
        write_timeout: _Timeout,
        pool_timeout: _Timeout,
    ) -> None:
        self.connections = connections
        self._timeouts = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                headers={"User-Agent": self.USER_AGENT},
                trust_env=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        # A connection that breaks before the answer arrives (typically a kept-alive
        # one the server had just closed) is tried once more on a new one. Telegram
        # has no idempotency key: if it had already sent the message, the chat sees
        # it twice, which beats an error notice instead of the answer.
        again = request_data is None or not request_data.contains_files
        while True:
            try:
                async with session.request(
                    method, url, data=_body(request_data), timeout=timeout
                ) as response:
                    return response.status, await response.read()
            except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
                raise _network_error(exc) from exc
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                if not again:
                    raise _network_error(exc) from exc
                again = False
                log.info("Telegram: connection lost (%s); trying once more", type(exc).__name__)
            except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise TimedOut(f"Timed out: {type(exc).__name__}") from exc
            except aiohttp.ClientError as exc:
                raise _network_error(exc) from exc

    def _timeout(self, read: Any, write: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        given = {"read": read, "write": write, "connect": connect, "pool": pool}
        t = {k: self._timeouts[k] if isinstance(v, _Default) else v for k, v in given.items()}
        return aiohttp.ClientTimeout(
            total=_sum(t.values()),
            connect=_sum((t["connect"], t["pool"])),  # aiohttp: wait for a connection + open it
            sock_connect=t["connect"],
            sock_read=t["read"],
        )


def _network_error(exc: aiohttp.ClientError) -> NetworkError:
    """PTB's error for a failed request, naming what aiohttp saw."""
    return NetworkError(f"aiohttp.{type(exc).__name__}: {exc}")


def _sum(parts: Iterable[float | None]) -> float | None:
    """The sum of timeouts, or None (no limit) when any of them has none."""
    values = list(parts)
    return None if None in values else sum(v for v in values if v is not None)


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them; multipart only when there are files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
