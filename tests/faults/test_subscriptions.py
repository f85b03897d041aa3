"""Fault matrix rows 10, 15 and 16: what the client subscribes to survives every fault exactly.

Row 10: one asset goes silent while the others flow: targeted unsubscribe + subscribe of that
asset only, then escalation to a new connection. Row 10b: an unknown token id is given up after
a bounded number of tries, instead of reconnecting every 90 s for ever; row 10c: one answered
with `[]` is closed at once. Row 15: dynamic subscribe/unsubscribe, some of it while
disconnected, then a drop: the next connection subscribes to exactly the current set.
Row 16: more than 200 assets are split across connections, each within the limit, counted on
the mock's side; a drop on one shard replays that shard's assets and leaves the others alone.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from market_feed import MAX_ASSETS_PER_CONNECTION, MarketFeedPool

from tests.faults.proxy import FaultProxy
from tests.faults.rig import (
    CEILING,
    assert_books_match_mock,
    feed_on,
    gaps,
    lines,
    now,
    running,
    settled,
    until,
)

pytestmark = pytest.mark.looptime


def operations(record) -> list[dict]:
    return [frame for frame in record.subscriptions if "operation" in frame]


# -- row 10 -------------------------------------------------------------------------------


async def test_row10_one_silent_asset_gets_targeted_resubscribes_then_escalation(
    mock_factory, caplog
):
    """With one asset stalled: two targeted resubscribes of that asset alone (30 s apart), then
    one reconnect; the other books are never reset; after the fault clears all books match."""
    async with mock_factory(activity_interval=1.0) as mock:
        silent, *others = mock.asset_ids
        stale_seen: set[str] = set()  # flowing assets ever found awaiting a snapshot

        def on_event(event, book) -> None:
            if len(mock.connections) == 1 and stalled_at is not None:
                stale_seen.update(o for o in others if feed.books[o].awaiting_snapshot)

        stalled_at = None

        feed = feed_on(
            mock.url,
            mock.asset_ids,
            on_event=on_event,
            asset_silence_timeout=20.0,
            snapshot_timeout=30.0,
            max_resubscribes=2,
        )
        async with running(feed):
            await asyncio.sleep(10)
            mock.faults.stall(asset_id=silent)
            stalled_at = asyncio.get_running_loop().time()
            await until(lambda: len(mock.connections) == 2, within=200, step=0.5)
            escalated_after = mock.connections[1].opened_at - stalled_at
            first_ops = operations(mock.connections[0])
            dropped = sum(feed.books[o].dropped_deltas for o in others)
            mock.faults.clear()
            await asyncio.sleep(40)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    # Mock side: exactly two targeted pairs, for the silent asset only, then a client close.
    pair = [
        {"operation": "unsubscribe", "assets_ids": [silent]},
        {"operation": "subscribe", "assets_ids": [silent]},
    ]
    assert first_ops == pair * 2
    first = mock.connections[0]
    assert (first.close_code, first.closed_by) == (1000, "client")
    assert "assets silent" in first.close_reason
    # silence 20 s (+1 check) -> resubscribe; 30 s for a snapshot, twice -> escalate; +0.5 s
    assert 20 + 30 + 30 <= escalated_after <= 20 + 30 + 30 + 3 * 1.0 + 0.5 + 0.1
    assert feed.stats.resubscribes == 2 and feed.stats.escalations == 1
    # The flowing assets were never reset on the first connection, nor lost a delta.
    assert stale_seen == set() and dropped == 0
    assert len(mock.connections) == 2
    escalations = [line for line in lines(caplog, level=logging.ERROR) if "still silent" in line]
    assert len(escalations) == 1


UNKNOWN = "1" * 77  # a well-formed token id the mock has never heard of


async def test_row10b_unknown_asset_is_given_up_after_bounded_tries(mock_factory, caplog):
    """One token id that never gets any answer (not even the `[]` a live server sends for an
    unknown token: the mock's stall of that one id withholds it): two targeted resubscribes,
    one reconnect, two more resubscribes, then it is given up: reported by failed_assets() and
    one ERROR line, while the connection keeps serving the others."""
    async with mock_factory(activity_interval=1.0) as mock:
        mock.faults.stall(channel="market", asset_id=UNKNOWN)
        feed = feed_on(mock.url, [*mock.asset_ids, UNKNOWN])
        async with running(feed):
            await until(lambda: feed.failed_assets(), within=400, step=0.5)
            given_up_at = now()
            await asyncio.sleep(1800)  # half an hour more: nothing else happens
            await settled(mock)
            feed_assets = [a for a in feed.subscribed_assets if a != UNKNOWN]
            for asset in feed_assets:
                assert not feed.books[asset].awaiting_snapshot
        first, second = mock.connections  # exactly one reconnect in 32 minutes
    pair = [
        {"operation": "unsubscribe", "assets_ids": [UNKNOWN]},
        {"operation": "subscribe", "assets_ids": [UNKNOWN]},
    ]
    assert operations(first) == pair * 2 and operations(second) == pair * 2
    assert UNKNOWN in second.subscriptions[0]["assets_ids"]  # still subscribed, never probed
    # 30 s per snapshot wait (+1 s checks), three waits per connection, one 0.5 s backoff
    assert 3 * 30 <= second.opened_at - first.opened_at <= 3 * 31 + 0.6
    assert 3 * 30 <= given_up_at - second.opened_at <= 3 * 31 + 0.6
    assert feed.failed_assets() == [UNKNOWN] and feed.silent_assets() == [UNKNOWN]
    assert (feed.stats.escalations, feed.stats.given_up) == (1, 1)
    assert second.closed_by == "client" and second.close_reason == "client shutdown"
    given_up = [line for line in lines(caplog, level=logging.ERROR) if "given up" in line]
    assert len(given_up) == 1 and UNKNOWN[:12] in given_up[0]


async def test_row10c_unknown_asset_answered_with_empty_array_is_closed_at_once(
    mock_factory, caplog
):
    """A token the server answers with a bare `[]` (closed or unknown, reference §9.1) is
    retired at once: no probe, no reconnect in 32 minutes, no other book reset, one WARNING."""
    async with mock_factory(activity_interval=1.0) as mock:
        closed = []
        feed = feed_on(
            mock.url, [*mock.asset_ids, UNKNOWN], on_closed=lambda asset, _: closed.append(asset)
        )
        async with running(feed):
            await asyncio.sleep(1920)
            await settled(mock)
            for asset in mock.asset_ids:
                assert not feed.books[asset].awaiting_snapshot
        (only,) = mock.connections  # never replaced
    assert closed == [UNKNOWN] and list(feed.closed_assets()) == [UNKNOWN]
    assert operations(only) == []  # never probed
    assert (feed.stats.escalations, feed.stats.given_up) == (0, 0)
    warned = [line for line in lines(caplog, level=logging.WARNING) if UNKNOWN in line]
    assert len(warned) == 1


# -- row 15 -------------------------------------------------------------------------------


async def test_row15_current_set_is_replayed_exactly_after_a_drop(mock_factory):
    """Live changes go out as operations; changes made while disconnected are deferred; the
    next connection's first frame carries exactly the current set, in order, and nothing else."""
    async with (
        mock_factory(activity_interval=1.0, markets=3) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        a = mock.asset_ids
        feed = feed_on(proxy.url, a[:2])
        async with running(feed):
            await asyncio.sleep(40)
            await feed.subscribe([a[2], a[3], a[0]])  # a[0] already held: not re-sent
            await feed.unsubscribe([a[0]])
            await asyncio.sleep(10)
            proxy.blackhole()  # keep the next attempts from completing...
            proxy.reset()  # ...after a RST ends this connection
            await until(lambda: not feed.connection.connected, within=5, step=0.01)
            await feed.subscribe([a[4]])  # while disconnected: kept in state only
            await feed.unsubscribe([a[1]])
            proxy.heal()
            await until(lambda: len(mock.connections) == 2, within=30)
            await asyncio.sleep(20)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    first, second = mock.connections
    assert first.subscriptions[0]["assets_ids"] == a[:2]
    assert operations(first) == [
        {"operation": "subscribe", "assets_ids": [a[2], a[3]]},
        {"operation": "unsubscribe", "assets_ids": [a[0]]},
    ]
    current = [a[2], a[3], a[4]]
    assert list(feed.subscribed_assets) == current
    expected = {"type": "market", "assets_ids": current, "initial_dump": True}
    assert second.subscriptions[0] == expected
    assert operations(second) == []  # nothing left over to send
    assert second.assets == set(current)
    assert set(feed.books) == set(current)


# -- row 16 -------------------------------------------------------------------------------


async def test_row16_many_assets_are_sharded_and_a_drop_replays_one_shard(mock_factory):
    """250 assets: two connections of 200 and 50 (counted by the mock), opened 0.5 s apart,
    every book built; dropping the first shard reopens it with the same 200 and nothing else."""
    async with mock_factory(markets=125, book_depth=2, activity_interval=None) as mock:
        pool = MarketFeedPool(
            mock.asset_ids,
            url=f"{mock.url}/ws/market",
            rng=CEILING,
            connect_kwargs={"proxy": None},
        )
        async with running(pool):
            await until(lambda: len(mock.connections) == 2, within=10)
            await until(lambda: all(not f.silent_assets() for f in pool.feeds), within=10)
            first, second = mock.connections
            assert [len(c.assets) for c in mock.connections] == [200, 50]
            mock.faults.drop(connection_id=first.id)
            await until(lambda: len(mock.connections) == 3, within=10)
            await until(lambda: all(not f.silent_assets() for f in pool.feeds), within=10)
            third = mock.connections[2]
            assert second.closed_at is None  # the other shard never noticed
            for feed in pool.feeds:
                assert_books_match_mock(mock, feed)
    for record in (first, second, third):
        assert len(record.subscriptions[0]["assets_ids"]) <= MAX_ASSETS_PER_CONNECTION
    assert first.assets.isdisjoint(second.assets)
    assert first.assets | second.assets == set(mock.asset_ids)
    assert third.subscriptions[0] == first.subscriptions[0]
    assert gaps([first.opened_at, second.opened_at]) == [0.5]
    assert [f.connection.stats.reconnects for f in pool.feeds] == [1, 0]
