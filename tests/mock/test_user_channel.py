"""User channel: auth frames, market filter, order and trade events (ref §2, §4.4, §8.1–§8.4)."""

import contextlib
import json
import re
from decimal import Decimal

import pytest
from polymarket_mock import DEMO_CREDENTIALS, Credentials
from polymarket_mock.messages import validate

from tests.mock._support import (
    CONDITION_ID,
    TIMESTAMP_MS,
    auth_of,
    drain,
    expect_silence,
    market_of,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    non_string_numbers,
    read_until_closed,
    resting_buy_price,
    user_socket,
    wait_for_event,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]

# §2.3 AsyncAPI order fields (required) and the optional ones.
ORDER_REQUIRED = {
    "event_type",
    "id",
    "owner",
    "market",
    "asset_id",
    "side",
    "original_size",
    "size_matched",
    "price",
    "type",
    "timestamp",
}
ORDER_OPTIONAL = {
    "order_owner",
    "associate_trades",
    "outcome",
    "created_at",
    "expiration",
    "order_type",
    "status",
    "maker_address",
}
# §2.4 AsyncAPI trade fields; `matchtime` and `match_time` are both seen (spelling varies).
TRADE_REQUIRED = {
    "event_type",
    "type",
    "id",
    "taker_order_id",
    "market",
    "asset_id",
    "side",
    "size",
    "price",
    "status",
    "owner",
    "timestamp",
}
TRADE_OPTIONAL = {
    "fee_rate_bps",
    "matchtime",
    "match_time",
    "last_update",
    "outcome",
    "trade_owner",
    "maker_address",
    "transaction_hash",
    "bucket_index",
    "maker_orders",
    "trader_side",
}
MAKER_ORDER_REQUIRED = {"order_id", "owner", "matched_amount", "price", "asset_id"}
MAKER_ORDER_OPTIONAL = {"maker_address", "fee_rate_bps", "outcome", "side", "outcome_index"}
# §8.3/§8.4: fields of the widely copied wrong description that must never appear.
WRONG_ORDER_FIELDS = {"order_id", "remaining", "reason"}
WRONG_TRADE_FIELDS = {"trade_id", "order_id", "fee"}
ORDER_STATUSES = {"LIVE", "MATCHED", "CANCELED", "DELAYED", "UNMATCHED", "INVALID"}
# §2.3 and §2.4: integers are documented for these two keys only.
INTEGER_KEYS = {"bucket_index", "outcome_index"}


def _assert_keys(event: dict, required: set[str], optional: set[str]) -> None:
    keys = set(event)
    assert required <= keys, f"missing {sorted(required - keys)} in {event}"
    assert keys <= required | optional, f"unexpected {sorted(keys - required - optional)}"


def _is_event(event_type: str, event_id: str, field: str, value: str | None):
    """A predicate for the event of this type and id, with `field` equal to `value` if given."""

    def match(event: dict) -> bool:
        return (
            event.get("event_type") == event_type
            and event.get("id") == event_id
            and (value is None or event.get(field) == value)
        )

    return match


def _is_order(order_id: str, kind: str | None = None):
    return _is_event("order", order_id, "type", kind)


def _is_trade(trade_id: str, status: str | None = None):
    return _is_event("trade", trade_id, "status", status)


def _assert_order(event: dict, mock, asset: str) -> None:
    _assert_keys(event, ORDER_REQUIRED, ORDER_OPTIONAL)
    assert not WRONG_ORDER_FIELDS & set(event)
    assert event["event_type"] == "order"
    assert event["type"] in {"PLACEMENT", "UPDATE", "CANCELLATION"}, "no MATCHED order type (§8.2)"
    assert event["asset_id"] == asset
    market = market_of(mock, asset)
    assert event["market"] == market.condition_id and CONDITION_ID.match(event["market"])
    assert event["id"].startswith("0x"), "order id is a 0x hash (§2.3)"
    assert event["owner"] == mock.credentials.api_key, "owner is the API key (§2.3)"
    assert event["side"] in {"BUY", "SELL"}
    assert TIMESTAMP_MS.match(event["timestamp"])
    if "status" in event:
        assert event["status"] in ORDER_STATUSES, "no FILLED status (§8.3)"
    if "outcome" in event:
        expected = market.outcomes[list(market.token_ids).index(asset)]
        assert event["outcome"].lower() == expected.lower()
    if "created_at" in event:
        assert event["created_at"].isdigit()
    if "expiration" in event:
        assert event["expiration"].isdigit()
    if event.get("associate_trades") is not None:
        assert all(isinstance(trade_id, str) for trade_id in event["associate_trades"])
    assert non_string_numbers(event) == []
    assert validate(event) == []


def _assert_trade(event: dict, mock, asset: str) -> None:
    _assert_keys(event, TRADE_REQUIRED, TRADE_OPTIONAL)
    assert not WRONG_TRADE_FIELDS & set(event)
    assert event["event_type"] == "trade" and event["type"] == "TRADE"
    assert event["status"] in {"MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED"}
    assert event["asset_id"] == asset
    assert event["market"] == market_of(mock, asset).condition_id
    assert event["side"] in {"BUY", "SELL"}
    assert TIMESTAMP_MS.match(event["timestamp"])
    # the contract promises these two optional fields
    assert event["trader_side"] in {"TAKER", "MAKER"}
    assert isinstance(event["fee_rate_bps"], str)
    assert "matchtime" in event or "match_time" in event, "the mock should pick one (§2.4)"
    for key in ("matchtime", "match_time", "last_update"):
        if key in event:
            assert event[key].isdigit()
    if "bucket_index" in event:
        assert isinstance(event["bucket_index"], int)
    assert event["maker_orders"], "a trade has at least one maker order"
    for maker in event["maker_orders"]:
        _assert_keys(maker, MAKER_ORDER_REQUIRED, MAKER_ORDER_OPTIONAL)
        assert maker["asset_id"] == asset
        if "outcome_index" in maker:
            assert isinstance(maker["outcome_index"], int)
    assert non_string_numbers(event, allowed=INTEGER_KEYS) == []
    assert validate(event) == []


def _auth_frames(mock) -> dict[str, dict]:
    auth = auth_of(mock.credentials)
    condition = mock.markets[0].condition_id
    return {
        # docs overview / user-channel page / 2026 page [D-overview][D-rt-order-updates]
        "docs": {"auth": auth, "markets": [condition], "type": "user"},
        # AsyncAPI example omits markets [D-asyncapi-user]
        "asyncapi": {"auth": auth, "type": "user"},
        # official examples add assets_ids and initial_dump [C-clob-v2-examples]
        "official_examples": {
            "auth": auth,
            "markets": [condition],
            "assets_ids": [],
            "initial_dump": True,
            "type": "user",
        },
        # nautilus follows the whole account with empty lists [C-naut-messages]
        "nautilus": {"auth": auth, "markets": [], "assets_ids": [], "type": "user"},
        # older polymarket-apis sent {"auth": ...} alone [C-pa-legacy-ws]
        "missing_type": {"auth": auth},
    }


AUTH_FRAME_SOURCES = ["docs", "asyncapi", "official_examples", "nautilus", "missing_type"]


@pytest.mark.parametrize("source", AUTH_FRAME_SOURCES)
async def test_documented_auth_frames_are_accepted(mock_factory, source):
    """Each documented user subscription authenticates and streams the account's orders (§2.1)."""
    async with mock_factory(activity_interval=None) as mock:
        frame = _auth_frames(mock)[source]
        async with user_socket(mock, frame) as ws:
            await mock.wait_for(lambda m: m.connections[-1].subscribed_at is not None)
            record = mock.connections[-1]
            assert record.channel == "user" and record.authenticated
            asset = mock.markets[0].token_ids[0]
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            event = await wait_for_event(ws, _is_order(order_id))
            assert event["type"] == "PLACEMENT"


async def test_no_acknowledgement_after_subscribing(mock_factory):
    """An accepted user subscription stays quiet until the account acts (§2.1, §8.1)."""
    async with mock_factory(activity_interval=None) as mock:
        async with user_socket(mock) as ws:
            assert await expect_silence(ws, 30) == []
            assert mock.connections[-1].authenticated


async def test_markets_omitted_means_all_markets(mock_factory):
    """Without `markets` the connection receives events of every market (§2.1)."""
    async with mock_factory(activity_interval=None) as mock:
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            assert mock.connections[-1].markets is None
            ids = []
            for market in mock.markets:
                asset = market.token_ids[0]
                ids.append(
                    mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
                )
            for order_id in ids:
                await wait_for_event(ws, _is_order(order_id, "PLACEMENT"))


async def test_markets_filter_by_condition_id(mock_factory):
    """`markets` holds condition IDs and limits events to those markets (§2.1)."""
    async with mock_factory(activity_interval=None) as mock:
        wanted, other = mock.markets[0], mock.markets[1]
        frame = {
            "auth": auth_of(mock.credentials),
            "markets": [wanted.condition_id],
            "type": "user",
        }
        async with user_socket(mock, frame) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            assert mock.connections[-1].markets == {wanted.condition_id}
            for market in (other, wanted):
                asset = market.token_ids[0]
                mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            await mock.flush()
            events = await drain(ws)
            assert events and {e["market"] for e in events} == {wanted.condition_id}


@pytest.mark.parametrize("with_auth", [False, True], ids=["docs", "rs_clob_client_with_auth"])
async def test_dynamic_markets_operations(mock_factory, with_auth):
    """`{"operation": ..., "markets": [...]}` changes the filter on an open socket (§2.1)."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.markets[0], mock.markets[1]
        extra = {"auth": auth_of(mock.credentials)} if with_auth else {}
        frame = {"auth": auth_of(mock.credentials), "markets": [first.condition_id], "type": "user"}
        async with user_socket(mock, frame) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            await ws.send(
                json.dumps({"operation": "subscribe", "markets": [second.condition_id], **extra})
            )
            both = {first.condition_id, second.condition_id}
            await mock.wait_for(lambda m: m.connections[-1].markets == both)
            await ws.send(
                json.dumps({"operation": "unsubscribe", "markets": [first.condition_id], **extra})
            )
            await mock.wait_for(lambda m: m.connections[-1].markets == {second.condition_id})
            for market in (first, second):
                asset = market.token_ids[0]
                mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            await mock.flush()
            events = await drain(ws)
            assert events and {e["market"] for e in events} == {second.condition_id}
            assert mock.connections[-1].closed_at is None


def _bad_auth_frames(mock) -> dict[str, object]:
    good = auth_of(mock.credentials)
    return {
        "wrong_api_key": {"auth": {**good, "apiKey": "00000000-0000-0000-0000-000000000000"}},
        "wrong_secret": {"auth": {**good, "secret": "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="}},
        "wrong_passphrase": {"auth": {**good, "passphrase": "not-the-passphrase"}},
        "missing_auth": {"type": "user", "markets": []},
        "empty_auth": {"type": "user", "auth": {}},
        "auth_not_object": {"type": "user", "auth": "apikey:secret:passphrase"},
        # §4.4: py-clob-client's ApiCreds names are not the wire names
        "py_clob_client_names": {
            "type": "user",
            "auth": {
                "api_key": good["apiKey"],
                "api_secret": good["secret"],
                "api_passphrase": good["passphrase"],
            },
        },
        # §4.4: RTDS's clob_auth uses `key`
        "rtds_names": {
            "type": "user",
            "auth": {
                "key": good["apiKey"],
                "secret": good["secret"],
                "passphrase": good["passphrase"],
            },
        },
    }


BAD_AUTH_CASES = [
    "wrong_api_key",
    "wrong_secret",
    "wrong_passphrase",
    "missing_auth",
    "empty_auth",
    "auth_not_object",
    "py_clob_client_names",
    "rtds_names",
]


@pytest.mark.parametrize("case", BAD_AUTH_CASES)
async def test_bad_credentials_close_without_a_json_error(mock_factory, case):
    """Bad or missing credentials close the socket and send no JSON error frame (§2.2)."""
    async with mock_factory(activity_interval=None) as mock:
        frame = _bad_auth_frames(mock)[case]
        async with user_socket(mock, frame) as ws:
            frames, _closed = await read_until_closed(ws, within=5)
            assert frames == [], "no error frame is documented for the CLOB user channel"
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        record = mock.connections[-1]
        assert not record.authenticated
        assert record.closed_by in {"server", "abort"}


async def test_other_account_sees_nothing(mock_factory):
    """A second account's socket never receives the default account's orders."""
    other = Credentials(
        "11111111-2222-3333-4444-555555555555",
        "b3RoZXItYWNjb3VudC1zZWNyZXQtb3RoZXItYWNjb3VudA==",
        "other-passphrase",
    )
    async with mock_factory(activity_interval=None, credentials=(DEMO_CREDENTIALS, other)) as mock:
        frame = {"auth": auth_of(other), "type": "user"}
        async with user_socket(mock, frame) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            asset = mock.asset_ids[0]
            mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            await mock.flush()
            assert await expect_silence(ws, 5) == []


async def test_placement_event_fields(mock_factory):
    """A placement is `event_type` order, `type` PLACEMENT, status LIVE, size_matched 0 (§2.3)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.markets[0].token_ids[1]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            price = resting_buy_price(mock, asset)
            order_id = mock.exchange.place_order(asset, "BUY", price, "100")
            event = await wait_for_event(ws, _is_order(order_id))
            _assert_order(event, mock, asset)
            assert event["type"] == "PLACEMENT"
            assert event["status"] == "LIVE"
            assert Decimal(event["size_matched"]) == 0
            assert Decimal(event["original_size"]) == 100
            assert Decimal(event["price"]) == Decimal(price)
            assert event["side"] == "BUY"
            assert event.get("associate_trades") in (None, [])
            assert event.get("expiration", "0") == "0"


async def test_fills_are_updates_with_growing_size_matched(mock_factory):
    """Fills arrive as `type` UPDATE with size_matched growing; never type MATCHED (§8.2)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            price = resting_buy_price(mock, asset)
            order_id = mock.exchange.place_order(asset, "BUY", price, "100")
            seen: list[dict] = []
            await wait_for_event(ws, _is_order(order_id, "PLACEMENT"), seen=seen)
            first_trade = mock.exchange.fill(order_id, "40")
            partial = await wait_for_event(ws, _is_order(order_id, "UPDATE"), seen=seen)
            second_trade = mock.exchange.fill(order_id, "60")
            full = await wait_for_event(ws, _is_order(order_id, "UPDATE"), seen=seen)
            await mock.flush()
            seen += await drain(ws)
            for event in (partial, full):
                _assert_order(event, mock, asset)
                assert Decimal(event["original_size"]) == 100, "no `remaining` field: compute it"
            assert Decimal(partial["size_matched"]) == 40
            assert Decimal(full["size_matched"]) == 100
            assert first_trade in (partial.get("associate_trades") or [])
            assert {first_trade, second_trade} <= set(full.get("associate_trades") or [])
            assert partial.get("status", "LIVE") == "LIVE"
            assert full.get("status", "MATCHED") == "MATCHED"
            orders = [e for e in seen if e["event_type"] == "order"]
            assert all(e["type"] != "MATCHED" for e in orders)
            assert all(e.get("status") != "FILLED" for e in orders)
            assert [e["type"] for e in orders] == ["PLACEMENT", "UPDATE", "UPDATE"]


async def test_cancellation_event_fields(mock_factory):
    """A cancel is `type` CANCELLATION, status CANCELED (one L), no reason field (§2.3, §8.3)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            price = resting_buy_price(mock, asset)
            order_id = mock.exchange.place_order(asset, "BUY", price, "100")
            mock.exchange.fill(order_id, "40")
            mock.exchange.cancel(order_id)
            event = await wait_for_event(ws, _is_order(order_id, "CANCELLATION"))
            _assert_order(event, mock, asset)
            assert event["status"] == "CANCELED"
            assert Decimal(event["size_matched"]) == 40
            assert Decimal(event["original_size"]) == 100


async def test_maker_trade_event_fields(mock_factory):
    """A fill of a resting order yields a trade: trader_side MAKER, our maker_orders[] entry."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            price = resting_buy_price(mock, asset)
            order_id = mock.exchange.place_order(asset, "BUY", price, "100")
            trade_id = mock.exchange.fill(order_id, "40")
            event = await wait_for_event(ws, _is_trade(trade_id))
            _assert_trade(event, mock, asset)
            assert event["status"] == "MATCHED"
            assert event["trader_side"] == "MAKER"
            # §2.4: side is the TAKER's; the taker sold into our resting bid
            assert event["side"] == "SELL"
            assert Decimal(event["size"]) == 40
            assert Decimal(event["price"]) == Decimal(price)
            assert event["taker_order_id"] != order_id
            # §8.4: a maker finds its own order in maker_orders[]
            (mine,) = [m for m in event["maker_orders"] if m["order_id"] == order_id]
            assert Decimal(mine["matched_amount"]) == 40
            assert Decimal(mine["price"]) == Decimal(price)
            assert mine["owner"] == mock.credentials.api_key
            assert mine.get("side", "BUY") == "BUY"
            assert event.get("transaction_hash") in (None, ""), "not mined yet (§8.4)"


async def test_taker_trade_event_fields(mock_factory):
    """A crossing user order yields a trade with trader_side TAKER and taker_order_id set (§2.4)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            book = mock.book(asset)
            ask = min(book["asks"], key=lambda level: Decimal(level["price"]))
            trade_id = mock.exchange.take(asset, "BUY", ask["price"], "2")
            event = await wait_for_event(ws, _is_trade(trade_id))
            _assert_trade(event, mock, asset)
            assert event["trader_side"] == "TAKER"
            assert event["side"] == "BUY"
            assert Decimal(event["size"]) == 2
            assert Decimal(event["price"]) == Decimal(ask["price"])
            record = mock.exchange.trades[trade_id]
            assert event["taker_order_id"] == record["taker_order_id"]
            assert event["taker_order_id"] not in {m["order_id"] for m in event["maker_orders"]}
            assert sum(Decimal(m["matched_amount"]) for m in event["maker_orders"]) == 2


async def test_trade_status_walks_matched_mined_confirmed(mock_factory):
    """MATCHED → MINED → CONFIRMED, transaction_hash empty until MINED (§2.4, §8.4)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            trade_id = mock.exchange.fill(order_id, "10")
            matched = await wait_for_event(ws, _is_trade(trade_id, "MATCHED"))
            assert matched.get("transaction_hash") in (None, "")
            mock.exchange.advance_trade(trade_id, "MINED")
            mined = await wait_for_event(ws, _is_trade(trade_id))
            _assert_trade(mined, mock, asset)
            assert mined["status"] == "MINED"
            assert re.fullmatch(r"0x[0-9a-fA-F]+", mined["transaction_hash"] or "")
            mock.exchange.advance_trade(trade_id, "CONFIRMED")
            confirmed = await wait_for_event(ws, _is_trade(trade_id))
            _assert_trade(confirmed, mock, asset)
            assert confirmed["status"] == "CONFIRMED"
            assert confirmed["transaction_hash"] == mined["transaction_hash"]
            assert mock.exchange.trades[trade_id]["status"] == "CONFIRMED"


async def test_trade_status_retrying_then_failed(mock_factory):
    """MATCHED → RETRYING → FAILED each stream a trade event with the same id (§2.4)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            trade_id = mock.exchange.fill(order_id, "5")
            await wait_for_event(ws, _is_trade(trade_id, "MATCHED"))
            for status in ("RETRYING", "FAILED"):
                mock.exchange.advance_trade(trade_id, status)
                event = await wait_for_event(ws, _is_trade(trade_id))
                _assert_trade(event, mock, asset)
                assert event["status"] == status


async def test_trade_status_retrying_then_mined(mock_factory):
    """RETRYING can lead back to MINED, then CONFIRMED (§2.4 lifecycle diagram)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            trade_id = mock.exchange.fill(order_id, "5")
            statuses = []
            for status in ("RETRYING", "MINED", "CONFIRMED"):
                mock.exchange.advance_trade(trade_id, status)
            await mock.flush()
            for event in await drain(ws):
                if _is_trade(trade_id)(event):
                    statuses.append(event["status"])
            assert statuses == ["MATCHED", "RETRYING", "MINED", "CONFIRMED"]


async def test_exchange_records_agree_with_stream(mock_factory):
    """`exchange.orders`/`exchange.trades` hold the same ids, sizes and statuses as the stream."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "50")
            trade_id = mock.exchange.fill(order_id, "20")
            mock.exchange.advance_trade(trade_id, "MINED")
            await mock.flush()
            events = await drain(ws)
            last_order = [e for e in events if _is_order(order_id)(e)][-1]
            last_trade = [e for e in events if _is_trade(trade_id)(e)][-1]
            order = mock.exchange.orders[order_id]
            trade = mock.exchange.trades[trade_id]
            assert order["id"] == order_id and trade["id"] == trade_id
            assert Decimal(order["size_matched"]) == Decimal(last_order["size_matched"]) == 20
            assert order["status"] == last_order["status"]
            assert trade["status"] == last_trade["status"] == "MINED"
            assert trade["transaction_hash"] == last_trade["transaction_hash"]
            assert validate(order, schema="rest_order") == []
            assert validate(trade, schema="rest_trade") == []


@pytest.mark.parametrize("terminal", ["CONFIRMED", "FAILED"])
async def test_terminal_trade_statuses_are_final(mock_factory, terminal):
    """After CONFIRMED or FAILED no further status is applied or streamed (§2.4 lifecycle)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "10")
            trade_id = mock.exchange.fill(order_id, "5")
            path = ["MINED", "CONFIRMED"] if terminal == "CONFIRMED" else ["RETRYING", "FAILED"]
            for status in path:
                mock.exchange.advance_trade(trade_id, status)
            await wait_for_event(ws, _is_trade(trade_id, terminal))
            for status in ("MATCHED", "MINED", "RETRYING", "CONFIRMED", "FAILED"):
                with contextlib.suppress(ValueError):
                    mock.exchange.advance_trade(trade_id, status)
            assert mock.exchange.trades[trade_id]["status"] == terminal
            await mock.flush()
            assert not [e for e in await drain(ws) if _is_trade(trade_id)(e)]
