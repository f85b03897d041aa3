"""The HTTP control endpoint (/_mock/...) drives the mock from outside its process.

The mock runs in a background thread (real time), as it would behind the CLI; requests go
through urllib, and the effects are observed with a real websockets client.
"""

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus

from tests.fixtures.mock import ThreadedMock
from tests.mock._support import (
    client,
    expect_silence,
    market_socket,
    market_url,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    read_until_closed,
    user_socket,
    wait_for_event,
)

pytestmark = pytest.mark.usefixtures("no_mock_errors")


@pytest.fixture
def quiet_mock():
    """A mock in a background thread with no generated activity."""
    with ThreadedMock(activity_interval=None) as threaded:
        yield threaded


def _get(base: str, path: str, **query: object) -> tuple[int, object]:
    """GET base+path?query without any proxy; status and decoded JSON body."""
    url = base + path
    if query:
        url += "?" + urllib.parse.urlencode({k: str(v) for k, v in query.items()})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, body.decode(errors="replace")


async def control(threaded, path: str, **query: object) -> object:
    """Call a control path that must succeed; return its JSON reply."""
    status, body = await asyncio.to_thread(_get, threaded.http_url, path, **query)
    assert status == 200, (path, status, body)
    return body


def _ws_mock(threaded):
    """What the socket helpers need from a mock: its URLs and credentials."""
    return threaded.mock


async def _authenticated(threaded) -> None:
    """Wait until the newest connection of the threaded mock is authenticated."""
    mock = threaded.mock
    for _ in range(100):
        if await asyncio.to_thread(
            threaded.call, lambda: bool(mock.connections) and mock.connections[-1].authenticated
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the user socket never authenticated")


def _best(threaded, asset: str, side: str) -> str:
    """Best bid ("bids") or best ask ("asks") price, read on the mock's own thread."""
    levels = threaded.call(threaded.mock.book, asset)[side]
    pick = max if side == "bids" else min
    return pick(levels, key=lambda level: float(level["price"]))["price"]


async def test_state_lists_markets_and_connections(quiet_mock):
    """/_mock/state reports markets and live connections as JSON."""
    mock = _ws_mock(quiet_mock)
    async with market_socket(mock, [mock.asset_ids[0]]) as ws:
        await next_events(ws)
        state = await control(quiet_mock, "/_mock/state")
    assert [m["condition_id"] for m in state["markets"]] == [m.condition_id for m in mock.markets]
    assert [tuple(m["token_ids"]) for m in state["markets"]] == [
        tuple(m.token_ids) for m in mock.markets
    ]
    (connection,) = state["connections"]
    assert connection["channel"] == "market"


async def test_state_never_shows_secrets(quiet_mock):
    """/_mock/state redacts the secret and passphrase even after a user socket authenticated."""
    mock = _ws_mock(quiet_mock)
    async with user_socket(mock):
        await _authenticated(quiet_mock)
        text = json.dumps(await control(quiet_mock, "/_mock/state"))
    assert mock.credentials.secret not in text
    assert mock.credentials.passphrase not in text


async def test_order_fill_cancel_advance_drive_the_user_stream(quiet_mock):
    """order, fill, advance and cancel over HTTP produce the matching user events (§2.3, §2.4)."""
    mock = _ws_mock(quiet_mock)
    asset = mock.asset_ids[0]
    price = _best(quiet_mock, asset, "bids")
    async with user_socket(mock) as ws:
        await _authenticated(quiet_mock)
        placed = await control(
            quiet_mock, "/_mock/order", asset_id=asset, side="BUY", price=price, size="10"
        )
        order_id = placed["order_id"]
        await wait_for_event(ws, lambda e: e.get("id") == order_id and e["type"] == "PLACEMENT")
        filled = await control(quiet_mock, "/_mock/fill", order_id=order_id, size="4")
        trade_id = filled["trade_id"]
        update = await wait_for_event(
            ws, lambda e: e.get("id") == order_id and e["type"] == "UPDATE"
        )
        assert update["size_matched"] == "4"
        await control(quiet_mock, "/_mock/advance", trade_id=trade_id, status="MINED")
        await wait_for_event(ws, lambda e: e.get("id") == trade_id and e["status"] == "MINED")
        await control(quiet_mock, "/_mock/cancel", order_id=order_id)
        cancel = await wait_for_event(
            ws, lambda e: e.get("id") == order_id and e["type"] == "CANCELLATION"
        )
        assert cancel["status"] == "CANCELED"


async def test_take_over_http(quiet_mock):
    """/_mock/take crosses the book as the user's taker order (§2.4 trader_side TAKER)."""
    mock = _ws_mock(quiet_mock)
    asset = mock.asset_ids[0]
    ask = _best(quiet_mock, asset, "asks")
    async with user_socket(mock) as ws:
        await _authenticated(quiet_mock)
        taken = await control(
            quiet_mock, "/_mock/take", asset_id=asset, side="BUY", price=ask, size="1"
        )
        trade = await wait_for_event(ws, lambda e: e.get("id") == taken["trade_id"])
        assert trade["trader_side"] == "TAKER"


async def test_stall_fault_over_http(quiet_mock):
    """fault?kind=stall keeps PONG and stops data; clear brings data back."""
    mock = _ws_mock(quiet_mock)
    asset = mock.asset_ids[0]
    price = _best(quiet_mock, asset, "bids")
    async with market_socket(mock, [asset]) as ws:
        await next_events(ws)
        await control(quiet_mock, "/_mock/fault", kind="stall", channel="market")
        await control(quiet_mock, "/_mock/order", asset_id=asset, side="BUY", price=price, size="5")
        assert await expect_silence(ws, 0.3) == []
        await ws.send("PING")
        assert await asyncio.wait_for(ws.recv(), 2) == "PONG"
        await control(quiet_mock, "/_mock/clear")
        await control(quiet_mock, "/_mock/order", asset_id=asset, side="BUY", price=price, size="5")
        assert (await next_events(ws, within=2))[0]["event_type"] == "price_change"


async def test_close_fault_over_http(quiet_mock):
    """fault?kind=close&code=1012 closes the socket with that code and reason."""
    mock = _ws_mock(quiet_mock)
    async with market_socket(mock, [mock.asset_ids[0]]) as ws:
        await next_events(ws)
        await control(quiet_mock, "/_mock/fault", kind="close", code=1012, reason="service restart")
        _frames, closed = await read_until_closed(ws, within=2)
        assert (closed.rcvd.code, closed.rcvd.reason) == (1012, "service restart")


async def test_reject_fault_over_http(quiet_mock):
    """fault?kind=reject&status=503&times=1 refuses one handshake, then connects again."""
    mock = _ws_mock(quiet_mock)
    await control(quiet_mock, "/_mock/fault", kind="reject", status=503, times=1)
    with pytest.raises(InvalidStatus) as caught:
        async with client(market_url(mock)):
            pass
    assert caught.value.response.status_code == 503
    async with market_socket(mock, [mock.asset_ids[0]]) as ws:
        await next_events(ws)


async def test_drop_fault_over_http(quiet_mock):
    """fault?kind=drop aborts the connection without a close frame."""
    mock = _ws_mock(quiet_mock)
    async with market_socket(mock, [mock.asset_ids[0]]) as ws:
        await next_events(ws)
        await control(quiet_mock, "/_mock/fault", kind="drop")
        _frames, closed = await read_until_closed(ws, within=2)
        assert closed.rcvd is None


async def test_market_lifecycle_over_http(quiet_mock):
    """tick, new-market and resolve over HTTP reach a custom-feature subscriber (§1.7, §1.9)."""
    mock = _ws_mock(quiet_mock)
    market = mock.markets[0]
    frame = {"type": "market", "assets_ids": list(market.token_ids), "custom_feature_enabled": True}
    async with market_socket(mock, frame) as ws:
        await next_events(ws)
        await control(quiet_mock, "/_mock/tick", market=market.condition_id, tick_size="0.001")
        await wait_for_event(ws, lambda e: e["event_type"] == "tick_size_change", within=2)
        created = await control(quiet_mock, "/_mock/new-market")
        event = await wait_for_event(ws, lambda e: e["event_type"] == "new_market", within=2)
        assert event["market"] == created["condition_id"]
        await control(quiet_mock, "/_mock/resolve", market=market.condition_id, outcome="No")
        event = await wait_for_event(ws, lambda e: e["event_type"] == "market_resolved", within=2)
        assert event["winning_outcome"] == "No"


async def test_bad_control_requests_are_refused_and_harmless(quiet_mock):
    """An unknown fault kind or control path is a 4xx with a reason; the mock keeps serving."""
    mock = _ws_mock(quiet_mock)
    status, body = await asyncio.to_thread(
        _get, quiet_mock.http_url, "/_mock/fault", kind="meteor-strike"
    )
    assert 400 <= status < 500
    assert "meteor-strike" in json.dumps(body)
    status, _ = await asyncio.to_thread(_get, quiet_mock.http_url, "/_mock/no-such-thing")
    assert status == 404
    status, _ = await asyncio.to_thread(_get, quiet_mock.http_url, "/_mock/fill")
    assert 400 <= status < 500, "a missing argument is the caller's error"
    async with market_socket(mock, [mock.asset_ids[0]]) as ws:
        await next_events(ws)
