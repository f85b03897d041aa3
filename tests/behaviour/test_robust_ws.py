"""robust_ws.py (connection-management.md): RobustConnection against the mock, under looptime."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
from collections.abc import AsyncIterator

import pytest
from naive_watchdog import NaiveConsumer
from robust_ws import FatalHandshakeError, RobustConnection, full_jitter
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from wire import parse_events

pytestmark = pytest.mark.looptime


def loop_time() -> float:
    return asyncio.get_running_loop().time()


def market_connection(mock, initial_dump=True, **options) -> tuple[RobustConnection, list[str]]:
    """A RobustConnection on the mock's market channel that records every data frame."""
    frame = {"type": "market", "assets_ids": mock.asset_ids[:2], "initial_dump": initial_dump}
    received: list[str] = []
    options.setdefault("connect_kwargs", {"proxy": None})
    conn = RobustConnection(f"{mock.url}/ws/market", lambda: frame, received.append, **options)
    return conn, received


@contextlib.asynccontextmanager
async def running(conn: RobustConnection) -> AsyncIterator[asyncio.Task[None]]:
    """Run conn in the background; stop it (and require a clean return) on exit."""
    task = asyncio.create_task(conn.run())
    try:
        yield task
    finally:
        conn.stop()
        async with asyncio.timeout(10):
            await asyncio.gather(task, return_exceptions=True)


def assert_subscribed_before_any_ping(mock) -> None:
    for record in mock.connections:
        if record.frames_received:
            assert record.frames_received[0][1] != "PING", f"connection {record.id} pinged first"
            assert json.loads(record.frames_received[0][1]) == record.subscriptions[0]
        assert all(at >= record.subscribed_at for at in record.pings)


async def until(predicate, within: float = 10.0, step: float = 0.1) -> None:
    """Poll `predicate()` on the loop clock (coarse steps keep looptime runs fast)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - state lives in the mock, not in an Event
            await asyncio.sleep(step)


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in itertools.pairwise(times)]


# -- backoff arithmetic -------------------------------------------------------------------


def test_full_jitter_stays_within_the_growing_cap():
    """Each delay is rng() times min(cap, base * factor**n)."""
    delays = list(itertools.islice(full_jitter(0.5, 2.0, 30.0, rng=lambda: 1.0), 8))
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert next(full_jitter(0.5, 2.0, 30.0, rng=lambda: 0.0)) == 0.0


def test_full_jitter_never_overflows():
    """Thousands of retries stay at the cap instead of overflowing a float."""
    delays = full_jitter(0.5, 2.0, 30.0, rng=lambda: 1.0)
    assert list(itertools.islice(delays, 5000))[-1] == 30.0


# -- happy path and heartbeat -------------------------------------------------------------


async def test_subscribes_first_then_pings_every_interval(mock_factory):
    """The subscription is the first frame; text PINGs follow every 10 s; data is delivered."""
    async with mock_factory(activity_interval=1.0) as mock:
        conn, received = market_connection(mock)
        async with running(conn):
            await asyncio.sleep(65)
            assert conn.connected and conn.stats.connects == 1
        record = mock.connections[0]
        assert record.subscriptions[0]["assets_ids"] == mock.asset_ids[:2]
        assert gaps(record.pings) == [10.0] * (len(record.pings) - 1) and len(record.pings) == 6
        assert_subscribed_before_any_ping(mock)
        assert received and all(frame != "PONG" for frame in received)
        assert parse_events(received[0])[0]["event_type"] == "book"


async def test_pongs_do_not_count_as_data(mock_factory):
    """A quiet channel that only answers PING is a stall once data_timeout passes."""
    async with mock_factory(activity_interval=None) as mock:
        conn, received = market_connection(mock, initial_dump=False, data_timeout=60.0)
        async with running(conn):
            await until(lambda: mock.connections, within=5)
            await until(lambda: len(mock.connections) == 2, within=70)
        assert conn.stats.stalls >= 1 and received == []
        assert len(mock.connections[0].pings) >= 5  # PONGs flowed the whole time


async def test_quiet_channel_with_data_timeout_none_stays_connected(mock_factory):
    """data_timeout=None (a legitimately quiet channel) relies on the PONG deadline only."""
    async with mock_factory(activity_interval=None) as mock:
        conn, _ = market_connection(mock, data_timeout=None)
        async with running(conn):
            await asyncio.sleep(600)
            assert conn.stats.connects == 1 and conn.stats.stalls == 0
        assert len(mock.connections) == 1


class _PongsDropped(ServerConnection):
    """A server connection that never answers RFC 6455 pings (its automatic pongs are dropped):
    how the CLOB treats protocol pings is undocumented, so the client must not depend on it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        data_to_send = self.protocol.data_to_send
        pong = 0x8A  # FIN + opcode 0xA: one serialized frame per chunk
        self.protocol.data_to_send = lambda: [d for d in data_to_send() if d[:1] != bytes([pong])]


async def test_a_server_ignoring_protocol_pings_keeps_its_connection():
    """Liveness rests on the text PING/PONG alone: a server that answers text PING but no
    protocol ping (and sends data every second) keeps one connection for ten minutes."""

    async def handler(ws) -> None:
        await ws.recv()  # the subscription

        async def publish() -> None:
            while True:
                await asyncio.sleep(1.0)
                await ws.send('{"event_type": "last_trade_price", "asset_id": "1"}')

        task = asyncio.create_task(publish())
        try:
            async for frame in ws:
                if frame == "PING":
                    await ws.send("PONG")
        finally:
            task.cancel()

    async with serve(
        handler, "127.0.0.1", 0, create_connection=_PongsDropped, ping_interval=None
    ) as server:
        port = server.sockets[0].getsockname()[1]
        frame = {"type": "market", "assets_ids": ["1"]}
        conn = RobustConnection(
            f"ws://127.0.0.1:{port}/ws/market", lambda: frame, print, connect_kwargs={"proxy": None}
        )
        async with running(conn):
            await asyncio.sleep(600)
            assert conn.connected
        assert (conn.stats.connects, conn.stats.pong_timeouts, conn.stats.stalls) == (1, 0, 0)


# -- stall, dead link, drops --------------------------------------------------------------


async def test_stall_after_twenty_minutes_is_detected_and_resubscribed(mock_factory):
    """A silent stall (PONG still flowing) reconnects at the data_timeout and resubscribes."""
    async with mock_factory(activity_interval=1.0) as mock:
        conn, received = market_connection(mock, data_timeout=60.0, check_interval=1.0)
        async with running(conn):
            await asyncio.sleep(1200)
            first = mock.connections[0]
            mock.faults.stall(connection_id=first.id)
            stalled_at = loop_time()
            await until(lambda: len(mock.connections) == 2, within=120)
            second = mock.connections[1]
            # Last data came at most 1 s before the stall; +60 s silence; +1 s check; the
            # backoff after a 20-minute session starts fresh, at most backoff_base (0.5 s).
            assert 59.0 <= second.opened_at - stalled_at <= 62.5
            assert any(at > stalled_at + 30 for at in first.pings)  # PONGs kept coming
            await asyncio.sleep(5)
        assert conn.stats.stalls == 1 and conn.stats.reconnects == 1
        assert first.close_code == 1000 and first.closed_by == "client"
        assert second.subscriptions[0] == first.subscriptions[0]  # the exact frame replayed
        assert parse_events(received[-1])  # data flows again on the new connection
        assert_subscribed_before_any_ping(mock)


async def test_dead_link_is_detected_by_the_pong_deadline(mock_factory):
    """With no PONG (and no data) the connection is replaced within pong_timeout + margins."""
    async with mock_factory(activity_interval=1.0) as mock:
        # Protocol keepalive off, so only the text-PONG deadline can notice.
        conn, _ = market_connection(mock, connect_kwargs={"proxy": None, "ping_interval": None})
        async with running(conn):
            await asyncio.sleep(100)
            mock.faults.dead_link(connection_id=mock.connections[0].id)
            dead_at = loop_time()
            await until(lambda: len(mock.connections) == 2, within=60)
            # Last PONG <= dead_at; deadline 30 s; check 1 s; close_timeout 2 s; backoff <= 0.5.
            assert mock.connections[1].opened_at - dead_at <= 30 + 1 + 2 + 0.5
        assert conn.stats.pong_timeouts == 1 and conn.stats.stalls == 0


async def test_abrupt_drop_reconnects_at_once_and_resubscribes(mock_factory):
    """A TCP reset is noticed immediately; the same subscription is sent again."""
    async with mock_factory(activity_interval=1.0) as mock:
        conn, _ = market_connection(mock)
        async with running(conn):
            await asyncio.sleep(60)
            mock.faults.drop(channel="market", rst=True)
            dropped_at = loop_time()
            await until(lambda: len(mock.connections) == 2, within=5)
            assert mock.connections[1].opened_at - dropped_at <= 0.5
        assert mock.connections[1].subscriptions[0] == mock.connections[0].subscriptions[0]
        assert conn.stats.last_close_code == 1000  # the final, graceful close


async def test_server_restart_close_is_not_a_reason_to_stop(mock_factory):
    """A 1012 "service restart" close (or 1001) leads to a reconnect, not an exit."""
    async with mock_factory(activity_interval=1.0) as mock:
        conn, _ = market_connection(mock)
        async with running(conn) as task:
            await asyncio.sleep(60)
            await mock.faults.close(code=1012, reason="service restart")
            await until(lambda: len(mock.connections) == 2, within=5)
            assert not task.done()
        assert mock.connections[0].close_code == 1012


# -- backoff ------------------------------------------------------------------------------


async def test_handshake_failures_back_off_exponentially_with_jitter(mock_factory):
    """503s are retried after rng() * min(cap, base * 2**n): growing, jittered delays."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=503, times=6)
        conn, _ = market_connection(mock, rng=lambda: 0.5)
        async with running(conn):
            await until(lambda: mock.connections, within=120)
        times = [handshake.at for handshake in mock.handshakes]
        assert [h.status for h in mock.handshakes] == [503] * 6 + [101]
        assert gaps(times) == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]


async def test_jittered_delays_stay_within_bounds(mock_factory):
    """With a real random source each delay lies in [0, min(cap, base * 2**n)]."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=502, times=10)
        conn, _ = market_connection(mock, rng=random.Random(7).random)
        async with running(conn):
            await until(lambda: mock.connections, within=300)
        ceilings = list(itertools.islice(full_jitter(0.5, 2.0, 30.0, rng=lambda: 1.0), 10))
        observed = gaps([handshake.at for handshake in mock.handshakes])
        assert len(observed) == 10
        assert all(
            0 <= gap <= ceiling + 0.01 for gap, ceiling in zip(observed, ceilings, strict=True)
        )
        assert len(set(observed)) > 5  # jittered, not a fixed schedule


async def test_accept_then_close_is_backed_off(mock_factory):
    """A server that accepts and closes at once gets a few attempts a minute, not hundreds."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.accept_then_close(code=1011, times=None, channel="market")
        conn, _ = market_connection(mock, rng=random.Random(3).random)
        async with running(conn):
            await asyncio.sleep(60)
        assert 3 <= len(mock.connections) <= 15
        assert conn.stats.last_delay is not None and conn.stats.last_delay <= 30.0


async def test_websockets_own_reconnect_loop_does_not_back_off_after_accept(mock_factory):
    """The trap robust_ws avoids: `async for ws in connect()` reconnects at once after a close."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.accept_then_close(code=1011, times=None, channel="market")
        started = loop_time()
        count = 0
        async for ws in connect(f"{mock.url}/ws/market", proxy=None):
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps({"type": "market", "assets_ids": []}))
                await ws.recv()
            count += 1
            if count == 30:
                break
        assert loop_time() - started < 1.0  # 30 connections in under a second


async def test_backoff_resets_only_after_stable_uptime(mock_factory):
    """A short session keeps growing the delay; a session past stable_after resets it."""
    async with mock_factory(activity_interval=1.0) as mock:
        conn, _ = market_connection(mock, rng=lambda: 1.0, stable_after=30.0)
        mock.faults.accept_then_close(code=1011, times=4, channel="market")
        async with running(conn):
            await until(lambda: len(mock.connections) == 5, within=60)
            assert gaps([c.opened_at for c in mock.connections]) == [0.5, 1.0, 2.0, 4.0]
            await asyncio.sleep(40)  # a stable session
            mock.faults.drop(channel="market")
            await until(lambda: len(mock.connections) == 6, within=60)
            assert conn.stats.last_delay == 0.5  # fresh backoff, not 8 s


async def test_rate_limited_handshake_is_retried_after_the_long_delay(mock_factory):
    """HTTP 429 (fatal in websockets by default) is waited out, then retried."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=429, times=1)
        conn, _ = market_connection(mock, rate_limited_delay=60.0)
        async with running(conn) as task:
            await until(lambda: mock.connections, within=120)
            assert not task.done()
        first, second = mock.handshakes[:2]
        assert (first.status, second.status) == (429, 101)
        assert 60.0 <= second.at - first.at <= 61.0
        assert conn.stats.rate_limited == 1


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_rejection_is_fatal_when_asked_to_fail_fast(mock_factory, status):
    """retry_refused=False (interactive use): 401/403 raise FatalHandshakeError at once."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=status, times=None)
        conn, _ = market_connection(mock, retry_refused=False)
        started = loop_time()
        with pytest.raises(FatalHandshakeError) as caught:
            await conn.run()
        assert caught.value.status == status and loop_time() - started < 1.0
        assert len(mock.handshakes) == 1 and conn.stats.attempts == 1


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_rejection_is_retried_slowly_and_loudly_by_default(mock_factory, caplog, status):
    """By default (an unattended process) 401/403 never end run(): one ERROR line per refusal,
    `refused_delay` (300 s) between attempts, and a connection once the server accepts again."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=status, times=3)
        conn, _ = market_connection(mock, rng=lambda: 1.0)
        async with running(conn):
            await until(lambda: conn.connected, within=1000, step=1.0)
        at = [h.at for h in mock.handshakes]
        assert [h.status for h in mock.handshakes] == [status, status, status, 101]
        assert gaps(at) == [300.0, 300.0, 300.0]
        assert conn.stats.refused == 3 and conn.stats.connects == 1
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 3 and all(f"HTTP {status}" in line for line in errors)


async def test_wrong_path_is_fatal_when_asked_to_fail_fast(mock_factory):
    """A 404 (a wrong path, such as a bare /ws/) raises FatalHandshakeError on the first try."""
    async with mock_factory(activity_interval=None) as mock:
        conn = RobustConnection(
            f"{mock.url}/ws/", dict, print, retry_refused=False, connect_kwargs={"proxy": None}
        )
        with pytest.raises(FatalHandshakeError) as caught:
            await conn.run()
        assert caught.value.status == 404 and conn.stats.attempts == 1
        assert not mock.connections  # nothing was accepted, and nothing was tried again


async def test_wrong_path_is_retried_every_refused_delay_by_default(mock_factory, caplog):
    """By default a 404 does not end run() either: an ERROR line and a retry every 300 s."""
    async with mock_factory(activity_interval=None) as mock:
        conn = RobustConnection(
            f"{mock.url}/ws/", dict, print, rng=lambda: 1.0, connect_kwargs={"proxy": None}
        )
        async with running(conn):
            await asyncio.sleep(700)  # attempts at 0, 300 and 600 s
        assert (conn.stats.attempts, conn.stats.refused, conn.stats.connects) == (3, 3, 0)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 3 and all("HTTP 404" in line for line in errors)


async def test_unreachable_server_is_retried(mock_factory):
    """Connection refused is an OSError: retried with backoff until stop()."""
    async with mock_factory(activity_interval=None) as mock:
        port = mock.port
    conn = RobustConnection(
        f"ws://127.0.0.1:{port}/ws/market", dict, print, connect_kwargs={"proxy": None}
    )
    async with running(conn):
        await asyncio.sleep(30)
    assert conn.stats.attempts >= 3 and conn.stats.connects == 0


# -- graceful shutdown --------------------------------------------------------------------


async def test_stop_closes_with_1000_promptly(mock_factory):
    """stop() closes the connection with code 1000 and run() returns; nothing reconnects."""
    async with mock_factory(activity_interval=1.0) as mock:
        conn, _ = market_connection(mock)
        task = asyncio.create_task(conn.run())
        await asyncio.sleep(30)
        stopped_at = loop_time()
        conn.stop()
        await asyncio.wait_for(task, 5)
        assert loop_time() - stopped_at < 1.0
        await asyncio.sleep(60)
        assert len(mock.connections) == 1
        assert mock.connections[0].close_code == 1000
        assert mock.connections[0].closed_by == "client"
        assert not conn.connected


async def test_stop_interrupts_a_backoff_sleep(mock_factory):
    """stop() during a long backoff (here after a 429) returns at once."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=429, times=None)
        conn, _ = market_connection(mock)
        task = asyncio.create_task(conn.run())
        await asyncio.sleep(5)  # now inside the 60 s wait
        stopped_at = loop_time()
        conn.stop()
        await asyncio.wait_for(task, 5)
        assert loop_time() - stopped_at < 0.1 and len(mock.handshakes) == 1


async def test_stop_interrupts_a_hanging_handshake(mock_factory):
    """stop() while the HTTP upgrade hangs abandons it instead of waiting open_timeout."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.hang_handshake(seconds=30.0, times=1)
        conn, _ = market_connection(mock, open_timeout=10.0)
        task = asyncio.create_task(conn.run())
        await asyncio.sleep(2)
        stopped_at = loop_time()
        conn.stop()
        await asyncio.wait_for(task, 5)
        assert loop_time() - stopped_at < 0.1 and conn.stats.connects == 0


async def test_hanging_handshake_times_out_and_is_retried(mock_factory):
    """A handshake that hangs past open_timeout is abandoned and retried."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.hang_handshake(seconds=30.0, times=1)
        conn, _ = market_connection(mock, open_timeout=10.0)
        async with running(conn):
            await until(lambda: mock.connections, within=30)
            assert 10.0 <= loop_time() <= 11.0
        assert conn.stats.attempts == 2


# -- what a session must survive ----------------------------------------------------------


async def test_a_failing_handler_does_not_end_the_session(mock_factory):
    """on_message raising is logged and counted; the connection and its data carry on."""
    async with mock_factory(activity_interval=1.0) as mock:
        seen: list[str] = []

        def handler(raw: str) -> None:
            seen.append(raw)
            if len(seen) == 1:
                raise ValueError("bug in the handler")

        conn = RobustConnection(
            f"{mock.url}/ws/market",
            lambda: {"type": "market", "assets_ids": mock.asset_ids},
            handler,
            connect_kwargs={"proxy": None},
        )
        async with running(conn):
            await asyncio.sleep(10)
        assert conn.stats.handler_errors == 1 and len(seen) > 5
        assert len(mock.connections) == 1


async def test_malformed_and_unknown_frames_do_not_end_the_session(mock_factory):
    """A non-JSON frame and an unknown event reach the handler and change nothing else."""
    async with mock_factory(activity_interval=1.0) as mock:
        events: list[dict] = []
        conn = RobustConnection(
            f"{mock.url}/ws/market",
            lambda: {"type": "market", "assets_ids": mock.asset_ids},
            lambda raw: events.extend(parse_events(raw)),
            connect_kwargs={"proxy": None},
        )
        async with running(conn):
            await asyncio.sleep(3)
            mock.faults.send_malformed(channel="market")
            mock.faults.send_unknown_event(channel="market")
            before = len(events)
            await asyncio.sleep(5)
            assert len(events) > before
        assert len(mock.connections) == 1 and conn.stats.handler_errors == 0


async def test_oversized_initial_frame_fits_max_size(mock_factory):
    """A 2 MB frame (above websockets' 1 MiB default) is accepted with max_size 16 MiB."""
    async with mock_factory(activity_interval=None) as mock:
        conn, received = market_connection(mock)
        async with running(conn):
            await until(lambda: mock.connections, within=5)
            await asyncio.sleep(1)
            mock.faults.send_oversized(size_bytes=2_000_000, channel="market")
            await asyncio.sleep(1)
        assert max(len(frame) for frame in received) >= 2_000_000
        assert len(mock.connections) == 1


async def test_dynamic_send_and_not_connected_error(mock_factory):
    """send() delivers operation frames while connected and raises ConnectionError otherwise."""
    async with mock_factory(activity_interval=None) as mock:
        conn, _ = market_connection(mock)
        with pytest.raises(ConnectionError):
            await conn.send({"operation": "subscribe", "assets_ids": ["1"]})
        async with running(conn):
            await until(lambda: conn.connected)
            await conn.send({"operation": "subscribe", "assets_ids": [mock.asset_ids[3]]})
            await until(lambda: mock.asset_ids[3] in mock.connections[0].assets)
        assert mock.connections[0].subscriptions[1]["operation"] == "subscribe"


async def test_reconnect_request_replaces_the_connection(mock_factory):
    """reconnect() closes the current connection and opens a subscribed new one."""
    async with mock_factory(activity_interval=None) as mock:
        conn, _ = market_connection(mock)
        async with running(conn):
            await until(lambda: mock.connections, within=5)
            conn.reconnect("test")
            await until(lambda: len(mock.connections) == 2, within=5)
        assert "reconnect requested: test" in (mock.connections[0].close_reason or "")


# -- monitoring ---------------------------------------------------------------------------


async def test_stats_and_log_lines_tell_the_story(mock_factory, caplog):
    """Stats count connects, stalls and data age; logs carry ids, codes, uptime and delay."""
    caplog.set_level(logging.INFO, logger="polymarket.ws")
    async with mock_factory(activity_interval=1.0) as mock:
        conn, _ = market_connection(mock, name="market-test")
        async with running(conn):
            await asyncio.sleep(100)
            assert 0 <= conn.stats.last_data_age() <= 1.0
            assert 99.0 <= conn.stats.uptime() <= 100.0
            mock.faults.stall(connection_id=mock.connections[0].id)
            await until(lambda: len(mock.connections) == 2, within=120)
        stats = conn.stats
        assert (stats.attempts, stats.connects, stats.reconnects, stats.stalls) == (2, 2, 1, 1)
        assert stats.messages > 90 and stats.connection_id is not None
        assert stats.uptime() == 0.0  # not connected any more
        text = "\n".join(record.getMessage() for record in caplog.records)
        assert "market-test#" in text and "stall" in text and "reconnecting in" in text
        assert "close code 1000" in text and "uptime" in text


async def test_user_subscription_secrets_never_logged(mock_factory, caplog):
    """The auth object of a user subscription never reaches a log line or the repr."""
    caplog.set_level(logging.DEBUG)
    async with mock_factory(activity_interval=None) as mock:
        creds = mock.credentials
        frame = {
            "type": "user",
            "auth": {
                "apiKey": creds.api_key,
                "secret": creds.secret,
                "passphrase": creds.passphrase,
            },
        }
        conn = RobustConnection(
            f"{mock.url}/ws/user",
            lambda: frame,
            print,
            data_timeout=None,
            name="user",
            connect_kwargs={"proxy": None},
        )
        async with running(conn):
            await until(lambda: mock.connections and mock.connections[0].authenticated)
            await asyncio.sleep(30)
        text = "\n".join(record.getMessage() for record in caplog.records) + repr(conn)
        assert "auth=<redacted>" in text
        assert creds.secret not in text and creds.passphrase not in text


# -- the naive watchdog (connection-management.md, section 3) ------------------------------


async def test_naive_watchdog_fires_but_never_reconnects(mock_factory):
    """The common pattern: the watchdog raises in its own task and the stalled socket stays."""
    async with mock_factory(activity_interval=1.0) as mock:
        received: list[str] = []
        consumer = NaiveConsumer(
            f"{mock.url}/ws/market",
            {"type": "market", "assets_ids": mock.asset_ids[:2], "initial_dump": True},
            received.append,
            data_timeout=60.0,
            connect_kwargs={"proxy": None},
        )
        task = asyncio.create_task(consumer.run())
        await asyncio.sleep(120)
        mock.faults.stall(channel="market")
        stalled_at = loop_time()
        await asyncio.sleep(300)  # five times the data timeout
        watchdog = consumer.watchdogs[0]
        assert watchdog.done() and isinstance(watchdog.exception(), TimeoutError)
        assert not task.done()  # still "running": blocked on a socket that answers PONG
        assert consumer.connections == 1 and len(mock.connections) == 1
        assert mock.connections[0].pings[-1] > stalled_at + 250  # heartbeat looked fine
        assert consumer.last_data_at <= stalled_at
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_robust_connection_recovers_from_the_same_stall(mock_factory):
    """Same stall, same threshold: RobustConnection reconnects and data flows again."""
    async with mock_factory(activity_interval=1.0) as mock:
        conn, received = market_connection(mock, data_timeout=60.0)
        async with running(conn):
            await asyncio.sleep(120)
            mock.faults.stall(connection_id=mock.connections[0].id)
            stalled_at = loop_time()
            await asyncio.sleep(300)
            assert len(mock.connections) == 2 and conn.stats.stalls == 1
            assert conn.stats.last_data_at > stalled_at + 250


async def test_only_the_loop_clock_moves_in_compressed_time():
    """Ten simulated minutes pass on loop.time() while the wall clock barely moves."""
    wall_start, loop_start = time.monotonic(), loop_time()
    await asyncio.sleep(600)
    assert loop_time() - loop_start == pytest.approx(600)
    assert time.monotonic() - wall_start < 5  # a watchdog on this clock would never fire


async def test_an_internal_error_ends_the_session_not_the_client(mock_factory):
    """If a session helper fails unexpectedly, the connection is replaced and run() goes on."""

    class Flaky(RobustConnection):
        failures = 0

        async def _heartbeat(self, ws):
            if Flaky.failures == 0:
                Flaky.failures += 1
                raise RuntimeError("unexpected")
            return await super()._heartbeat(ws)

    async with mock_factory(activity_interval=1.0) as mock:
        conn = Flaky(
            f"{mock.url}/ws/market",
            lambda: {"type": "market", "assets_ids": mock.asset_ids},
            print,
            connect_kwargs={"proxy": None},
        )
        async with running(conn) as task:
            await until(lambda: len(mock.connections) == 2)
            assert not task.done()
        assert mock.connections[0].close_reason == "internal error: RuntimeError"


async def test_policy_violation_close_is_logged_as_an_error(mock_factory, caplog):
    """A 1008 close (our frame was rejected) is logged at ERROR, and still backed off."""
    caplog.set_level(logging.INFO, logger="polymarket.ws")
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.accept_then_close(code=1008, reason="invalid subscription payload", times=2)
        conn, _ = market_connection(mock, rng=lambda: 1.0)
        async with running(conn):
            await until(lambda: len(mock.connections) == 3)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 2 and "1008" in errors[0].getMessage()
        assert gaps([c.opened_at for c in mock.connections]) == [0.5, 1.0]
