"""market_feed.py (market-channel.md): subscription state, books across reconnects, sharding."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from market_feed import MAX_ASSETS_PER_CONNECTION, MarketFeed, MarketFeedPool, shard
from robust_ws import FatalHandshakeError
from wire import parse_events

from tests.faults.rig import assert_books_match_mock, losing_changes_of

pytestmark = pytest.mark.looptime


async def until(predicate, within: float = 10.0, step: float = 0.1) -> None:
    """Poll `predicate()` on the loop clock (coarse steps keep looptime runs fast)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - state lives in the mock, not in an Event
            await asyncio.sleep(step)


def operations(record) -> list[dict]:
    """The dynamic subscribe/unsubscribe frames a connection received, in order."""
    return [frame for frame in record.subscriptions if "operation" in frame]


def feed_for(mock, assets, **options) -> MarketFeed:
    options.setdefault("connect_kwargs", {"proxy": None})
    return MarketFeed(assets, url=f"{mock.url}/ws/market", **options)


@contextlib.asynccontextmanager
async def running(feed) -> AsyncIterator[asyncio.Task[None]]:
    """Run a feed (or pool) in the background; stop it and require a clean return on exit."""
    task = asyncio.create_task(feed.run())
    try:
        yield task
    finally:
        feed.stop()
        async with asyncio.timeout(10):
            await task


async def settled(mock) -> None:
    """Let every frame the mock queued reach the client (activity ticks are 1 s apart)."""
    await mock.flush()
    await asyncio.sleep(0.01)


def test_shard_splits_into_groups_of_at_most_200():
    """shard() keeps order, drops duplicates and caps each group (nautilus's 200)."""
    ids = [str(n) for n in range(450)] + ["3"]
    groups = shard(ids)
    assert MAX_ASSETS_PER_CONNECTION == 200
    assert [len(g) for g in groups] == [200, 200, 50]
    assert [a for g in groups for a in g] == [str(n) for n in range(450)]


async def test_books_follow_the_mock(mock_factory):
    """After the dump and a minute of activity every book equals the mock's, hash included."""
    async with mock_factory(activity_interval=1.0) as mock:
        feed = feed_for(mock, mock.asset_ids)
        async with running(feed):
            await asyncio.sleep(60)
            await settled(mock)
            assert_books_match_mock(mock, feed)
            bid, ask = feed.best(mock.asset_ids[0])
            assert isinstance(bid, Decimal) and isinstance(ask, Decimal) and bid < ask
        assert feed.stats.book_mismatches == 0 and feed.stats.hash_mismatches == 0


async def test_dynamic_changes_are_replayed_after_a_drop(mock_factory):
    """subscribe/unsubscribe go out live, and the next connection subscribes to the current set."""
    async with mock_factory(activity_interval=1.0, markets=3) as mock:
        a = mock.asset_ids
        feed = feed_for(mock, a[:2])
        async with running(feed):
            await until(lambda: feed.connection.connected)
            await feed.subscribe([a[2], a[3], a[2]])
            await feed.unsubscribe([a[0]])
            await feed.subscribe([a[1]])  # already subscribed: nothing is sent
            await until(lambda: mock.connections[0].assets == {a[1], a[2], a[3]})
            operations = mock.connections[0].subscriptions[1:]
            assert operations == [
                {"operation": "subscribe", "assets_ids": [a[2], a[3]]},
                {"operation": "unsubscribe", "assets_ids": [a[0]]},
            ]
            await asyncio.sleep(10)
            mock.faults.drop(channel="market")
            await until(lambda: len(mock.connections) == 2)
            await asyncio.sleep(10)
            await settled(mock)
            assert mock.connections[1].subscriptions[0]["assets_ids"] == [a[1], a[2], a[3]]
            assert mock.connections[1].frames_received[0][1].startswith("{")  # not PING
            assert set(feed.books) == {a[1], a[2], a[3]}
            assert_books_match_mock(mock, feed)


async def test_changes_made_while_disconnected_are_sent_with_the_next_subscription(mock_factory):
    """subscribe() while no connection is open is kept in state and replayed, not lost."""
    async with mock_factory(activity_interval=None) as mock:
        a = mock.asset_ids
        mock.faults.reject_handshake(status=503, times=3)
        feed = feed_for(mock, a[:1], rng=lambda: 1.0)
        async with running(feed):
            await asyncio.sleep(0.6)  # between failed attempts
            assert not feed.connection.connected
            await feed.subscribe([a[1]])
            await until(lambda: mock.connections, within=30)
        assert mock.connections[0].subscriptions == [
            {"type": "market", "assets_ids": [a[0], a[1]], "initial_dump": True}
        ]


async def test_books_are_rebuilt_from_the_new_snapshot_after_reconnect(mock_factory):
    """On every new connection books reset; deltas before the fresh `book` are not applied."""
    async with mock_factory(activity_interval=1.0) as mock:
        seen: list[tuple[int | None, str, bool]] = []
        feed = feed_for(mock, mock.asset_ids)

        def record(event, book) -> None:
            if book is not None:
                stale = book.awaiting_snapshot
                seen.append((feed.connection.stats.connection_id, event["event_type"], stale))

        feed.on_event = record
        async with running(feed):
            await asyncio.sleep(30)
            mock.faults.drop(channel="market")
            await until(lambda: len(mock.connections) == 2)
            await asyncio.sleep(30)
            await settled(mock)
            assert_books_match_mock(mock, feed)
        second = feed.connection.stats.connection_id
        first_of_second = [kind for cid, kind, _ in seen if cid == second][:4]
        assert first_of_second == ["book"] * 4  # the dump comes first and rebuilds every book
        assert all(not stale for _, _, stale in seen)


async def test_out_of_sync_book_is_detected_and_resynced(mock_factory):
    """A book that disagrees with a price_change's best_bid/best_ask is reset and refreshed."""
    async with mock_factory(activity_interval=1.0) as mock:
        feed = feed_for(mock, mock.asset_ids)
        async with running(feed):
            await asyncio.sleep(5)
            for book in feed.books.values():  # corrupt every book: a bid nobody placed
                book.bids[Decimal("0.001")] = ("0.001", "1")
                book.bids[Decimal("0.999")] = ("0.999", "1")
            await asyncio.sleep(30)
            await settled(mock)
            assert feed.stats.book_mismatches >= 1 and feed.stats.resubscribes >= 1
            assert_books_match_mock(mock, feed)
        assert len(mock.connections) == 1  # a targeted resync, not a reconnect


async def test_silent_asset_gets_a_targeted_resubscribe(mock_factory):
    """An asset that stops (the others flowing) is unsubscribed and subscribed again."""
    async with mock_factory(activity_interval=1.0) as mock:
        silent = mock.asset_ids[0]
        feed = feed_for(mock, mock.asset_ids, asset_silence_timeout=20.0)
        async with running(feed):
            await asyncio.sleep(10)
            mock.faults.stall(asset_id=silent)
            await asyncio.sleep(25)
            mock.faults.clear()  # the resubscribe below is what brings it back
            await asyncio.sleep(25)
            await settled(mock)
            assert_books_match_mock(mock, feed)
        operations = [s for s in mock.connections[0].subscriptions if "operation" in s]
        assert {"operation": "unsubscribe", "assets_ids": [silent]} in operations
        assert feed.stats.resubscribes >= 1 and feed.stats.escalations == 0
        assert len(mock.connections) == 1


async def test_asset_silent_despite_resubscribes_escalates_to_a_reconnect(mock_factory):
    """After max_resubscribes targeted attempts the whole connection is replaced."""
    async with mock_factory(activity_interval=1.0) as mock:
        silent = mock.asset_ids[0]
        feed = feed_for(mock, mock.asset_ids, snapshot_timeout=30.0, max_resubscribes=2)
        mock.faults.stall(asset_id=silent)  # never a book for it: first-event watchdog
        async with running(feed):
            await until(lambda: len(mock.connections) == 2, within=200)
            opened = mock.connections[1].opened_at
            assert feed.stats.resubscribes == 2 and feed.stats.escalations == 1
            # two 30 s waits for a snapshot, a third expiry escalates (1 s checks, small backoff)
            assert 90.0 <= opened <= 95.0
            assert feed.silent_assets() == [silent]
            mock.faults.clear()
            await asyncio.sleep(35)
            await settled(mock)
            assert feed.silent_assets() == []
            assert_books_match_mock(mock, feed)


async def test_quiet_feed_is_probed_never_reconnected(mock_factory):
    """With the defaults and no activity at all, an hour passes on one connection: silence is
    probed with targeted resubscribes, each answered by an unchanged book, never escalated.
    A probed book stays live and usable until the answer replaces it: never reset, best()
    never None after the first snapshot."""
    async with mock_factory(activity_interval=None) as mock:
        feed = feed_for(mock, mock.asset_ids)
        resets = {asset: 0 for asset in mock.asset_ids}
        unknown: list[str] = []
        for asset, book in feed.books.items():

            def reset(book=book, asset=asset, original=book.reset) -> None:
                resets[asset] += 1
                original()

            book.reset = reset
        deliver = feed.connection.on_message

        async def watched(raw: str) -> None:
            await deliver(raw)
            unknown.extend(a for a in mock.asset_ids if feed.best(a) is None)

        feed.connection.on_message = watched
        async with running(feed):
            await until(lambda: feed.silent_assets() == [], within=10)
            for _ in range(3600):
                await asyncio.sleep(1)
                unknown.extend(a for a in mock.asset_ids if feed.best(a) is None)
            assert feed.silent_assets() == [] and feed.failed_assets() == []
        assert resets == {asset: 1 for asset in mock.asset_ids}  # the connect's reset alone
        assert unknown == []
        assert len(mock.connections) == 1 and feed.connection.stats.stalls == 0
        assert feed.stats.escalations == 0 and feed.stats.missed_changes == 0
        probed = {a for op in operations(mock.connections[0]) for a in op["assets_ids"]}
        assert probed == set(mock.asset_ids)  # every asset was asked, and every one answered


async def test_resubscribe_answers_do_not_hide_missing_changes(mock_factory):
    """An asset whose changes stop reaching us while its resubscribes are still answered with a
    book: each answer differs from the book we held, so the silence is no quiet market. After
    max_resubscribes such answers the connection is replaced (defaults: 300 s silence)."""
    async with mock_factory(activity_interval=1.0) as mock:
        lost = mock.asset_ids[0]
        feed = feed_for(mock, mock.asset_ids, rng=lambda: 1.0)
        losing_changes_of(lost, feed)
        async with running(feed):
            await until(lambda: len(mock.connections) == 2, within=1000, step=1.0)
            escalated_at = mock.connections[1].opened_at
        first = mock.connections[0]
        assert (
            operations(first)
            == [
                {"operation": "unsubscribe", "assets_ids": [lost]},
                {"operation": "subscribe", "assets_ids": [lost]},
            ]
            * 2
        )
        assert feed.stats.missed_changes == 2 and feed.stats.escalations == 1
        assert 3 * 300 <= escalated_at - first.opened_at <= 3 * 301 + 0.6


async def test_silent_feed_whose_probe_shows_lost_changes_is_replaced_at_once(mock_factory):
    """Every change stops reaching us while subscriptions are still answered: after 60 s of
    silence the probe's book differs from ours, so the feed is stalled; no waiting for the
    per-asset probes (300 s each, twice)."""
    async with mock_factory(activity_interval=1.0) as mock:
        feed = feed_for(mock, mock.asset_ids, rng=lambda: 1.0)
        deliver = feed.connection.on_message

        async def subscription_books_only(raw: str) -> None:
            kept = [e for e in parse_events(raw) if "tick_size" in e]  # not post-trade books
            if kept:
                await deliver(json.dumps(kept))

        feed.connection.on_message = subscription_books_only
        async with running(feed):
            await until(lambda: len(mock.connections) == 2, within=200, step=1.0)
        first, second = mock.connections
        assert 60 <= second.opened_at - first.opened_at <= 62 + 0.6
        assert feed.connection.stats.stalls == 1 and feed.stats.missed_changes == 1
        assert "stale feed" in first.close_reason


async def test_a_batch_settles_on_the_next_tick_when_no_later_event_ends_it(mock_factory):
    """A price_change leaves its books settling() until its batch is over; with nothing after
    it, the watchdog's tick (within 2 check_intervals) checks it and calls on_settled once."""
    async with mock_factory(activity_interval=None, markets=1) as mock:
        feed = feed_for(mock, mock.asset_ids)
        settled_books: list[tuple[str, float]] = []
        loop = asyncio.get_running_loop()
        feed.on_settled = lambda book: settled_books.append((book.asset_id, loop.time()))
        asset = mock.asset_ids[0]
        async with running(feed):
            await until(lambda: feed.silent_assets() == [], within=10)
            bid = mock.exchange.books[asset].best_bid
            mock.exchange.place_order(asset, "BUY", bid, "5")  # one message, one level
            await until(lambda: feed.settling(asset), within=5, step=0.01)
            seen_at = loop.time()
            await asyncio.sleep(2.5)
            assert not feed.settling(asset)
        # the mirror token's book changed in the same message: each settles once
        assert sorted(a for a, _ in settled_books) == sorted(mock.asset_ids)
        assert all(0 < at - seen_at <= 2.0 + 0.05 for _, at in settled_books)
        assert feed.stats.book_mismatches == 0


async def test_global_events_reach_on_event_without_a_book(mock_factory):
    """new_market (custom feature) is global: delivered with book None."""
    async with mock_factory(activity_interval=None) as mock:
        events: list[tuple[str, object]] = []
        feed = feed_for(
            mock,
            mock.asset_ids[:1],
            on_event=lambda event, book: events.append((event["event_type"], book)),
            custom_feature_enabled=True,
        )
        async with running(feed):
            await until(lambda: feed.connection.connected)
            await asyncio.sleep(1)
            mock.exchange.add_market()
            await settled(mock)
        assert ("new_market", None) in events
        assert mock.connections[0].subscriptions[0]["custom_feature_enabled"] is True


async def test_pool_shards_and_staggers_connections(mock_factory):
    """A pool keeps each connection at max_per_connection, opened `stagger` seconds apart."""
    async with mock_factory(activity_interval=1.0, markets=5) as mock:
        pool = MarketFeedPool(
            mock.asset_ids,
            max_per_connection=4,
            stagger=0.5,
            url=f"{mock.url}/ws/market",
            connect_kwargs={"proxy": None},
        )
        async with running(pool):
            await until(lambda: len(mock.connections) == 3)
            await asyncio.sleep(5)
            assert [len(c.assets) for c in mock.connections] == [4, 4, 2]
            opened = [c.opened_at for c in mock.connections]
            assert opened[1] - opened[0] >= 0.5 and opened[2] - opened[1] >= 0.5
            assert {a for c in mock.connections for a in c.assets} == set(mock.asset_ids)
            bid, ask = pool.best(mock.asset_ids[-1])
            assert bid is not None and ask is not None
            assert pool.silent_assets() == [] and pool.failed_assets() == []
        assert all(c.close_code == 1000 for c in mock.connections)


async def test_pool_opens_a_new_connection_when_full(mock_factory):
    """Subscribing past every feed's capacity adds a connection instead of overfilling one."""
    async with mock_factory(activity_interval=None, markets=3) as mock:
        a = mock.asset_ids
        pool = MarketFeedPool(
            a[:3],
            max_per_connection=2,
            stagger=0,
            url=f"{mock.url}/ws/market",
            connect_kwargs={"proxy": None},
        )
        async with running(pool):
            await until(lambda: len(mock.connections) == 2)
            await pool.subscribe(a[3:])  # one fits the second feed, two need a new one
            await until(lambda: len(mock.connections) == 3)
            await asyncio.sleep(1)
            assert sorted(len(c.assets) for c in mock.connections) == [2, 2, 2]
            await pool.unsubscribe([a[0]])
            await until(lambda: a[0] not in mock.connections[0].assets)
            assert a[0] not in pool.subscribed_assets


async def test_pool_stops_when_a_shard_fails_fatally(mock_factory):
    """With retry_refused=False a 401 on one shard ends the pool with that error."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=401, times=None)
        pool = MarketFeedPool(
            mock.asset_ids,
            max_per_connection=2,
            stagger=0,
            retry_refused=False,
            url=f"{mock.url}/ws/market",
            connect_kwargs={"proxy": None},
        )
        with pytest.raises(FatalHandshakeError):
            await asyncio.wait_for(pool.run(), 10)


async def test_an_asset_whose_first_book_never_comes_is_asked_again_though_deltas_flow():
    """Deltas for a book still awaiting its snapshot are dropped, so they must not count as the
    asset speaking: without its `book` it is resubscribed after snapshot_timeout."""
    from websockets.asyncio.server import serve

    booked, orphan = "111", "222"
    operations: list[dict] = []

    def book(asset: str) -> dict:
        level = {"price": "0.4", "size": "10"}
        return {
            "event_type": "book",
            "asset_id": asset,
            "market": "0xm",
            "timestamp": "1",
            "bids": [level],
            "asks": [{"price": "0.6", "size": "10"}],
        }

    async def handler(ws) -> None:
        await ws.recv()  # the subscription: only one of the two books is ever sent
        await ws.send(json.dumps([book(booked)]))

        async def deltas() -> None:
            for n in range(120):
                change = {
                    "asset_id": orphan,
                    "price": "0.5",
                    "size": str(n + 1),
                    "side": "BUY",
                    "best_bid": "0.5",
                    "best_ask": "0.6",
                }
                await ws.send(
                    json.dumps(
                        {
                            "event_type": "price_change",
                            "market": "0xm",
                            "timestamp": str(2 + n),
                            "price_changes": [change],
                        }
                    )
                )
                await asyncio.sleep(1)

        task = asyncio.create_task(deltas())
        try:
            async for message in ws:
                if message == "PING":
                    await ws.send("PONG")
                else:
                    operations.append(json.loads(message))
        finally:
            task.cancel()

    async with serve(handler, "127.0.0.1", 0, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        feed = MarketFeed(
            [booked, orphan],
            url=f"ws://127.0.0.1:{port}",
            connect_kwargs={"proxy": None},
            snapshot_timeout=30.0,
        )
        async with running(feed):
            await asyncio.sleep(45)
            assert {"operation": "subscribe", "assets_ids": [orphan]} in operations
            assert feed.books[orphan].awaiting_snapshot and feed.books[orphan].dropped_deltas > 0


# -- closed or unknown tokens: the server answers their subscription with a bare [] -------------
# Reference §9.1: "A closed or unknown token is answered with a bare `[]`" (a 2026-10 client's
# test comment, captures/2026-12 manifest). Which token a `[]` means is not in the frame: the
# feed attributes it to the oldest request still waiting (see market-channel.md).


def _book(asset: str, bid: str = "0.4") -> dict:
    return {
        "event_type": "book",
        "asset_id": asset,
        "market": "0xm",
        "timestamp": "1",
        "bids": [{"price": bid, "size": "10"}],
        "asks": [{"price": "0.6", "size": "10"}],
    }


def _change(asset: str, n: int) -> dict:
    entry = {"asset_id": asset, "price": "0.3", "size": str(n + 1), "side": "BUY"}
    return {
        "event_type": "price_change",
        "market": "0xm",
        "timestamp": str(2 + n),
        "price_changes": [entry],
    }


class ClosedTokenServer:
    """A market channel that knows `live` tokens and answers any other with a bare `[]`.

    Live tokens get their book on every subscribe and a delta every second (until `quiet`
    names them); every frame received and every connection is kept."""

    def __init__(self, live: list[str]) -> None:
        self.live = live
        self.quiet: set[str] = set()
        self.connections = 0
        self.frames: list[dict] = []

    async def _answer(self, ws, assets: list[str]) -> None:
        books = [_book(a) for a in assets if a in self.live]
        if books:
            await ws.send(json.dumps(books))
        if len(books) < len(assets):
            await ws.send("[]")

    async def handler(self, ws) -> None:
        self.connections += 1
        first = json.loads(await ws.recv())
        self.frames.append(first)
        await self._answer(ws, first["assets_ids"])

        async def deltas() -> None:
            for n in range(10_000):
                await asyncio.sleep(1)
                for asset in self.live:
                    if asset not in self.quiet:
                        await ws.send(json.dumps(_change(asset, n)))

        task = asyncio.create_task(deltas())
        try:
            async for message in ws:
                if message == "PING":
                    await ws.send("PONG")
                    continue
                frame = json.loads(message)
                self.frames.append(frame)
                if frame.get("operation") == "subscribe":
                    await self._answer(ws, frame["assets_ids"])
        finally:
            task.cancel()

    def asked(self, asset: str) -> int:
        """Subscribe requests (first frame included) that named `asset`."""
        return sum(
            asset in f.get("assets_ids", []) and f.get("operation", "subscribe") == "subscribe"
            for f in self.frames
        )


@contextlib.asynccontextmanager
async def closed_token_feed(server: ClosedTokenServer, assets, **options):
    from websockets.asyncio.server import serve

    async with serve(server.handler, "127.0.0.1", 0, ping_interval=None) as listening:
        port = listening.sockets[0].getsockname()[1]
        options.setdefault("connect_kwargs", {"proxy": None})
        feed = MarketFeed(assets, url=f"ws://127.0.0.1:{port}", **options)
        async with running(feed):
            yield feed


def _closed_warnings(caplog, asset: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and asset in r.getMessage()
    ]


async def test_a_closed_token_in_the_subscription_is_retired_not_treated_as_a_stall(caplog):
    """[live, closed]: the dump holds the live book, then `[]`. The closed token is retired at
    once (one WARNING naming it, on_closed told), never probed, never a reconnect; the live
    book is never reset."""
    caplog.set_level(logging.INFO)
    live, closed = "111", "999"
    server = ClosedTokenServer([live])
    told: list[tuple[str, str]] = []
    async with closed_token_feed(
        server, [live, closed], on_closed=lambda a, why: told.append((a, why))
    ) as feed:
        await asyncio.sleep(1)
        resets = []
        feed.books[live].reset = lambda: resets.append(1)
        await asyncio.sleep(900)
        assert feed.closed_assets() == {closed: told[0][1]}
        assert feed.silent_assets() == [] and feed.failed_assets() == []
        assert feed.best(closed) is None and feed.best(live) is not None
    assert told == [(closed, told[0][1])] and "closed or unknown" in told[0][1]
    assert len(_closed_warnings(caplog, closed)) == 1
    assert server.connections == 1 and server.asked(closed) == 1
    assert feed.connection.stats.stalls == 0 and feed.stats.escalations == 0
    assert resets == []


async def test_a_connection_left_with_only_closed_tokens_never_reconnects(caplog):
    """Every token closed: no book to probe is no stall; the connection is kept, quiet."""
    caplog.set_level(logging.INFO)
    server = ClosedTokenServer([])
    told: list[str] = []
    async with closed_token_feed(
        server, ["998", "999"], on_closed=lambda a, why: told.append(a)
    ) as feed:
        await asyncio.sleep(1200)
        assert sorted(feed.closed_assets()) == ["998", "999"]
    assert sorted(told) == ["998", "999"]
    assert server.connections == 1
    assert feed.connection.stats.stalls == 0 and feed.stats.escalations == 0
    assert [server.asked(a) for a in ("998", "999")] == [1, 1]


async def test_a_probe_answered_with_an_empty_array_closes_that_token_alone(caplog):
    """A token that closes later: its silence is probed, the answer is `[]`: it alone is
    retired, the other book is untouched and no connection is replaced."""
    caplog.set_level(logging.INFO)
    a, b = "111", "222"
    server = ClosedTokenServer([a, b])
    told: list[str] = []
    async with closed_token_feed(
        server, [a, b], asset_silence_timeout=60.0, on_closed=lambda x, why: told.append(x)
    ) as feed:
        await asyncio.sleep(5)
        resets = []
        feed.books[b].reset = lambda: resets.append(1)
        server.live.remove(a)  # market closed: no more deltas, and `[]` to a subscribe
        await asyncio.sleep(600)
        assert list(feed.closed_assets()) == [a]
    assert told == [a] and len(_closed_warnings(caplog, a)) == 1
    assert server.connections == 1 and server.asked(a) == 2  # the first frame and one probe
    assert resets == [] and feed.stats.escalations == 0


async def test_an_empty_array_with_no_request_outstanding_closes_nothing(caplog):
    """A `[]` nobody asked for (every token has its book) retires nothing: one line."""
    caplog.set_level(logging.INFO)
    server = ClosedTokenServer(["111"])
    async with closed_token_feed(server, ["111"]) as feed:
        await asyncio.sleep(2)
        assert feed.connection.on_message("[]") is None
        assert feed.closed_assets() == {} and feed.best("111") is not None
    lines = [r for r in caplog.records if "[]" in r.getMessage() and r.levelno >= logging.INFO]
    assert len(lines) == 1


async def test_market_resolved_retires_its_tokens(mock_factory, caplog):
    """custom features: market_resolved names its assets_ids: retired like a `[]` (reason
    "resolved"), never probed or reconnected for; the other market's books go on."""
    caplog.set_level(logging.INFO)
    async with mock_factory(activity_interval=1.0, markets=2) as mock:
        told: list[tuple[str, str]] = []
        feed = feed_for(
            mock,
            mock.asset_ids,
            custom_feature_enabled=True,
            on_closed=lambda a, why: told.append((a, why)),
        )
        resolved = mock.markets[0]
        async with running(feed):
            await asyncio.sleep(5)
            mock.exchange.resolve_market(resolved.condition_id)
            await asyncio.sleep(900)
            await settled(mock)
            assert sorted(feed.closed_assets()) == sorted(resolved.token_ids)
            for asset in mock.markets[1].token_ids:
                assert feed.best(asset) is not None
        assert sorted(a for a, _ in told) == sorted(resolved.token_ids)
        assert all(why == "resolved" for _, why in told)
        assert len(mock.connections) == 1 and feed.stats.resubscribes == 0
