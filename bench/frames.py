"""Pre-built wire streams and a frame blaster server that writes them as fast as TCP takes them.

The streams come from the bundled mock's own exchange (so every frame is a valid, consistent
Polymarket event: price_change best_bid/best_ask agree with the books, book hashes verify). A
short cycle is generated once and repeated; each repeat of a market stream starts with `book`
snapshots of the cycle's opening state, so a client's books stay consistent forever. User
streams rewrite every order and trade id per repeat, so each repeat is new orders, not
duplicates.

The server runs in its own process (`python -m bench.frames serve ...`): it answers the HTTP
upgrade itself, waits for the client's first frame (the subscription), then writes ready-made
frame bytes with `transport.write`, paced only by TCP flow control. So the client is the
bottleneck. It answers a text PING with PONG and a close frame with a close frame.

A "scale" stream (SHARDED) is served per subscription, as the mock's market channel does: the
blaster reads the assets in the client's first frame ("assets_ids") and sends only the events
that concern them (price_change entries of other assets removed, as the mock removes them), with
the opening books of those assets as the head and between repeats. So each connection of a
sharded client gets its own shard's frames and no other's. The groups a client will subscribe
(the pack's 200-asset shards) are prepared at start; any other set is filtered on arrival.
With `close=1` in the URL the blaster hangs up after the last frame (the do-nothing reader of
the scale figure reads to EOF).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import hashlib
import json
import random
import re
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from bench.child import start_child, stop_child

__all__ = [
    "STREAMS",
    "SHARDED",
    "SHARD_SIZE",
    "Stream",
    "build_stream",
    "for_assets",
    "shard_groups",
    "Blaster",
    "encode_frame",
    "OWNER",
]

OWNER = "bench-api-key"  # the account the user stream belongs to (OrderTracker's owner)
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CHUNK_BYTES = 64 * 1024
_EPOCH_MS = 1_767_225_600_000  # fixed wire timestamps: same bytes every run
# What a market subscription without custom features receives (best_bid_ask is custom).
MARKET_KINDS = frozenset({"price_change", "book", "last_trade_price", "tick_size_change"})

# name -> (channel, markets, book depth, cycle length in frames, what it holds)
STREAMS: dict[str, tuple[str, int, int, int, str]] = {
    "market_pc": ("market", 2, 5, 3000, "price_change only (2 markets, 4 assets)"),
    "market_mix": ("market", 2, 5, 3000, "the mock's activity: price_change, trades, books"),
    "market_200": ("market", 100, 20, 4000, "200 assets, 20 levels a side: memory burst"),
    "user": ("user", 2, 5, 1200, "orders and trades of one account"),
    # Figure 7 (scale): the mock's activity on 1, 25 and 250 markets; a client subscribes to the
    # first 1, 50 or 500 assets and is served per subscription (SHARDED).
    "scale_1": ("market", 1, 5, 8000, "1 market, a client subscribed to 1 of its 2 assets"),
    "scale_50": ("market", 25, 5, 16000, "25 markets, 50 assets"),
    "scale_500": ("market", 250, 5, 30000, "250 markets, 500 assets"),
}
# Streams served per subscription -> how many of their assets a client subscribes to.
SHARDED = {"scale_1": 1, "scale_50": 50, "scale_500": 500}
SHARD_SIZE = 200  # the pack's MAX_ASSETS_PER_CONNECTION (market_feed.py); the bench checks it


@dataclass
class Stream:
    """A stream: `head` (the initial dump), a repeating `cycle`, and the frames between cycles."""

    name: str
    channel: str
    asset_ids: list[str]
    head: list[str]
    cycle: list[str]
    between: list[str] = field(default_factory=list)
    rewrite_ids: bool = False
    kinds: Counter[str] = field(default_factory=Counter)
    events: list[dict] = field(default_factory=list, repr=False)  # the cycle's events (market)
    opening: list[dict] = field(default_factory=list, repr=False)  # the opening books

    def frames(self, total: int) -> Iterator[str]:
        """Exactly `total` data frames: head, then cycles (separated by `between`)."""
        sent = 0
        for frame in self.head:
            if sent == total:
                return
            yield frame
            sent += 1
        repeat = 0
        while True:
            if repeat:
                for frame in self.between:
                    if sent == total:
                        return
                    yield frame
                    sent += 1
            for frame in self.cycle:
                if sent == total:
                    return
                yield _with_new_ids(frame, repeat) if self.rewrite_ids else frame
                sent += 1
            repeat += 1


_ID = re.compile(
    r'"(0x[0-9a-f]{58}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{6})[0-9a-f]{6}"'
)


def _with_new_ids(frame: str, repeat: int) -> str:
    """The same events with every 0x-id and uuid made unique to this repeat."""
    return _ID.sub(lambda m: f'"{m.group(1)}{repeat:06x}"', frame)


def _exchange(markets: int, depth: int, owner: str = OWNER):
    from polymarket_mock.exchange import Exchange

    ticks = iter(range(10**12))
    return Exchange(
        seed=7,
        markets=markets,
        book_depth=depth,
        clock=lambda: _EPOCH_MS + next(ticks),
        default_owner=owner,
    )


@functools.lru_cache(maxsize=8)
def build_stream(name: str, cycle: int | None = None) -> Stream:
    """Generate a stream with the mock's exchange (deterministic: same bytes every run)."""
    from polymarket_mock import messages

    channel, markets, depth, length, _ = STREAMS[name]
    length = cycle or length
    exchange = _exchange(markets, depth)
    assets = exchange.asset_ids
    opening = [exchange.snapshot(asset) for asset in assets]
    events: list[dict] = []
    if channel == "market":
        # best_bid_ask is a custom-feature event the client did not ask for; never sent to it.
        wanted = {"price_change"} if name == "market_pc" else MARKET_KINDS
        exchange.market_listeners.append(
            lambda event: events.append(event) if event["event_type"] in wanted else None
        )
        subscribed = set(assets)
        while len(events) < length:
            exchange.step(subscribed)
        events = events[:length]
        # The cycle starts from `opening` but ends elsewhere: restore the opening books between.
        head = [messages.encode(opening)] if len(opening) > 1 else [messages.encode(opening[0])]
        between = [messages.encode(book) for book in opening]
        if len(between) > 8:
            between = head
        stream = Stream(name, channel, assets, head, [messages.encode(e) for e in events], between)
        if name in SHARDED:
            stream.events, stream.opening = events, opening
    else:
        exchange.user_listeners.append(lambda owner, event: events.append(event))
        _drive_account(exchange, length)
        events = events[:length]
        stream = Stream(
            name, channel, assets, [], [messages.encode(e) for e in events], rewrite_ids=True
        )
    stream.kinds = _kinds(events)
    return stream


def _kinds(events: list[dict]) -> Counter[str]:
    return Counter(
        f"{e['event_type']} {e.get('type', '')}".strip()
        if e["event_type"] == "order"
        else f"{e['event_type']} {e.get('status', '')}".strip()
        if e["event_type"] == "trade"
        else e["event_type"]
        for e in events
    )


def shard_groups(assets: list[str]) -> list[list[str]]:
    """The asset groups of a sharded client, one per connection (the pack's shard())."""
    return [assets[i : i + SHARD_SIZE] for i in range(0, len(assets), SHARD_SIZE)]


def for_assets(stream: Stream, assets: list[str]) -> Stream:
    """The part of a SHARDED stream one subscription receives, filtered as the mock's market
    channel filters (messages.event_assets; price_change entries of other assets removed)."""
    from polymarket_mock import messages

    wanted = set(assets)
    events = []
    for event in stream.events:
        if not messages.event_assets(event) & wanted:
            continue
        if event["event_type"] == "price_change":
            entries = [e for e in event["price_changes"] if e["asset_id"] in wanted]
            event = {**event, "price_changes": entries}
        events.append(event)
    opening = [book for book in stream.opening if book["asset_id"] in wanted]
    head = [messages.encode(opening)] if len(opening) > 1 else [messages.encode(opening[0])]
    between = head if len(opening) > 8 else [messages.encode(book) for book in opening]
    part = Stream(stream.name, stream.channel, list(assets), head, [], between)
    part.cycle = [messages.encode(e) for e in events]
    part.kinds = _kinds(events)
    return part


def _drive_account(exchange, length: int) -> None:
    """A busy account: orders placed, partly filled, taken, trades mined, the rest canceled."""
    rng = random.Random(11)
    produced = 0

    def emitted(_owner, _event):
        nonlocal produced
        produced += 1

    exchange.user_listeners.append(emitted)
    while produced < length:
        market = rng.choice(exchange.markets)
        asset = market.token_ids[0]
        book = exchange.books[asset]
        tick = book.tick_size
        side = rng.choice(("BUY", "SELL"))
        best = book.best_bid if side == "BUY" else book.best_ask
        if best is None:
            continue
        away = tick * rng.randint(1, 3)  # resting, never crossing
        price = best - away if side == "BUY" else best + away
        if not Decimal("0.05") <= price <= Decimal("0.95"):
            continue
        size = Decimal(rng.randint(20, 200))
        order_id = exchange.place_order(asset, side, price, size)
        trades = [exchange.fill(order_id, size / 4) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.3:  # our own marketable order, as taker
            cross = book.best_ask if side == "BUY" else book.best_bid
            if cross is not None:
                with contextlib.suppress(ValueError):
                    trades.append(exchange.take(asset, side, cross, Decimal(rng.randint(1, 5))))
        for trade_id in trades:
            exchange.advance_trade(trade_id, "MINED")
            exchange.advance_trade(trade_id, "CONFIRMED")
        if exchange.orders[order_id]["status"] == "LIVE":
            exchange.cancel(order_id)


# -- wire framing (RFC 6455, server side: unmasked) ------------------------------------------


def encode_frame(text: str, opcode: int = 0x1) -> bytes:
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


def _chunks(stream: Stream, total: int) -> list[bytes]:
    chunks, current, size = [], [], 0
    for frame in stream.frames(total):
        data = encode_frame(frame)
        current.append(data)
        size += len(data)
        if size >= _CHUNK_BYTES:
            chunks.append(b"".join(current))
            current, size = [], 0
    if current:
        chunks.append(b"".join(current))
    return chunks


class _BlastProtocol(asyncio.Protocol):
    """One client: HTTP upgrade, wait for its subscription, then write every chunk."""

    def __init__(self, prepared: _Prepared):
        self.prepared = prepared
        self.key: tuple[str, int] = ("", 0)
        self.close_after = False
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.pending: Iterator[bytes] | None = None
        self.chunks: list[bytes] = []
        self.paused = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            self.buffer = rest
            self._upgrade(head.decode("latin-1"))
        self._read_frames()

    def _upgrade(self, head: str) -> None:
        lines = head.split("\r\n")
        target = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        query = parse_qs(urlsplit(target).query)
        self.key = (query.get("stream", ["market_pc"])[0], int(query.get("n", ["0"])[0]))
        self.close_after = query.get("close", ["0"])[0] == "1"
        accept = base64.b64encode(
            hashlib.sha1((headers.get("sec-websocket-key", "") + _WS_GUID).encode()).digest()
        ).decode()
        self.transport.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self.upgraded = True

    def _read_frames(self) -> None:
        while len(self.buffer) >= 2:
            first, second = self.buffer[0], self.buffer[1]
            size, offset = second & 0x7F, 2
            if size == 126:
                if len(self.buffer) < 4:
                    return
                size, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
            elif size == 127:
                if len(self.buffer) < 10:
                    return
                size, offset = struct.unpack("!Q", self.buffer[2:10])[0], 10
            masked = second & 0x80
            end = offset + (4 if masked else 0) + size
            if len(self.buffer) < end:
                return
            payload = self.buffer[end - size : end]
            if masked:
                mask = self.buffer[offset : offset + 4]
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            self.buffer = self.buffer[end:]
            self._on_frame(first & 0x0F, payload)

    def _on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x8:  # close: echo the code, then hang up
            code = payload[:2]
            self.transport.write(bytes([0x88, len(code)]) + code)
            self.transport.close()
        elif opcode == 0x9:  # protocol ping -> pong
            self.transport.write(bytes([0x8A, len(payload)]) + payload)
        elif opcode == 0x1 and payload == b"PING":
            self.transport.write(encode_frame("PONG"))
        elif opcode == 0x1 and self.pending is None:
            self.chunks = self.prepared.chunks(self.key, payload)
            self.pending = iter(self.chunks)  # the subscription: start the stream
            self._pump()

    def _pump(self) -> None:
        while not self.paused and self.pending is not None:
            chunk = next(self.pending, None)
            if chunk is None:
                self.pending = iter(())
                if self.close_after:
                    self.transport.close()  # after the buffered chunks are written
                return
            self.transport.write(chunk)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._pump()


class _Prepared:
    """Chunks per (stream, n), or per (stream, n, subscribed assets) for a SHARDED stream."""

    def __init__(self, streams: dict[str, Stream], sizes: list[tuple[str, int, int]]):
        self.streams = streams
        self.whole: dict[tuple[str, int], list[bytes]] = {}
        self.parts: dict[tuple[str, frozenset[str]], Stream] = {}
        self.by_assets: dict[tuple[str, int, frozenset[str]], list[bytes]] = {}
        for name, n, _ in sizes:
            if name not in SHARDED:
                self.whole[(name, n)] = _chunks(streams[name], n)
                continue
            for group in shard_groups(streams[name].asset_ids[: SHARDED[name]]):
                self._part_chunks(name, n, frozenset(group))

    def _part(self, name: str, assets: frozenset[str]) -> Stream:
        key = (name, assets)
        if key not in self.parts:
            stream = self.streams[name]
            self.parts[key] = for_assets(stream, [a for a in stream.asset_ids if a in assets])
        return self.parts[key]

    def _part_chunks(self, name: str, n: int, assets: frozenset[str]) -> list[bytes]:
        key = (name, n, assets)
        if key not in self.by_assets:
            self.by_assets[key] = _chunks(self._part(name, assets), n)
        return self.by_assets[key]

    def chunks(self, key: tuple[str, int], subscription: bytes) -> list[bytes]:
        name, n = key
        if name not in SHARDED:
            return self.whole.get(key, [])
        try:
            assets = frozenset(json.loads(subscription).get("assets_ids") or ())
        except ValueError:
            return []
        assets &= set(self.streams[name].asset_ids)
        return self._part_chunks(name, n, assets) if assets else []

    def shard_kinds(self) -> dict[str, list[dict]]:
        """Per SHARDED stream, each prepared group: its size, cycle length and kinds."""
        info: dict[str, list[dict]] = {}
        for (name, assets), part in self.parts.items():
            info.setdefault(name, []).append(
                {"assets": len(assets), "cycle": len(part.cycle), "kinds": dict(part.kinds)}
            )
        return info


async def _serve(sizes: list[tuple[str, int, int]]) -> None:
    cycles = {name: cycle for name, _, cycle in reversed(sizes)}  # the first one given wins
    streams = {name: build_stream(name, cycle) for name, cycle in cycles.items()}
    prepared = _Prepared(streams, sizes)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _BlastProtocol(prepared), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    info = {name: dict(s.kinds) for name, s in streams.items()}
    assets = {name: s.asset_ids for name, s in streams.items()}
    ready = {"port": port, "kinds": info, "assets": assets, "shards": prepared.shard_kinds()}
    print(json.dumps(ready), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.close()


class Blaster:
    """The blaster server process; `url(stream, n)` is a WebSocket URL that streams n frames.

    `sizes` lists (stream, frames, cycle length); one stream name has one cycle length.
    """

    def __init__(self, sizes: list[tuple[str, int, int]]):
        self.sizes = list(dict.fromkeys(sizes))
        self.process: subprocess.Popen[str] | None = None
        self.port = 0
        self.kinds: dict[str, dict[str, int]] = {}
        self.assets: dict[str, list[str]] = {}
        self.shards: dict[str, list[dict]] = {}  # SHARDED streams: each group's cycle and kinds

    def __enter__(self) -> Blaster:
        spec = ",".join(f"{name}:{n}:{cycle}" for name, n, cycle in self.sizes)
        self.process, ready = start_child("bench.frames", "serve", spec, what="the frame blaster")
        self.port, self.kinds, self.assets = ready["port"], ready["kinds"], ready["assets"]
        self.shards = ready.get("shards", {})
        return self

    def __exit__(self, *exc: object) -> None:
        stop_child(self.process, timeout=5)

    def url(self, stream: str, n: int, close: bool = False) -> str:
        """n frames per connection; `close`: hang up after the last one."""
        channel = STREAMS[stream][0]
        tail = "&close=1" if close else ""
        return f"ws://127.0.0.1:{self.port}/ws/{channel}?stream={stream}&n={n}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.frames")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("sizes", help="stream:frames:cycle,...")
    args = parser.parse_args()
    sizes = []
    for spec in filter(None, args.sizes.split(",")):
        name, n, cycle = spec.split(":")
        sizes.append((name, int(n), int(cycle)))
    asyncio.run(_serve(sizes))


if __name__ == "__main__":
    main()
