"""Market channel subscription frames: which the mock accepts and rejects (ref §1.1–§1.3)."""

import json

import pytest

from tests.mock._support import (
    expect_silence,
    market_socket,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    read_until_closed,
    wait_for_event,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]


def _first_frames(assets: list[str]) -> dict[str, dict]:
    """Every first-frame shape a real client is documented to send (§1.2), by its source."""
    return {
        # AsyncAPI example [D-asyncapi-market].
        "asyncapi": {"assets_ids": assets, "type": "market"},
        # Overview page example [D-overview].
        "overview": {"assets_ids": assets, "type": "market", "custom_feature_enabled": True},
        # clob-client / clob-client-v2 / py-clob-client-v2 examples send a stray `markets: []`.
        "official_examples": {
            "type": "market",
            "markets": [],
            "assets_ids": assets,
            "initial_dump": True,
        },
        # rs-clob-client sends `operation: "subscribe"` even in the first frame [C-rs-request].
        "rs_clob_client": {
            "type": "market",
            "operation": "subscribe",
            "markets": [],
            "assets_ids": assets,
            "initial_dump": True,
        },
        # py-sdk [C-pysdk-market-protocol].
        "py_sdk": {"type": "market", "assets_ids": assets, "custom_feature_enabled": False},
        # nautilus_trader [C-naut-messages].
        "nautilus": {"assets_ids": assets, "type": "market"},
        # older polymarket-apis omitted `type` [C-pa-legacy-ws]; the reference says accept it.
        "missing_type": {"assets_ids": assets, "custom_feature_enabled": False},
        # `level` is an optional integer 1/2/3 (AsyncAPI).
        "with_level": {"assets_ids": assets, "type": "market", "level": 2},
    }


FIRST_FRAME_SOURCES = list(_first_frames([]))


@pytest.mark.parametrize("source", FIRST_FRAME_SOURCES)
async def test_documented_first_frames_are_accepted(mock_factory, source):
    """Every documented first-frame shape subscribes the assets and yields their initial books."""
    async with mock_factory(activity_interval=None) as mock:
        assets = mock.asset_ids[:2]
        frame = _first_frames(assets)[source]
        async with market_socket(mock, frame) as ws:
            books: dict[str, dict] = {}
            while len(books) < len(assets):
                for event in await next_events(ws):
                    assert event["event_type"] == "book", event
                    books[event["asset_id"]] = event
            assert set(books) == set(assets)
            record = mock.connections[-1]
            assert record.channel == "market"
            assert record.subscribed_at is not None
            assert record.assets == set(assets)
            assert record.subscriptions[0] == frame


async def test_first_frame_is_recorded_exactly(mock_factory):
    """The connection record keeps the first JSON frame as received, before any operation."""
    async with mock_factory(activity_interval=None) as mock:
        frame = {"assets_ids": [mock.asset_ids[0]], "type": "market", "initial_dump": True}
        async with market_socket(mock, frame) as ws:
            await next_events(ws)
            await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [mock.asset_ids[1]]}))
            await wait_for_event(ws, lambda e: e.get("asset_id") == mock.asset_ids[1])
            record = mock.connections[-1]
            assert record.subscriptions[0] == frame
            assert record.subscriptions[1]["operation"] == "subscribe"


async def test_ping_first_closes_1008_invalid_subscription_payload(mock_factory):
    """A text PING before any subscription closes the socket with 1008 (§1.1, [I-naut4864])."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock) as ws:
            await ws.send("PING")
            frames, closed = await read_until_closed(ws)
            assert frames == []
            assert closed.rcvd is not None
            assert closed.rcvd.code == 1008
            assert closed.rcvd.reason == "invalid subscription payload"
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        record = mock.connections[-1]
        assert record.subscribed_at is None
        assert record.close_code == 1008
        assert record.closed_by == "server"


INVALID_FIRST_FRAMES = {
    "not_json": "subscribe me",
    "json_array": json.dumps([]),
    "json_number": json.dumps(42),
    "json_string": json.dumps("market"),
    "json_null": "null",
    "missing_assets_ids": json.dumps({"type": "market"}),
    "assets_ids_not_a_list": json.dumps({"type": "market", "assets_ids": "123"}),
    "assets_ids_numbers": json.dumps({"type": "market", "assets_ids": [123, 456]}),
    "unknown_operation": json.dumps({"operation": "resubscribe", "assets_ids": ["1"]}),
}


@pytest.mark.parametrize("case", list(INVALID_FIRST_FRAMES))
async def test_invalid_first_frame_closes_1008(mock_factory, case):
    """A first frame that is not a valid subscription closes with 1008 (§1.10 item 1)."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock) as ws:
            await ws.send(INVALID_FIRST_FRAMES[case])
            frames, closed = await read_until_closed(ws)
            assert frames == []
            assert closed.rcvd is not None
            assert closed.rcvd.code == 1008
            assert closed.rcvd.reason == "invalid subscription payload"
        assert mock.connections[-1].subscribed_at is None


async def test_rejection_leaves_other_connections_working(mock_factory):
    """Closing one bad connection does not disturb a subscribed neighbour."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as good:
            await next_events(good)
            async with market_socket(mock) as bad:
                await bad.send("PING")
                _, closed = await read_until_closed(bad)
                assert closed.rcvd.code == 1008
            await good.send("PING")
            assert await good.recv() == "PONG"
            mock.exchange.place_order(asset, "BUY", "0.01", "5")
            event = await wait_for_event(good, lambda e: e["event_type"] == "price_change")
            assert event["price_changes"][0]["asset_id"] == asset
            assert mock.connections[0].closed_at is None


async def test_operation_subscribe_without_type_after_first_frame(mock_factory):
    """A later `{"operation": "subscribe"}` frame needs no `type` field (§1.3, AsyncAPI)."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.asset_ids[:2]
        async with market_socket(mock, [first]) as ws:
            await next_events(ws)
            await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [second]}))
            book = await wait_for_event(ws, lambda e: e["event_type"] == "book")
            assert book["asset_id"] == second
            assert mock.connections[-1].assets == {first, second}


async def test_resubscribing_an_asset_toggles_custom_features(mock_factory):
    """Re-naming an active asset with custom_feature_enabled turns the flag on in place (§1.3)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with market_socket(mock, [asset]) as ws:
            (book,) = await next_events(ws)
            update = {
                "operation": "subscribe",
                "assets_ids": [asset],
                "custom_feature_enabled": True,
            }
            await ws.send(json.dumps(update))
            await mock.wait_for(lambda m: len(m.connections[-1].subscriptions) == 2)
            ask = min(book["asks"], key=lambda level: float(level["price"]))
            mock.exchange.take(asset, "BUY", ask["price"], ask["size"])
            event = await wait_for_event(ws, lambda e: e["event_type"] == "best_bid_ask")
            assert event["asset_id"] == asset
            assert mock.connections[-1].closed_at is None


# -- live text replies and dump shapes of reference §9.1 (captures/2026-12) --------------------
UNKNOWN = "1" * 77  # a token id no market has


async def test_a_one_token_subscription_gets_its_dump_as_a_one_element_array(mock_factory):
    """Live, a one-asset subscription got `[{book}]`, not a bare object (§9.1: captures of
    2026-05 and 2026-08)."""
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            value = json.loads(await ws.recv())
            assert isinstance(value, list) and len(value) == 1
            assert value[0]["asset_id"] == mock.asset_ids[0]


async def test_an_unknown_token_in_the_first_frame_is_answered_with_a_bare_array(mock_factory):
    """A closed or unknown token gets a bare `[]` (§9.1, a 2026-10 client's test comment); the
    known token's dump comes first (the order is the mock's choice, inference)."""
    async with mock_factory(activity_interval=None) as mock:
        known = mock.asset_ids[0]
        async with market_socket(mock, [known, UNKNOWN]) as ws:
            dump = json.loads(await ws.recv())
            assert [book["asset_id"] for book in dump] == [known]
            assert await ws.recv() == "[]"
            assert await expect_silence(ws, 2) == []
            assert mock.connections[-1].closed_at is None


async def test_a_dynamic_subscribe_of_an_unknown_token_is_answered_with_a_bare_array(mock_factory):
    async with mock_factory(activity_interval=None) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [UNKNOWN]}))
            assert await ws.recv() == "[]"


async def test_a_token_of_a_resolved_market_is_answered_with_a_bare_array(mock_factory):
    """A resolved market's tokens are closed: a subscribe (first frame or later) gets `[]`."""
    async with mock_factory(activity_interval=None) as mock:
        market = mock.markets[0]
        mock.exchange.resolve_market(market.condition_id)
        async with market_socket(mock, list(market.token_ids)) as ws:
            assert await ws.recv() == "[]"
            await ws.send(
                json.dumps({"operation": "unsubscribe", "assets_ids": [market.token_ids[0]]})
            )
            await ws.send(
                json.dumps({"operation": "subscribe", "assets_ids": [market.token_ids[0]]})
            )
            assert await ws.recv() == "[]"


async def test_a_second_initial_subscription_gets_invalid_operation_and_stays_open(mock_factory):
    """Live answers a second initial subscription on the same socket with the text
    `INVALID OPERATION` (nautilus_trader PR #3717, §9.1). Whether it also closes is not known:
    by default the mock keeps the socket (and adds nothing)."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.asset_ids[:2]
        async with market_socket(mock, [first]) as ws:
            await next_events(ws)
            await ws.send(json.dumps({"assets_ids": [second], "type": "market"}))
            assert await ws.recv() == "INVALID OPERATION"
            await ws.send("PING")
            assert await ws.recv() == "PONG"
            assert mock.connections[-1].assets == {first}
            assert mock.connections[-1].closed_at is None


async def test_invalid_operation_can_also_close_the_socket(mock_factory):
    """--close-on-invalid-operation: the text, then 1008 (the only close code seen live)."""
    async with mock_factory(activity_interval=None, close_on_invalid_operation=True) as mock:
        async with market_socket(mock, [mock.asset_ids[0]]) as ws:
            await next_events(ws)
            await ws.send(json.dumps({"assets_ids": [mock.asset_ids[1]], "type": "market"}))
            frames, closed = await read_until_closed(ws)
            assert frames == ["INVALID OPERATION"]
            assert closed.rcvd.code == 1008
