"""REST reads through the real py_clob_client_v2.ClobClient: L1 keys, L2 reads, 401s (ref §4).

py-clob-client-v2 is synchronous, so each call runs in a worker thread while the mock serves
from the test's own loop (real time: looptime must not run here).
"""

import asyncio
import base64
import contextlib
import json
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from polymarket_mock.messages import validate
from polymarket_mock.scenarios import run_scenario
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import ApiCreds, OpenOrderParams, TradeParams
from py_clob_client_v2.exceptions import PolyApiException
from py_clob_client_v2.signing.hmac import build_hmac_signature

from tests.mock._support import (
    auth_of,
    drain,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    resting_buy_price,
    user_socket,
    wait_for_event,
)

pytestmark = pytest.mark.usefixtures("no_mock_errors")

# The public Hardhat/Anvil test account #0: a well-known key, never funded on any real chain.
HARDHAT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
# Hardhat/Anvil test account #1, equally public.
HARDHAT_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
POLYGON = 137
FIRST_CURSOR, END_CURSOR = "MA==", "LTE="


def _api_creds(credentials) -> ApiCreds:
    """The mock's Credentials under py-clob-client-v2's names (§4.4)."""
    return ApiCreds(
        api_key=credentials.api_key,
        api_secret=credentials.secret,
        api_passphrase=credentials.passphrase,
    )


def _l2_client(mock, creds: ApiCreds | None = None) -> ClobClient:
    creds = creds or _api_creds(mock.credentials)
    return ClobClient(mock.http_url, chain_id=POLYGON, key=HARDHAT_KEY, creds=creds)


def _l2_headers(credentials, method: str, path: str, timestamp: int | None = None) -> dict:
    """L2 headers computed with the library's own HMAC (§4.3)."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    return {
        "POLY_ADDRESS": HARDHAT_ADDRESS,
        "POLY_SIGNATURE": build_hmac_signature(credentials.secret, stamp, method, path),
        "POLY_TIMESTAMP": stamp,
        "POLY_API_KEY": credentials.api_key,
        "POLY_PASSPHRASE": credentials.passphrase,
    }


def _raw(
    url: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None
) -> tuple[int, object]:
    """A plain HTTP request (no proxy): status and decoded JSON body."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, body.decode(errors="replace")


async def _call(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_create_or_derive_api_key_with_l1(mock_factory):
    """create_or_derive_api_key over L1 returns the three secrets; derive == create (§4.1)."""
    async with mock_factory(activity_interval=None) as mock:
        client = ClobClient(mock.http_url, chain_id=POLYGON, key=HARDHAT_KEY)
        creds = await _call(client.create_or_derive_api_key)
        assert creds.api_key and creds.api_secret and creds.api_passphrase
        base64.urlsafe_b64decode(creds.api_secret)  # the HMAC key is base64url (§4.3)
        created = await _call(client.create_api_key)
        derived = await _call(client.derive_api_key)
        assert created == derived == creds


async def test_created_key_works_for_l2_and_the_user_socket(mock_factory):
    """A key created over L1 is accepted by L2 reads and by the /ws/user auth frame (§4.4)."""
    async with mock_factory(activity_interval=None) as mock:
        client = ClobClient(mock.http_url, chain_id=POLYGON, key=HARDHAT_KEY)
        creds = await _call(client.create_or_derive_api_key)
        client.set_api_creds(creds)
        assert await _call(client.get_open_orders) == []
        assert await _call(client.get_trades) == []
        auth = {
            "apiKey": creds.api_key,
            "secret": creds.api_secret,
            "passphrase": creds.api_passphrase,
        }
        async with user_socket(mock, {"type": "user", "auth": auth}):
            await mock.wait_for(lambda m: m.connections[-1].authenticated, timeout=5)


async def test_every_signer_gets_the_driver_account(mock_factory):
    """Any wallet's create/derive yields the account the mock trades for (the mock's choice).

    The mock has one trading account: the one its driver, scenarios and control endpoint use.
    A newcomer who derives a key with their own signer must see that account's user events.
    """
    async with mock_factory(activity_interval=None) as mock:
        for key in (HARDHAT_KEY, HARDHAT_KEY_1):
            client = ClobClient(mock.http_url, chain_id=POLYGON, key=key)
            created = await _call(client.create_api_key)
            derived = await _call(client.derive_api_key)
            assert created == derived == _api_creds(mock.credentials)


async def test_a_derived_key_gets_the_scripted_trading_events(mock_factory):
    """A key derived by a signer other than the default sees the trading scenario's events."""
    async with mock_factory(activity_interval=None) as mock:
        signer = ClobClient(mock.http_url, chain_id=POLYGON, key=HARDHAT_KEY_1)
        creds = await _call(signer.create_or_derive_api_key)
        auth = {
            "apiKey": creds.api_key,
            "secret": creds.api_secret,
            "passphrase": creds.api_passphrase,
        }
        async with user_socket(mock, {"type": "user", "auth": auth}) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated, timeout=5)
            trading = asyncio.create_task(run_scenario(mock, "trading", 0, 0.01))
            try:
                event = await wait_for_event(ws, lambda e: e.get("event_type") == "order")
            finally:
                trading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await trading
        assert event["owner"] == creds.api_key
        signer.set_api_creds(creds)
        assert (await _call(signer.get_order, event["id"]))["id"] == event["id"]


async def test_get_api_keys_lists_the_accounts_keys(mock_factory):
    """GET /auth/api-keys (L2) answers {"apiKeys": [key, ...]}: polymarket-client 0.14.0 parses
    exactly that shape (polymarket/_internal/actions/auth.py parse_api_keys_response) and
    calls it to validate existing credentials; py-clob-client-v2 1.2.1 get_api_keys() returns
    the body as is."""
    async with mock_factory(activity_interval=None) as mock:
        body = await _call(_l2_client(mock).get_api_keys)
        assert body == {"apiKeys": [mock.credentials.api_key]}


async def test_get_api_keys_needs_l2(mock_factory):
    """GET /auth/api-keys without valid L2 headers is 401 with a JSON error (§4.3)."""
    async with mock_factory(activity_interval=None) as mock:
        status, body = await _call(_raw, mock.http_url + "/auth/api-keys")
        assert status == 401 and "error" in body
        headers = _l2_headers(mock.credentials, "GET", "/auth/api-keys")
        status, body = await _call(_raw, mock.http_url + "/auth/api-keys", "GET", headers)
        assert (status, body) == (200, {"apiKeys": [mock.credentials.api_key]})


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/order", 404),
        ("POST", "/no/such/route", 404),
        ("DELETE", "/orders", 404),
        ("POST", "/data/orders", 405),
        ("POST", "/auth/derive-api-key", 405),
        ("POST", "/auth/api-key", 401),
    ],
)
async def test_a_request_with_a_body_gets_a_json_error(mock_factory, method, path, status):
    """A request with a body gets an HTTP JSON error (404 unknown route, 405 wrong method, 401
    no L1 headers), not an empty reply: websockets' handshake parser drops any request that
    has a body before the mock sees it."""
    async with mock_factory(activity_interval=None) as mock:
        body = json.dumps({"order": {"tokenId": mock.asset_ids[0]}}).encode()
        got, reply = await _call(
            _raw, mock.http_url + path, method, {"Content-Type": "application/json"}, body
        )
        assert got == status
        assert isinstance(reply, dict) and "error" in reply


async def test_l1_rejects_a_malformed_signature(mock_factory):
    """L1 headers whose POLY_SIGNATURE is not a signature are refused (contract: format check)."""
    async with mock_factory(activity_interval=None) as mock:
        headers = {
            "POLY_ADDRESS": HARDHAT_ADDRESS,
            "POLY_SIGNATURE": "not-a-signature",
            "POLY_TIMESTAMP": str(int(time.time())),
            "POLY_NONCE": "0",
        }
        status, body = await _call(_raw, mock.http_url + "/auth/api-key", "POST", headers)
        assert status in {400, 401}
        assert isinstance(body, dict) and "error" in body


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/auth/api-key"), ("GET", "/auth/derive-api-key")]
)
async def test_l1_endpoints_require_l1_headers(mock_factory, method, path):
    """Creating or deriving a key without POLY_* L1 headers is refused with a JSON error."""
    async with mock_factory(activity_interval=None) as mock:
        status, body = await _call(_raw, mock.http_url + path, method)
        assert status in {400, 401}
        assert isinstance(body, dict) and "error" in body


async def test_open_orders_lists_live_orders_only(mock_factory):
    """GET /data/orders returns LIVE orders (partly filled too), not canceled or filled ones."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        price = resting_buy_price(mock, asset)
        live = mock.exchange.place_order(asset, "BUY", price, "10")
        partly = mock.exchange.place_order(asset, "BUY", price, "10")
        canceled = mock.exchange.place_order(asset, "BUY", price, "10")
        filled = mock.exchange.place_order(asset, "BUY", price, "10")
        mock.exchange.fill(partly, "4")
        mock.exchange.cancel(canceled)
        mock.exchange.fill(filled, "10")
        orders = await _call(_l2_client(mock).get_open_orders)
        ids = {order["id"] for order in orders}
        assert {live, partly} <= ids
        assert not {canceled, filled} & ids
        assert all(order["status"] == "LIVE" for order in orders)
        for order in orders:
            assert validate(order, schema="rest_order") == []
        (partial,) = [order for order in orders if order["id"] == partly]
        assert Decimal(partial["size_matched"]) == 4
        assert Decimal(partial["original_size"]) == 10


async def test_open_orders_filters(mock_factory):
    """`market`, `asset_id` and `id` filters of GET /data/orders are honoured."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.markets[0], mock.markets[1]
        a = mock.exchange.place_order(
            first.token_ids[0], "BUY", resting_buy_price(mock, first.token_ids[0]), "10"
        )
        b = mock.exchange.place_order(
            first.token_ids[1], "BUY", resting_buy_price(mock, first.token_ids[1]), "10"
        )
        c = mock.exchange.place_order(
            second.token_ids[0], "BUY", resting_buy_price(mock, second.token_ids[0]), "10"
        )
        client = _l2_client(mock)
        orders = client.get_open_orders
        by_market = await _call(orders, OpenOrderParams(market=first.condition_id))
        assert {o["id"] for o in by_market} == {a, b}
        by_asset = await _call(orders, OpenOrderParams(asset_id=second.token_ids[0]))
        assert {o["id"] for o in by_asset} == {c}
        by_id = await _call(client.get_open_orders, OpenOrderParams(id=b))
        assert [o["id"] for o in by_id] == [b]


async def test_get_order_returns_any_order(mock_factory):
    """GET /data/order/<id> returns canceled orders too, matching the mock's record."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[1]
        order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "30")
        mock.exchange.fill(order_id, "5")
        mock.exchange.cancel(order_id)
        order = await _call(_l2_client(mock).get_order, order_id)
        assert validate(order, schema="rest_order") == []
        assert order["id"] == order_id
        assert order["status"] == "CANCELED"
        assert Decimal(order["size_matched"]) == 5
        assert order == mock.exchange.orders[order_id]


async def test_rest_agrees_with_the_user_stream(mock_factory):
    """Orders and trades over REST carry the same ids, sizes and statuses as the stream (§2.5)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated, timeout=5)
            order_id = mock.exchange.place_order(asset, "BUY", resting_buy_price(mock, asset), "50")
            trade_id = mock.exchange.fill(order_id, "20")
            mock.exchange.advance_trade(trade_id, "MINED")
            await wait_for_event(
                ws, lambda e: e.get("id") == trade_id and e.get("status") == "MINED"
            )
            await mock.flush()
            events = await drain(ws, quiet=0.2)
        client = _l2_client(mock)
        (order,) = await _call(client.get_open_orders, OpenOrderParams(id=order_id))
        (trade,) = await _call(client.get_trades, TradeParams(id=trade_id))
        assert validate(trade, schema="rest_trade") == []
        streamed_orders = [e for e in events if e.get("event_type") == "order"]
        last_order = streamed_orders[-1] if streamed_orders else None
        if last_order is not None:
            assert last_order["id"] == order["id"]
            assert Decimal(last_order["size_matched"]) == Decimal(order["size_matched"])
        assert Decimal(order["size_matched"]) == 20
        assert trade["id"] == trade_id
        assert trade["status"] == "MINED"
        assert trade["transaction_hash"] and trade["transaction_hash"].startswith("0x")
        assert Decimal(trade["size"]) == 20
        assert order_id in {m["order_id"] for m in trade["maker_orders"]}


async def test_trades_filters(mock_factory):
    """`market`, `asset_id` and `id` filters of GET /data/trades are honoured."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.markets[0].token_ids[0], mock.markets[1].token_ids[0]
        one = mock.exchange.fill(
            mock.exchange.place_order(first, "BUY", resting_buy_price(mock, first), "10"), "10"
        )
        two = mock.exchange.fill(
            mock.exchange.place_order(second, "BUY", resting_buy_price(mock, second), "10"), "10"
        )
        client = _l2_client(mock)
        everything = {t["id"] for t in await _call(client.get_trades)}
        assert {one, two} <= everything
        by_market = await _call(client.get_trades, TradeParams(market=mock.markets[0].condition_id))
        assert {t["id"] for t in by_market} == {one}
        by_asset = await _call(client.get_trades, TradeParams(asset_id=second))
        assert {t["id"] for t in by_asset} == {two}
        by_id = await _call(client.get_trades, TradeParams(id=two))
        assert [t["id"] for t in by_id] == [two]


async def test_pagination_walks_every_page(mock_factory):
    """Pages carry data/next_cursor/limit/count; "MA==" starts and "LTE=" ends the walk."""
    async with mock_factory(activity_interval=None) as mock:
        url = mock.http_url + "/data/orders?next_cursor=" + FIRST_CURSOR
        status, empty = await _call(
            _raw, url, "GET", _l2_headers(mock.credentials, "GET", "/data/orders")
        )
        assert status == 200
        assert set(empty) >= {"data", "next_cursor", "limit", "count"}
        assert validate(empty, schema="rest_page") == []
        assert empty["next_cursor"] == END_CURSOR
        page_size = int(empty["limit"])
        assert page_size > 0
        asset = mock.asset_ids[0]
        price = resting_buy_price(mock, asset)
        placed = {mock.exchange.place_order(asset, "BUY", price, "5") for _ in range(page_size + 3)}
        status, first = await _call(
            _raw, url, "GET", _l2_headers(mock.credentials, "GET", "/data/orders")
        )
        assert status == 200
        assert int(first["count"]) == len(first["data"]) == page_size
        assert first["next_cursor"] not in {FIRST_CURSOR, END_CURSOR}
        orders = await _call(_l2_client(mock).get_open_orders)
        ids = [order["id"] for order in orders]
        assert len(ids) == len(set(ids)), "no order appears on two pages"
        assert placed <= set(ids)


@pytest.mark.parametrize("wrong", ["api_key", "passphrase", "secret"])
async def test_l2_rejects_wrong_credentials(mock_factory, wrong):
    """A wrong API key, passphrase or secret (bad signature) gets 401 with a JSON error (§4.3)."""
    async with mock_factory(activity_interval=None) as mock:
        creds = _api_creds(mock.credentials)
        bad_secret = base64.urlsafe_b64encode(b"a different secret of 32 bytes!!").decode()
        replacement = {"api_key": "00000000-0000-0000-0000-000000000000", "passphrase": "nope"}
        if wrong == "api_key":
            creds.api_key = replacement["api_key"]
        elif wrong == "passphrase":
            creds.api_passphrase = replacement["passphrase"]
        else:
            creds.api_secret = bad_secret
        client = _l2_client(mock, creds)
        for call in (client.get_open_orders, client.get_trades):
            with pytest.raises(PolyApiException) as caught:
                await _call(call)
            assert caught.value.status_code == 401
            assert isinstance(caught.value.error_msg, dict) and "error" in caught.value.error_msg


@pytest.mark.parametrize(
    "missing", ["POLY_API_KEY", "POLY_PASSPHRASE", "POLY_SIGNATURE", "POLY_TIMESTAMP"]
)
async def test_l2_rejects_missing_headers(mock_factory, missing):
    """Any missing L2 header gets 401 with a JSON error (§4.3)."""
    async with mock_factory(activity_interval=None) as mock:
        headers = _l2_headers(mock.credentials, "GET", "/data/trades")
        del headers[missing]
        status, body = await _call(_raw, mock.http_url + "/data/trades", "GET", headers)
        assert status == 401
        assert isinstance(body, dict) and "error" in body


async def test_l2_signature_covers_timestamp_method_and_path(mock_factory):
    """A signature made for another timestamp, method or path is refused (§4.3)."""
    async with mock_factory(activity_interval=None) as mock:
        now = int(time.time())
        good = _l2_headers(mock.credentials, "GET", "/data/orders", now)
        status, _ = await _call(_raw, mock.http_url + "/data/orders", "GET", good)
        assert status == 200
        post_signed = _l2_headers(mock.credentials, "POST", "/data/orders", now)
        other_path = _l2_headers(mock.credentials, "GET", "/data/trades", now)
        forged = [
            {**good, "POLY_TIMESTAMP": str(now - 1)},
            {**good, "POLY_SIGNATURE": post_signed["POLY_SIGNATURE"]},
            {**good, "POLY_SIGNATURE": other_path["POLY_SIGNATURE"]},
        ]
        for headers in forged:
            status, body = await _call(_raw, mock.http_url + "/data/orders", "GET", headers)
            assert status == 401 and "error" in body


async def test_user_socket_accepts_the_default_credentials_auth(mock_factory):
    """The default account's raw secret and passphrase authenticate /ws/user (§4.4)."""
    async with mock_factory(activity_interval=None) as mock:
        frame = {"type": "user", "auth": auth_of(mock.credentials)}
        async with user_socket(mock, frame):
            await mock.wait_for(lambda m: m.connections[-1].authenticated, timeout=5)


async def test_rest_book_matches_the_stream_book(mock_factory):
    """GET /book: best-last levels equal mock.book and the hash recomputes (§1.5)."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        client = ClobClient(mock.http_url, chain_id=POLYGON)
        served = await _call(client.get_order_book, asset)
        own = mock.book(asset)
        assert (served["bids"], served["asks"]) == (own["bids"], own["asks"])
        bids = [Decimal(level["price"]) for level in served["bids"]]
        asks = [Decimal(level["price"]) for level in served["asks"]]
        assert bids == sorted(bids), "bids ascending, best last"
        assert asks == sorted(asks, reverse=True), "asks descending, best last"
        assert served["hash"] == client.get_order_book_hash(dict(served))
