"""A client that applies `book` + `price_change` ends with the mock's own book (ref §1.5, §1.6)."""

import asyncio
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polymarket_mock import MockConfig, MockPolymarket
from polymarket_mock.messages import last_trade_price_text

from tests.mock._support import (
    LocalBook,
    best_ask,
    best_bid,
    book_levels,
    drain,
    market_socket,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    recompute_book_hash,
    resting_buy_price,
)

pytestmark = pytest.mark.usefixtures("no_mock_errors")

ONE = Decimal(1)


def _assert_same_book(local: LocalBook, own: dict) -> None:
    asset = own["asset_id"]
    assert local.bids.get(asset, {}) == book_levels(own["bids"]), "bids differ from mock.book"
    assert local.asks.get(asset, {}) == book_levels(own["asks"]), "asks differ from mock.book"


# The hash covers fields a WebSocket `book` does not always carry: min_order_size and neg_risk
# never (REST /book has them), tick_size and last_trade_price not after a trade (tests/wire
# corpus: ws_book_snapshot_captured.json, ws_market_price_change_crossing_burst.json). A client
# keeps them from REST, the last book that had them, last_trade_price and tick_size_change.
HIDDEN = ("min_order_size", "neg_risk", "tick_size", "last_trade_price")


def _hidden_fields(mock) -> dict[str, dict]:
    """Per asset, the hashed fields as REST /book (the mock's full summary) gives them now."""
    return {a: {k: mock.book(a)[k] for k in HIDDEN} for a in mock.asset_ids}


def _remember(known: dict[str, dict], event: dict) -> None:
    kind, asset = event["event_type"], event.get("asset_id")
    if kind == "last_trade_price":
        # Books write the price with three decimals ("0.500", live initial dumps) and the hash
        # covers that text; inference: the post-trade book's hash uses the same text.
        known[asset]["last_trade_price"] = last_trade_price_text(event["price"])
    elif kind == "tick_size_change":
        known[asset]["tick_size"] = event["new_tick_size"]
    elif kind == "book":
        known[asset].update({k: event[k] for k in HIDDEN if k in event})


def _apply_all(local: LocalBook, events: list[dict], known: dict[str, dict]) -> None:
    """Apply events in order; every `book` must agree with the deltas that preceded it."""
    for event in events:
        _remember(known, event)
        if event["event_type"] == "book":
            assert not set(event) & {"min_order_size", "neg_risk"}, "REST-only field on the WS"
            full = {**known[event["asset_id"]], **event}
            assert event["hash"] == recompute_book_hash(full), "book hash does not recompute"
            if event["asset_id"] in local.bids:
                # the mock sends price_change BEFORE the post-trade book, so they must agree
                assert local.matches(event), "a book snapshot disagrees with the deltas before it"
        local.apply(event)


@pytest.mark.looptime
async def test_initial_book_hash_recomputes_with_py_clob_client_v2(mock_factory):
    """The initial book's hash equals generate_orderbook_summary_hash of its content (§1.5)."""
    async with mock_factory(activity_interval=None) as mock:
        known = _hidden_fields(mock)
        async with market_socket(mock, mock.asset_ids) as ws:
            seen = 0
            while seen < len(mock.asset_ids):
                for event in await next_events(ws):
                    full = {**known[event["asset_id"]], **event}
                    assert event["hash"] == recompute_book_hash(full)
                    seen += 1
        for asset in mock.asset_ids:
            own = mock.book(asset)
            assert own["hash"] == recompute_book_hash(own)


@pytest.mark.looptime
async def test_hash_changes_when_the_book_changes(mock_factory):
    """A changed book has a different hash, and it still recomputes (§1.5)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        before = mock.book(asset)
        mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "25")
        after = mock.book(asset)
        assert after["hash"] != before["hash"]
        assert after["hash"] == recompute_book_hash(after)


@pytest.mark.looptime
async def test_driver_sequence_rebuilds_the_mock_book(mock_factory):
    """Place, fill, take and cancel: client-side book == mock.book(asset) at the end."""
    async with mock_factory(activity_interval=None) as mock:
        market = mock.markets[0]
        assets = list(market.token_ids)
        known = _hidden_fields(mock)
        async with market_socket(mock, assets) as ws:
            local = LocalBook()
            events: list[dict] = []
            while len(events) < len(assets):
                events += await next_events(ws)
            _apply_all(local, events, known)
            asset = assets[0]
            tick = Decimal(market.tick_size)
            bid = resting_buy_price(mock, asset)
            resting = mock.exchange.place_order(asset, "BUY", bid, "100")
            deeper = mock.exchange.place_order(asset, "BUY", str(Decimal(bid) - 2 * tick), "30")
            mock.exchange.fill(resting, "40")
            ask_level = min(mock.book(asset)["asks"], key=lambda level: Decimal(level["price"]))
            mock.exchange.take(asset, "BUY", ask_level["price"], "1")
            mock.exchange.cancel(deeper)
            mock.exchange.fill(resting, "60")
            await mock.flush()
            _apply_all(local, await drain(ws), known)
            for token in assets:
                _assert_same_book(local, mock.book(token))


@pytest.mark.looptime
async def test_activity_stream_rebuilds_the_mock_book(mock_factory):
    """Generated activity alone keeps a client-side book equal to the mock's books."""
    async with mock_factory(activity_interval=1.0) as mock:
        assets = list(mock.markets[0].token_ids)
        known = _hidden_fields(mock)
        async with market_socket(mock, assets) as ws:
            local = LocalBook()
            events: list[dict] = []
            for _ in range(20):
                events += await next_events(ws, within=3)
            # Under looptime a frame arrives at the loop time it was sent, so once the socket
            # stays quiet for less than the activity interval, everything generated so far has
            # been read; the odd quiet period avoids coinciding with an activity timer.
            events += await drain(ws, quiet=0.137)
            _apply_all(local, events, known)
            assert any(e["event_type"] == "price_change" for e in events)
            for token in assets:
                _assert_same_book(local, mock.book(token))


# --- property: any sequence of driver actions keeps client and mock books equal -------------

ACTION = st.one_of(
    st.tuples(
        st.just("place"), st.sampled_from(["BUY", "SELL"]), st.integers(0, 4), st.integers(0, 50)
    ),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("fill"), st.integers(0, 20), st.integers(1, 100)),
    st.tuples(st.just("take"), st.sampled_from(["BUY", "SELL"]), st.integers(1, 100)),
)


def _do(mock, market, action, live: list[str]) -> None:
    """Translate one drawn action into a valid driver call on the market's YES token."""
    asset = market.token_ids[0]
    book = mock.book(asset)
    tick = Decimal(market.tick_size)
    minimum = max(Decimal(market.min_order_size or 1), ONE)
    kind = action[0]
    if kind == "place":
        _, side, offset, extra = action
        if side == "BUY":
            top = best_bid(book) or tick
            price = top - offset * tick
        else:
            top = best_ask(book) or (ONE - tick)
            price = top + offset * tick
        if tick <= price <= ONE - tick:
            live.append(mock.exchange.place_order(asset, side, str(price), str(minimum + extra)))
    elif kind in {"cancel", "fill"}:
        orders = [oid for oid in live if mock.exchange.orders[oid]["status"] == "LIVE"]
        if not orders:
            return
        order_id = orders[action[1] % len(orders)]
        if kind == "cancel":
            mock.exchange.cancel(order_id)
            return
        record = mock.exchange.orders[order_id]
        remaining = Decimal(record["original_size"]) - Decimal(record["size_matched"])
        size = (remaining * action[2] / 100).quantize(ONE, rounding=ROUND_DOWN)
        if size >= ONE:
            mock.exchange.fill(order_id, str(size))
    else:
        _, side, percent = action
        levels = book["asks"] if side == "BUY" else book["bids"]
        if not levels:
            return
        pick = min if side == "BUY" else max
        level = pick(levels, key=lambda lv: Decimal(lv["price"]))
        # take() matches outside liquidity only; stay within it so nothing is left resting
        outside = Decimal(level["size"]) - _own_remaining(mock, asset, level["price"], side)
        size = (outside * percent / 100).quantize(ONE, rounding=ROUND_DOWN)
        if size >= ONE:
            mock.exchange.take(asset, side, level["price"], str(size))


def _own_remaining(mock, asset: str, price: str, taker_side: str) -> Decimal:
    """Unfilled size of the user's own live orders resting at `price` opposite the taker."""
    resting_side = "SELL" if taker_side == "BUY" else "BUY"
    return sum(
        (
            Decimal(order["original_size"]) - Decimal(order["size_matched"])
            for order in mock.exchange.orders.values()
            if order["asset_id"] == asset
            and order["status"] == "LIVE"
            and order["side"] == resting_side
            and Decimal(order["price"]) == Decimal(price)
        ),
        Decimal(0),
    )


def _assert_not_crossed(book: dict) -> None:
    bid, ask = best_bid(book), best_ask(book)
    if bid is not None and ask is not None:
        assert bid < ask, f"the mock's own book is crossed or locked: bid {bid} >= ask {ask}"


async def _run_actions(actions) -> None:
    config = MockConfig(port=0, seed=7, markets=1, activity_interval=None)
    async with MockPolymarket(config) as mock:
        market = mock.markets[0]
        assets = list(market.token_ids)
        known = _hidden_fields(mock)
        async with market_socket(mock, assets) as ws:
            local = LocalBook()
            first: list[dict] = []
            while len(first) < len(assets):
                first += await next_events(ws)
            _apply_all(local, first, known)
            live: list[str] = []
            for action in actions:
                _do(mock, market, action, live)
                _assert_not_crossed(mock.book(market.token_ids[0]))
            await mock.flush()
            # real time here (no looptime): the frames are already written to loopback
            _apply_all(local, await drain(ws, quiet=0.1), known)
            for token in assets:
                own = mock.book(token)
                _assert_same_book(local, own)
                assert own["hash"] == recompute_book_hash(own)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    # the same examples every run: a CI failure is reproducible, never a flake
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(ACTION, min_size=1, max_size=25))
def test_random_driver_actions_keep_client_book_equal(actions):
    """For any sequence of driver actions, book + price_change rebuild mock.book exactly."""
    asyncio.run(_run_actions(actions))


@pytest.mark.looptime
async def test_take_never_leaves_a_locked_book(mock_factory):
    """A taker order larger than the outside liquidity must not rest against our own ask."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        ask = min(mock.book(asset)["asks"], key=lambda level: Decimal(level["price"]))
        mock.exchange.place_order(asset, "SELL", ask["price"], "5")
        level = min(mock.book(asset)["asks"], key=lambda level: Decimal(level["price"]))
        # more than the outside liquidity at the best ask, less than the whole level
        size = Decimal(level["size"]) - 2
        mock.exchange.take(asset, "BUY", level["price"], str(size))
        _assert_not_crossed(mock.book(asset))
