"""Figure 1: messages per second through the documented clients versus a bare receive loop.

All three read the same pre-built stream from the frame blaster over loopback:

* bare: websockets `recv()` + `json.loads`, nothing else (the best a websockets client can do);
* market: the documented `MarketFeed` (RobustConnection + wire.parse_events + OrderBook), as a
  reader runs it, with its documented defaults;
* user: the documented `RobustConnection` + `UserEventRouter` + `OrderTracker`, wired as the
  user page's `user_stream.py` wires them (without printing).

A run counts frames from the first to the n-th and divides by the loop time between them. The
handler-only variants feed the same frames to the documented handler without a socket, to split
the cost between transport and handler.

The pack's wire.py picks its JSON decoder at import (orjson if installed). Every documented
figure runs with the standard library decoder (`use_decoder("json")`, POLYMARKET_JSON=json in
children) unless a row says "+ orjson": those rows switch with wire.use_json("orjson").
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .frames import OWNER, Blaster, build_stream

__all__ = [
    "USER_SUBSCRIPTION",
    "connected_feed",
    "feed_frame",
    "user_connection",
    "DECODERS",
    "MIXES",
    "ORJSON_MISSING",
    "Mix",
    "bare_rate",
    "documented_rate",
    "handler_rates",
    "market_feed_for",
    "orjson_installed",
    "target_label",
    "use_decoder",
    "user_handler",
]

CONNECT_OPTIONS = {"proxy": None}  # a proxy variable in the environment must not reroute loopback
MAX_SIZE = 16 * 2**20  # the documented client's max_size, for the bare loop too
DECODERS = ("json", "orjson")  # wire.use_json names: the standard library, the optional fast path
ORJSON_MISSING = "orjson not installed (pip install orjson)"
# The targets, documented client / bare loop (recv + json.loads) on the same stream.
# Printed beside the ratio (met / not met), never asserted: ratios are reported, not tested.
TARGETS = {
    ("market_pc", "json"): 0.6,
    ("market_mix", "json"): 0.5,
    ("user", "json"): 0.5,
    ("market_pc", "orjson"): 1.0,
    ("market_mix", "orjson"): 1.0,
}


def orjson_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("orjson") is not None


def use_decoder(name: str) -> str:
    """Switch the pack's wire.py to a decoder ("json" or "orjson"); the name now in use."""
    import wire

    used = wire.use_json(name)
    if used != name:
        raise RuntimeError(f"wire.use_json({name!r}) left {used!r} in use")
    return used


def target_label(key: str, decoder: str, ratio: float, base: str = "of bare") -> str:
    """`base`, plus the issue's target for this stream and decoder and whether it is met."""
    target = TARGETS.get((key, decoder))
    if target is None:
        return base
    verdict = "met" if ratio >= target else "NOT met"
    return f"{base} (target >= {target:.1f}: {verdict})"


@dataclass(frozen=True)
class Mix:
    """A message mix: which stream and which documented client reads it."""

    key: str
    stream: str
    client: str  # "market" or "user"
    label: str


MIXES = (
    Mix("market_pc", "market_pc", "market", "market book, price_change only"),
    Mix("market_mix", "market_mix", "market", "market book, typical mix (+trades, books)"),
    Mix("user", "user", "user", "user stream (orders + trades -> tracker)"),
)


def _subscription(blaster: Blaster, stream: str) -> dict[str, Any]:
    if stream == "user":
        return USER_SUBSCRIPTION
    return {"type": "market", "assets_ids": blaster.assets[stream], "initial_dump": True}


async def bare_rate(blaster: Blaster, stream: str, n: int) -> float:
    """Frames/s of the bare loop: recv() + json.loads."""
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    count, started = 0, 0.0
    async with connect(blaster.url(stream, n), max_size=MAX_SIZE, **CONNECT_OPTIONS) as ws:
        await ws.send(json.dumps(_subscription(blaster, stream)))
        while count < n:
            json.loads(await ws.recv())
            count += 1
            if count == 1:
                started = loop.time()
        finished = loop.time()
    return (n - 1) / (finished - started)


def market_feed_for(assets: list[str], url: str, on_event=None, **options: Any):
    """The documented MarketFeed with its documented defaults (only the proxy switched off)."""
    from market_feed import MarketFeed

    return MarketFeed(assets, on_event, url=url, connect_kwargs=CONNECT_OPTIONS, **options)


USER_SUBSCRIPTION = {
    "auth": {"apiKey": OWNER, "secret": "unused", "passphrase": "unused"},
    "type": "user",
    "markets": [],
}


def user_connection(url: str, on_message: Callable[[str], None]) -> Any:
    """The documented RobustConnection on the user channel, as user_stream.py opens it."""
    from robust_ws import RobustConnection

    return RobustConnection(
        url,
        lambda: USER_SUBSCRIPTION,
        on_message,
        name="user",
        data_timeout=None,  # as user_stream.py: a quiet account is not a stall
        connect_kwargs=CONNECT_OPTIONS,
    )


def user_handler() -> tuple[Callable[[str], None], Any]:
    """The user page's wiring: UserEventRouter -> OrderTracker (changes returned, not printed)."""
    from order_tracker import OrderTracker
    from user_events import UserEventRouter

    tracker = OrderTracker(owner=OWNER)
    router = UserEventRouter(on_order=tracker.apply_order, on_trade=tracker.apply_trade)
    return router.handle_message, tracker


async def documented_rate(blaster: Blaster, mix: Mix, n: int, decoder: str = "json") -> float:
    """Frames/s of the documented client on the same stream, with wire.py on `decoder` (the
    standard library is put back afterwards)."""
    use_decoder(decoder)
    try:
        return await _documented_rate(blaster, mix, n)
    finally:
        use_decoder("json")


async def _documented_rate(blaster: Blaster, mix: Mix, n: int) -> float:
    loop = asyncio.get_running_loop()
    times: list[float] = []
    url = blaster.url(mix.stream, n)
    if mix.client == "market":
        holder: list[Any] = []

        def on_event(_event: dict[str, Any], _book: Any) -> None:
            if not times:
                times.append(loop.time())
            feed = holder[0]
            if len(times) == 1 and feed.connection.stats.messages >= n:
                times.append(loop.time())
                feed.stop()

        feed = market_feed_for(blaster.assets[mix.stream], url, on_event)
        holder.append(feed)
        runner = feed.run()
    else:
        handle, _tracker = user_handler()

        def on_message(raw: str) -> None:
            handle(raw)
            if not times:
                times.append(loop.time())
            if len(times) == 1 and connection.stats.messages >= n:
                times.append(loop.time())
                connection.stop()

        connection = user_connection(url, on_message)
        runner = connection.run()
    async with asyncio.timeout(120):
        await runner
    if len(times) != 2:
        raise RuntimeError(f"{mix.key}: the documented client stopped before {n} frames")
    return (n - 1) / (times[1] - times[0])


def handler_rates(mix: Mix, n: int, cycle: int | None = None) -> tuple[float, float, float]:
    """Documented handler and json.loads frames/s on the same frames (no socket), and how much
    slower the handler's last quarter of frames was than its first (1.0 = flat). The pack
    decodes with the standard library here (as json.loads, the reference)."""
    use_decoder("json")
    stream = build_stream(mix.stream, cycle)
    frames = list(stream.frames(n))
    started = time.perf_counter()
    for raw in frames:
        json.loads(raw)
    parse_only = len(frames) / (time.perf_counter() - started)
    if mix.client == "market":
        marks = asyncio.run(_market_handler_marks(stream.asset_ids, frames))
    else:
        handle, _ = user_handler()
        marks = [time.perf_counter()]
        for index, raw in enumerate(frames, 1):
            handle(raw)
            if index % (len(frames) // 4 or 1) == 0:
                marks.append(time.perf_counter())
    documented = len(frames) / (marks[-1] - marks[0])
    growth = (marks[4] - marks[3]) / (marks[1] - marks[0]) if len(marks) >= 5 else 1.0
    return documented, parse_only, growth


async def connected_feed(assets: list[str], on_event=None) -> Any:
    """A documented MarketFeed with no socket, its connection callbacks ready to be fed frames
    (RobustConnection's public callbacks, as the feed wired them: on_connected, on_message)."""
    feed = market_feed_for(assets, "ws://127.0.0.1:9/ws/market", on_event)
    await feed.connection.on_connected()
    return feed


async def feed_frame(feed: Any, raw: str) -> None:
    """One frame through the feed, as RobustConnection hands it over (a resync is awaited)."""
    result = feed.connection.on_message(raw)
    if result is not None:
        await result


async def _market_handler_marks(assets: list[str], frames: list[str]) -> list[float]:
    feed = await connected_feed(assets)
    quarter = len(frames) // 4 or 1
    marks = [time.perf_counter()]
    for index, raw in enumerate(frames, 1):
        await feed_frame(feed, raw)
        if index % quarter == 0:
            marks.append(time.perf_counter())
    return marks
