"""Smoke tests of the bundled mock's market channel (the mock's own; conformance lives beside)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from decimal import Decimal

import pytest
from polymarket_mock.book import summary_hash
from polymarket_mock.messages import last_trade_price_text, validate
from py_clob_client_v2.utilities import (
    generate_orderbook_summary_hash,
    parse_raw_orderbook_summary,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError


class LocalBook:
    """A client-side book rebuilt from `book` and `price_change` events."""

    def __init__(self, snapshot: dict, rest: dict, previous: LocalBook | None = None) -> None:
        # min_order_size and neg_risk are REST-only (GET /book): no WebSocket book carries them.
        # A post-trade book lacks tick_size and last_trade_price: keep the last known ones.
        known = previous.meta if previous else {}
        self.meta = {k: snapshot[k] for k in ("market", "asset_id")}
        self.meta.update({k: rest[k] for k in ("min_order_size", "neg_risk")})
        for key in ("tick_size", "last_trade_price"):
            self.meta[key] = snapshot.get(key, known.get(key))
        self.bids = {level["price"]: level["size"] for level in snapshot["bids"]}
        self.asks = {level["price"]: level["size"] for level in snapshot["asks"]}

    def apply(self, entry: dict) -> None:
        levels = self.bids if entry["side"] == "BUY" else self.asks
        if entry["size"] == "0":
            levels.pop(entry["price"], None)
        else:
            levels[entry["price"]] = entry["size"]

    def as_book(self, timestamp: str) -> dict:
        bids = sorted(self.bids.items(), key=lambda kv: Decimal(kv[0]))
        asks = sorted(self.asks.items(), key=lambda kv: Decimal(kv[0]), reverse=True)
        return {
            **self.meta,
            "timestamp": timestamp,
            "bids": [{"price": p, "size": s} for p, s in bids],
            "asks": [{"price": p, "size": s} for p, s in asks],
        }


async def test_book_hash_equals_py_clob_client_v2(mock_factory):
    """The mock's book hash is the one py_clob_client_v2 computes for the same book."""
    async with mock_factory(activity_interval=None) as mock:
        for asset_id in mock.asset_ids:
            book = mock.book(asset_id)
            assert validate(book) == []
            expected = generate_orderbook_summary_hash(parse_raw_orderbook_summary(book))
            assert book["hash"] == expected == summary_hash(book)


async def test_initial_dump_is_one_array_then_deltas_reproduce_book_and_hash(mock_factory):
    """A client applying book + price_change reproduces the mock's levels and every hash."""
    async with mock_factory(activity_interval=0.01, seed=7) as mock:
        assets = mock.asset_ids[:2]
        async with connect(mock.url + "/ws/market", proxy=None) as ws:
            await ws.send(json.dumps({"assets_ids": assets, "type": "market"}))
            dump = json.loads(await ws.recv())
            assert isinstance(dump, list) and [b["asset_id"] for b in dump] == assets
            rest = {a: mock.book(a) for a in assets}
            books = {b["asset_id"]: LocalBook(b, rest[b["asset_id"]]) for b in dump}
            seen = set()
            while len(seen) < 60:
                event = json.loads(await ws.recv())
                assert validate(event) == [], event
                kind = event["event_type"]
                seen.add(len(seen))
                if kind == "book":
                    asset = event["asset_id"]
                    books[asset] = LocalBook(event, rest[asset], books[asset])
                elif kind == "last_trade_price":
                    # Books hash the price as they write it: "0.500" (see last_trade_price_text).
                    price = last_trade_price_text(event["price"])
                    books[event["asset_id"]].meta["last_trade_price"] = price
                elif kind == "price_change":
                    for entry in event["price_changes"]:
                        local = books[entry["asset_id"]]
                        local.apply(entry)
                        # The entry hash names the order behind the change, not the book.
                        assert re.fullmatch(r"[0-9a-f]{40}", entry["hash"])
                        assert entry["hash"] != summary_hash(local.as_book(event["timestamp"]))
        await mock.flush()
        for asset_id, local in books.items():
            mine = mock.book(asset_id)
            assert (
                local.as_book(mine["timestamp"]) | {"hash": mine["hash"], "event_type": "book"}
                == mine
            )


async def test_ping_before_subscription_closes_1008(mock_factory):
    """A text PING as the first frame gets close 1008 "invalid subscription payload"."""
    async with mock_factory(activity_interval=None) as mock:
        async with connect(mock.url + "/ws/market", proxy=None) as ws:
            await ws.send("PING")
            with pytest.raises(ConnectionClosedError) as caught:
                await ws.recv()
        assert caught.value.rcvd.code == 1008
        assert caught.value.rcvd.reason == "invalid subscription payload"
        await mock.wait_for(lambda m: m.connections[0].closed_at is not None)
        assert mock.connections[0].closed_by == "server"


@pytest.mark.looptime(end=3600)
async def test_twenty_simulated_minutes_cost_under_a_second(mock_factory):
    """Under looptime a 20-minute session with 10 s PINGs costs well under 1 s.

    Measured as this process's CPU time: wall time also counts other jobs on a shared machine.
    """
    started = time.process_time()
    async with mock_factory(activity_interval=2.0) as mock:
        loop = asyncio.get_running_loop()
        async with connect(mock.url + "/ws/market", proxy=None, ping_interval=None) as ws:
            await ws.send(json.dumps({"assets_ids": mock.asset_ids[:1], "type": "market"}))
            data, pongs, next_ping = 0, 0, loop.time() + 10
            while loop.time() < 1200:
                try:
                    async with asyncio.timeout(max(0.0, next_ping - loop.time())):
                        frame = await ws.recv()
                except TimeoutError:
                    await ws.send("PING")
                    next_ping += 10
                    continue
                if frame == "PONG":
                    pongs += 1
                else:
                    data += 1
        record = mock.connections[0]
    assert data >= 550 and pongs >= 115 and len(record.pings) >= 115
    assert time.process_time() - started < 1.0
