"""Figure 7: per-frame cost as the subscribed assets grow: 1, 50 and 500 assets on one process.

The documented market client subscribes to the first 1, 50 or 500 assets of a stream the frame
blaster generated with the mock's exchange (1, 25, 250 markets; the mock's activity mix). It
runs as the pack advises: MarketFeedPool shards at MAX_ASSETS_PER_CONNECTION (200), so 500
assets are 3 connections (200 + 200 + 100) and 1 or 50 assets a pool of one; the pool opens its
connections with stagger=0 (the pack's default 0.5 s would only delay the start). The blaster
serves each connection the frames of the assets it subscribed, nothing else (frames.py,
SHARDED). Decoder: the standard library (wire.use_json("json")).

Per run, in steady state (from the moment every connection is past its initial dump to the
last event): total frames/s across connections, and the client's CPU time per frame
(time.process_time() over the same span / frames), which is comparable between one connection
and three. The handlers alone, fed the same frames with no socket, separate the handler's cost
from the transport's. Beside each row, the source's own ceiling in the same run: the blaster
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

from .frames import SHARD_SIZE, SHARDED, Blaster, build_stream, for_assets, shard_groups
from .throughput import CONNECT_OPTIONS, connected_feed, feed_frame, use_decoder

__all__ = [
    "SCALE_STREAMS",
    "ScaleSample",
    "connections",
    "handler_us_per_frame",
    "pack_sample",
    "source_sample",
]

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
    last_event = [0.0]  # wall time of the latest event
    events = [0]
    # (wall, CPU, frames, events) when every connection is past its initial dump (one frame of 1
    # to 200 books): the clock starts there, in steady state, since the dump's cost would
    # otherwise be spread over a different number of frames in each row.
    start: list[tuple[float, float, int, int]] = []

    def on_event(_event: dict, _book: object) -> None:
        last_event[0] = time.perf_counter()
        events[0] += 1
        if not start and all(n >= 2 for n in received()):
            start.append((last_event[0], time.process_time(), sum(received()), events[0]))

    pool = MarketFeedPool(
        assets,
        on_event,
        max_per_connection=SHARD_SIZE,
        stagger=0,
        url=blaster.url(stream, per_connection),
        connect_kwargs=CONNECT_OPTIONS,
    )

    def received() -> list[int]:
        return [f.connection.stats.messages for f in pool.feeds]

    runner = asyncio.create_task(pool.run())
    try:
        async with asyncio.timeout(120):
            while not all(n >= per_connection for n in received()):
                if runner.done():
                    runner.result()
                    raise RuntimeError(f"{stream}: the pool stopped early")
                await asyncio.sleep(POLL)
        cpu_ended = time.process_time()  # idle since the last frame: one poll at most
    finally:
        pool.stop()
        async with asyncio.timeout(10):
            await runner
    started, cpu_started, frames_before, events_before = start[0]
    frames = sum(received()) - frames_before
    if frames < 1 or last_event[0] <= started:
        raise RuntimeError(f"{stream}: {per_connection} frames a connection is too few to time")
    span = last_event[0] - started
    cpu = cpu_ended - cpu_started
    return ScaleSample(frames, frames / span, cpu / frames * 1e6, events[0] - events_before)


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


def handler_us_per_frame(stream: str, per_connection: int, cycle: int) -> float:
    """CPU per frame of the documented handlers alone, no socket: each shard's MarketFeed fed
    the same frames its connection gets. Separates the handler's cost from the transport's
    (more connections, more event-loop wake-ups per frame)."""
    use_decoder("json")
    whole = build_stream(stream, cycle)
    cpu, frames = 0.0, 0
    for group in shard_groups(whole.asset_ids[: SHARDED[stream]]):
        part = for_assets(whole, group)
        texts = list(part.frames(per_connection))
        cpu += asyncio.run(_handler_cpu(group, texts[: len(part.head)], texts[len(part.head) :]))
        frames += len(texts) - len(part.head)
    return cpu / frames * 1e6


async def _handler_cpu(assets: list[str], head: list[str], texts: list[str]) -> float:
    """CPU seconds for `texts`, after the initial dump `head` (not timed, as in pack_sample)."""
    feed = await connected_feed(assets, lambda _event, _book: None)
    for text in head:
        await feed_frame(feed, text)
    started = time.process_time()
    for text in texts:
        await feed_frame(feed, text)
    return time.process_time() - started
