"""The fault matrix, rows 1-9, 12 and 13: handshake and session faults against the full stack.

Each test runs the pack's MarketFeed (wire.py + robust_ws.py + order_book.py + market_feed.py)
against the in-loop mock, with transport faults injected by the in-process FaultProxy, under
looptime. Every test asserts the behaviour and its bound in loop time from both sides: what the
client reports (stats, log lines, raised errors) and what the mock saw (connections,
handshakes). Row 11 (no PING before the subscription) is checked after every test by conftest.

Jitter is pinned to the top of its range (rng=1.0), so the documented defaults give the exact
delays 0.5, 1, 2, 4, ... 30 s; `stable_after` is 30 s, so a fault after a 60 s session is
followed by the fresh first delay, 0.5 s.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from credentials import Credentials
from robust_ws import FatalHandshakeError, RobustConnection
from user_subscription import UserSubscription

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

FIRST_DELAY = 0.5  # backoff_base: the first delay after a healthy (>= stable_after) session
PONG_DEADLINE = 30.0  # pong_timeout default
DATA_DEADLINE = 60.0  # data_timeout default: a silent feed is probed
PROBE_WAIT = 30.0  # snapshot_timeout default: an unanswered probe means a stall
CHECK = 1.0  # check_interval default
OPEN_TIMEOUT = 10.0  # open_timeout default
CLOSE_TIMEOUT = 1.0  # close_timeout default
REFUSED_DELAY = 300.0  # refused_delay default: the wait after a 401/403/404


def opened_after(mock, index: int, since: float) -> float:
    return mock.connections[index].opened_at - since


# -- row 1: handshake 502/503/504 ---------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_row01_handshake_5xx_is_retried_with_growing_backoff(mock_factory, caplog, status):
    """HTTP 502/503/504 at the upgrade: retried after 0.5, 1, 2 s, then subscribed and flowing."""
    caplog.set_level(logging.INFO, logger="polymarket")
    async with mock_factory(activity_interval=1.0) as mock:
        mock.faults.reject_handshake(status=status, times=3)
        feed = feed_on(mock.url, mock.asset_ids)
        async with running(feed):
            await until(lambda: mock.connections, within=10)
            await asyncio.sleep(5)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    stats = feed.connection.stats
    # Mock side: three refusals at exactly the backoff ceilings, then one accepted upgrade.
    assert [h.status for h in mock.handshakes] == [status] * 3 + [101]
    assert gaps(h.at for h in mock.handshakes) == [0.5, 1.0, 2.0]
    assert len(mock.connections) == 1
    # Client side: four attempts, one connect, one warning per refusal naming the status.
    assert (stats.attempts, stats.connects, stats.reconnects) == (4, 1, 0)
    assert sum(f"HTTP {status}" in line for line in lines(caplog)) == 3


# -- row 2: handshake 429 -----------------------------------------------------------------


async def test_row02_rate_limited_handshake_waits_the_long_delay_and_is_not_fatal(
    mock_factory, caplog
):
    """HTTP 429 twice: each retry waits rate_limited_delay (60 s), no exception, then connected."""
    caplog.set_level(logging.INFO, logger="polymarket")
    async with mock_factory(activity_interval=1.0) as mock:
        mock.faults.reject_handshake(status=429, times=2)
        feed = feed_on(mock.url, mock.asset_ids)
        async with running(feed) as task:
            await until(lambda: mock.connections, within=200)
            assert not task.done()
            await asyncio.sleep(5)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    stats = feed.connection.stats
    assert [h.status for h in mock.handshakes] == [429, 429, 101]
    assert all(60.0 <= gap <= 60.01 for gap in gaps(h.at for h in mock.handshakes))
    assert stats.rate_limited == 2 and stats.connects == 1
    assert sum("HTTP 429" in line for line in lines(caplog)) == 2


# -- row 3: 401/403 retried slowly and loudly (or fatal on request); bad user credentials ----


@pytest.mark.parametrize("status", [401, 403])
async def test_row03_auth_rejection_is_retried_every_refused_delay_with_an_error_line(
    mock_factory, caplog, status
):
    """401/403 at the upgrade, by default (an unattended process): no exception, one ERROR line
    per refusal, exactly refused_delay (300 s) between attempts, subscribed once accepted."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=status, times=2)
        feed = feed_on(mock.url, mock.asset_ids)
        async with running(feed):
            await until(lambda: not feed.silent_assets() and feed.connection.connected, 700)
        stats = feed.connection.stats
    assert [h.status for h in mock.handshakes] == [status, status, 101]
    assert gaps(h.at for h in mock.handshakes) == [REFUSED_DELAY, REFUSED_DELAY]
    assert (stats.refused, stats.attempts, stats.connects) == (2, 3, 1)
    errors = lines(caplog, level=logging.ERROR)
    assert len(errors) == 2 and all(f"HTTP {status}" in line for line in errors)


@pytest.mark.parametrize("status", [401, 403])
async def test_row03_auth_rejection_is_fatal_with_retry_refused_false(mock_factory, caplog, status):
    """retry_refused=False (interactive use): FatalHandshakeError within a second, one ERROR
    line, and no retry in the next ten minutes."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=status, times=None)
        feed = feed_on(mock.url, mock.asset_ids, retry_refused=False)
        started = now()
        with pytest.raises(FatalHandshakeError) as caught:
            await feed.run()
        assert now() - started < 1.0
        await asyncio.sleep(600)  # nothing keeps trying in the background
    assert caught.value.status == status
    assert f"HTTP {status}" in str(caught.value) and "not retrying" in str(caught.value)
    assert [h.status for h in mock.handshakes] == [status]
    assert feed.connection.stats.attempts == 1
    errors = lines(caplog, level=logging.ERROR)
    assert len(errors) == 1 and f"HTTP {status}" in errors[0]


async def test_row03_wrong_user_credentials_are_backed_off_and_logged_as_errors(
    mock_factory, caplog
):
    """Bad user-channel credentials (server closes after the frame, no HTTP status): every
    attempt ends in an ERROR line with close code 1008, and attempts slow to two a minute."""
    async with mock_factory(activity_interval=None) as mock:
        wrong = Credentials("00000000-0000-4000-8000-00000000dead", "d3Jvbmc=", "wrong")
        conn = RobustConnection(
            f"{mock.url}/ws/user",
            UserSubscription(wrong).first_frame,
            lambda raw: None,
            name="user",
            data_timeout=None,
            rng=CEILING,
            connect_kwargs={"proxy": None},
        )
        async with running(conn):
            await asyncio.sleep(120)
    # Ceilings 0.5, 1, 2, 4, 8, 16, 30, 30: nine attempts in two minutes, not hundreds.
    assert gaps(c.opened_at for c in mock.connections)[:8] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert len(mock.connections) == 9
    assert all(not c.authenticated and c.close_code == 1008 for c in mock.connections)
    errors = lines(caplog, level=logging.ERROR)
    assert len(errors) == 9 and all("1008" in line for line in errors)


# -- row 4: a handshake that hangs --------------------------------------------------------


@pytest.mark.parametrize("where", ["server delays the upgrade", "proxy swallows the request"])
async def test_row04_hanging_handshake_times_out_then_retries(mock_factory, caplog, where):
    """An upgrade that never answers is abandoned at open_timeout (10 s) and retried 0.5 s later."""
    caplog.set_level(logging.INFO, logger="polymarket")
    async with (
        mock_factory(activity_interval=1.0) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        if where.startswith("server"):
            mock.faults.hang_handshake(seconds=30.0, times=1)
        else:
            proxy.blackhole()
        feed = feed_on(proxy.url, mock.asset_ids)
        async with running(feed):
            started = now()
            if where.startswith("proxy"):
                await until(lambda: feed.connection.stats.last_delay is not None, within=20)
                proxy.heal()
            await until(lambda: mock.connections, within=20)
            connected_after = mock.connections[0].opened_at - started
            await asyncio.sleep(40)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    assert OPEN_TIMEOUT + 0.5 <= connected_after <= OPEN_TIMEOUT + 0.5 + 0.05
    stats = feed.connection.stats
    assert (stats.attempts, stats.connects) == (2, 1)
    assert proxy.accepted == 2 and len(mock.connections) == 1
    timeouts = [line for line in lines(caplog) if "connect failed (attempt 1)" in line]
    assert len(timeouts) == 1 and "timed out" in timeouts[0]


# -- row 5: accept-then-close, repeatedly --------------------------------------------------


@pytest.mark.parametrize("code", [1008, 1011, 1012])
async def test_row05_accept_then_close_is_backed_off_not_a_tight_loop(mock_factory, caplog, code):
    """A server that accepts and closes at once (1008/1011/1012) gets 7 connections in the first
    minute, then 2 a minute at the 30 s cap; hundreds a second is what websockets alone does."""
    caplog.set_level(logging.INFO, logger="polymarket")
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.accept_then_close(code=code, times=None, channel="market")
        feed = feed_on(mock.url, mock.asset_ids)
        async with running(feed):
            await asyncio.sleep(600)
    opened = [c.opened_at for c in mock.connections]
    assert sum(t < 60 for t in opened) == 7  # 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5
    assert gaps(opened)[:8] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    for start in range(60, 600, 60):  # after the ramp: at most 2 per minute
        assert sum(start <= t < start + 60 for t in opened) <= 2
    stats = feed.connection.stats
    assert stats.connects == len(mock.connections) == 25  # 31.5 + 18 * 30 < 600
    assert stats.last_delay == 30.0
    assert all(c.close_code == code and c.closed_by == "server" for c in mock.connections)
    level = logging.ERROR if code == 1008 else logging.INFO
    closes = [
        r for r in caplog.records if r.name == "polymarket.ws" and f"code {code}" in r.getMessage()
    ]
    assert len(closes) == 25 and all(r.levelno == level for r in closes)


# -- row 6: FIN or RST mid-stream ---------------------------------------------------------

DROPS = {
    "proxy RST": lambda mock, proxy: proxy.reset(),
    "proxy FIN": lambda mock, proxy: proxy.disconnect(),
    "server abort": lambda mock, proxy: mock.faults.drop(channel="market"),
    "server RST": lambda mock, proxy: mock.faults.drop(channel="market", rst=True),
}


@pytest.mark.parametrize("drop", DROPS)
async def test_row06_drop_mid_stream_reconnects_resubscribes_and_rebuilds(mock_factory, drop):
    """FIN or RST after a healthy minute: new connection 0.5 s later, same subscription, every
    book rebuilt from the fresh snapshot (its first event) and equal to the mock's."""
    async with (
        mock_factory(activity_interval=1.0) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        first_events: dict[tuple[int, str], str] = {}

        def on_event(event, book) -> None:
            key = (feed.connection.stats.connection_id, book.asset_id) if book else None
            if key and key not in first_events:
                first_events[key] = event["event_type"]

        feed = feed_on(proxy.url, mock.asset_ids, on_event=on_event)
        async with running(feed):
            await asyncio.sleep(60)
            first_id = feed.connection.stats.connection_id
            dropped_at = now()
            DROPS[drop](mock, proxy)
            await until(lambda: len(mock.connections) == 2, within=5, step=0.01)
            await until(lambda: feed.connection.connected, within=5, step=0.01)
            code_seen = feed.connection.stats.last_close_code
            await asyncio.sleep(30)
            await settled(mock)
            assert_books_match_mock(mock, feed)
            second_id = feed.connection.stats.connection_id
    assert FIRST_DELAY <= opened_after(mock, 1, dropped_at) <= FIRST_DELAY + 0.05
    assert code_seen == 1006  # no close frame: an abnormal closure, not a server decision
    first, second = mock.connections
    assert first.closed_by == "abort" and second.subscriptions[0] == first.subscriptions[0]
    assert feed.connection.stats.reconnects == 1 and len(mock.connections) == 2
    assert second_id != first_id
    assert {first_events[(second_id, a)] for a in mock.asset_ids} == {"book"}


# -- rows 7 and 8: the link dies but TCP stays up -----------------------------------------

LINK_FAULTS = {
    # row 7: a blackhole, both ways or server->client only
    "blackhole both ways": lambda mock, proxy: proxy.blackhole(),
    "blackhole server->client": lambda mock, proxy: proxy.blackhole("down"),
    # row 8: the server stops reading (in the mock: nothing read or sent; in the proxy: our
    # frames are held back while the server's data keeps flowing to us)
    "server stops reading (mock)": lambda mock, proxy: mock.faults.dead_link(connection_id=1),
    "server stops reading (proxy)": lambda mock, proxy: proxy.stop_reading("up"),
}


@pytest.mark.parametrize("fault", LINK_FAULTS)
async def test_rows07_08_dead_link_is_caught_by_the_pong_deadline(mock_factory, fault):
    """No PONG after the fault: the 30 s PONG deadline (not the data watchdog; websockets'
    keepalive is off) ends the connection; a new one is subscribed within the bound."""
    async with (
        mock_factory(activity_interval=1.0) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        feed = feed_on(proxy.url, mock.asset_ids)
        stats = feed.connection.stats
        async with running(feed):
            await asyncio.sleep(105)  # last PING at 100 s was answered at once
            messages_at_fault = stats.messages
            LINK_FAULTS[fault](mock, proxy)
            await asyncio.sleep(PONG_DEADLINE - 6)  # coarse, then poll finely near the bound
            detected_at = await until(lambda: stats.pong_timeouts, within=30, step=0.01)
            messages_at_detection = stats.messages
            proxy.heal()
            await until(lambda: len(mock.connections) == 2, within=10, step=0.01)
            reconnected_at = mock.connections[1].opened_at
            await asyncio.sleep(5)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    last_pong = 100.0
    assert last_pong + PONG_DEADLINE <= detected_at <= last_pong + PONG_DEADLINE + CHECK + 0.05
    assert reconnected_at - detected_at <= CLOSE_TIMEOUT + FIRST_DELAY + 0.05
    assert (stats.pong_timeouts, stats.stalls, stats.reconnects) == (1, 0, 1)
    if fault == "server stops reading (proxy)":
        # Data kept coming the whole time: only the heartbeat could tell the link was dead.
        assert messages_at_detection - messages_at_fault >= 20
    second = mock.connections[1]
    assert second.subscriptions[0] == mock.connections[0].subscriptions[0]


# -- row 9: application stall while PONG flows ---------------------------------------------


async def test_row09_stall_with_pong_flowing_is_caught_by_the_data_watchdog(mock_factory):
    """Data stops but every PING is still answered: after 60 s of silence one asset is probed,
    nothing answers within 30 s, so the feed reconnects (close 1000 by the client), replays the
    subscription, and the books match the mock again."""
    async with mock_factory(activity_interval=1.0) as mock:
        feed = feed_on(mock.url, mock.asset_ids)
        stats = feed.connection.stats
        async with running(feed):
            await asyncio.sleep(100)
            stalled_at = now()
            mock.faults.stall(connection_id=mock.connections[0].id)
            await asyncio.sleep(DATA_DEADLINE + PROBE_WAIT - 3)  # coarse, then poll finely
            detected_at = await until(lambda: stats.stalls, within=30, step=0.01)
            await until(lambda: len(mock.connections) == 2, within=10, step=0.01)
            await asyncio.sleep(5)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    # Last data came at most 1 s before the stall (activity is 1 s apart).
    # last data <= 1 s before the stall; probe on the first check after 60 s, verdict on the
    # first check after 30 more
    bound = DATA_DEADLINE + PROBE_WAIT
    assert bound - 1 <= detected_at - stalled_at <= bound + 2 * CHECK + 0.05
    assert (stats.stalls, stats.pong_timeouts, stats.reconnects) == (1, 0, 1)
    first, second = mock.connections
    assert len([t for t in first.pings if t > stalled_at]) >= 5  # PONGs kept flowing
    assert (first.close_code, first.closed_by) == (1000, "client")
    assert "stale feed" in first.close_reason
    assert second.opened_at - detected_at <= FIRST_DELAY + 0.05
    assert second.subscriptions[0] == first.subscriptions[0]


# -- row 12: an initial dump above websockets' 1 MiB default -------------------------------

BIG_DUMP = {"markets": 180, "book_depth": 45, "activity_interval": None}  # 360 books, ~1.06 MB


async def test_row12_large_initial_dump_fits_the_configured_max_size(mock_factory):
    """A ~1.06 MB initial dump (one array frame) arrives whole with the default max_size
    (16 MiB): one connection, no 1009, every one of 360 books built and equal to the mock's."""
    async with mock_factory(**BIG_DUMP) as mock:
        feed = feed_on(mock.url, mock.asset_ids)
        async with running(feed):
            await until(lambda: not feed.silent_assets(), within=10)
            assert_books_match_mock(mock, feed)
            await asyncio.sleep(30)
    assert len(mock.connections) == 1 and feed.connection.stats.connects == 1
    assert mock.connections[0].close_code == 1000 and mock.connections[0].closed_by == "client"


async def test_row12_frame_limit_exceeded_backs_off_instead_of_looping(mock_factory):
    """With websockets' 1 MiB limit the same dump is refused with 1009 on every connection, and
    each retry waits longer (0.5, 1, 2 s): a slow retry, not a reconnect storm."""
    async with mock_factory(**BIG_DUMP) as mock:
        feed = feed_on(mock.url, mock.asset_ids, max_size=2**20)
        async with running(feed):
            await until(lambda: len(mock.connections) == 4, within=10, step=0.01)
    assert gaps(c.opened_at for c in mock.connections) == [0.5, 1.0, 2.0]
    # Mock side: the client refused the frame, closing with 1009 itself.
    assert all(c.close_code == 1009 for c in mock.connections[:3])
    assert feed.connection.stats.stalls == 0 and feed.connection.stats.messages == 0


async def test_row12_frame_limit_exceeded_is_reported_as_1009(mock_factory, caplog):
    """The operator can see why: an ERROR line says the client closed with 1009 because a frame
    exceeded the limit (not "closed by server; close code 1006", which reads as the network)."""
    caplog.set_level(logging.INFO, logger="polymarket")
    async with mock_factory(**BIG_DUMP) as mock:
        feed = feed_on(mock.url, mock.asset_ids, max_size=2**20)
        async with running(feed):
            await until(lambda: len(mock.connections) == 2, within=10, step=0.01)
    errors = lines(caplog, level=logging.ERROR)
    assert any("1009" in line and "exceeds limit" in line for line in errors), errors
    assert not any("closed by server" in line for line in errors)


# -- row 13: the server closes cleanly -----------------------------------------------------


@pytest.mark.parametrize("code", [1000, 1001, 1012])
async def test_row13_server_close_is_followed_by_a_reconnect(mock_factory, code):
    """A server close with 1000, 1001 (going away) or 1012 (restart) is not a reason to stop:
    the client reconnects after the first backoff delay and resubscribes."""
    async with mock_factory(activity_interval=1.0) as mock:
        feed = feed_on(mock.url, mock.asset_ids)
        async with running(feed) as task:
            await asyncio.sleep(60)
            closed_at = now()
            await mock.faults.close(code=code, reason="mock close")
            await until(lambda: feed.connection.connected and len(mock.connections) == 2, 5, 0.01)
            code_seen = feed.connection.stats.last_close_code
            assert not task.done()
            await asyncio.sleep(10)
            await settled(mock)
            assert_books_match_mock(mock, feed)
    assert code_seen == code
    first, second = mock.connections
    assert (first.close_code, first.closed_by) == (code, "server")
    assert FIRST_DELAY <= second.opened_at - closed_at <= FIRST_DELAY + 0.05
    assert second.subscriptions[0] == first.subscriptions[0]
    assert feed.connection.stats.reconnects == 1
