"""User-channel frames of the mock against live captures of the real service.

Sources (read with the code index, repository nautechsystems/nautilus_trader):

* ``crates/adapters/polymarket/test_data/ws_user_order_fok_killed.json`` @73b5ea92: the live frame
  quoted (ids masked) in NT issue #3987 (2026-05), a FOK order killed by the venue.
* ``crates/adapters/polymarket/test_data/ws_user_order_fok_buy_pusd_size.json`` @47983203 (2026-08):
  the same shape and status text.
* ``tests/integration_tests/adapters/polymarket/resources/ws_messages/user_trade1.json`` @17b9c239
  (2024-09): a trade seen by a MAKER. Top-level owner/trade_owner/maker_address are the taker's,
  size is the taker's total, maker_orders lists all six makers.
* ``.../ws_messages/user_trade3.json`` @e833d399: maker_orders entries with ``side``.
* hbr-l/polypy#11: ``CANCELED_MARKET_RESOLVED`` arrived as an order ``status`` on the user stream.
"""

import asyncio
import json
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from polymarket_mock.messages import FOK_KILLED_STATUS, MARKET_RESOLVED_STATUS, validate
from polymarket_mock.scenarios import run_scenario

from tests.mock._support import (
    drain,
    market_socket,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    resting_buy_price,
    user_socket,
    wait_for_event,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]

# Keys of ws_user_order_fok_killed.json and ws_user_order_fok_buy_pusd_size.json (identical).
KILLED_FOK_KEYS = {
    "id",
    "owner",
    "market",
    "asset_id",
    "side",
    "order_owner",
    "original_size",
    "size_matched",
    "price",
    "associate_trades",
    "outcome",
    "type",
    "created_at",
    "expiration",
    "order_type",
    "status",
    "maker_address",
    "timestamp",
    "event_type",
}
# Keys of user_trade1.json (2024-09, trader_side MAKER).
MAKER_TRADE_KEYS = {
    "asset_id",
    "bucket_index",
    "event_type",
    "fee_rate_bps",
    "id",
    "last_update",
    "maker_address",
    "maker_orders",
    "market",
    "match_time",
    "outcome",
    "owner",
    "price",
    "side",
    "size",
    "status",
    "taker_order_id",
    "timestamp",
    "trade_owner",
    "trader_side",
    "transaction_hash",
    "type",
}
# Keys of a maker_orders entry in user_trade3.json (user_trade1.json has the same without side).
MAKER_ENTRY_KEYS = {
    "order_id",
    "owner",
    "maker_address",
    "matched_amount",
    "price",
    "fee_rate_bps",
    "asset_id",
    "outcome",
    "side",
}


def _orders_of(events: list[dict], order_id: str) -> list[dict]:
    return [e for e in events if e.get("event_type") == "order" and e.get("id") == order_id]


async def _authenticated(mock):
    await mock.wait_for(lambda m: m.connections and m.connections[-1].authenticated)


async def test_fok_that_cannot_fill_is_killed_with_the_captured_frame(mock_factory):
    """A FOK bigger than the liquidity is one CANCELLATION shaped exactly like the captures."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        book_before = mock.book(asset)
        ask = min(book_before["asks"], key=lambda level: Decimal(level["price"]))
        async with user_socket(mock) as ws:
            await _authenticated(mock)
            too_big = Decimal(ask["size"]) + 1  # only the best level is within the price
            order_id, trade_id = mock.exchange.fill_or_kill(asset, "BUY", ask["price"], too_big)
            assert trade_id is None
            await mock.flush()
            events = await drain(ws)
        assert len(events) == 1, f"one frame, no PLACEMENT and no trade: {events}"
        (event,) = events
        assert set(event) == KILLED_FOK_KEYS
        assert event["event_type"] == "order" and event["type"] == "CANCELLATION"
        assert event["id"] == order_id and event["order_type"] == "FOK"
        assert event["status"] == (
            "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed."
        )
        assert event["size_matched"] == "" and event["created_at"] == ""
        assert event["outcome"] == "" and event["associate_trades"] == []
        assert event["expiration"] == "0"
        assert Decimal(event["original_size"]) == too_big
        assert event["owner"] == event["order_owner"] == mock.credentials.api_key
        assert validate(event) == []
        book_after = mock.book(asset)
        assert (book_after["bids"], book_after["asks"]) == (
            book_before["bids"],
            book_before["asks"],
        )
        assert mock.exchange.orders[order_id]["status"] == FOK_KILLED_STATUS


async def test_fok_that_crosses_nothing_is_killed_not_refused(mock_factory):
    """The 2026-08 capture is a BUY at 0.01: a FOK that crosses nothing is killed too."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await _authenticated(mock)
            order_id, trade_id = mock.exchange.fill_or_kill(asset, "BUY", "0.01", "1.01")
            event = await wait_for_event(ws, lambda e: e.get("id") == order_id)
        assert trade_id is None
        assert event["status"] == FOK_KILLED_STATUS and event["original_size"] == "1.01"


async def test_fok_that_can_fill_trades_in_full(mock_factory):
    """A FOK within the liquidity fills in full as a taker; nothing is killed."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        ask = min(mock.book(asset)["asks"], key=lambda level: Decimal(level["price"]))
        async with user_socket(mock) as ws:
            await _authenticated(mock)
            order_id, trade_id = mock.exchange.fill_or_kill(asset, "BUY", ask["price"], "2")
            await mock.flush()
            events = await drain(ws)
        assert trade_id is not None
        assert [e["type"] for e in _orders_of(events, order_id)] == ["PLACEMENT", "UPDATE"]
        (trade,) = [e for e in events if e["event_type"] == "trade"]
        assert trade["taker_order_id"] == order_id and trade["trader_side"] == "TAKER"
        assert Decimal(trade["size"]) == 2
        assert mock.exchange.orders[order_id]["order_type"] == "FOK"
        assert mock.exchange.orders[order_id]["status"] == "MATCHED"


async def test_take_with_fok_type_is_killed_instead_of_partly_filled(mock_factory):
    """`take(order_type="FOK")` never leaves a partial fill: killed, no trade, book intact."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        before = mock.book(asset)
        ask = min(before["asks"], key=lambda level: Decimal(level["price"]))
        size = Decimal(ask["size"]) + 5
        assert mock.exchange.take(asset, "BUY", ask["price"], size, order_type="FOK") is None
        assert not mock.exchange.trades
        assert mock.book(asset)["asks"] == before["asks"]


async def test_market_resolution_cancels_open_orders_with_market_resolved_status(mock_factory):
    """Resolving a market: market_resolved, then CANCELED_MARKET_RESOLVED for its LIVE orders."""
    async with mock_factory(activity_interval=None) as mock:
        market, other = mock.markets[0], mock.markets[1]
        yes = market.token_ids[0]
        frame = {"assets_ids": list(market.token_ids), "custom_feature_enabled": True}
        async with (
            market_socket(mock, {**frame, "type": "market"}) as market_ws,
            user_socket(mock) as ws,
        ):
            await _authenticated(mock)
            await mock.wait_for(lambda m: m.connections[0].subscribed_at is not None)
            price = resting_buy_price(mock, yes)
            open_order = mock.exchange.place_order(yes, "BUY", price, "30")
            partly = mock.exchange.place_order(yes, "BUY", price, "20")
            mock.exchange.fill(partly, "5")
            elsewhere = mock.exchange.place_order(
                other.token_ids[0], "BUY", resting_buy_price(mock, other.token_ids[0]), "10"
            )
            done = mock.exchange.place_order(yes, "BUY", price, "10")
            mock.exchange.cancel(done)
            await mock.flush()
            await drain(ws)
            level_before = mock.exchange.books[yes].size_at("BUY", Decimal(price))
            mock.exchange.resolve_market(market.condition_id, "Yes")
            await mock.flush()
            events = await drain(ws)
            market_events = await drain(market_ws)
        cancels = {e["id"]: e for e in events if e["type"] == "CANCELLATION"}
        assert set(cancels) == {open_order, partly}, "LIVE orders of that market only"
        for order_id, event in cancels.items():
            assert event["status"] == "CANCELED_MARKET_RESOLVED" == MARKET_RESOLVED_STATUS
            assert validate(event) == []
            assert mock.exchange.orders[order_id]["status"] == MARKET_RESOLVED_STATUS
        assert Decimal(cancels[partly]["size_matched"]) == 5
        assert mock.exchange.orders[elsewhere]["status"] == "LIVE"
        assert mock.exchange.orders[done]["status"] == "CANCELED"
        kinds = [e["event_type"] for e in market_events]
        assert "market_resolved" in kinds
        resolved_at = kinds.index("market_resolved")
        assert "price_change" in kinds[resolved_at:], "the canceled orders leave the book"
        level_after = mock.exchange.books[yes].size_at("BUY", Decimal(price))
        assert level_before - level_after == 30 + 15


async def test_maker_trade_has_the_captured_shape_with_every_maker(mock_factory):
    """A maker's trade: the taker's owner/side/size on top, every maker in maker_orders[]."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        me = mock.credentials.api_key
        async with user_socket(mock) as ws:
            await _authenticated(mock)
            price = resting_buy_price(mock, asset)
            level_before = mock.exchange.books[asset].size_at("BUY", Decimal(price))
            order_id = mock.exchange.place_order(asset, "BUY", price, "100")
            assert mock.exchange.outside_size(asset, "BUY", price) >= 2
            trade_id = mock.exchange.fill(order_id, "40", others=["1.5", "0.5"])
            await mock.flush()
            events = await drain(ws)
        (trade,) = [e for e in events if e["event_type"] == "trade"]
        assert trade["id"] == trade_id
        assert set(trade) == MAKER_TRADE_KEYS
        assert trade["trader_side"] == "MAKER" and trade["status"] == "MATCHED"
        # the taker's view on top: its key, its address, its side, its total
        assert trade["owner"] == trade["trade_owner"] != me
        assert trade["maker_address"] != mock.exchange.orders[order_id]["maker_address"]
        assert trade["side"] == "SELL"
        assert Decimal(trade["size"]) == 42
        assert Decimal(trade["price"]) == Decimal(price)
        makers = trade["maker_orders"]
        assert len(makers) == 3
        assert all(set(entry) == MAKER_ENTRY_KEYS for entry in makers)
        assert sum(Decimal(entry["matched_amount"]) for entry in makers) == 42
        (mine,) = [entry for entry in makers if entry["owner"] == me]
        assert mine["order_id"] == order_id and Decimal(mine["matched_amount"]) == 40
        assert mine["side"] == "BUY" and mine["asset_id"] == asset
        others = [entry for entry in makers if entry is not mine]
        assert len({entry["owner"] for entry in others} | {trade["owner"], me}) == 4
        assert trade["taker_order_id"] not in {entry["order_id"] for entry in makers}
        assert trade["match_time"].isdigit() and len(trade["match_time"]) == 10, "seconds"
        assert validate(trade) == []
        (update,) = [e for e in _orders_of(events, order_id) if e["type"] == "UPDATE"]
        assert Decimal(update["size_matched"]) == 40
        assert mock.exchange.books[asset].size_at("BUY", Decimal(price)) == level_before + 100 - 42


async def test_fill_refuses_more_other_makers_than_rest_there(mock_factory):
    """`others` come from outside liquidity at that price; asking for more is a ValueError."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        price = resting_buy_price(mock, asset)
        order_id = mock.exchange.place_order(asset, "BUY", price, "10")
        outside = mock.exchange.outside_size(asset, "BUY", price)
        with pytest.raises(ValueError):
            mock.exchange.fill(order_id, "5", others=[outside + 1])
        assert mock.exchange.orders[order_id]["size_matched"] == "0"
        assert not mock.exchange.trades


@pytest.mark.parametrize(
    ("scenario", "status"),
    [("fok-killed", FOK_KILLED_STATUS), ("market-resolved", MARKET_RESOLVED_STATUS)],
)
async def test_scenarios_emit_the_canceled_reason_statuses(mock_factory, scenario, status):
    """`--scenario fok-killed` and `--scenario market-resolved` produce those frames at --at."""
    async with mock_factory(activity_interval=None) as mock:
        async with user_socket(mock) as ws:
            await _authenticated(mock)
            await run_scenario(mock, scenario, at=0.5)
            event = await wait_for_event(ws, lambda e: e.get("type") == "CANCELLATION")
        assert event["status"] == status
        assert validate(event) == []


async def test_control_endpoint_fok_and_fill_with_other_makers(mock_factory):
    """/_mock/fok kills or fills a FOK order; /_mock/fill takes `others` as a comma list."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        killed = await _control(
            mock, "/_mock/fok", asset_id=asset, side="BUY", price="0.01", size="5"
        )
        assert killed["trade_id"] is None
        assert mock.exchange.orders[killed["order_id"]]["status"] == FOK_KILLED_STATUS
        price = resting_buy_price(mock, asset)
        order_id = mock.exchange.place_order(asset, "BUY", price, "10")
        filled = await _control(mock, "/_mock/fill", order_id=order_id, size="4", others="1,0.5")
        trade = mock.exchange.trades[filled["trade_id"]]
        assert [m["matched_amount"] for m in trade["maker_orders"]] == ["1", "0.5", "4"]
        assert trade["size"] == "5.5"


async def _control(mock, path: str, **params: str) -> dict:
    url = f"{mock.http_url}{path}?{urllib.parse.urlencode(params)}"

    def get() -> dict:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=5) as response:
            return json.loads(response.read())

    return await asyncio.to_thread(get)


@pytest.mark.parametrize("status", ["INVALID", "CANCELED_MARKET_RESOLVED", "CANCELED_by_venue"])
async def test_cancel_with_a_venue_status(mock_factory, status):
    """cancel(status=...) sends the CANCELED_<reason> family and the captured INVALID."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await _authenticated(mock)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "5")
            mock.exchange.cancel(order_id, status)
            event = await wait_for_event(ws, lambda e: e.get("type") == "CANCELLATION")
        assert event["id"] == order_id and event["status"] == status
        assert validate(event) == []


async def test_cancel_refuses_a_status_outside_the_family(mock_factory):
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "5")
        with pytest.raises(ValueError):
            mock.exchange.cancel(order_id, "FILLED")
        assert mock.exchange.orders[order_id]["status"] == "LIVE"


async def test_wire_variant_options(mock_factory):
    """transaction_hash set at MATCHED (2024 capture) and created_at in ms (nautilus fixture)."""
    async with mock_factory(
        activity_interval=None, transaction_hash_at_match=True, created_at_ms=True
    ) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await _authenticated(mock)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "5")
            trade_id = mock.exchange.fill(order_id, "2")
            await mock.flush()
            events = await drain(ws)
        placement = _orders_of(events, order_id)[0]
        assert len(placement["created_at"]) == 13 and placement["created_at"].isdigit()
        assert int(placement["created_at"]) // 1000 == mock.exchange.orders[order_id]["created_at"]
        (trade,) = [e for e in events if e["event_type"] == "trade"]
        assert trade["status"] == "MATCHED" and trade["id"] == trade_id
        assert trade["transaction_hash"].startswith("0x") and len(trade["transaction_hash"]) == 66
        mock.exchange.advance_trade(trade_id, "MINED")
        assert mock.exchange.trades[trade_id]["transaction_hash"] == trade["transaction_hash"]
        assert validate(placement) == [] and validate(trade) == []


def _captured(name: str) -> dict:
    """A capture of the team's wire corpus (tests/wire/corpus/nautilus_trader/...)."""
    from tests.wire.corpus import CORPUS

    return json.loads((CORPUS / "nautilus_trader" / name).read_text(encoding="utf-8"))


def test_field_sets_above_are_the_corpus_captures():
    """The key sets these tests use are exactly those of the real frames in tests/wire/corpus."""
    for name in ("ws_user_order_fok_killed.json", "ws_user_order_fok_buy_pusd_size.json"):
        capture = _captured(f"test_data/{name}")
        assert set(capture) == KILLED_FOK_KEYS
        assert capture["status"] == FOK_KILLED_STATUS
        assert capture["size_matched"] == capture["created_at"] == capture["outcome"] == ""
    maker_trade = _captured("ws_messages/user_trade1.json")
    assert set(maker_trade) == MAKER_TRADE_KEYS and maker_trade["trader_side"] == "MAKER"
    total = sum(Decimal(m["matched_amount"]) for m in maker_trade["maker_orders"])
    assert total == Decimal(maker_trade["size"]), "top-level size is the taker's total"
    (entry,) = _captured("ws_messages/user_trade3.json")["maker_orders"]
    assert set(entry) == MAKER_ENTRY_KEYS
