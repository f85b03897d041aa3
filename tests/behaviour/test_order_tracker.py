"""order_tracker.py and account_sync.py: idempotent order state, reconciled over REST."""

from __future__ import annotations

import asyncio
import copy
import itertools
from decimal import Decimal

import account_sync
import pytest
from account_sync import AccountSync, ClobClientReader, read_account
from credentials import Credentials, clob_client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from order_tracker import (
    FINAL_ORDER_STATUSES,
    FINAL_TRADE_STATUSES,
    TRADE_TRANSITIONS,
    OrderTracker,
    orders_to_fetch,
)
from polymarket_mock.exchange import TRADE_TRANSITIONS as MOCK_TRADE_TRANSITIONS
from polymarket_mock.exchange import Exchange
from user_events import parse_order, parse_trade

from tests.behaviour.samples import OWNER, order_event


def _trade(**changes) -> dict:
    event = {
        "event_type": "trade",
        "type": "TRADE",
        "id": "trade-1",
        "taker_order_id": "0xtaker",
        "market": "0xmarket",
        "asset_id": "123",
        "side": "SELL",
        "size": "4",
        "price": "0.52",
        "status": "MATCHED",
        "match_time": "1782753412",
        "owner": OWNER,
        "transaction_hash": "",
        "maker_orders": [
            {
                "order_id": "0xorder",
                "owner": OWNER,
                "matched_amount": "4",
                "price": "0.52",
                "asset_id": "123",
                "side": "BUY",
            }
        ],
        "trader_side": "MAKER",
        "timestamp": "1782753412008",
    }
    event.update(changes)
    return event


def _apply_order(tracker: OrderTracker, **changes):
    return tracker.apply_order(parse_order(order_event(**changes)))


def _apply_trade(tracker: OrderTracker, **changes):
    return tracker.apply_trade(parse_trade(_trade(**changes)))


# --- orders -----------------------------------------------------------------------------


def test_placement_creates_a_live_order_and_reports_it():
    """A PLACEMENT creates the order and returns one change line."""
    tracker = OrderTracker(owner=OWNER)
    change = _apply_order(tracker)
    assert change is not None and change.kind == "order" and change.source == "ws"
    assert "status=LIVE matched=0/10 remaining=10" in str(change)
    assert tracker.open_order_ids() == {"0xorder"}


def test_the_same_event_twice_changes_nothing():
    """A duplicate event returns None and leaves the state as it was."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker)
    assert _apply_order(tracker) is None
    _apply_order(tracker, type="UPDATE", size_matched="4", associate_trades=["trade-1"])
    assert _apply_order(tracker, type="UPDATE", size_matched="4") is None
    assert tracker.orders["0xorder"].size_matched == Decimal("4")


def test_partial_then_full_fill():
    """UPDATEs grow size_matched; remaining is original_size - size_matched; full is MATCHED."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker)
    change = _apply_order(tracker, type="UPDATE", size_matched="4")
    assert "status=LIVE matched=4/10 remaining=6" in change.line and "(UPDATE)" in change.line
    change = _apply_order(tracker, type="UPDATE", size_matched="10", status="MATCHED")
    assert "status=MATCHED matched=10/10 remaining=0" in change.line
    assert tracker.open_order_ids() == set()


def test_a_change_carries_the_size_newly_matched():
    """Change.filled: size_matched now minus before (a new order: all of it; a status alone: 0)."""
    tracker = OrderTracker(owner=OWNER)
    assert _apply_order(tracker).filled == 0
    assert _apply_order(tracker, type="UPDATE", size_matched="4").filled == Decimal("4")
    assert _apply_order(tracker, type="UPDATE", size_matched="10").filled == Decimal("6")
    change = _apply_order(tracker, type="UPDATE", size_matched="10", status="MATCHED")
    assert change.filled == 0
    assert _apply_order(OrderTracker(owner=OWNER), size_matched="3").filled == Decimal("3")


def test_an_older_update_cannot_lower_size_matched():
    """size_matched never goes down: a stale UPDATE (e.g. from REST) is ignored."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker, type="UPDATE", size_matched="6")
    assert _apply_order(tracker, type="UPDATE", size_matched="4") is None
    assert tracker.orders["0xorder"].size_matched == Decimal("6")


def test_cancel_after_partial_fill_keeps_the_matched_part():
    """CANCELLATION keeps size_matched; a later LIVE record cannot reopen the order."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker)
    _apply_order(tracker, type="UPDATE", size_matched="4")
    change = _apply_order(tracker, type="CANCELLATION", size_matched="4", status="CANCELED")
    assert "status=CANCELED matched=4/10" in change.line
    stale = order_event(size_matched="4")
    assert tracker.reconcile([stale], []) == []
    assert tracker.orders["0xorder"].status == "CANCELED"


def test_cancellation_without_status_means_canceled():
    """A CANCELLATION that carries no status still ends the order."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker)
    event = order_event(type="CANCELLATION")
    event.pop("status")
    tracker.apply_order(parse_order(event))
    assert tracker.orders["0xorder"].status == "CANCELED"


def test_an_update_that_arrives_after_the_cancel_still_counts_its_fill():
    """A fill reported after the cancel raises size_matched but the order stays CANCELED."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker, type="CANCELLATION", status="CANCELED")
    change = _apply_order(tracker, type="UPDATE", size_matched="4", status="LIVE")
    assert "status=CANCELED matched=4/10" in change.line


def test_first_sight_can_be_an_update():
    """An order first seen through an UPDATE (its PLACEMENT was missed) is tracked."""
    tracker = OrderTracker(owner=OWNER)
    change = _apply_order(tracker, type="UPDATE", size_matched="3", associate_trades=["t"])
    assert change is not None and tracker.orders["0xorder"].trade_ids == {"t"}


# --- trades -----------------------------------------------------------------------------


def test_trade_lifecycle_matched_mined_confirmed():
    """MATCHED -> MINED -> CONFIRMED each report once; CONFIRMED is final."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker)
    assert "status=MATCHED" in _apply_trade(tracker).line
    assert _apply_trade(tracker) is None
    mined = _apply_trade(tracker, status="MINED", transaction_hash="0xabc")
    assert "status=MINED" in mined.line and "tx=0xabc" in mined.line
    assert "status=CONFIRMED" in _apply_trade(tracker, status="CONFIRMED").line
    for later in ("MINED", "RETRYING", "FAILED", "MATCHED"):
        assert _apply_trade(tracker, status=later) is None
    assert tracker.trades["trade-1"].is_final
    assert tracker.orders["0xorder"].trade_ids == {"trade-1"}


def test_trade_retrying_then_mined_then_failed():
    """RETRYING can go back to MINED; FAILED is final."""
    tracker = OrderTracker(owner=OWNER)
    statuses = ["MATCHED", "MINED", "RETRYING", "MINED", "RETRYING", "FAILED"]
    changes = [_apply_trade(tracker, status=status) for status in statuses]
    assert all(changes)
    assert _apply_trade(tracker, status="CONFIRMED") is None
    assert tracker.trades["trade-1"].status == "FAILED"


def test_an_older_trade_status_is_ignored():
    """A MATCHED read after MINED (a stale REST page) does not move the trade back."""
    tracker = OrderTracker(owner=OWNER)
    _apply_trade(tracker, status="MINED")
    assert _apply_trade(tracker, status="MATCHED") is None
    assert tracker.trades["trade-1"].status == "MINED"


def test_missed_statuses_can_be_skipped():
    """MATCHED straight to CONFIRMED is accepted: the MINED event may have been missed."""
    tracker = OrderTracker(owner=OWNER)
    _apply_trade(tracker)
    assert _apply_trade(tracker, status="CONFIRMED") is not None


def test_matched_not_broadcasted_moves_on_to_matched():
    """The 2026 status MATCHED_NOT_BROADCASTED precedes MATCHED."""
    tracker = OrderTracker(owner=OWNER)
    _apply_trade(tracker, status="MATCHED_NOT_BROADCASTED")
    assert _apply_trade(tracker, status="MATCHED") is not None


def test_an_undocumented_trade_status_still_records_the_fill(caplog):
    """A trade first seen with a status nobody documented is kept (not final); then it moves on."""
    tracker = OrderTracker(owner=OWNER)
    assert tracker.apply_trade(parse_trade(_trade(status="SETTLED"))) is not None
    state = tracker.trades["trade-1"]
    assert state.status == "SETTLED" and not state.is_final and not state.is_known_status
    assert tracker.apply_trade(parse_trade(_trade(status="MINED"))) is not None
    assert tracker.apply_trade(parse_trade(_trade(status="SETTLED"))) is None
    assert tracker.trades["trade-1"].status == "MINED" and "SETTLED" in caplog.text


def test_transitions_cover_every_move_the_mock_makes():
    """Every status change the mock's exchange can make is accepted by the tracker."""
    for status, following in MOCK_TRADE_TRANSITIONS.items():
        assert set(following) <= TRADE_TRANSITIONS[status]
    assert FINAL_TRADE_STATUSES == {s for s, nxt in TRADE_TRANSITIONS.items() if not nxt}


def test_trade_links_to_an_order_seen_later():
    """A trade seen before its order is linked when the order arrives."""
    tracker = OrderTracker(owner=OWNER)
    _apply_trade(tracker)
    _apply_order(tracker, type="UPDATE", size_matched="4")
    assert tracker.orders["0xorder"].trade_ids == {"trade-1"}


def test_pending_trade_times_lists_only_unfinished_trades():
    """pending_trade_times gives match_time of trades that are not final yet."""
    tracker = OrderTracker(owner=OWNER)
    _apply_trade(tracker, id="a", match_time="100")
    _apply_trade(tracker, id="b", match_time="200", status="CONFIRMED")
    assert tracker.pending_trade_times() == [100]


# --- reconciliation inputs --------------------------------------------------------------


def test_reconcile_reports_rest_changes_once():
    """REST records apply like events, marked [rest]; the same read again changes nothing."""
    tracker = OrderTracker(owner=OWNER)
    _apply_order(tracker)
    record = {k: v for k, v in order_event(size_matched="10", status="MATCHED").items()}
    for key in ("event_type", "type", "timestamp"):
        record.pop(key)
    trade = _trade(status="CONFIRMED")
    changes = tracker.reconcile([], [trade], [record])
    assert [(c.kind, c.source) for c in changes] == [("order", "rest"), ("trade", "rest")]
    assert str(changes[0]).endswith("[rest]") and "(REST)" in changes[0].line
    assert tracker.reconcile([], [trade], [record]) == []


def test_reconcile_skips_malformed_records(caplog):
    """A malformed REST record is logged and skipped; the others still apply."""
    tracker = OrderTracker(owner=OWNER)
    changes = tracker.reconcile(
        [order_event(id="0xbad", size_matched="x"), order_event()], [_trade(size="")]
    )
    assert [c.id for c in changes] == ["0xorder"]
    assert "0xbad" in caplog.text


def test_orders_to_fetch_finds_orders_that_left_the_open_list():
    """Locally open orders missing from the open list, and unknown own orders in trades."""
    open_list = [order_event(id="0xstill-open")]
    trades = [
        _trade(id="t1", trader_side="TAKER", taker_order_id="0xnew-taker"),
        _trade(id="t2", trader_side="MAKER"),  # maker order 0xorder, ours
        _trade(id="t3", trader_side="TAKER", taker_order_id="0xknown"),
    ]
    wanted = orders_to_fetch(
        open_list,
        trades,
        known_open={"0xstill-open", "0xgone"},
        known={"0xstill-open", "0xgone", "0xknown"},
        owner=OWNER,
    )
    assert wanted == {"0xgone", "0xnew-taker", "0xorder"}


def test_orders_to_fetch_ignores_other_makers_orders():
    """A maker order owned by someone else is never fetched."""
    trade = _trade(trader_side="TAKER", taker_order_id="0xmine")
    trade["maker_orders"][0]["owner"] = "someone-else"
    wanted = orders_to_fetch([], [trade], known_open=set(), known={"0xmine"}, owner=OWNER)
    assert wanted == set()


# --- property: random sequences with random drops end like the mock's own record ----------

PRICES_BELOW_TOUCH = 3


def _drive(exchange: Exchange, op: str, a: int, b: int) -> None:
    """One random action on the mock's exchange; impossible actions are simply skipped."""
    asset = exchange.asset_ids[a % 2]
    book = exchange.books[asset]
    live = sorted(i for i, o in exchange.orders.items() if o["status"] == "LIVE")
    try:
        if op == "place":
            side = "BUY" if b % 2 else "SELL"
            touch = book.best_bid if side == "BUY" else book.best_ask
            step = book.tick_size * (b % PRICES_BELOW_TOUCH)
            price = touch - step if side == "BUY" else touch + step
            exchange.place_order(asset, side, price, str(1 + a % 40))
        elif op == "fill" and live:
            order = exchange.orders[live[a % len(live)]]
            remaining = Decimal(order["original_size"]) - Decimal(order["size_matched"])
            size = None if b % 3 == 0 else max(Decimal(1), remaining // 2)
            exchange.fill(order["id"], size)
        elif op == "take":
            side = "BUY" if b % 2 else "SELL"
            price = book.best_ask if side == "BUY" else book.best_bid
            exchange.take(asset, side, price, str(1 + a % 30), order_type=("GTC", "FAK")[b % 2])
        elif op == "cancel" and live:
            exchange.cancel(live[a % len(live)])
        elif op == "advance" and exchange.trades:
            trade_ids = sorted(exchange.trades)
            trade = exchange.trades[trade_ids[a % len(trade_ids)]]
            following = sorted(MOCK_TRADE_TRANSITIONS[trade["status"]])
            if following:
                exchange.advance_trade(trade["id"], following[b % len(following)])
    except (ValueError, TypeError):
        pass  # a price off the book, nothing to take, ...


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["place", "place", "fill", "take", "cancel", "advance", "advance"]),
        st.integers(0, 1000),
        st.integers(0, 1000),
    ),
    max_size=30,
)


def _rest_read(exchange: Exchange, tracker: OrderTracker) -> tuple[list, list, list]:
    """What account_sync reads over REST now: open orders, trades, and the orders it must fetch."""
    open_orders = [copy.deepcopy(o) for o in exchange.orders.values() if o["status"] == "LIVE"]
    trades = [copy.deepcopy(t) for t in exchange.trades.values()]
    wanted = orders_to_fetch(
        open_orders,
        trades,
        known_open=tracker.open_order_ids(),
        known=set(tracker.orders),
        owner=OWNER,
    )
    return open_orders, trades, [copy.deepcopy(exchange.orders[i]) for i in wanted]


def _assert_no_regression(tracker: OrderTracker, before_orders: dict, before_trades: dict):
    for order_id, (size_matched, status) in before_orders.items():
        state = tracker.orders[order_id]
        assert state.size_matched >= size_matched, f"{order_id}: size_matched went down"
        if status in FINAL_ORDER_STATUSES:
            assert state.status == status, f"{order_id}: final status {status} changed"
    for trade_id, status in before_trades.items():
        if status in FINAL_TRADE_STATUSES:
            assert tracker.trades[trade_id].status == status, f"{trade_id}: final status changed"


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
@given(actions=ACTIONS, data=st.data())
def test_random_stream_with_drops_reconciles_to_the_mocks_record(actions, data):
    """Any event sequence with random drops, duplicates and a stale REST read applied late,
    then one fresh REST reconcile, ends in exactly the mock's own record of every order and
    trade; duplicates change nothing and the stale read never moves anything backwards."""
    ticks = itertools.count(1_782_753_357_000, 1000)
    exchange = Exchange(seed=7, markets=1, clock=lambda: next(ticks), default_owner=OWNER)
    tracker = OrderTracker(owner=OWNER)
    pending: list[dict] = []
    exchange.user_listeners.append(lambda owner, event: pending.append(copy.deepcopy(event)))
    # A sync reads REST after one action and its result is applied after a later one, while
    # live events keep arriving in between (AccountSync runs in a thread).
    read_at = data.draw(st.integers(0, len(actions)), label="stale read after action")
    apply_at = data.draw(st.integers(read_at, len(actions)), label="stale read applied after")
    if apply_at == read_at and read_at < len(actions):
        apply_at += 1  # mostly test a read that is really stale
    stale = _rest_read(exchange, tracker) if read_at == 0 else None

    for number, action in enumerate(actions, start=1):
        _drive(exchange, *action)
        for event in pending:
            if data.draw(st.integers(0, 3), label="drop") == 0:  # a quarter go missing
                continue
            parse, apply = (
                (parse_order, tracker.apply_order)
                if event["event_type"] == "order"
                else (parse_trade, tracker.apply_trade)
            )
            apply(parse(event))
            if data.draw(st.integers(0, 3), label="duplicate") == 0:
                assert apply(parse(event)) is None, "a duplicate must not count twice"
        pending.clear()
        if number == read_at:
            stale = _rest_read(exchange, tracker)
        if number == apply_at and stale is not None:
            before_orders = {i: (o.size_matched, o.status) for i, o in tracker.orders.items()}
            before_trades = {i: t.status for i, t in tracker.trades.items()}
            tracker.reconcile(*stale)
            _assert_no_regression(tracker, before_orders, before_trades)

    # The reconnect: a fresh REST read.
    fresh = _rest_read(exchange, tracker)
    tracker.reconcile(*fresh)

    for order_id, record in exchange.orders.items():
        state = tracker.orders.get(order_id)
        if state is None:
            # Only an order placed and canceled unseen, with no fill, can stay unknown.
            assert record["status"] == "CANCELED" and not record["associate_trades"]
            continue
        assert (state.status, state.size_matched) == (
            record["status"],
            Decimal(record["size_matched"]),
        ), order_id
    assert set(tracker.orders) <= set(exchange.orders)
    assert {t: s.status for t, s in tracker.trades.items()} == {
        t: r["status"] for t, r in exchange.trades.items()
    }
    assert tracker.reconcile(*fresh) == [], "the same read again is a no-op"


# --- account_sync against the mock's REST -------------------------------------------------


def _rest_client(threaded_mock):
    env = threaded_mock.env
    return clob_client(Credentials.from_env(env), env)


def test_read_account_returns_what_the_gap_hid(threaded_mock):
    """After a gap, read_account lists open orders and trades and fetches the orders that left."""
    exchange = threaded_mock.mock.exchange
    asset = threaded_mock.mock.asset_ids[0]
    bid = exchange.books[asset].best_bid
    kept = threaded_mock.call(exchange.place_order, asset, "BUY", bid, "10")
    filled = threaded_mock.call(exchange.place_order, asset, "BUY", bid, "5")
    tracker = OrderTracker(owner=threaded_mock.mock.credentials.api_key)
    for record in list(exchange.orders.values()):
        tracker.apply_order(parse_order(copy.deepcopy(record), kind="PLACEMENT"))
    # The gap: a full fill and a taker order, both unseen by the tracker.
    threaded_mock.call(exchange.fill, filled)
    ask = exchange.books[asset].best_ask
    taker_trade = threaded_mock.call(exchange.take, asset, "BUY", ask, "3")

    client = _rest_client(threaded_mock)
    snapshot = read_account(
        ClobClientReader(client),
        markets=[threaded_mock.mock.markets[0].condition_id],
        known_open=tracker.open_order_ids(),
        known=set(tracker.orders),
        owner=tracker.owner,
    )
    assert {o["id"] for o in snapshot.open_orders} >= {kept}
    assert filled not in {o["id"] for o in snapshot.open_orders}
    taker_order = exchange.trades[taker_trade]["taker_order_id"]
    assert {o["id"] for o in snapshot.orders} >= {filled}
    assert taker_trade in {t["id"] for t in snapshot.trades}
    changes = tracker.reconcile(snapshot.open_orders, snapshot.trades, snapshot.orders)
    assert tracker.orders[filled].status == "MATCHED"
    assert taker_order in tracker.orders
    assert all(change.source == "rest" for change in changes)
    assert snapshot.server_time > 1_700_000_000


async def test_account_sync_reconciles_in_the_background(threaded_mock):
    """AccountSync.on_connected returns at once; the sync then reports changes and records time."""
    exchange = threaded_mock.mock.exchange
    asset = threaded_mock.mock.asset_ids[0]
    bid = exchange.books[asset].best_bid
    order_id = threaded_mock.call(exchange.place_order, asset, "BUY", bid, "7")
    tracker = OrderTracker(owner=threaded_mock.mock.credentials.api_key)
    reported = []
    reader = ClobClientReader(_rest_client(threaded_mock))
    sync = AccountSync(reader, tracker, on_change=reported.append)
    await sync.on_connected()
    assert sync.syncs == 0, "on_connected must not block the receive loop"
    await sync.wait()
    assert sync.syncs == 1 and sync.synced_at is not None
    assert [(c.id, c.source) for c in reported] == [(order_id, "initial")]  # the first read
    # Everything since the last sync, minus the margin, is read next time.
    assert sync._trades_after() == sync.synced_at - sync.trade_margin


class FlakyReader:
    """An AccountReader whose first reads fail, as during an outage."""

    def __init__(self, failures: int):
        self.failures = failures
        self.calls = 0

    def server_time(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("REST is down")
        return 1_782_753_400

    def open_orders(self, market):
        return [order_event(status="LIVE")]

    def trades(self, market, after):
        return []

    def order(self, order_id):
        raise AssertionError("nothing to fetch singly")


async def test_account_sync_retries_until_rest_answers(caplog):
    """A failed sync is logged and retried after retry_delay until it succeeds."""
    tracker = OrderTracker(owner=OWNER)
    reported = []
    sync = AccountSync(FlakyReader(2), tracker, on_change=reported.append, retry_delay=0.01)
    sync.schedule()
    await asyncio.wait_for(sync.wait(), 5)
    assert (sync.failures, sync.syncs) == (2, 1)
    assert [(c.id, c.source) for c in reported] == [("0xorder", "initial")]
    assert caplog.text.count("account sync failed") == 2


async def test_account_sync_reads_once_more_after_settle_delay():
    """With settle_delay, a good sync is followed by exactly one more read after that delay."""
    tracker = OrderTracker(owner=OWNER)
    client = FlakyReader(0)
    sync = AccountSync(client, tracker, on_change=lambda change: None, settle_delay=0.05)
    sync.schedule()
    await asyncio.wait_for(sync.wait(), 5)
    assert (sync.syncs, client.calls, sync.failures) == (2, 2, 0)


async def test_a_new_connect_replaces_a_sync_still_running():
    """schedule() cancels a sync in progress (from an older connection) and starts afresh."""
    tracker = OrderTracker(owner=OWNER)
    sync = AccountSync(FlakyReader(10**6), tracker, retry_delay=3600)
    sync.schedule()
    await asyncio.sleep(0.05)
    first = sync._task
    sync.schedule()
    await asyncio.sleep(0)
    assert first.cancelled() or first.done()
    await sync.close()
    assert sync._task.done()


def test_read_account_asks_per_market_and_from_the_lookback():
    """With markets, every read is per market; the first trades read starts first_lookback ago."""

    class Recording(FlakyReader):
        def __init__(self):
            super().__init__(0)
            self.params = []

        def open_orders(self, market):
            self.params.append(("orders", market))
            return []

        def trades(self, market, after):
            self.params.append(("trades", market, after))
            return []

    client = Recording()
    read_account(client, markets=["0xa", "0xb"], first_lookback=600)
    assert client.params == [
        ("orders", "0xa"),
        ("orders", "0xb"),
        ("trades", "0xa", 1_782_753_400 - 600),
        ("trades", "0xb", 1_782_753_400 - 600),
    ]


class FakeClobClient:
    """The py-clob-client-v2 methods ClobClientReader calls, answering from fixed data."""

    def __init__(self, time=1_782_753_400):
        self.time = time

    def get_server_time(self):
        return self.time

    def get_open_orders(self, params=None):
        return []

    def get_trades(self, params=None):
        return []

    def get_order(self, order_id):
        from py_clob_client_v2.exceptions import PolyApiException

        exc = PolyApiException(error_msg="order not found")
        exc.status_code = 404
        raise exc


def test_read_account_skips_an_order_rest_does_not_know(caplog):
    """A 404 for a single order (py-clob-client-v2) is logged; the rest is still returned."""
    reader = ClobClientReader(FakeClobClient())
    snapshot = read_account(reader, known_open={"0xgone"}, known={"0xgone"})
    assert snapshot.orders == [] and "0xgone" in caplog.text


def test_read_account_accepts_server_time_as_an_object():
    """GET /time may answer {"time": ...}; the snapshot still carries Unix seconds."""
    reader = ClobClientReader(FakeClobClient({"time": 1_782_753_999}))
    assert read_account(reader).server_time == 1_782_753_999


# --- gaps, and REST reads between connects ----------------------------------------------


async def _session(sync: AccountSync, hold: float) -> None:
    """One connection as RobustConnection runs it: on_connected inside the reading task."""

    async def reading() -> None:
        await sync.on_connected()
        await asyncio.sleep(hold)

    await asyncio.create_task(reading())
    await asyncio.sleep(0)  # the task's done callbacks run


@pytest.mark.looptime
async def test_without_a_reader_every_reconnect_reports_its_gap(caplog):
    """WebSocket only: each connect after the first calls on_gap(start, end) in loop seconds,
    from the end of the previous connection to the new subscription; nothing is read."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    gaps = []
    sync = AccountSync(None, OrderTracker(owner=OWNER), on_gap=lambda a, b: gaps.append((a, b)))
    await _session(sync, 10)  # connected 0..10
    assert gaps == [] and not sync.connected
    await asyncio.sleep(3)
    await _session(sync, 20)  # down 10..13, connected 13..33
    await asyncio.sleep(0.5)
    await _session(sync, 1)  # down 33..33.5
    assert [(a - start, b - start) for a, b in gaps] == [(10, 13), (33, 33.5)]
    assert sync.gaps == 2 and sync.syncs == 0 and sync._task is None
    assert "no REST reader" in caplog.text
    with pytest.raises(RuntimeError, match="no REST reader"):
        sync.schedule()


@pytest.mark.looptime
async def test_an_unseen_disconnect_counts_the_gap_from_the_previous_connect():
    """If the end of a connection was never seen, the gap starts at its connect (the widest)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    gaps = []
    sync = AccountSync(None, OrderTracker(owner=OWNER), on_gap=lambda a, b: gaps.append((a, b)))
    await sync.on_connected()  # from this long-lived task: its end is not seen
    await asyncio.sleep(7)
    await sync.on_connected()
    assert [(a - start, b - start) for a, b in gaps] == [(0, 7)]
    sync.on_disconnected()  # an explicit close hook
    await asyncio.sleep(2)
    await sync.on_connected()
    assert [(a - start, b - start) for a, b in gaps][1] == (7, 9)


async def test_with_a_reader_the_gap_is_reported_then_filled():
    """With a reader, on_gap is still called on a reconnect, before the sync that fills it."""
    events = []
    sync = AccountSync(
        FlakyReader(0),
        OrderTracker(owner=OWNER),
        on_change=lambda change: events.append(("change", change.id)),
        on_gap=lambda a, b: events.append(("gap", sync.syncs)),
        resync_interval=None,
        offline_interval=None,
    )
    await _session(sync, 0)
    await sync.wait()
    await _session(sync, 0)
    await sync.wait()
    await sync.close()
    assert events == [("change", "0xorder"), ("gap", 1)] and sync.syncs == 2


class ClockedReader(FlakyReader):
    """Records the loop time of every read (run in the loop: in_daemon_thread is patched)."""

    def __init__(self, failures: int = 0):
        super().__init__(failures)
        self.read_at: list[float] = []

    def server_time(self):
        self.read_at.append(asyncio.get_running_loop().time())
        return super().server_time()


@pytest.fixture
def to_thread_in_loop(monkeypatch):
    """AccountSync's REST thread as a plain call, so looptime's clock stays exact."""

    async def call(function, /, *args, **kwargs):
        return function(*args, **kwargs)

    monkeypatch.setattr(account_sync, "in_daemon_thread", call)


@pytest.mark.looptime
async def test_rest_is_read_again_on_a_timer_while_connected_and_while_down(to_thread_in_loop):
    """Connected: a read every resync_interval after the last one. Down: the first read
    offline_interval after the connection ended, then every offline_interval. A connect reads
    at once and restarts the timer."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    reader = ClockedReader()
    sync = AccountSync(
        reader,
        OrderTracker(owner=OWNER),
        on_change=lambda change: None,
        resync_interval=300,
        offline_interval=60,
    )
    await _session(sync, 1000)  # connected 0..1000
    await asyncio.sleep(150)  # down 1000..1150
    await _session(sync, 400)  # connected 1150..1550
    await asyncio.sleep(10)
    await sync.close()
    times = [round(t - t0, 3) for t in reader.read_at]
    assert times == [0, 300, 600, 900, 1060, 1120, 1150, 1450]
    assert sync.syncs == 8 and sync.failures == 0


@pytest.mark.looptime
async def test_timed_reads_off_and_a_failed_timed_read_retried(to_thread_in_loop):
    """None turns the timers off; a timed read that fails is retried with backoff from
    retry_delay."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    reader = ClockedReader()
    quiet = AccountSync(
        reader,
        OrderTracker(owner=OWNER),
        on_change=lambda change: None,
        resync_interval=None,
        offline_interval=None,
    )
    await _session(quiet, 1000)
    await asyncio.sleep(1000)
    await quiet.close()
    assert [round(t - t0) for t in reader.read_at] == [0]

    t0 = loop.time()
    reader = ClockedReader()
    sync = AccountSync(
        reader,
        OrderTracker(owner=OWNER),
        on_change=lambda change: None,
        resync_interval=100,
        offline_interval=None,
        retry_delay=7,
        rng=lambda: 1.0,  # full jitter at its ceiling: 7, then 14
    )
    session = asyncio.create_task(_session(sync, 200))
    await asyncio.sleep(1)
    reader.failures, reader.calls = 2, 0  # the next two reads fail
    await session
    await sync.close()
    assert [round(t - t0) for t in reader.read_at] == [0, 100, 107, 121]
    assert (sync.syncs, sync.failures) == (2, 2)


@pytest.mark.looptime(end=600)
async def test_a_robust_connection_reports_the_gap_it_really_had(mock_factory):
    """On a real RobustConnection: on_gap's start is when the socket dropped, its end when the
    new subscription was sent; with no reader nothing else happens."""
    from robust_ws import RobustConnection
    from user_subscription import UserSubscription

    async with mock_factory(activity_interval=None) as mock:
        loop = asyncio.get_running_loop()
        gaps = []
        sync = AccountSync(None, OrderTracker(owner=OWNER), on_gap=lambda a, b: gaps.append((a, b)))
        subscription = UserSubscription(Credentials.from_env(mock.client_env()), [])
        connection = RobustConnection(
            mock.url + "/ws/user",
            subscription.first_frame,
            lambda text: None,
            on_connected=sync.on_connected,
            name="user",
            data_timeout=None,
            rng=lambda: 1.0,
            backoff_base=0.5,
            backoff_factor=2.0,
            connect_kwargs={"proxy": None},
        )
        running = asyncio.create_task(connection.run())
        await mock.wait_for(lambda m: sync.connected)
        await asyncio.sleep(5)
        mock.faults.reject_handshake(status=503, times=2, channel="user")
        dropped = loop.time()
        mock.faults.drop(channel="user")
        await mock.wait_for(lambda m: sync.gaps == 1, 60)
        connection.stop()
        await asyncio.wait_for(running, 10)
    ((start, end),) = gaps
    assert 0 <= start - dropped < 0.1, "start: when the drop was seen"
    # Two refused handshakes, then the third accepted: backoff ceilings 0.5 + 1 + 2 s (rng 1.0).
    assert end - start == pytest.approx(3.5, abs=0.1), "end: when the new subscription was sent"
    assert sync.syncs == 0 and connection.stats.reconnects == 1
