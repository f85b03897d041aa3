"""Fault matrix rows 17 and 18: a long healthy soak, and a consumer slower than the feed.

Row 17 simulates 20 minutes of live data, then a silent stall: one stall, one reconnect, data
resumes, in well under a second of real time. Row 18 floods a deliberately slow handler: while
data keeps arriving nothing is declared stalled, and memory stays bounded because websockets
stops reading once its bounded queue is full (backpressure) instead of buffering without end.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from robust_ws import RobustConnection
from websockets.asyncio import connection as ws_connection

from tests.faults.rig import (
    CEILING,
    assert_books_match_mock,
    feed_on,
    now,
    running,
    settled,
    until,
)

pytestmark = pytest.mark.looptime

DATA_DEADLINE = 60.0  # data_timeout: a silent feed is probed
PROBE_WAIT = 30.0  # snapshot_timeout: an unanswered probe means a stall


# -- row 17 -------------------------------------------------------------------------------


async def test_row17_twenty_minute_soak_then_one_stall_one_reconnect(mock_factory):
    """20 minutes of data with no false alarm, then a stall: exactly one stall and one
    reconnect, after 60 s of silence and 30 s for an unanswered probe, books rebuilt; all of it
    in well under a second of real time (5 s is only a generous sanity bound)."""
    wall_started = time.perf_counter()
    async with mock_factory(activity_interval=1.0) as mock:
        feed = feed_on(mock.url, mock.asset_ids)
        stats = feed.connection.stats
        async with running(feed):
            await asyncio.sleep(20 * 60)
            assert (stats.stalls, stats.pong_timeouts, stats.reconnects) == (0, 0, 0)
            soaked_messages = stats.messages
            stalled_at = now()
            mock.faults.stall(connection_id=mock.connections[0].id)  # this connection only
            await asyncio.sleep(DATA_DEADLINE + PROBE_WAIT - 3)
            await until(lambda: len(mock.connections) == 2, within=10, step=0.01)
            reconnected_at = mock.connections[1].opened_at
            await asyncio.sleep(30)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    wall = time.perf_counter() - wall_started
    assert soaked_messages >= 20 * 60  # at least one frame a second for 20 minutes
    assert (stats.stalls, stats.pong_timeouts, stats.reconnects) == (1, 0, 1)
    bound = DATA_DEADLINE + PROBE_WAIT
    assert bound - 1 <= reconnected_at - stalled_at <= bound + 2 * 1 + 0.5 + 0.05
    assert stats.messages > soaked_messages  # data resumed on the new connection
    assert len(mock.connections[0].pings) >= 20 * 6  # a PING every 10 s all along
    assert wall < 5.0, f"20 simulated minutes took {wall:.2f}s of real time"


# -- row 18 -------------------------------------------------------------------------------


def slow_connection(mock, seconds_per_frame: float):
    """A RobustConnection whose handler needs `seconds_per_frame` (loop time) for every frame."""
    handled: list[str] = []
    queued: list[int] = []

    async def on_message(raw: str) -> None:
        ws = conn._ws  # websockets' own receive queue, sampled to show it stays bounded
        if ws is not None:
            queued.append(len(ws.recv_messages.frames.queue))
        await asyncio.sleep(seconds_per_frame)
        handled.append(raw)

    frame = {"type": "market", "assets_ids": mock.asset_ids, "initial_dump": True}
    conn = RobustConnection(
        f"{mock.url}/ws/market",
        lambda: frame,
        on_message,
        rng=CEILING,
        connect_kwargs={"proxy": None},
    )
    return conn, handled, queued


async def flood(mock, rounds: int) -> None:
    """Generate `rounds` rounds of book activity at once (two markets: two frames or more each)."""
    assets = set(mock.asset_ids)
    for _ in range(rounds):
        mock.exchange.step(assets)


def count_frames_per_read(monkeypatch) -> list[int]:
    """Record how many frames each socket read adds to websockets' receive queue."""
    added: list[int] = []
    original = ws_connection.Connection.data_received

    def data_received(self, data: bytes) -> None:
        before = len(self.recv_messages.frames.queue)
        original(self, data)
        added.append(len(self.recv_messages.frames.queue) - before)

    monkeypatch.setattr(ws_connection.Connection, "data_received", data_received)
    return added


async def test_row18_slow_consumer_under_a_flood_is_not_a_stall(mock_factory, monkeypatch):
    """A burst of 1,200+ frames that takes the handler 15 s to work through: no stall, no PONG
    timeout, no reconnect, every frame handled. Memory is bounded by websockets' finite queue:
    at most max_queue (64) frames plus what one socket read (256 KiB) holds are ever buffered
    in the client; the rest of the flood waits in TCP buffers and on the server."""
    frames_per_read = count_frames_per_read(monkeypatch)
    async with mock_factory(activity_interval=None) as mock:
        conn, handled, queued = slow_connection(mock, seconds_per_frame=0.0125)
        stats = conn.stats
        async with running(conn):
            await until(lambda: handled, within=5)
            await asyncio.sleep(30)
            flooded_at = now()
            await flood(mock, rounds=600)
            await mock.flush()
            await until(lambda: stats.messages >= mock.connections[0].data_frames_sent, 60)
            drained_after = now() - flooded_at
            await asyncio.sleep(30)
    assert (stats.stalls, stats.pong_timeouts, stats.reconnects) == (0, 0, 0)
    assert len(mock.connections) == 1
    sent = mock.connections[0].data_frames_sent
    assert len(handled) == stats.messages == sent >= 1200
    assert drained_after >= 10  # it really was behind for a while
    max_queue = conn.connect_options["max_queue"]
    assert isinstance(max_queue, int) and max_queue == 64  # finite: backpressure, not a backlog
    assert max(queued) <= max_queue + max(frames_per_read)
    assert max(queued) < sent  # never the whole flood


async def test_row18_consumer_far_behind_is_reconnected_not_called_a_stall(mock_factory):
    """A backlog longer than the PONG deadline (here 45 s of handler time) delays our PONGs past
    30 s: the client reconnects once as a dead link, never as a data stall. The bound the pack
    should state: keep per-frame work well below the feed rate, or hand frames to a queue."""
    async with mock_factory(activity_interval=None) as mock:
        conn, handled, _ = slow_connection(mock, seconds_per_frame=0.04)
        stats = conn.stats
        async with running(conn):
            await until(lambda: handled, within=5)
            await asyncio.sleep(30)
            await flood(mock, rounds=600)
            await until(lambda: len(mock.connections) == 2, within=120, step=0.5)
    assert stats.stalls == 0
    assert stats.pong_timeouts == 1 and stats.reconnects == 1
