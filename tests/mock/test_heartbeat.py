"""Heartbeat: text PING → text PONG, PING before subscribing, subscribe/ping timeouts (ref §3)."""

import asyncio
import json

import pytest

from tests.mock._support import (
    auth_of,
    client,
    expect_silence,
    market_url,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    read_until_closed,
    user_url,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]


def _subscription(mock, channel: str) -> tuple[str, dict]:
    if channel == "market":
        return market_url(mock), {"type": "market", "assets_ids": [mock.asset_ids[0]]}
    return user_url(mock), {"type": "user", "auth": auth_of(mock.credentials)}


@pytest.mark.parametrize("channel", ["market", "user"])
async def test_text_ping_is_answered_with_text_pong(mock_factory, channel):
    """A text `PING` gets the literal text `PONG`, not JSON and not a protocol pong (§1.4, §3)."""
    async with mock_factory(activity_interval=None) as mock:
        url, frame = _subscription(mock, channel)
        async with client(url) as ws:
            await ws.send(json.dumps(frame))
            if channel == "market":
                await next_events(ws)
            await mock.wait_for(lambda m: m.connections[-1].subscribed_at is not None)
            data_before = mock.connections[-1].data_frames_sent
            await ws.send("PING")
            reply = await asyncio.wait_for(ws.recv(), 5)
            assert reply == "PONG" and isinstance(reply, str)
            record = mock.connections[-1]
            assert len(record.pings) == 1
            assert record.data_frames_sent == data_before, "PONG is not a data frame"


@pytest.mark.parametrize("channel", ["market", "user"])
async def test_ping_before_subscription_closes_1008(mock_factory, channel):
    """`PING` before a valid subscription closes 1008 "invalid subscription payload" (§3, §8.5)."""
    async with mock_factory(activity_interval=None) as mock:
        url, _ = _subscription(mock, channel)
        async with client(url) as ws:
            await ws.send("PING")
            frames, closed = await read_until_closed(ws)
            assert frames == [], "no PONG before a subscription"
            assert closed.rcvd is not None
            assert (closed.rcvd.code, closed.rcvd.reason) == (1008, "invalid subscription payload")


async def test_every_ping_is_answered_over_time(mock_factory):
    """A client pinging every 10 s gets one PONG per PING and stays connected (§3)."""
    async with mock_factory(activity_interval=None) as mock:
        url, frame = _subscription(mock, "market")
        async with client(url) as ws:
            await ws.send(json.dumps(frame))
            await next_events(ws)
            for _ in range(6):
                await asyncio.sleep(10)
                await ws.send("PING")
                assert await asyncio.wait_for(ws.recv(), 5) == "PONG"
            record = mock.connections[-1]
            assert len(record.pings) == 6
            assert record.pings == sorted(record.pings)
            assert record.closed_at is None


async def test_subscribe_timeout_closes_a_silent_connection(mock_factory):
    """A connection that never subscribes is closed by the server after subscribe_timeout (§1.1)."""
    async with mock_factory(activity_interval=None, subscribe_timeout=30.0) as mock:
        async with client(market_url(mock)) as ws:
            frames, _closed = await read_until_closed(ws, within=60)
            assert frames == []
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        record = mock.connections[-1]
        assert record.closed_by == "server"
        assert 30.0 <= record.closed_at - record.opened_at < 31.0


async def test_subscribing_in_time_cancels_the_subscribe_timeout(mock_factory):
    """A subscription sent just before subscribe_timeout keeps the connection open."""
    async with mock_factory(activity_interval=None, subscribe_timeout=30.0) as mock:
        url, frame = _subscription(mock, "market")
        async with client(url) as ws:
            await asyncio.sleep(29)
            await ws.send(json.dumps(frame))
            await next_events(ws)
            assert await expect_silence(ws, 100) == []
            assert mock.connections[-1].closed_at is None


async def test_no_subscribe_timeout_when_disabled(mock_factory):
    """With subscribe_timeout=None an unsubscribed connection is left open."""
    async with mock_factory(activity_interval=None, subscribe_timeout=None) as mock:
        async with client(market_url(mock)) as ws:
            assert await expect_silence(ws, 600) == []
            assert mock.connections[-1].closed_at is None


async def test_ping_timeout_closes_a_subscribed_connection_without_pings(mock_factory):
    """With ping_timeout set, a subscribed socket that sends no PING is closed (§3 10 s rule)."""
    async with mock_factory(activity_interval=None, ping_timeout=10.0) as mock:
        url, frame = _subscription(mock, "market")
        async with client(url) as ws:
            await ws.send(json.dumps(frame))
            await next_events(ws)
            _frames, _closed = await read_until_closed(ws, within=60)
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        record = mock.connections[-1]
        assert record.closed_by == "server"
        assert 10.0 <= record.closed_at - record.subscribed_at < 11.0


async def test_ping_timeout_is_reset_by_each_ping(mock_factory):
    """With ping_timeout set, a client that pings every 5 s stays connected."""
    async with mock_factory(activity_interval=None, ping_timeout=10.0) as mock:
        url, frame = _subscription(mock, "user")
        async with client(url) as ws:
            await ws.send(json.dumps(frame))
            for _ in range(12):
                await asyncio.sleep(5)
                await ws.send("PING")
                assert await asyncio.wait_for(ws.recv(), 5) == "PONG"
            assert mock.connections[-1].closed_at is None
            # and the deadline still applies once the pings stop
            _frames, _closed = await read_until_closed(ws, within=60)
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        record = mock.connections[-1]
        assert 10.0 <= record.closed_at - record.pings[-1] < 11.0


async def test_no_ping_timeout_by_default(mock_factory):
    """By default a socket without PINGs stays open (official examples ping every 50 s, §3)."""
    async with mock_factory(activity_interval=None) as mock:
        url, frame = _subscription(mock, "market")
        async with client(url) as ws:
            await ws.send(json.dumps(frame))
            await next_events(ws)
            assert await expect_silence(ws, 120) == []
            assert mock.connections[-1].closed_at is None


async def test_pong_still_answered_during_stall(mock_factory):
    """A stalled feed keeps answering PING with PONG while data stops (§5.2, py-clob-client#292)."""
    async with mock_factory(activity_interval=1.0) as mock:
        url, frame = _subscription(mock, "market")
        async with client(url) as ws:
            await ws.send(json.dumps(frame))
            await next_events(ws)
            await next_events(ws, within=3)
            mock.faults.stall()
            await mock.flush()
            await expect_silence(ws, 0.5)  # discard anything queued before the stall
            for _ in range(3):
                await asyncio.sleep(10)
                await ws.send("PING")
                assert await asyncio.wait_for(ws.recv(), 5) == "PONG"
            assert await expect_silence(ws, 10) == []
