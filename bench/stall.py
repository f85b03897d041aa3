"""Figure 3: how long after the last data frame the documented watchdog replaces a stalled feed.

Real time with small intervals (data_timeout 0.2 s, check_interval 0.05 s, text PING every
0.05 s so PONGs keep flowing through the stall, as in the failure this watchdog exists for). The
in-loop mock generates data every 10 ms, then `mock.faults.stall()` stops data while PONGs
continue. Measured on the loop clock: last data frame -> the watchdog's "stall" log line
(detection) and -> the next connection's `on_connected` (reconnect). The ideal is the threshold
itself; the design allows up to one check_interval more.
"""

from __future__ import annotations

import asyncio
import logging
import random

__all__ = ["StallSample", "stall_samples", "DATA_TIMEOUT", "CHECK_INTERVAL"]

DATA_TIMEOUT = 0.2
CHECK_INTERVAL = 0.05
PING_INTERVAL = 0.05
ACTIVITY_INTERVAL = 0.01


class StallSample(tuple):
    """(to detection, to reconnect) in seconds; detection is None if no stall line was logged."""

    @property
    def detected(self) -> float | None:
        return self[0]

    @property
    def reconnected(self) -> float:
        return self[1]


class _StallLog(logging.Handler):
    """Notes the loop time of the documented client's stall warning (logger polymarket.ws)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.at is None and "stall" in record.getMessage().lower():
            self.at = asyncio.get_running_loop().time()


async def stall_samples(stalls: int, seed: int = 0) -> list[StallSample]:
    """`stalls` silent stalls in a row, each after a random 30-80 ms of flowing data."""
    from polymarket_mock import MockConfig, MockPolymarket
    from robust_ws import RobustConnection

    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    config = MockConfig(markets=2, activity_interval=ACTIVITY_INTERVAL, subscribe_timeout=None)
    log = logging.getLogger("polymarket.ws")
    handler = _StallLog()
    log.addHandler(handler)
    async with MockPolymarket(config) as mock:
        frame = {"type": "market", "assets_ids": mock.asset_ids, "initial_dump": True}
        last_data = [0.0]
        data_seen = asyncio.Event()
        connected = asyncio.Event()

        def on_message(_raw: str) -> None:
            last_data[0] = loop.time()
            data_seen.set()

        async def on_connected() -> None:
            connected.set()

        connection = RobustConnection(
            f"{mock.url}/ws/market",
            lambda: frame,
            on_message,
            on_connected=on_connected,
            name="bench-stall",
            ping_interval=PING_INTERVAL,
            pong_timeout=5.0,
            data_timeout=DATA_TIMEOUT,
            check_interval=CHECK_INTERVAL,
            rng=lambda: 0.0,
            connect_kwargs={"proxy": None},
        )
        task = asyncio.create_task(connection.run())
        samples = []
        try:
            async with asyncio.timeout(10 + stalls * 2 * DATA_TIMEOUT):
                for _ in range(stalls):
                    await connected.wait()
                    data_seen.clear()
                    await data_seen.wait()
                    await asyncio.sleep(rng.uniform(0.03, 0.08))
                    connected.clear()
                    handler.at = None
                    mock.faults.stall(channel="market")
                    await connected.wait()
                    reconnected_at = loop.time()
                    mock.faults.clear()
                    detected = None if handler.at is None else handler.at - last_data[0]
                    samples.append(StallSample((detected, reconnected_at - last_data[0])))
        finally:
            log.removeHandler(handler)
            connection.stop()
            async with asyncio.timeout(10):
                await task
    return samples
