"""Fault injection seen through a real websockets client (ref §5.2, robustness anchors §0/§1).

Every fault is observed the way a client would observe it in production: a stall keeps PONG
flowing while data stops, a dead link stops both, a drop loses the TCP connection without a
close frame, a rejected handshake is an HTTP status.
"""

import asyncio
import json

import pytest
from polymarket_mock.messages import validate
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus

from tests.mock._support import (
    client,
    expect_silence,
    market_socket,
    market_url,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    read_until_closed,
    resting_buy_price,
    user_socket,
    user_url,
    wait_for_event,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]


def _touch(mock, asset: str) -> str:
    """Cause one market event on `asset` (a resting order joins the best bid)."""
    return mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "5")


async def _ping_answered(ws, within: float = 5.0) -> bool:
    """Whether a text PING is answered by PONG within `within` seconds (data frames skipped)."""
    await ws.send("PING")
    try:
        async with asyncio.timeout(within):
            while await ws.recv() != "PONG":
                pass
    except TimeoutError:
        return False
    return True


async def _data_arrives(ws, within: float = 5.0) -> bool:
    """Whether any data (non-PONG) frame arrives within `within` seconds."""
    try:
        await next_events(ws, within)
    except TimeoutError:
        return False
    return True


async def test_stall_keeps_pong_and_stops_data(mock_factory):
    """stall(): PING still gets PONG, but no events reach the client (py-clob-client#292)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            await next_events(ws)
            mock.faults.stall()
            _touch(mock, asset)
            assert not await _data_arrives(ws, 30)
            assert await _ping_answered(ws)
            assert mock.connections[-1].closed_at is None
            mock.faults.clear()
            _touch(mock, asset)
            assert await _data_arrives(ws)


async def test_stall_scoped_to_a_channel(mock_factory):
    """stall(channel="market") leaves the user channel streaming."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as market, user_socket(mock) as user:
            await next_events(market)
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            mock.faults.stall(channel="market")
            order_id = _touch(mock, asset)
            await wait_for_event(user, lambda e: e.get("id") == order_id)
            assert not await _data_arrives(market, 10)


async def test_stall_scoped_to_a_connection(mock_factory):
    """stall(connection_id=...) silences one socket; its neighbour keeps receiving."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as first, market_socket(mock, [asset]) as second:
            await next_events(first)
            await next_events(second)
            mock.faults.stall(connection_id=mock.connections[0].id)
            _touch(mock, asset)
            assert await _data_arrives(second)
            assert not await _data_arrives(first, 10)
            assert await _ping_answered(first)


async def test_stall_scoped_to_an_asset(mock_factory):
    """stall(asset_id=...) stops one asset's events on a socket that keeps the others (§5.2)."""
    async with mock_factory(activity_interval=None) as mock:
        stalled, healthy = mock.asset_ids[0], mock.asset_ids[2]
        async with market_socket(mock, [stalled, healthy]) as ws:
            books = []
            while len(books) < 2:
                books += await next_events(ws)
            mock.faults.stall(asset_id=stalled)
            _touch(mock, stalled)
            _touch(mock, healthy)
            await mock.flush()
            frames = await expect_silence(ws, 5)
            assets = {
                change["asset_id"]
                for raw in frames
                for event in (json.loads(raw) if raw.startswith("[") else [json.loads(raw)])
                for change in event.get("price_changes", [])
            }
            # The healthy market's other token comes along, as live (sibling entries).
            assert assets == {healthy, mock.exchange.market_of(healthy).other(healthy)}


async def test_dead_link_answers_nothing(mock_factory):
    """dead_link(): no PONG and no data; the server does not close the socket itself."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            await next_events(ws)
            mock.faults.dead_link()
            _touch(mock, asset)
            assert not await _ping_answered(ws, 30)
            record = mock.connections[-1]
            assert record.closed_at is None
            assert record.pings == [], "a dead link reads nothing"


async def test_dead_link_scoped_to_a_connection(mock_factory):
    """dead_link(connection_id=...) leaves other connections answering PING."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as dead, market_socket(mock, [asset]) as alive:
            await next_events(dead)
            await next_events(alive)
            mock.faults.dead_link(connection_id=mock.connections[0].id)
            assert await _ping_answered(alive)
            assert not await _ping_answered(dead, 10)


async def test_dead_link_trips_client_keepalive(mock_factory):
    """A dead link is detected by the client's protocol keepalive (anchors §1.4: 1011)."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(
            mock, [mock.asset_ids[0]], ping_interval=20, ping_timeout=20, close_timeout=2
        ) as ws:
            await next_events(ws)
            mock.faults.dead_link()
            _frames, closed = await read_until_closed(ws, within=120)
            assert isinstance(closed, ConnectionClosedError)
            assert closed.sent is not None and closed.sent.code == 1011


@pytest.mark.parametrize("rst", [False, True], ids=["fin", "rst"])
async def test_drop_aborts_without_a_close_frame(mock_factory, rst):
    """drop(): the client sees ConnectionClosedError with no close frame either way."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            mock.faults.drop(rst=rst)
            _frames, closed = await read_until_closed(ws)
            assert isinstance(closed, ConnectionClosedError)
            assert closed.rcvd is None and closed.sent is None
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        assert mock.connections[-1].closed_by == "abort"


async def test_drop_scoped_to_a_channel(mock_factory):
    """drop(channel="user") leaves market connections open."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as market, user_socket(mock) as user:
            await next_events(market)
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            mock.faults.drop(channel="user")
            _frames, closed = await read_until_closed(user)
            assert isinstance(closed, ConnectionClosedError)
            assert await _ping_answered(market)


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1000, "bye"), (1001, "going away"), (1011, "internal error"), (1012, "service restart")],
)
async def test_close_sends_the_code_and_reason(mock_factory, code, reason):
    """close(code, reason): the client receives exactly that close frame."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            await mock.faults.close(code=code, reason=reason)
            _frames, closed = await read_until_closed(ws)
            expected = ConnectionClosedOK if code in {1000, 1001} else ConnectionClosedError
            assert isinstance(closed, expected)
            assert (closed.rcvd.code, closed.rcvd.reason) == (code, reason)
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        record = mock.connections[-1]
        assert (record.close_code, record.close_reason) == (code, reason)
        assert record.closed_by == "server"


async def test_close_scoped_to_a_connection(mock_factory):
    """close(connection_id=...) closes only that socket."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as first, market_socket(mock, [asset]) as second:
            await next_events(first)
            await next_events(second)
            await mock.faults.close(code=1012, connection_id=mock.connections[1].id)
            _frames, closed = await read_until_closed(second)
            assert closed.rcvd.code == 1012
            assert await _ping_answered(first)


async def test_accept_then_close_once(mock_factory):
    """accept_then_close(times=1): the handshake succeeds, then 1011 at once; the next is normal."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.accept_then_close(code=1011, reason="", times=1)
        async with client(market_url(mock)) as ws:
            frames, closed = await read_until_closed(ws)
            assert frames == []
            assert closed.rcvd is not None and closed.rcvd.code == 1011
        assert mock.handshakes[-1].status == 101
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            assert (await next_events(ws))[0]["event_type"] == "book"


async def test_accept_then_close_every_time(mock_factory):
    """accept_then_close(times=None) closes every new connection until cleared."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.accept_then_close(code=1012, reason="service restart")
        for _ in range(3):
            async with client(market_url(mock)) as ws:
                _frames, closed = await read_until_closed(ws)
                assert (closed.rcvd.code, closed.rcvd.reason) == (1012, "service restart")
        mock.faults.clear()
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)


async def test_accept_then_close_scoped_to_a_channel(mock_factory):
    """accept_then_close(channel="user") leaves the market channel alone."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.accept_then_close(code=1011, channel="user")
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
        async with client(user_url(mock)) as ws:
            _frames, closed = await read_until_closed(ws)
            assert closed.rcvd.code == 1011


@pytest.mark.parametrize("status", [401, 403, 429, 502, 503, 504])
async def test_reject_handshake_with_status(mock_factory, status):
    """reject_handshake(status): websockets raises InvalidStatus with that HTTP status."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=status, times=1)
        with pytest.raises(InvalidStatus) as caught:
            async with client(market_url(mock)):
                pass
        assert caught.value.response.status_code == status
        assert mock.handshakes[-1].status == status
        assert mock.handshakes[-1].path == "/ws/market"
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
        assert mock.handshakes[-1].status == 101


async def test_reject_handshake_scoped_to_a_channel(mock_factory):
    """reject_handshake(channel="market") still lets /ws/user connect."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=429, channel="market")
        with pytest.raises(InvalidStatus):
            async with client(market_url(mock)):
                pass
        async with user_socket(mock):
            await mock.wait_for(lambda m: m.connections[-1].authenticated)


async def test_hang_handshake_hits_open_timeout(mock_factory):
    """hang_handshake(30): a client with open_timeout=5 times out; the next connect is normal."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.hang_handshake(seconds=30.0, times=1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            async with client(market_url(mock), open_timeout=5):
                pass
        assert 5.0 <= loop.time() - started < 6.0
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)


async def test_hang_handshake_completes_after_the_delay(mock_factory):
    """hang_handshake(30): a patient client connects once the delay has passed."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.hang_handshake(seconds=30.0, times=1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with market_socket(mock, [mock.asset_ids[0]], open_timeout=60) as ws:
            assert loop.time() - started >= 30.0
            await next_events(ws)


async def test_send_malformed_is_not_json(mock_factory):
    """send_malformed(): the client receives a text frame that is not JSON; the stream goes on."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            await next_events(ws)
            mock.faults.send_malformed()
            raw = await asyncio.wait_for(ws.recv(), 5)
            assert isinstance(raw, str)
            with pytest.raises(ValueError):
                json.loads(raw)
            _touch(mock, asset)
            assert await _data_arrives(ws)


async def test_send_unknown_event_is_valid_json_with_unknown_type(mock_factory):
    """send_unknown_event(): valid JSON whose event_type the schema does not know."""
    async with mock_factory(activity_interval=None) as mock:
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            mock.faults.send_unknown_event(channel="user")
            (event,) = await next_events(ws)
            assert event["event_type"] not in {
                "book",
                "price_change",
                "tick_size_change",
                "last_trade_price",
                "best_bid_ask",
                "new_market",
                "market_resolved",
                "order",
                "trade",
            }
            assert validate(event) != []


async def test_send_oversized_closes_default_client_1009(mock_factory):
    """send_oversized(): a default client (1 MiB max_size) fails the connection with 1009."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            mock.faults.send_oversized(size_bytes=2_000_000)
            _frames, closed = await read_until_closed(ws, within=30)
            assert isinstance(closed, ConnectionClosedError)
            assert closed.sent is not None and closed.sent.code == 1009


async def test_send_oversized_reaches_a_client_with_big_max_size(mock_factory):
    """send_oversized(): a client with max_size 16 MiB receives the whole, valid JSON frame."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]], max_size=16 * 2**20) as ws:
            await next_events(ws)
            mock.faults.send_oversized(size_bytes=2_000_000)
            raw = await asyncio.wait_for(ws.recv(), 30)
            assert len(raw.encode()) >= 2_000_000
            json.loads(raw)
            assert await _ping_answered(ws)


async def test_faults_clear_restores_normal_service(mock_factory):
    """clear() undoes every active fault: data and PONG flow again, handshakes succeed."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        mock.faults.reject_handshake(status=503)
        mock.faults.stall()
        mock.faults.clear()
        async with market_socket(mock, [asset]) as ws:
            await next_events(ws)
            _touch(mock, asset)
            assert await _data_arrives(ws)
            assert await _ping_answered(ws)
