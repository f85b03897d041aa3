"""No lost state: whatever happens while the client is away is recovered, and counted once.

User stream: the pack's user_stream.py wiring (RobustConnection + UserEventRouter + OrderTracker
+ AccountSync over the real py-clob-client-v2) runs against the in-loop mock while random
order activity and random drops happen. Fills, partial fills, cancels and trade status changes
that happen while disconnected must be recovered by the REST reconciliation after reconnect; at
the end every order and trade equals the mock's own record, and no change is reported twice
(an event seen live and again over REST counts once).

REST stays in the loop: py-clob-client-v2's HTTP client is given an httpx.MockTransport that
hands each request to the mock's own REST handler (same paths, L2 headers, HMAC check and
pagination), and AccountSync's `in_daemon_thread` becomes an in-loop call after a simulated
50 ms round trip. That keeps looptime exact and the mock single-threaded.

Market books: random drops, closes and resyncs with activity running; after each fault every
book equals mock.book(asset) once the new snapshot arrives, and no delta is ever applied to a
book that is awaiting its snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import account_sync
import httpx
import pytest
from credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polymarket_mock.exchange import TRADE_TRANSITIONS
from py_clob_client_v2.http_helpers import helpers as clob_http

from tests.faults.proxy import FaultProxy
from tests.faults.rig import (
    CEILING,
    assert_books_match_mock,
    feed_on,
    running,
    settled,
    until,
    user_stack,
)

pytestmark = pytest.mark.looptime

REST_ROUND_TRIP = 0.05  # loop seconds a simulated REST call takes
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure is reproducible
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def rest_in_loop(monkeypatch):
    """Route py-clob-client-v2 into whichever mock is current, without threads or sockets."""
    current: dict[str, object] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        reply = current["mock"].rest.handle(  # type: ignore[attr-defined]
            request.method, request.url.raw_path.decode(), request.headers
        )
        status, body = reply if reply is not None else (404, {"error": "not found"})
        return httpx.Response(status, json=body)

    async def to_thread_in_loop(function, /, *args, **kwargs):
        await asyncio.sleep(REST_ROUND_TRIP)
        return function(*args, **kwargs)

    in_loop_client = httpx.Client(transport=httpx.MockTransport(handle))
    monkeypatch.setattr(clob_http, "_http_client", in_loop_client)
    monkeypatch.setattr(account_sync, "in_daemon_thread", to_thread_in_loop)
    yield current
    in_loop_client.close()


# -- the user stream ----------------------------------------------------------------------


def drive(exchange, action: str, a: int, b: int) -> None:
    """One order action on the mock's exchange for the demo account; impossible ones are no-ops."""
    asset = exchange.asset_ids[a % 2]
    book = exchange.books[asset]
    live = sorted(i for i, o in exchange.orders.items() if o["status"] == "LIVE")
    with contextlib.suppress(ValueError, TypeError, KeyError):
        if action == "place":
            side = "BUY" if b % 2 else "SELL"
            touch = book.best_bid if side == "BUY" else book.best_ask
            step = book.tick_size * (b % 3)
            price = touch - step if side == "BUY" else touch + step
            exchange.place_order(asset, side, price, str(5 + a % 40))
        elif action == "fill" and live:
            order = exchange.orders[live[a % len(live)]]
            remaining = Decimal(order["original_size"]) - Decimal(order["size_matched"])
            exchange.fill(order["id"], None if b % 3 == 0 else max(Decimal(1), remaining // 2))
        elif action == "take":
            side = "BUY" if b % 2 else "SELL"
            price = book.best_ask if side == "BUY" else book.best_bid
            exchange.take(asset, side, price, str(1 + a % 30))
        elif action == "cancel" and live:
            exchange.cancel(live[a % len(live)])
        elif action == "advance" and exchange.trades:
            trade = exchange.trades[sorted(exchange.trades)[a % len(exchange.trades)]]
            following = sorted(TRADE_TRANSITIONS[trade["status"]])
            if following:
                exchange.advance_trade(trade["id"], following[b % len(following)])


ORDER_ACTIONS = st.tuples(
    st.sampled_from(["place", "place", "place", "fill", "fill", "take", "cancel", "advance"]),
    st.integers(0, 999),
    st.integers(0, 999),
)
FAULTS = st.tuples(st.sampled_from(["drop", "reset", "outage"]), st.integers(1, 4))
# Each step: an order action, maybe a fault right after it, then a pause (loop seconds).
SCRIPT = st.lists(
    st.tuples(
        ORDER_ACTIONS,
        st.one_of(st.none(), st.none(), FAULTS),
        st.sampled_from([0.0, 0.1, 0.6, 2.0, 8.0]),
    ),
    min_size=8,
    max_size=30,
)


def break_connection(mock, proxy, fault: str, size: int) -> None:
    if fault == "drop":
        mock.faults.drop(channel="user", rst=size % 2 == 0)
    elif fault == "reset":
        proxy.reset()
    else:  # an outage: the next `size` upgrades are refused, so the gap lasts seconds
        mock.faults.reject_handshake(status=503, times=size, channel="user")
        proxy.reset()


@EXAMPLES
@given(script=SCRIPT)
async def test_user_state_after_random_drops_equals_the_mocks_record(
    mock_factory, rest_in_loop, script
):
    """Random fills, partial fills, cancels and trade status changes, some while disconnected:
    after the last reconnect's REST reconciliation every order and trade equals the mock's own
    record, and every change was reported exactly once."""
    async with (
        mock_factory(activity_interval=None, markets=1) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        rest_in_loop["mock"] = mock
        env = mock.client_env()
        credentials = Credentials.from_env(env)
        reported: list[str] = []

        def report(change) -> None:
            if change is not None:
                reported.append(change.line)

        stack = user_stack(proxy.url, credentials, env, report, rng=CEILING)
        tracker, sync, conn = stack.tracker, stack.sync, stack.conn
        async with running(conn):
            await until(lambda: conn.connected, within=5)
            for (action, a, b), fault, pause in script:
                drive(mock.exchange, action, a, b)
                if fault is not None:
                    break_connection(mock, proxy, *fault)
                await asyncio.sleep(pause)
            mock.faults.clear()
            # Settle: connected, the last connection's reconciliation done, frames delivered.
            await until(lambda: conn.connected and sync.syncs and sync._task.done(), within=120)
            await settled(mock)
        await sync.close()

    for order_id, record in mock.exchange.orders.items():
        state = tracker.orders.get(order_id)
        if state is None:
            # Placed and canceled unseen with no fill: no REST read can name it any more.
            assert record["status"] == "CANCELED" and not record["associate_trades"], order_id
            continue
        expected = (record["status"], Decimal(record["size_matched"]))
        assert (state.status, state.size_matched) == expected, order_id
    assert set(tracker.orders) <= set(mock.exchange.orders)
    assert {t: s.status for t, s in tracker.trades.items()} == {
        t: r["status"] for t, r in mock.exchange.trades.items()
    }
    assert len(reported) == len(set(reported)), "a change was reported twice"
    assert sync.syncs >= 1 and sync.failures == 0
    assert all(record.authenticated for record in mock.connections)


async def test_changes_during_a_gap_are_reported_from_rest_and_live_ones_once(
    mock_factory, rest_in_loop
):
    """A fill, a cancel and a trade status change made while disconnected arrive after the
    reconnect as [rest] changes; events seen live and then again over REST add nothing."""
    async with mock_factory(activity_interval=None, markets=1) as mock:
        rest_in_loop["mock"] = mock
        env = mock.client_env()
        credentials = Credentials.from_env(env)
        changes = []
        stack = user_stack(mock.url, credentials, env, changes.append, rng=CEILING)
        tracker, sync, conn = stack.tracker, stack.sync, stack.conn
        exchange, asset = mock.exchange, mock.asset_ids[0]
        async with running(conn):
            await until(lambda: conn.connected and sync.syncs == 1, within=5)
            bid = exchange.books[asset].best_bid
            kept = exchange.place_order(asset, "BUY", bid, "10")
            gone = exchange.place_order(asset, "BUY", bid, "20")
            trade = exchange.fill(kept, "4")
            await settled(mock)
            live = [c for c in changes if c is not None]
            mock.faults.reject_handshake(status=503, times=2, channel="user")
            mock.faults.drop(channel="user")
            exchange.fill(kept, "6")  # now fully matched
            exchange.cancel(gone)
            exchange.advance_trade(trade, "MINED")
            await until(lambda: sync.syncs == 2 and sync._task.done(), within=30)
            await settled(mock)
            await sync.close()
    after = [c for c in changes if c is not None][len(live) :]
    assert {c.source for c in live} == {"ws"}
    assert {(c.kind, c.id) for c in after} >= {("order", kept), ("order", gone), ("trade", trade)}
    assert {c.source for c in after} == {"rest"}
    assert tracker.orders[kept].status == "MATCHED" and tracker.orders[gone].status == "CANCELED"
    assert tracker.trades[trade].status == "MINED"
    lines = [c.line for c in changes if c is not None]
    assert len(lines) == len(set(lines))


# -- market books -------------------------------------------------------------------------

MARKET_FAULTS = st.lists(
    st.tuples(
        st.sampled_from(["rst", "fin", "abort", "close 1001", "close 1012", "corrupt", "latency"]),
        st.sampled_from([0.5, 3.0, 20.0, 45.0]),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(faults=MARKET_FAULTS)
async def test_books_equal_the_mocks_after_any_fault_sequence(mock_factory, faults):
    """Random drops, closes, corrupted books and slow links with activity running: no delta is
    ever applied to a book awaiting its snapshot, every new connection starts each book with a
    `book`, and at the end every book equals the mock's."""
    async with (
        mock_factory(activity_interval=1.0) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        problems: list[str] = []
        started: set[tuple[int | None, str]] = set()

        def on_event(event, book) -> None:
            if book is None:
                return
            key = (feed.connection.stats.connection_id, book.asset_id)
            if key not in started:
                started.add(key)
                if event["event_type"] != "book":
                    problems.append(f"connection began {book.asset_id[:8]} with {event}")
            if book.awaiting_snapshot and (book.bids or book.asks):
                problems.append(f"levels applied to a stale book: {event['event_type']}")

        feed = feed_on(proxy.url, mock.asset_ids, on_event=on_event)
        async with running(feed):
            await until(lambda: not feed.silent_assets(), within=5)
            for fault, pause in faults:
                if fault == "rst":
                    proxy.reset()
                elif fault == "fin":
                    proxy.disconnect()
                elif fault == "abort":
                    mock.faults.drop(channel="market")
                elif fault.startswith("close"):
                    await mock.faults.close(code=int(fault.split()[1]), reason="restart")
                elif fault == "corrupt":  # a level nobody placed: the next best_bid check fails
                    for book in feed.books.values():
                        book.bids[Decimal("0.001")] = ("0.001", "1")
                else:  # frames in flight while a targeted resync happens
                    proxy.latency = 0.05
                await asyncio.sleep(pause)
                proxy.latency = 0.0
            await until(lambda: feed.connection.connected, within=60)
            await asyncio.sleep(40)  # more than one 30 s snapshot window, resyncs finished
            await settled(mock)
            assert_books_match_mock(mock, feed)
    assert problems == []
