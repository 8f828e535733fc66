"""``/healthz`` and ``/metrics`` over HTTP (aiohttp), off unless HEALTH_PORT is set.

Healthy means: knowledge loaded, database writable, every enabled adapter
connected. Anything else is a 503 whose body says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.engine.engine import Engine
from bot.platforms.base import Adapter
from bot.runtime.metrics import Metrics
from bot.storage import Store


@dataclass
class HealthState:
    engine: Engine
    store: Store | None
    adapters: Callable[[], Sequence[Adapter]]
    metrics: Metrics | None

    def problems(self) -> list[str]:
        found = []
        if not self.engine.knowledge.intents:
            found.append("knowledge not loaded")
        if self.store is not None and not self.store.healthy:
            found.append("database not writable")
        for adapter in self.adapters():
            if not adapter.connected:
                found.append(f"{adapter.name} not connected")
        return found

    def refresh_metrics(self) -> None:
        if self.metrics is None:
            return
        for adapter in self.adapters():
            self.metrics.adapter_up.labels(adapter.name).set(1 if adapter.connected else 0)
        if self.store is not None:
            self.metrics.storage_up.set(1 if self.store.healthy else 0)
        self.metrics.set_knowledge(self.engine.knowledge.version)


def make_app(state: HealthState) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        problems = state.problems()
        body = {
            "status": "ok" if not problems else "unhealthy",
            "problems": problems,
            "knowledge": state.engine.knowledge.version,
            "adapters": {a.name: a.connected for a in state.adapters()},
        }
        return web.Response(
            text=json.dumps(body),
            status=200 if not problems else 503,
            content_type="application/json",
        )

    async def metrics(_: web.Request) -> web.Response:
        if state.metrics is None:
            return web.Response(text="metrics are off\n", status=404)
        state.refresh_metrics()
        return web.Response(
            body=state.metrics.render(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


class HealthServer:
    def __init__(self, state: HealthState, host: str, port: int) -> None:
        self._runner = web.AppRunner(make_app(state), access_log=None)
        self._host = host
        self._port = port

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()
