"""Figure 7: per-frame cost as the subscribed assets grow: 1, 50 and 500 assets on one process.

The documented market client subscribes to the first 1, 50 or 500 assets of a stream the frame
blaster generated with the mock's exchange (1, 25, 250 markets; the mock's activity mix). It
runs as the pack advises: MarketFeedPool shards at MAX_ASSETS_PER_CONNECTION (200), so 500
assets are 3 connections (200 + 200 + 100) and 1 or 50 assets a pool of one; the pool opens its
connections with stagger=0 (the pack's default 0.5 s would only delay the start). The blaster
serves each connection the frames of the assets it subscribed, nothing else (frames.py,
SHARDED). Decoder: the standard library (wire.use_json("json")).

Per run: total frames/s across connections (first event to last), and the client's CPU time
per frame (time.process_time() over the same span / frames), which is comparable between one
connection and three. Beside each row, the source's own ceiling in the same run: the blaster
writing the same shards to a do-nothing reader (raw socket reads to EOF, no WebSocket parsing,
no JSON), one reader per connection.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .frames import SHARD_SIZE, SHARDED, Blaster, shard_groups
from .throughput import CONNECT_OPTIONS, use_decoder

__all__ = ["SCALE_STREAMS", "ScaleSample", "pack_sample", "source_sample", "connections"]

SCALE_STREAMS = tuple(sorted(SHARDED, key=SHARDED.get))  # scale_1, scale_50, scale_500
POLL = 0.002  # seconds between checks that every connection has its frames


@dataclass(frozen=True)
class ScaleSample:
    frames: int  # data frames in all connections
    frames_per_s: float
    cpu_us_per_frame: float  # client process CPU (user + system) per frame; 0 for the source
    events: int = 0  # on_event calls: one per book and per price_change entry


def connections(stream: str) -> int:
    return -(-SHARDED[stream] // SHARD_SIZE)


async def pack_sample(blaster: Blaster, stream: str, per_connection: int) -> ScaleSample:
    """The documented MarketFeedPool on the first SHARDED[stream] assets, n frames a shard."""
    from market_feed import MAX_ASSETS_PER_CONNECTION, MarketFeedPool

    if MAX_ASSETS_PER_CONNECTION != SHARD_SIZE:
        raise RuntimeError(
            f"the pack shards at {MAX_ASSETS_PER_CONNECTION}, the blaster at {SHARD_SIZE}"
        )
    use_decoder("json")
    assets = blaster.assets[stream][: SHARDED[stream]]
    # first event (wall), last event (wall), CPU at the first event, events
    marks = [0.0, 0.0, 0.0, 0]

    def on_event(_event: dict, _book: object) -> None:
        now = time.perf_counter()
        if not marks[0]:
            marks[0], marks[2] = now, time.process_time()
        marks[1] = now
        marks[3] += 1

    pool = MarketFeedPool(
        assets,
        on_event,
        max_per_connection=SHARD_SIZE,
        stagger=0,
        url=blaster.url(stream, per_connection),
        connect_kwargs=CONNECT_OPTIONS,
    )
    runner = asyncio.create_task(pool.run())
    try:
        async with asyncio.timeout(120):
            while not all(f.connection.stats.messages >= per_connection for f in pool.feeds):
                if runner.done():
                    runner.result()
                    raise RuntimeError(f"{stream}: the pool stopped early")
                await asyncio.sleep(POLL)
        cpu = time.process_time() - marks[2]  # idle since the last frame: at most one poll
    finally:
        pool.stop()
        async with asyncio.timeout(10):
            await runner
    frames = sum(f.connection.stats.messages for f in pool.feeds)
    span = marks[1] - marks[0]
    return ScaleSample(frames, (frames - 1) / span, cpu / frames * 1e6, marks[3])


async def _raw_read(url: str, assets: list[str]) -> tuple[float, float, int]:
    """A do-nothing client: upgrade, subscribe, read bytes to EOF. (first byte, EOF, bytes)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    payload = json.dumps({"type": "market", "assets_ids": assets, "initial_dump": True}).encode()
    if len(payload) < 126:
        header = struct.pack("!BB", 0x81, 0x80 | len(payload))
    else:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, len(payload))
    writer.write(header + b"\0\0\0\0" + payload)  # masked with a zero key: payload unchanged
    first, total = 0.0, 0
    while data := await reader.read(1 << 18):
        if not first:
            first = time.perf_counter()
        total += len(data)
    ended = time.perf_counter()
    writer.close()
    return first, ended, total


async def source_sample(blaster: Blaster, stream: str, per_connection: int) -> ScaleSample:
    """The blaster's ceiling for the same shards: one do-nothing reader per connection."""
    url = blaster.url(stream, per_connection, close=True)
    groups = shard_groups(blaster.assets[stream][: SHARDED[stream]])
    async with asyncio.timeout(120):
        reads = await asyncio.gather(*(_raw_read(url, group) for group in groups))
    span = max(end for _, end, _ in reads) - min(first for first, _, _ in reads)
    frames = per_connection * len(groups)
    return ScaleSample(frames, (frames - 1) / span, 0.0)
