"""Market channel events: exact field sets, string encoding, batching, routing (ref §1.4–§1.9)."""

import json
from decimal import Decimal

import pytest
from polymarket_mock.messages import validate

from tests.mock._support import (
    CONDITION_ID,
    DECIMAL_STRING,
    SHA1_HEX,
    TIMESTAMP_MS,
    LocalBook,
    best_ask,
    best_bid,
    book_levels,
    drain,
    expect_silence,
    market_of,
    market_socket,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    non_string_numbers,
    resting_buy_price,
    wait_for_event,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]

# §1.5: AsyncAPI required fields, plus the optional ones seen live or accepted by the TS SDK.
BOOK_REQUIRED = {"event_type", "asset_id", "market", "bids", "asks", "timestamp", "hash"}
BOOK_OPTIONAL = {"tick_size", "last_trade_price", "min_order_size", "neg_risk"}
# §1.6: the post-2025-09-15 schema, as in the docs example.
PRICE_CHANGE_FIELDS = {"event_type", "market", "price_changes", "timestamp"}
PRICE_CHANGE_ENTRY_REQUIRED = {"asset_id", "price", "size", "side", "hash"}
PRICE_CHANGE_ENTRY_OPTIONAL = {"best_bid", "best_ask"}
# §1.8
LAST_TRADE_REQUIRED = {"event_type", "asset_id", "market", "price", "size", "side", "timestamp"}
LAST_TRADE_OPTIONAL = {"fee_rate_bps", "transaction_hash"}
# §1.9
BEST_BID_ASK_FIELDS = {
    "event_type",
    "market",
    "asset_id",
    "best_bid",
    "best_ask",
    "spread",
    "timestamp",
}
CUSTOM_FEATURE_EVENTS = {"best_bid_ask", "new_market", "market_resolved"}


def _assert_keys(event: dict, required: set[str], optional: set[str] = frozenset()) -> None:
    keys = set(event)
    assert required <= keys, f"missing {sorted(required - keys)} in {event}"
    assert keys <= required | optional, f"unexpected {sorted(keys - required - optional)}"


def _assert_book(event: dict, mock, asset: str) -> None:
    _assert_keys(event, BOOK_REQUIRED, BOOK_OPTIONAL)
    market = market_of(mock, asset)
    assert event["event_type"] == "book"
    assert event["asset_id"] == asset
    assert event["market"] == market.condition_id
    assert CONDITION_ID.match(event["market"])
    assert TIMESTAMP_MS.match(event["timestamp"]), event["timestamp"]
    # §1.5: the live hash is a 40-hex SHA-1 without a 0x prefix.
    assert SHA1_HEX.match(event["hash"]), event["hash"]
    for level in event["bids"] + event["asks"]:
        assert set(level) == {"price", "size"}
        assert DECIMAL_STRING.match(level["price"]) and DECIMAL_STRING.match(level["size"])
        assert Decimal(level["size"]) > 0
    bids = [Decimal(level["price"]) for level in event["bids"]]
    asks = [Decimal(level["price"]) for level in event["asks"]]
    # §1.5 level order (live capture, 2026 REST docs): bids ascending, asks descending, so the
    # best bid and the best ask are the LAST entries.
    assert bids == sorted(bids), "bids must be ascending (best last)"
    assert asks == sorted(asks, reverse=True), "asks must be descending (best last)"
    assert len(set(bids)) == len(bids) and len(set(asks)) == len(asks), "levels are aggregated"
    if bids and asks:
        assert bids[-1] < asks[-1], "a generated book is not crossed"
    if "tick_size" in event:
        assert event["tick_size"] == market.tick_size
        tick = Decimal(event["tick_size"])
        assert all(price % tick == 0 for price in bids + asks), "prices sit on the tick"
    if "neg_risk" in event:
        assert isinstance(event["neg_risk"], bool)
    assert non_string_numbers(event, allowed={"neg_risk"}) == []
    assert validate(event) == []


async def test_initial_dump_for_several_assets_is_one_array(mock_factory):
    """With dump_as_array the initial books of several assets arrive as ONE JSON array (§1.4)."""
    async with mock_factory(activity_interval=None, dump_as_array=True) as mock:
        assets = mock.asset_ids[:3]
        async with market_socket(mock, assets) as ws:
            value = json.loads(await ws.recv())
            assert isinstance(value, list)
            assert sorted(event["asset_id"] for event in value) == sorted(assets)
            assert all(event["event_type"] == "book" for event in value)
            assert validate(value) == []


async def test_initial_dump_as_single_objects(mock_factory):
    """Without dump_as_array each initial book is its own JSON object frame (§1.4)."""
    async with mock_factory(activity_interval=None, dump_as_array=False) as mock:
        assets = mock.asset_ids[:2]
        async with market_socket(mock, assets) as ws:
            first = json.loads(await ws.recv())
            second = json.loads(await ws.recv())
            assert isinstance(first, dict) and isinstance(second, dict)
            assert {first["asset_id"], second["asset_id"]} == set(assets)


async def test_book_event_fields_and_level_order(mock_factory):
    """Each initial `book` has the documented fields, string numbers, best-last levels (§1.5)."""
    async with mock_factory(activity_interval=None, book_depth=5) as mock:
        assets = mock.asset_ids
        async with market_socket(mock, assets) as ws:
            books = {}
            while len(books) < len(assets):
                for event in await next_events(ws):
                    books[event["asset_id"]] = event
            for asset, event in books.items():
                _assert_book(event, mock, asset)
                assert len(event["bids"]) == 5 and len(event["asks"]) == 5


async def test_initial_book_equals_mock_book(mock_factory):
    """The initial dump is the mock's own current book for the asset."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            (event,) = await next_events(ws)
            own = mock.book(asset)
            assert book_levels(event["bids"]) == book_levels(own["bids"])
            assert book_levels(event["asks"]) == book_levels(own["asks"])
            _assert_book(own, mock, asset)


async def test_initial_dump_false_sends_no_book(mock_factory):
    """`initial_dump: false` subscribes without a snapshot; deltas still flow (§1.2)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        frame = {"type": "market", "assets_ids": [asset], "initial_dump": False}
        async with market_socket(mock, frame) as ws:
            assert await expect_silence(ws, 10) == []
            assert mock.connections[-1].subscribed_at is not None
            mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "100")
            events = await next_events(ws)
            assert [event["event_type"] for event in events] == ["price_change"]


async def test_price_change_after_placement(mock_factory):
    """A placement yields a price_change in the price_changes[] schema with best_bid/ask (§1.6)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            (book,) = await next_events(ws)
            price = resting_buy_price(mock, asset)
            before = book_levels(book["bids"])[Decimal(price)]
            mock.exchange.place_order(asset, "BUY", price, "100")
            (event,) = await next_events(ws)
            assert set(event) == PRICE_CHANGE_FIELDS
            assert event["event_type"] == "price_change"
            assert event["market"] == market_of(mock, asset).condition_id
            assert TIMESTAMP_MS.match(event["timestamp"])
            # the legacy (pre-2025-09-15) keys must not appear
            assert "changes" not in event and "asset_id" not in event and "hash" not in event
            (change,) = [c for c in event["price_changes"] if c["asset_id"] == asset]
            _assert_keys(change, PRICE_CHANGE_ENTRY_REQUIRED | PRICE_CHANGE_ENTRY_OPTIONAL)
            assert change["side"] == "BUY"
            assert Decimal(change["price"]) == Decimal(price)
            # §1.6: `size` is the NEW AGGREGATE size of the level, not the order's size.
            assert Decimal(change["size"]) == before + 100
            assert isinstance(change["hash"], str) and change["hash"]
            own = mock.book(asset)
            assert Decimal(change["best_bid"]) == best_bid(own)
            assert Decimal(change["best_ask"]) == best_ask(own)
            assert non_string_numbers(event) == []
            assert validate(event) == []


async def test_price_change_after_cancel_restores_level(mock_factory):
    """Cancelling a resting order sends the level's reduced aggregate size (§1.6)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            (book,) = await next_events(ws)
            price = resting_buy_price(mock, asset)
            before = book_levels(book["bids"])[Decimal(price)]
            order_id = mock.exchange.place_order(asset, "BUY", price, "100")
            await next_events(ws)
            mock.exchange.cancel(order_id)
            (event,) = await next_events(ws)
            (change,) = [c for c in event["price_changes"] if c["asset_id"] == asset]
            assert Decimal(change["size"]) == before
            assert change["side"] == "BUY"


async def test_new_price_level_and_removed_level(mock_factory):
    """A new level appears with its size and disappears with size "0" (§1.6)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            (book,) = await next_events(ws)
            free = min(book_levels(book["bids"])) - Decimal(market_of(mock, asset).tick_size)
            assert free > 0, "the generated book leaves room below its lowest bid"
            order_id = mock.exchange.place_order(asset, "BUY", str(free), "7")
            (event,) = await next_events(ws)
            (change,) = [c for c in event["price_changes"] if c["asset_id"] == asset]
            assert (Decimal(change["price"]), Decimal(change["size"])) == (free, Decimal(7))
            mock.exchange.cancel(order_id)
            (event,) = await next_events(ws)
            (change,) = [c for c in event["price_changes"] if c["asset_id"] == asset]
            assert Decimal(change["price"]) == free and Decimal(change["size"]) == 0


async def test_fill_emits_price_change_last_trade_price_and_book(mock_factory):
    """A fill of a resting order yields price_change, last_trade_price, a new book (§1.5, §1.8)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            (book,) = await next_events(ws)
            price = resting_buy_price(mock, asset)
            before = book_levels(book["bids"])[Decimal(price)]
            order_id = mock.exchange.place_order(asset, "BUY", price, "100")
            await next_events(ws)
            mock.exchange.fill(order_id, "40")
            seen: list[dict] = []
            trade = await wait_for_event(
                ws, lambda e: e["event_type"] == "last_trade_price", seen=seen
            )
            _assert_keys(trade, LAST_TRADE_REQUIRED, LAST_TRADE_OPTIONAL)
            assert trade["asset_id"] == asset
            assert trade["market"] == market_of(mock, asset).condition_id
            assert Decimal(trade["price"]) == Decimal(price)
            assert Decimal(trade["size"]) == 40
            # §1.8: side is from the TAKER's perspective; the taker sold into our bid.
            assert trade["side"] == "SELL"
            assert TIMESTAMP_MS.match(trade["timestamp"])
            assert non_string_numbers(trade) == []
            assert validate(trade) == []
            after = await wait_for_event(ws, lambda e: e["event_type"] == "book", seen=seen)
            _assert_book(after, mock, asset)
            assert book_levels(after["bids"])[Decimal(price)] == before + 60
            changes = [
                c
                for e in seen
                if e["event_type"] == "price_change"
                for c in e["price_changes"]
                if c["asset_id"] == asset and Decimal(c["price"]) == Decimal(price)
            ]
            assert changes and Decimal(changes[-1]["size"]) == before + 60


async def test_take_emits_last_trade_price_from_taker_side(mock_factory):
    """A user order that crosses the book reports side BUY from the taker's view (§1.8)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            (book,) = await next_events(ws)
            ask = best_ask(book)
            mock.exchange.take(asset, "BUY", str(ask), "1")
            trade = await wait_for_event(ws, lambda e: e["event_type"] == "last_trade_price")
            assert trade["side"] == "BUY"
            assert Decimal(trade["price"]) == ask
            assert Decimal(trade["size"]) == 1


async def test_custom_feature_events_only_with_the_flag(mock_factory):
    """`best_bid_ask` reaches only connections with custom_feature_enabled (§1.9)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        flagged = {"type": "market", "assets_ids": [asset], "custom_feature_enabled": True}
        async with market_socket(mock, flagged) as on, market_socket(mock, [asset]) as off:
            (book,) = await next_events(on)
            await next_events(off)
            ask_level = min(book["asks"], key=lambda level: Decimal(level["price"]))
            # consume the whole best ask level: the best ask must move
            mock.exchange.take(asset, "BUY", ask_level["price"], ask_level["size"])
            event = await wait_for_event(on, lambda e: e["event_type"] == "best_bid_ask")
            assert set(event) == BEST_BID_ASK_FIELDS
            own = mock.book(asset)
            assert event["asset_id"] == asset
            assert event["market"] == market_of(mock, asset).condition_id
            assert Decimal(event["best_bid"]) == best_bid(own)
            assert Decimal(event["best_ask"]) == best_ask(own)
            assert Decimal(event["spread"]) == best_ask(own) - best_bid(own)
            assert TIMESTAMP_MS.match(event["timestamp"])
            assert validate(event) == []
            await mock.flush()
            unflagged = await drain(off)
            assert any(e["event_type"] == "price_change" for e in unflagged)
            assert not [e for e in unflagged if e["event_type"] in CUSTOM_FEATURE_EVENTS]


async def test_events_only_for_subscribed_assets(mock_factory):
    """A connection receives nothing about assets it did not subscribe to."""
    async with mock_factory(activity_interval=None) as mock:
        mine, other = mock.asset_ids[0], mock.asset_ids[2]
        async with market_socket(mock, [mine]) as ws:
            await next_events(ws)
            mock.exchange.place_order(other, "BUY", resting_buy_price(mock, other), "10")
            await mock.flush()
            assert await expect_silence(ws, 5) == []


async def test_dynamic_unsubscribe_stops_events(mock_factory):
    """`{"operation": "unsubscribe"}` stops one asset's events and keeps the rest (§1.3)."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.asset_ids[0], mock.asset_ids[2]
        async with market_socket(mock, [first, second]) as ws:
            books = []
            while len(books) < 2:
                books += await next_events(ws)
            await ws.send(json.dumps({"operation": "unsubscribe", "assets_ids": [first]}))
            await mock.wait_for(lambda m: m.connections[-1].assets == {second})
            mock.exchange.place_order(first, "BUY", resting_buy_price(mock, first), "10")
            mock.exchange.place_order(second, "BUY", resting_buy_price(mock, second), "10")
            await mock.flush()
            events = await drain(ws)
            assets = {c["asset_id"] for e in events for c in e.get("price_changes", [])}
            # The other token of second's market comes along, as live (sibling entries).
            assert assets == {second, market_of(mock, second).other(second)}


async def test_dynamic_subscribe_adds_asset_events(mock_factory):
    """`{"operation": "subscribe"}` adds an asset: its book, then its deltas (§1.3)."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.asset_ids[0], mock.asset_ids[2]
        async with market_socket(mock, [first]) as ws:
            await next_events(ws)
            await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [second]}))
            book = await wait_for_event(ws, lambda e: e["event_type"] == "book")
            _assert_book(book, mock, second)
            mock.exchange.place_order(second, "BUY", resting_buy_price(mock, second), "10")
            event = await wait_for_event(ws, lambda e: e["event_type"] == "price_change")
            assert event["price_changes"][0]["asset_id"] == second


async def test_generated_activity_is_string_encoded_and_valid(mock_factory):
    """Generated activity is price_change in the new schema, all numbers as strings (§1.4, §1.6)."""
    async with mock_factory(activity_interval=1.0) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            events = []
            for _ in range(6):
                events += await next_events(ws, within=3)
            changes = [e for e in events if e["event_type"] == "price_change"]
            assert len(changes) >= 3
            for event in events:
                assert non_string_numbers(event, allowed={"neg_risk"}) == []
                assert validate(event) == []
            for event in changes:
                assert set(event) == PRICE_CHANGE_FIELDS
                for change in event["price_changes"]:
                    _assert_keys(change, PRICE_CHANGE_ENTRY_REQUIRED | PRICE_CHANGE_ENTRY_OPTIONAL)
                    assert change["side"] in {"BUY", "SELL"}


async def test_no_activity_when_quiet(mock_factory):
    """With activity_interval=None nothing follows the initial dump on its own."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            assert await expect_silence(ws, 60) == []


async def test_local_book_tracks_best_prices_of_price_change(mock_factory):
    """`best_bid`/`best_ask` in each price_change equal the book after applying it (§1.6)."""
    async with mock_factory(activity_interval=0.5) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            local = LocalBook()
            checked = 0
            for _ in range(30):
                for event in await next_events(ws, within=3):
                    local.apply(event)
                    if event["event_type"] != "price_change":
                        continue
                    last = {c["asset_id"]: c for c in event["price_changes"]}
                    change = last.get(asset)
                    if change is None:
                        continue
                    bid, ask = local.best_bid(asset), local.best_ask(asset)
                    if bid is not None:
                        assert Decimal(change["best_bid"]) == bid, (change, bid)
                    if ask is not None:
                        assert Decimal(change["best_ask"]) == ask, (change, ask)
                    checked += 1
            assert checked >= 10


# --- events driven by market lifecycle: tick size, new market, resolution -------------------
# The contract lists no driver call for these; the mock's Exchange offers set_tick_size,
# add_market and resolve_market (also reachable over /_mock/tick, /_mock/new-market,
# /_mock/resolve), which these tests use.

TICK_SIZE_CHANGE_FIELDS = {
    "event_type",
    "asset_id",
    "market",
    "old_tick_size",
    "new_tick_size",
    "timestamp",
}
NEW_MARKET_REQUIRED = {
    "event_type",
    "id",
    "question",
    "market",
    "slug",
    "assets_ids",
    "outcomes",
    "timestamp",
}
NEW_MARKET_OPTIONAL = {
    "description",
    "event_message",
    "tags",
    "condition_id",
    "active",
    "clob_token_ids",
    "sports_market_type",
    "line",
    "game_start_time",
    "order_price_min_tick_size",
    "group_item_title",
    # accepted by the TS SDK binding [C-tssdk-clob]
    "taker_base_fee",
    "fees_enabled",
    "fee_schedule",
}
MARKET_RESOLVED_REQUIRED = {
    "event_type",
    "id",
    "market",
    "assets_ids",
    "winning_asset_id",
    "winning_outcome",
    "timestamp",
}
# AsyncAPI optional fields plus those in the docs page example (§1.9)
MARKET_RESOLVED_OPTIONAL = {"event_message", "tags", "question", "slug", "description", "outcomes"}


async def test_tick_size_change_fields(mock_factory):
    """A tick size change sends `tick_size_change` with old and new tick as strings (§1.7)."""
    async with mock_factory(activity_interval=None) as mock:
        market = mock.markets[0]
        asset = market.token_ids[0]
        async with market_socket(mock, [asset]) as ws:
            await next_events(ws)
            mock.exchange.set_tick_size(market.condition_id, "0.001")
            event = await wait_for_event(ws, lambda e: e["event_type"] == "tick_size_change")
            assert set(event) == TICK_SIZE_CHANGE_FIELDS
            assert event["asset_id"] == asset
            assert event["market"] == market.condition_id
            assert (event["old_tick_size"], event["new_tick_size"]) == ("0.01", "0.001")
            assert TIMESTAMP_MS.match(event["timestamp"])
            assert validate(event) == []
            own = mock.book(asset)
            if "tick_size" in own:
                assert own["tick_size"] == "0.001"


async def test_new_market_reaches_only_custom_feature_subscribers(mock_factory):
    """`new_market` is global but needs custom_feature_enabled (§1.9)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        flagged = {"type": "market", "assets_ids": [asset], "custom_feature_enabled": True}
        async with market_socket(mock, flagged) as on, market_socket(mock, [asset]) as off:
            await next_events(on)
            await next_events(off)
            market = mock.exchange.add_market()
            event = await wait_for_event(on, lambda e: e["event_type"] == "new_market")
            _assert_keys(event, NEW_MARKET_REQUIRED, NEW_MARKET_OPTIONAL)
            assert event["market"] == market.condition_id
            assert event["assets_ids"] == list(market.token_ids)
            assert event["outcomes"] == list(market.outcomes)
            assert TIMESTAMP_MS.match(event["timestamp"])
            assert validate(event) == []
            await mock.flush()
            assert not [e for e in await drain(off) if e["event_type"] in CUSTOM_FEATURE_EVENTS]


async def test_market_resolved_reaches_custom_feature_subscribers_of_the_market(mock_factory):
    """`market_resolved` names the winning token and outcome; flag required (§1.9)."""
    async with mock_factory(activity_interval=None) as mock:
        market = mock.markets[0]
        assets = list(market.token_ids)
        flagged = {"type": "market", "assets_ids": assets, "custom_feature_enabled": True}
        async with market_socket(mock, flagged) as on, market_socket(mock, assets) as off:
            await next_events(on)
            await next_events(off)
            mock.exchange.resolve_market(market.condition_id, "Yes")
            event = await wait_for_event(on, lambda e: e["event_type"] == "market_resolved")
            _assert_keys(event, MARKET_RESOLVED_REQUIRED, MARKET_RESOLVED_OPTIONAL)
            assert event["market"] == market.condition_id
            assert event["assets_ids"] == assets
            assert event["winning_outcome"] == "Yes"
            assert event["winning_asset_id"] == assets[list(market.outcomes).index("Yes")]
            assert validate(event) == []
            await mock.flush()
            assert not [e for e in await drain(off) if e["event_type"] in CUSTOM_FEATURE_EVENTS]


async def test_empty_assets_subscription_for_new_market_discovery(mock_factory):
    """`assets_ids: []` with the flag is a valid discovery socket that gets new_market (§1.9)."""
    async with mock_factory(activity_interval=None) as mock:
        frame = {"type": "market", "assets_ids": [], "custom_feature_enabled": True}
        async with market_socket(mock, frame) as ws:
            await mock.wait_for(lambda m: m.connections[-1].subscribed_at is not None)
            market = mock.exchange.add_market()
            event = await wait_for_event(ws, lambda e: e["event_type"] == "new_market")
            assert event["market"] == market.condition_id
            assert mock.connections[-1].closed_at is None
