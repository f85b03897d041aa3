"""Figure 5: how many events per second the bundled mock can emit, to 1 and to 50 subscribers.

The mock runs alone in a child process with `activity_interval=0` (its own activity generator
steps the exchange as fast as its loop allows) and 2 markets. Subscribers are bare websockets
clients in this process that only count frames, subscribed to every asset. The rate is frames
received per subscriber per second over a window after all are subscribed; the mock's CPU
share over that window says whether the mock (about 100 %) or the subscribers were the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.child import start_child, stop_child

__all__ = ["CeilingSample", "ceiling_sample", "MockProcess"]

CEILING_MARKETS = 2


class MockProcess:
    """The bundled mock serving from a child process; `.url`, `.asset_ids`, `.cpu_seconds()`."""

    def __init__(self, **config: object):
        self.config = config
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.asset_ids: list[str] = []

    def __enter__(self) -> MockProcess:
        self.process, ready = start_child(
            "bench.mock_ceiling", json.dumps(self.config), what="the mock process"
        )
        self.url, self.asset_ids = ready["url"], ready["asset_ids"]
        return self

    def __exit__(self, *exc: object) -> None:
        stop_child(self.process, timeout=10)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the mock process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CeilingSample(tuple):
    """(frames/s per subscriber, total frames/s, mock CPU share of one core)."""

    @property
    def per_subscriber(self) -> float:
        return self[0]

    @property
    def total(self) -> float:
        return self[1]

    @property
    def mock_cpu(self) -> float:
        return self[2]


async def ceiling_sample(mock: MockProcess, subscribers: int, window: float) -> CeilingSample:
    """Connect `subscribers` counting clients, then measure `window` seconds of delivery."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    counts = [0] * subscribers
    frame = json.dumps({"type": "market", "assets_ids": mock.asset_ids, "initial_dump": False})

    async def consume(index: int, ready: asyncio.Event, stop: asyncio.Event) -> None:
        async with connect(f"{mock.url}/ws/market", proxy=None, max_queue=None) as ws:
            await ws.send(frame)
            ready.set()
            reader = asyncio.ensure_future(_count(ws, index))
            await stop.wait()
            reader.cancel()

    async def _count(ws, index: int) -> None:
        try:
            async for _raw in ws:
                counts[index] += 1
        except ConnectionClosed:
            pass

    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [asyncio.create_task(consume(i, readies[i], stop)) for i in range(subscribers)]
    try:
        async with asyncio.timeout(30):
            for ready in readies:
                await ready.wait()
        await asyncio.sleep(min(0.2, window))  # connections settle before the window opens
        before, cpu_before, started = sum(counts), mock.cpu_seconds(), time.perf_counter()
        await asyncio.sleep(window)
        after, cpu_after, ended = sum(counts), mock.cpu_seconds(), time.perf_counter()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = ended - started
    total = (after - before) / elapsed
    return CeilingSample((total / subscribers, total, (cpu_after - cpu_before) / elapsed))


async def _serve(config: dict) -> None:
    from polymarket_mock import MockConfig, MockPolymarket

    settings = {"markets": CEILING_MARKETS, "activity_interval": 0.0, "subscribe_timeout": None}
    async with MockPolymarket(MockConfig(**{**settings, **config})) as mock:
        print(json.dumps({"url": mock.url, "asset_ids": mock.asset_ids}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mock_ceiling")
    parser.add_argument("config", nargs="?", default="{}", help="MockConfig fields as JSON")
    asyncio.run(_serve(json.loads(parser.parse_args().config)))


if __name__ == "__main__":
    main()
