"""Figure 2: the outage after an abrupt drop, from the abort to the first data of the new session.

The bundled mock runs in this process's loop (real time). Each sample: `mock.faults.drop()`
aborts the TCP connection (no close frame); the client notices, reconnects, resubscribes (50
assets) and receives the initial dump. The documented RobustConnection runs with its backoff
jitter pinned to 0 (`rng=lambda: 0.0`), so what is left is its own bookkeeping; the baseline is
the tightest loop plain websockets allows: connect, send, read until closed, repeat.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from .stats import percentile

__all__ = ["outage_samples", "RECONNECT_MARKETS"]

RECONNECT_MARKETS = 25  # 50 assets: the subscription and dump of the anchors' measurement
CONNECT_OPTIONS = {"proxy": None}


class _FirstData:
    """Records the loop time of the first data frame on a connection newer than `after`."""

    def __init__(self) -> None:
        self.after = 0
        self.waiter: asyncio.Future[float] | None = None

    def expect(self, after: int) -> asyncio.Future[float]:
        self.after = after
        self.waiter = asyncio.get_running_loop().create_future()
        return self.waiter

    def seen(self, generation: int) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done() and generation > self.after:
            waiter.set_result(asyncio.get_running_loop().time())


async def _documented(url: str, frame: dict[str, Any], first: _FirstData):
    from robust_ws import RobustConnection

    def on_message(_raw: str) -> None:
        first.seen(connection.stats.connects)

    connection = RobustConnection(
        url,
        lambda: frame,
        on_message,
        name="bench",
        rng=lambda: 0.0,
        connect_kwargs=CONNECT_OPTIONS,
    )
    return connection.run, connection.stop, lambda: connection.stats.connects


async def _bare(url: str, frame: dict[str, Any], first: _FirstData):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    state = {"connects": 0, "stop": False}
    stopping = asyncio.Event()

    async def run() -> None:
        while not state["stop"]:
            try:
                ws = await connect(url, **CONNECT_OPTIONS)
            except OSError:
                continue
            state["connects"] += 1
            try:
                await ws.send(json.dumps(frame))
                reader = asyncio.ensure_future(_read(ws))
                stopper = asyncio.ensure_future(stopping.wait())
                await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
                reader.cancel()
                stopper.cancel()
            except ConnectionClosed:
                pass
            finally:
                await ws.close()

    async def _read(ws) -> None:
        try:
            async for _raw in ws:
                first.seen(state["connects"])
        except ConnectionClosed:
            pass

    def stop() -> None:
        state["stop"] = True
        stopping.set()

    return run, stop, lambda: state["connects"]


CLIENTS: dict[str, Callable[..., Awaitable[Any]]] = {"documented": _documented, "bare": _bare}


async def outage_samples(client: str, drops: int) -> list[float]:
    """Outage in seconds for each of `drops` aborts, one client against an in-loop mock."""
    from polymarket_mock import MockConfig, MockPolymarket

    config = MockConfig(markets=RECONNECT_MARKETS, activity_interval=None, subscribe_timeout=None)
    async with MockPolymarket(config) as mock:
        frame = {"type": "market", "assets_ids": mock.asset_ids, "initial_dump": True}
        first = _FirstData()
        run, stop, connects = await CLIENTS[client](f"{mock.url}/ws/market", frame, first)
        ready = first.expect(0)
        task = asyncio.create_task(run())
        samples = []
        try:
            async with asyncio.timeout(30):
                await ready
                for _ in range(drops):
                    arrived = first.expect(connects())
                    dropped_at = asyncio.get_running_loop().time()
                    mock.faults.drop(channel="market")
                    samples.append(await arrived - dropped_at)
        finally:
            stop()
            async with asyncio.timeout(10):
                await task
    return samples


def p50_p99(samples: list[float]) -> tuple[float, float]:
    return percentile(samples, 0.5), percentile(samples, 0.99)
