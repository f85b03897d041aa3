"""Bad input on the market channel, through the whole documented stack (MarketFeed).

The user channel's handler (user_events.py) and wire.parse_events are already covered for bad
input in tests/behaviour/test_user_events.py and tests/behaviour/test_wire.py; RobustConnection
surviving a malformed or unknown frame is in tests/behaviour/test_robust_ws.py. What is left is
MarketFeed + OrderBook: each bad frame below is sent between a valid snapshot and valid
activity by a scripted in-loop server. The contract: one clear log line (no traceback), the bad
part skipped, the connection kept, every later valid event applied (the books end equal to the
exchange that produced the valid events).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from polymarket_mock.exchange import Exchange
from websockets.asyncio.server import serve

from tests.faults.rig import feed_on, until

pytestmark = pytest.mark.looptime

CUSTOM = {"best_bid_ask", "new_market", "market_resolved"}


class Script:
    """A market channel that sends a snapshot, then the bad frames, then valid activity."""

    def __init__(self, bad_frames: list[str]) -> None:
        self.exchange = Exchange(seed=3, markets=1, book_depth=5)
        self.assets = self.exchange.asset_ids
        self.bad_frames = bad_frames
        self.first_frames: list[str] = []
        self.connections = 0
        self.valid: list[dict[str, Any]] = []
        self.exchange.market_listeners.append(self._keep)

    def _keep(self, event: dict[str, Any]) -> None:
        if event["event_type"] not in CUSTOM:
            self.valid.append(event)

    def sample(self, kind: str) -> dict[str, Any]:
        """A copy of the next valid event of this kind the exchange would publish."""
        shadow = Exchange(seed=3, markets=1, book_depth=5)
        found: list[dict[str, Any]] = []
        shadow.market_listeners.append(found.append)
        while not any(e["event_type"] == kind for e in found):
            shadow.step(set(shadow.asset_ids))
        return json.loads(json.dumps(next(e for e in found if e["event_type"] == kind)))

    async def handler(self, ws) -> None:
        self.connections += 1
        self.first_frames.append(await ws.recv())
        self.snapshots = [self.exchange.snapshot(a) for a in self.assets]
        await ws.send(json.dumps(self.snapshots))
        for frame in self.bad_frames:
            await ws.send(frame)
        async for message in ws:
            if message != "PING":
                continue  # e.g. a resubscribe; this script has nothing more to say
            await ws.send("PONG")
            if not self.valid:  # the first PING (10 s): now the valid activity
                for _ in range(20):
                    self.exchange.step(set(self.assets))
                for event in self.valid:
                    await ws.send(json.dumps(event))


def _without_key(value: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != key}


def frames(script: Script, name: str) -> list[str]:
    """The bad frame(s) called `name`, built around valid events of `script`'s market."""
    asset = script.assets[0]
    change = script.sample("price_change")
    entry = change["price_changes"][0]

    def with_entry(**fields: Any) -> str:
        # size 5 by default: were the entry applied, the book would visibly change
        bad = dict(change, price_changes=[{**entry, "asset_id": asset, "size": "5", **fields}])
        return json.dumps(bad)

    def without(field: str) -> str:
        bad = _without_key({**entry, "asset_id": asset, "size": "5"}, field)
        return json.dumps(dict(change, price_changes=[bad]))

    book = script.exchange.snapshot(asset)
    other_book = script.exchange.snapshot(script.assets[1])
    return {
        # JSON that is not an event, an object without event_type, entries missing a field:
        # shapes an independent harness sent (issue 16, part 3)
        "JSON null": ["null"],
        "JSON number": ["42"],
        "empty array, nothing asked": ["[]"],
        "non-objects in an array": ['[1, "x", null]'],
        "object without event_type": [json.dumps(_without_key(book, "event_type"))],
        "entry without price": [without("price")],
        "entry without size": [without("size")],
        "entry without side": [without("side")],
        "array mixing junk with valid events": [json.dumps([None, book, 42, other_book, "x"])],
        "not JSON": ['{"event_type": "book", "asset_id": '],
        "unknown event_type": [json.dumps({"event_type": "mock_unknown", "asset_id": asset})],
        "event_type of the wrong type": [json.dumps({"event_type": 5, "asset_id": asset})],
        "missing price": [with_entry(price=None)],
        "empty-string size": [with_entry(size="")],
        "garbage price": [with_entry(price="abc")],
        "price_changes not a list": [json.dumps(dict(change, price_changes=5))],
        "asset_id not a string": [with_entry(asset_id=[asset])],
        "book with bids as a string": [json.dumps(dict(book, bids="0.5:100"))],
        "absurdly large price": [with_entry(price="1e999999999")],
        "negative size": [with_entry(size="-5")],
        "float literal overflowing to infinity": [
            with_entry(price=1e999).replace("Infinity", "1e999")
        ],
        "integer literal of 5000 digits": [
            with_entry(size=0).replace('"size": 0', '"size": ' + "9" * 5000)
        ],
        "array mixing event types, one bad": [
            json.dumps([book, json.loads(with_entry(price="")), other_book])
        ],
    }[name]


def warnings(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name.startswith("polymarket") and r.levelno >= logging.WARNING
    ]


BAD_INPUT = [
    name
    for name in (
        "not JSON",
        "unknown event_type",
        "event_type of the wrong type",
        "missing price",
        "empty-string size",
        "garbage price",
        "price_changes not a list",
        "asset_id not a string",
        "book with bids as a string",
        "absurdly large price",
        "negative size",
        "float literal overflowing to infinity",
        "integer literal of 5000 digits",
        "array mixing event types, one bad",
        "JSON null",
        "JSON number",
        "empty array, nothing asked",
        "non-objects in an array",
        "object without event_type",
        "entry without price",
        "entry without size",
        "entry without side",
        "array mixing junk with valid events",
    )
]


@pytest.mark.parametrize("name", BAD_INPUT)
async def test_bad_market_input_costs_one_line_and_nothing_else(caplog, name):
    """The bad part is skipped with exactly one clear line and no traceback; it changes no book;
    the connection stays; every later valid event (in the same frame too) is applied and the
    books end equal to the exchange's."""
    caplog.set_level(logging.INFO)
    script = Script([])
    script.bad_frames = frames(script, name)
    async with serve(script.handler, "127.0.0.1", 0, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        delivered: list[tuple[str, str]] = []

        def on_event(event, book) -> None:
            if book is not None:
                delivered.append((event["event_type"], book.asset_id))

        feed = feed_on(f"ws://127.0.0.1:{port}", script.assets, on_event=on_event)
        task = asyncio.create_task(feed.run())
        try:
            await asyncio.sleep(5)  # the snapshot and the bad frames are in; activity is not
            for asset in script.assets:
                feed.books[asset].learn_rest_fields(script.exchange.summary(asset))
            unchanged = {
                a: feed.books[a].compute_hash(s["timestamp"]) == s["hash"]
                for a, s in zip(script.assets, script.snapshots, strict=True)
            }
            lines_before_activity = warnings(caplog)
            await until(lambda: script.valid, within=15)
            await until(lambda: feed.connection.stats.messages >= 1 + len(script.valid), 5)
            await asyncio.sleep(1)
        finally:
            feed.stop()
            await asyncio.wait_for(task, 5)
    assert unchanged == dict.fromkeys(script.assets, True), "the bad frame changed a book"
    problems = warnings(caplog)
    assert problems == lines_before_activity, "later valid events drew warnings"
    assert len(problems) == 1, [r.getMessage() for r in problems]
    assert all(r.exc_info is None for r in problems), "a traceback instead of one clear line"
    assert all(len(r.getMessage()) < 600 for r in problems)
    assert script.connections == 1 and feed.connection.stats.handler_errors == 0
    assert json.loads(script.first_frames[0])["type"] == "market"
    if name.startswith("array"):  # the valid items on both sides of the bad one counted
        assert delivered[:4] == [("book", script.assets[0]), ("book", script.assets[1])] * 2
    for asset in script.assets:
        expected = script.exchange.snapshot(asset)
        book = feed.books[asset]
        assert not book.awaiting_snapshot
        assert book.compute_hash(expected["timestamp"]) == expected["hash"], asset[:12]


# The user channel's router meets the same shapes (issue 16 part 3); `[]` is silent there (no
# closed-token answer is known on /ws/user).
USER_SHAPES = {
    "JSON null": ("null", 1),
    "JSON number": ("42", 1),
    "empty array": ("[]", 0),
    "non-objects in an array": ('[1, "x", null]', 1),
    "object without event_type": ('{"id": "0xorder", "type": "PLACEMENT"}', 1),
    "junk around a valid order": ("[null, ORDER, 42]", 1),
}


@pytest.mark.parametrize("name", list(USER_SHAPES))
def test_bad_user_input_costs_one_line_and_valid_events_still_count(caplog, name):
    from user_events import UserEventRouter

    from tests.behaviour.samples import order_event

    frame, lines = USER_SHAPES[name]
    orders: list[str] = []
    router = UserEventRouter(on_order=lambda order: orders.append(order.id))
    with caplog.at_level(logging.WARNING):
        router.handle_message(frame.replace("ORDER", json.dumps(order_event(id="0xinside"))))
        router.handle_message(json.dumps(order_event(id="0xafter")))
    assert len(warnings(caplog)) == lines, [r.getMessage() for r in warnings(caplog)]
    assert all(r.exc_info is None for r in warnings(caplog))
    expected = ["0xinside", "0xafter"] if "ORDER" in frame else ["0xafter"]
    assert orders == expected
