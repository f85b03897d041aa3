"""Transport choices of the mock: binary client frames, and scheduled faults vs late connections.

Binary frames: the real service's answer is undocumented (the AsyncAPI defines text frames only,
reference §1.1), so the mock makes it a choice, ``binary_frames`` / ``--binary-frames``
{close, accept}, default close; both are tested here.

Scheduled faults (``--scenario NAME --at T``): a connection fault hits the connections open at T
and, for a channel with none open then, the next connection of that channel once it subscribes.
"""

import asyncio
import json

import pytest
from polymarket_mock.cli import build_parser
from polymarket_mock.scenarios import run_scenario
from websockets.exceptions import ConnectionClosedError

from tests.mock._support import (
    auth_of,
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


def _market_frame(mock) -> bytes:
    return json.dumps({"type": "market", "assets_ids": [mock.asset_ids[0]]}).encode()


async def _pong(ws, within: float = 5.0) -> bool:
    await ws.send("PING")
    try:
        async with asyncio.timeout(within):
            while await ws.recv() != "PONG":
                pass
    except TimeoutError:
        return False
    return True


# ------------------------------------------------------------------ binary frames
def test_binary_frames_option_defaults_to_close_and_is_in_help():
    parser = build_parser()
    assert parser.parse_args([]).binary_frames == "close"
    assert parser.parse_args(["--binary-frames", "accept"]).binary_frames == "accept"
    with pytest.raises(SystemExit):
        parser.parse_args(["--binary-frames", "maybe"])
    text = parser.format_help()
    assert "--binary-frames" in text and "undocumented" in text


@pytest.mark.parametrize("channel", ["market", "user"])
async def test_binary_subscription_closes_1008_by_default(mock_factory, channel):
    async with mock_factory(activity_interval=None) as mock:
        url = market_url(mock) if channel == "market" else user_url(mock)
        frame = (
            _market_frame(mock)
            if channel == "market"
            else json.dumps({"auth": auth_of(mock.credentials), "type": "user"}).encode()
        )
        async with client(url) as ws:
            await ws.send(frame)
            frames, closed = await read_until_closed(ws)
        assert frames == []
        assert closed.rcvd.code == 1008 and closed.rcvd.reason == "invalid subscription payload"
        assert "binary" in mock.connections[-1].error


async def test_binary_market_subscription_is_served_when_accepted(mock_factory):
    async with mock_factory(activity_interval=None, binary_frames="accept") as mock:
        async with client(market_url(mock)) as ws:
            await ws.send(_market_frame(mock))
            (book,) = await next_events(ws)
            assert book["event_type"] == "book" and book["asset_id"] == mock.asset_ids[0]
            await ws.send(b"PING")
            async with asyncio.timeout(5):
                assert await ws.recv() == "PONG", "the server still answers in text"
        assert mock.connections[-1].error is None


async def test_binary_user_subscription_is_served_when_accepted(mock_factory):
    async with mock_factory(activity_interval=None, binary_frames="accept") as mock:
        async with client(user_url(mock)) as ws:
            await ws.send(json.dumps({"auth": auth_of(mock.credentials), "type": "user"}).encode())
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            asset = mock.asset_ids[0]
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "5")
            event = await wait_for_event(ws, lambda e: e.get("id") == order_id)
            assert event["type"] == "PLACEMENT"
        recorded = json.dumps(mock.connections[-1].to_json())
        assert mock.credentials.secret not in recorded, "a decoded frame is redacted too"
        assert mock.credentials.passphrase not in recorded


async def test_binary_frame_that_is_not_utf8_still_closes_when_accepted(mock_factory):
    async with mock_factory(activity_interval=None, binary_frames="accept") as mock:
        async with client(market_url(mock)) as ws:
            await ws.send(b"\xff\xfe\x00")
            frames, closed = await read_until_closed(ws)
        assert frames == [] and closed.rcvd.code == 1008


# ------------------------------------------------------------------ scheduled faults
async def test_scheduled_drop_hits_a_client_that_connects_after_the_time(mock_factory):
    """Nothing open at `at`: the next connection is dropped once subscribed; the one after is
    healthy. Before the fix the fault fired on no connection and was lost."""
    async with mock_factory(activity_interval=None) as mock:
        scenario = asyncio.create_task(run_scenario(mock, "drop", at=1.0))
        await asyncio.sleep(2.0)
        assert scenario.done() and not mock.connections
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            _frames, closed = await read_until_closed(ws)
        assert isinstance(closed, ConnectionClosedError) and closed.rcvd is None
        assert mock.connections[-1].closed_by == "abort"
        async with market_socket(mock, [mock.asset_ids[0]]) as again:
            (book,) = await next_events(again)
            assert book["event_type"] == "book" and await _pong(again)


async def test_scheduled_close_hits_open_and_late_channels_once(mock_factory):
    """A market client open at `at` and a user client that connects later both get 1012."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as market_ws:
            await next_events(market_ws)
            await run_scenario(mock, "close-1012", at=0.5)
            _frames, closed = await read_until_closed(market_ws)
            assert closed.rcvd.code == 1012
        await asyncio.sleep(3)
        async with user_socket(mock) as user_ws:
            _frames, closed = await read_until_closed(user_ws)
            assert closed.rcvd.code == 1012 and closed.rcvd.reason == "service restart"
        async with user_socket(mock) as healthy:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            assert await _pong(healthy)
        async with market_socket(mock, [mock.asset_ids[0]]) as healthy_market:
            await next_events(healthy_market)


async def test_scheduled_stall_on_a_late_client_keeps_pong_and_stops_data(mock_factory):
    async with mock_factory(activity_interval=None) as mock:
        await run_scenario(mock, "stall", at=0.5)
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            await next_events(ws)  # the initial dump was queued before the stall applied
            mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "5")
            assert await expect_silence(ws, 3) == [], "no price_change on a stalled connection"
            assert await _pong(ws)


async def test_clear_disarms_a_waiting_scheduled_fault(mock_factory):
    async with mock_factory(activity_interval=None) as mock:
        await run_scenario(mock, "drop", at=0.1)
        mock.faults.clear()
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            assert await _pong(ws)
