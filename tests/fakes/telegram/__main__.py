"""Stand-alone mode for checks outside pytest (the container check in .ci/run).

    python -m tests.fakes.telegram [PORT]

serves the fake Bot API on 127.0.0.1:PORT (a free port if none is given) until stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from tests.fakes.telegram.server import TOKEN, FakeTelegram


async def _serve_forever(port: int) -> None:
    fake = FakeTelegram(port=port)
    await fake.start()
    print(f"fake Bot API on {fake.base_url} (token {TOKEN})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
