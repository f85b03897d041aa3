"""Bad client input: the offending socket is closed with a reason; the mock and others carry on."""

import json

import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.mock._support import (
    auth_of,
    client,
    market_socket,
    market_url,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    read_until_closed,
    user_socket,
    user_url,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]

# Close codes a server may reasonably use for bad input (RFC 6455 §7.4.1): unsupported data,
# invalid payload, policy violation (the one Polymarket is seen to use), message too big.
BAD_INPUT_CODES = {1003, 1007, 1008, 1009}


async def _assert_service_continues(mock, neighbour) -> None:
    """The neighbour still answers PING and a brand-new connection still subscribes."""
    await neighbour.send("PING")
    assert await neighbour.recv() == "PONG"
    async with market_socket(mock, [mock.asset_ids[1]]) as fresh:
        assert (await next_events(fresh))[0]["event_type"] == "book"


BAD_FIRST_FRAMES = {
    "not_json": "{not json",
    "empty_text": "",
    "json_array": "[1, 2, 3]",
    "assets_ids_wrong_type": json.dumps({"type": "market", "assets_ids": {"a": 1}}),
    "unknown_operation": json.dumps({"operation": "replace", "assets_ids": ["1"]}),
}


@pytest.mark.parametrize("case", list(BAD_FIRST_FRAMES))
async def test_bad_market_first_frame_closes_only_that_socket(mock_factory, case):
    """A bad first frame closes its socket with 1008 and a reason; others keep working (§1.10)."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as neighbour:
            await next_events(neighbour)
            async with client(market_url(mock)) as bad:
                await bad.send(BAD_FIRST_FRAMES[case])
                frames, closed = await read_until_closed(bad)
                assert frames == []
                assert closed.rcvd.code == 1008
                assert closed.rcvd.reason
            await _assert_service_continues(mock, neighbour)


async def test_binary_first_frame_is_refused(mock_factory):
    """A binary first frame (all client frames are text, §1.1) closes with a reason."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as neighbour:
            await next_events(neighbour)
            async with client(market_url(mock)) as bad:
                await bad.send(json.dumps({"type": "market", "assets_ids": ["1"]}).encode())
                frames, closed = await read_until_closed(bad)
                assert frames == []
                assert closed.rcvd.code in BAD_INPUT_CODES
                assert closed.rcvd.reason
            await _assert_service_continues(mock, neighbour)


@pytest.mark.parametrize(
    "frame",
    [
        "garbage after subscribing",
        json.dumps({"operation": "replace", "assets_ids": ["1"]}),
        json.dumps({"operation": "subscribe", "assets_ids": "not a list"}),
    ],
    ids=["not_json", "unknown_operation", "wrong_type"],
)
async def test_bad_frame_after_subscribing_closes_with_a_reason(mock_factory, frame):
    """Bad input on a subscribed socket closes it with a clear reason; others keep working."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as neighbour:
            await next_events(neighbour)
            async with market_socket(mock, [mock.asset_ids[0]]) as bad:
                await next_events(bad)
                await bad.send(frame)
                _frames, closed = await read_until_closed(bad)
                assert closed.rcvd is not None
                assert closed.rcvd.code in BAD_INPUT_CODES
                assert closed.rcvd.reason
            await _assert_service_continues(mock, neighbour)


async def test_huge_client_frame_closes_1009(mock_factory):
    """A 2 MB client frame exceeds the server's max_size: 1009, and the mock carries on."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as neighbour:
            await next_events(neighbour)
            async with client(market_url(mock)) as bad:
                huge = json.dumps({"type": "market", "assets_ids": ["9" * 77] * 26_000})
                assert len(huge) > 2_000_000
                await bad.send(huge)
                _frames, closed = await read_until_closed(bad, within=30)
                assert isinstance(closed, ConnectionClosedError)
                assert closed.rcvd is not None and closed.rcvd.code == 1009
            await _assert_service_continues(mock, neighbour)


async def test_bad_user_first_frame_closes_without_json(mock_factory):
    """Non-JSON on /ws/user closes the socket and sends no JSON frame (§2.2)."""
    async with mock_factory(activity_interval=None) as mock:
        async with user_socket(mock) as neighbour:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            async with client(user_url(mock)) as bad:
                await bad.send("{auth: oops")
                frames, closed = await read_until_closed(bad)
                assert frames == []
                assert closed.rcvd is None or closed.rcvd.code in BAD_INPUT_CODES
            await neighbour.send("PING")
            assert await neighbour.recv() == "PONG"


async def test_user_frame_on_market_path_is_not_a_market_subscription(mock_factory):
    """A user auth frame sent to /ws/market is not a valid market subscription (§1.1)."""
    async with mock_factory(activity_interval=None) as mock:
        frame = {"type": "user", "auth": auth_of(mock.credentials)}
        async with market_socket(mock, frame) as ws:
            frames, closed = await read_until_closed(ws)
            assert frames == []
            assert closed.rcvd.code == 1008


async def test_unknown_path_is_refused(mock_factory):
    """Only /ws/market and /ws/user exist; a bare /ws/ was seen to return 404 (§1.1)."""
    async with mock_factory(activity_interval=None) as mock:
        with pytest.raises(InvalidStatus) as caught:
            async with client(f"{mock.url}/ws/"):
                pass
        assert caught.value.response.status_code == 404


async def test_many_bad_connections_do_not_crash_the_mock(mock_factory):
    """A burst of bad sockets leaves the mock serving; each is recorded as closed."""
    async with mock_factory(activity_interval=None) as mock:
        for raw in ["PING", "x", "[]", "{}", '{"assets_ids": 5}'] * 4:
            async with client(market_url(mock)) as bad:
                await bad.send(raw)
                await read_until_closed(bad)
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            await _assert_service_continues(mock, ws)
        closed = [record for record in mock.connections[:20] if record.closed_at is not None]
        assert len(closed) == 20
