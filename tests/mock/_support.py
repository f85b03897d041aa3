"""Helpers shared by the mock conformance tests: open sockets, read frames, check wire shapes.

Everything here encodes the protocol reference (polymarket-ws-protocol.md), never the mock's
source: the tests judge the mock by what the real server is documented to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest
from py_clob_client_v2.clob_types import OrderBookSummary, OrderSummary
from py_clob_client_v2.utilities import generate_orderbook_summary_hash
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = [
    "CONDITION_ID",
    "DECIMAL_STRING",
    "SHA1_HEX",
    "TIMESTAMP_MS",
    "LocalBook",
    "auth_of",
    "best_ask",
    "best_bid",
    "book_levels",
    "client",
    "drain",
    "events_of",
    "expect_silence",
    "market_of",
    "market_socket",
    "market_url",
    "next_events",
    "no_mock_errors",
    "non_string_numbers",
    "read_until_closed",
    "recompute_book_hash",
    "resting_buy_price",
    "user_socket",
    "user_url",
    "wait_for_event",
]

# §1.4/§1.5: timestamps are Unix milliseconds as strings; book hashes are 40-hex SHA-1, no 0x.
TIMESTAMP_MS = re.compile(r"^\d{13}$")
SHA1_HEX = re.compile(r"^[0-9a-f]{40}$")
# §1.5: `market` is a condition ID, 0x followed by 64 hex digits.
CONDITION_ID = re.compile(r"^0x[0-9a-fA-F]{64}$")
DECIMAL_STRING = re.compile(r"^\d+(\.\d+)?$")

# Short enough that a wrong expectation fails fast in real time, long enough for loopback I/O.
FRAME_TIMEOUT = 5.0


@pytest.fixture
def no_mock_errors(caplog: pytest.LogCaptureFixture):
    """Fail the test if the mock (or websockets on its behalf) logged an ERROR: a crash."""
    caplog.set_level(logging.INFO)
    yield
    crashes = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.get_records("call")
        if record.levelno >= logging.ERROR
        and record.name.startswith(("polymarket_mock", "websockets.server"))
    ]
    assert not crashes, crashes


def market_url(mock: Any) -> str:
    """The market channel URL of a running mock (§1.1: path-based channel selection)."""
    return f"{mock.url}/ws/market"


def user_url(mock: Any) -> str:
    """The user channel URL of a running mock (§2)."""
    return f"{mock.url}/ws/user"


def client(url: str, **options: Any) -> connect:
    """A websockets client for tests: no proxy, no protocol keepalive, a quick close."""
    # Protocol pings would mask the faults under test (dead link, stall): the CLOB heartbeat is
    # the text PING of §3, which the tests send themselves.
    settings: dict[str, Any] = {
        "proxy": None,
        "ping_interval": None,
        "close_timeout": 1,
        "open_timeout": 5,
    }
    settings.update(options)
    return connect(url, **settings)


def auth_of(credentials: Any) -> dict[str, str]:
    """The `auth` object of a user subscription (§4.4: apiKey, secret, passphrase)."""
    return {
        "apiKey": credentials.api_key,
        "secret": credentials.secret,
        "passphrase": credentials.passphrase,
    }


@contextlib.asynccontextmanager
async def market_socket(
    mock: Any, frame: dict[str, Any] | list[str] | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    """A market-channel socket that has sent `frame` (a list means AsyncAPI form for those ids)."""
    async with client(market_url(mock), **options) as ws:
        if isinstance(frame, list):
            frame = {"assets_ids": frame, "type": "market"}
        if frame is not None:
            await ws.send(json.dumps(frame))
        yield ws


@contextlib.asynccontextmanager
async def user_socket(
    mock: Any, frame: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    """A user-channel socket that has sent `frame` (default: docs form, all markets)."""
    async with client(user_url(mock), **options) as ws:
        if frame is None:
            frame = {"auth": auth_of(mock.credentials), "type": "user"}
        await ws.send(json.dumps(frame))
        yield ws


def events_of(value: Any) -> list[dict[str, Any]]:
    """A decoded frame as a list of events (§1.4: a frame is one object or an array of them)."""
    return value if isinstance(value, list) else [value]


async def next_events(ws: ClientConnection, within: float = FRAME_TIMEOUT) -> list[dict[str, Any]]:
    """The next data frame as a list of events; text PONG frames are skipped."""
    async with asyncio.timeout(within):
        while True:
            raw = await ws.recv()
            if raw == "PONG":
                continue
            return events_of(json.loads(raw))


async def wait_for_event(
    ws: ClientConnection,
    predicate: Callable[[dict[str, Any]], bool],
    within: float = FRAME_TIMEOUT,
    seen: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Read events until one matches `predicate`; every event read is appended to `seen`."""
    async with asyncio.timeout(within):
        while True:
            for event in await next_events(ws, within):
                if seen is not None:
                    seen.append(event)
                if predicate(event):
                    return event


async def drain(ws: ClientConnection, quiet: float = 1.0) -> list[dict[str, Any]]:
    """Every event until the socket stays quiet for `quiet` seconds."""
    events: list[dict[str, Any]] = []
    while True:
        try:
            events.extend(await next_events(ws, quiet))
        except TimeoutError:
            return events


async def expect_silence(ws: ClientConnection, seconds: float) -> list[str]:
    """Raw frames that arrive within `seconds` (the caller asserts what may be there)."""
    frames: list[str] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frames.append(await ws.recv())
    return frames


async def read_until_closed(
    ws: ClientConnection, within: float = FRAME_TIMEOUT
) -> tuple[list[str | bytes], ConnectionClosed]:
    """Every frame received until the connection closes, and the closing exception."""
    frames: list[str | bytes] = []
    async with asyncio.timeout(within):
        while True:
            try:
                frames.append(await ws.recv())
            except ConnectionClosed as closed:
                return frames, closed


def non_string_numbers(value: Any, allowed: Iterable[str] = (), path: str = "$") -> list[str]:
    """Paths of JSON numbers in `value`, except under keys in `allowed` (§1.4: all strings)."""
    allowed = frozenset(allowed)
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in allowed:
                continue
            found += non_string_numbers(item, allowed, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += non_string_numbers(item, allowed, f"{path}[{index}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found.append(path)
    return found


def market_of(mock: Any, asset_id: str) -> Any:
    """The generated market that holds `asset_id`."""
    for market in mock.markets:
        if asset_id in market.token_ids:
            return market
    raise KeyError(asset_id)


def book_levels(levels: list[dict[str, str]]) -> dict[Decimal, Decimal]:
    """Wire levels as {price: size}, compared as decimals so "0.5" equals "0.50"."""
    return {Decimal(level["price"]): Decimal(level["size"]) for level in levels}


def best_bid(book: dict[str, Any]) -> Decimal | None:
    """Highest bid price of a wire book, or None."""
    prices = [Decimal(level["price"]) for level in book["bids"]]
    return max(prices) if prices else None


def best_ask(book: dict[str, Any]) -> Decimal | None:
    """Lowest ask price of a wire book, or None."""
    prices = [Decimal(level["price"]) for level in book["asks"]]
    return min(prices) if prices else None


def resting_buy_price(mock: Any, asset_id: str) -> str:
    """A BUY price that rests without crossing: the current best bid, as the book spells it."""
    book = mock.book(asset_id)
    level = max(book["bids"], key=lambda level: Decimal(level["price"]))
    return level["price"]


def recompute_book_hash(book: dict[str, Any]) -> str:
    """The book hash as py-clob-client-v2 recomputes it (§1.5, [C-pyv2-utils])."""
    summary = OrderBookSummary(
        market=book.get("market"),
        asset_id=book.get("asset_id"),
        timestamp=book.get("timestamp"),
        bids=[OrderSummary(price=lv["price"], size=lv["size"]) for lv in book["bids"]],
        asks=[OrderSummary(price=lv["price"], size=lv["size"]) for lv in book["asks"]],
        min_order_size=book.get("min_order_size"),
        neg_risk=book.get("neg_risk"),
        tick_size=book.get("tick_size"),
        last_trade_price=book.get("last_trade_price"),
        hash=book.get("hash"),
    )
    return generate_orderbook_summary_hash(summary)


class LocalBook:
    """A client-side book per asset, built from `book` snapshots and `price_change` deltas."""

    def __init__(self) -> None:
        self.bids: dict[str, dict[Decimal, Decimal]] = {}
        self.asks: dict[str, dict[Decimal, Decimal]] = {}

    def apply(self, event: dict[str, Any]) -> None:
        """Apply one wire event; events other than book and price_change are ignored."""
        if event.get("event_type") == "book":
            self.bids[event["asset_id"]] = book_levels(event["bids"])
            self.asks[event["asset_id"]] = book_levels(event["asks"])
        elif event.get("event_type") == "price_change":
            for change in event["price_changes"]:
                # §1.6: side BUY is a bid level, SELL an ask level; size is the new aggregate
                # size of the level and "0" removes it.
                side = self.bids if change["side"] == "BUY" else self.asks
                levels = side.setdefault(change["asset_id"], {})
                size = Decimal(change["size"])
                if size == 0:
                    levels.pop(Decimal(change["price"]), None)
                else:
                    levels[Decimal(change["price"])] = size

    def best_bid(self, asset_id: str) -> Decimal | None:
        """Highest local bid price, or None."""
        levels = self.bids.get(asset_id) or {}
        return max(levels) if levels else None

    def best_ask(self, asset_id: str) -> Decimal | None:
        """Lowest local ask price, or None."""
        levels = self.asks.get(asset_id) or {}
        return min(levels) if levels else None

    def matches(self, book: dict[str, Any]) -> bool:
        """Whether the local levels of the book's asset equal a wire `book` event's levels."""
        asset = book["asset_id"]
        return self.bids.get(asset) == book_levels(book["bids"]) and self.asks.get(
            asset
        ) == book_levels(book["asks"])
