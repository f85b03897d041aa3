"""Shared scaffolding of the fault matrix: clocks, waiting, running clients, both-sides checks.

Every check reads time from the event loop (looptime compresses it). Clients are the pack's
documented modules exactly as a reader would wire them; only `rng` (jitter) is pinned to 1.0 so
every backoff delay equals its ceiling and each bound can be asserted exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import wire
from account_sync import AccountSync, ClobClientReader
from credentials import Credentials, clob_client
from market_feed import MarketFeed
from order_tracker import OrderTracker
from robust_ws import RobustConnection
from user_events import UserEventRouter
from user_subscription import UserSubscription

__all__ = [
    "CEILING",
    "UserStack",
    "assert_books_match_mock",
    "assert_subscribed_before_every_ping",
    "feed_on",
    "gaps",
    "lines",
    "now",
    "running",
    "settled",
    "until",
    "user_stack",
]


def CEILING() -> float:  # noqa: N802 - a constant jitter source, named like one
    """Jitter source that always picks the top of the range: delays are exactly the ceilings."""
    return 1.0


def now() -> float:
    """The running loop's clock (faked by looptime)."""
    return asyncio.get_running_loop().time()


async def until(predicate: Callable[[], object], within: float, step: float = 0.1) -> float:
    """Poll `predicate()` on the loop clock; return the loop time it became true."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - state lives in the mock and the client
            await asyncio.sleep(step)
    return now()


@contextlib.asynccontextmanager
async def running(client: Any, stop_within: float = 5.0) -> AsyncIterator[asyncio.Task[None]]:
    """Run a client's run() in the background; on exit stop() it and require a prompt return."""
    task = asyncio.create_task(client.run())
    try:
        yield task
    finally:
        client.stop()
        async with asyncio.timeout(stop_within):
            await asyncio.gather(task, return_exceptions=task.done())


async def settled(mock: Any) -> None:
    """Let every frame the mock has queued reach the client."""
    await mock.flush()
    await asyncio.sleep(0.01)


def feed_on(url: str, assets: Iterable[str], **options: Any) -> MarketFeed:
    """A MarketFeed on `url` (the mock or the proxy), with deterministic jitter."""
    options.setdefault("connect_kwargs", {"proxy": None})
    options.setdefault("rng", CEILING)
    return MarketFeed(assets, url=f"{url}/ws/market", **options)


@dataclass
class UserStack:
    """The user-channel client as user_stream.py wires it."""

    subscription: UserSubscription
    tracker: OrderTracker
    sync: AccountSync
    conn: RobustConnection


def user_stack(
    base_url: str,
    credentials: Credentials,
    env: dict[str, str],
    on_change: Callable[[Any], object],
    *,
    markets: list[str] | None = None,
    **options: Any,
) -> UserStack:
    """user_stream.py's wiring on `base_url` (the mock or the proxy): every result of the
    tracker (a Change, or None when nothing changed) goes to `on_change`, live or from REST."""
    subscription = UserSubscription(credentials, markets)
    tracker = OrderTracker(owner=credentials.api_key)
    router = UserEventRouter(
        on_order=lambda event: on_change(tracker.apply_order(event)),
        on_trade=lambda event: on_change(tracker.apply_trade(event)),
    )
    reader = ClobClientReader(clob_client(credentials, env))
    sync = AccountSync(reader, tracker, on_change=on_change)
    options.setdefault("name", "user")
    options.setdefault("data_timeout", None)
    options.setdefault("connect_kwargs", {"proxy": None})
    conn = RobustConnection(
        f"{base_url}/ws/user",
        subscription.first_frame,
        router.handle_message,
        on_connected=sync.on_connected,
        **options,
    )
    return UserStack(subscription, tracker, sync, conn)


def losing_changes_of(asset: str, feed: MarketFeed) -> None:
    """Make `feed` lose every change of `asset` (price_change entries, post-trade books,
    prints) while subscription books still arrive: a stream that goes on answering
    subscriptions but no longer delivers changes."""
    deliver = feed.connection.on_message

    async def without_changes(raw: str) -> None:
        kept = []
        for event in wire.parse_events(raw):
            if event.get("event_type") == "price_change":
                entries = [e for e in event["price_changes"] if e.get("asset_id") != asset]
                if not entries:
                    continue
                event = {**event, "price_changes": entries}
            elif event.get("asset_id") == asset and "tick_size" not in event:
                continue  # all but a subscription's book (a post-trade book has no tick)
            kept.append(event)
        if kept:
            await deliver(json.dumps(kept))

    feed.connection.on_message = without_changes


def gaps(times: Iterable[float]) -> list[float]:
    return [round(b - a, 3) for a, b in itertools.pairwise(times)]


def lines(caplog: Any, logger: str = "polymarket", level: int = logging.WARNING) -> list[str]:
    """Messages of the pack's loggers at `level` or above."""
    return [
        r.getMessage() for r in caplog.records if r.name.startswith(logger) and r.levelno >= level
    ]


def assert_books_match_mock(mock: Any, feed: MarketFeed) -> None:
    """Every subscribed book holds a snapshot and hashes exactly like the mock's own book."""
    for asset in feed.subscribed_assets:
        book, server = feed.books[asset], mock.book(asset)
        assert not book.awaiting_snapshot, f"{asset[:12]}: still awaiting its snapshot"
        book.learn_rest_fields(server)  # as a client would from REST /book
        assert book.compute_hash(server["timestamp"]) == server["hash"], f"{asset[:12]} differs"


def assert_subscribed_before_every_ping(mock: Any) -> None:
    """Row 11, from the mock's records: on every connection the first frame received was the
    subscription, every PING came after it, and nothing was closed for a PING-first."""
    for record in mock.connections:
        where = f"connection {record.id} ({record.channel})"
        assert record.close_reason != "invalid subscription payload", f"{where}: 1008 received"
        assert "PING before" not in (record.error or ""), f"{where}: {record.error}"
        if not record.frames_received:
            assert not record.pings, where
            continue
        first = record.frames_received[0][1]
        assert first != "PING", f"{where}: PING sent before the subscription"
        if record.subscribed_at is None:  # refused (bad credentials): nothing after it counts
            continue
        assert json.loads(first) == record.subscriptions[0], where
        assert all(at >= record.subscribed_at for at in record.pings), where
