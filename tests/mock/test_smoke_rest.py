"""Smoke tests: the real py_clob_client_v2.ClobClient works against the mock's REST reads."""

from __future__ import annotations

import json
import urllib.request

import pytest
from polymarket_mock import HARDHAT_TEST_KEY
from polymarket_mock.messages import validate
from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.clob_types import ApiCreds, OpenOrderParams, TradeParams
from py_clob_client_v2.exceptions import PolyApiException


def _client(threaded_mock, creds: ApiCreds | None = None) -> ClobClient:
    return ClobClient(threaded_mock.http_url, chain_id=137, key=HARDHAT_TEST_KEY, creds=creds)


def test_create_and_derive_return_the_same_accepted_key(threaded_mock):
    """create_api_key and derive_api_key agree, and the new key passes L2 checks."""
    client = _client(threaded_mock)
    created = client.create_api_key()
    assert client.derive_api_key() == created == client.create_or_derive_api_key()
    client.set_api_creds(created)
    assert client.get_open_orders() == []


def test_l2_reads_agree_with_the_driver(threaded_mock):
    """Open orders, one order and trades over REST match what the driver did."""
    demo = threaded_mock.mock.credentials
    creds = ApiCreds(demo.api_key, demo.secret, demo.passphrase)
    client = _client(threaded_mock, creds)
    exchange = threaded_mock.mock.exchange
    asset = threaded_mock.mock.asset_ids[0]
    resting = threaded_mock.call(exchange.place_order, asset, "BUY", "0.05", "100")
    gone = threaded_mock.call(exchange.place_order, asset, "BUY", "0.06", "10")
    threaded_mock.call(exchange.cancel, gone)
    trade_id = threaded_mock.call(exchange.fill, resting, "40")
    threaded_mock.call(exchange.advance_trade, trade_id, "MINED")

    open_orders = client.get_open_orders(OpenOrderParams(asset_id=asset))
    assert [o["id"] for o in open_orders] == [resting]
    assert open_orders[0]["size_matched"] == "40" and validate(open_orders[0], "rest_order") == []
    assert client.get_order(gone)["status"] == "CANCELED"
    trades = client.get_trades(TradeParams(market=threaded_mock.mock.markets[0].condition_id))
    assert [t["id"] for t in trades] == [trade_id]
    assert trades[0]["status"] == "MINED" and trades[0]["transaction_hash"].startswith("0x")
    assert validate(trades[0], "rest_trade") == []


def test_wrong_secret_is_401(threaded_mock):
    """A bad HMAC signature gets HTTP 401 with a JSON error."""
    demo = threaded_mock.mock.credentials
    client = _client(threaded_mock, ApiCreds(demo.api_key, "d3Jvbmctc2VjcmV0", demo.passphrase))
    with pytest.raises(PolyApiException) as caught:
        client.get_trades()
    assert caught.value.status_code == 401


def test_control_endpoint_drives_the_mock(threaded_mock):
    """/_mock/order places an order that /_mock/state and the exchange both show."""
    asset = threaded_mock.mock.asset_ids[0]
    url = f"{threaded_mock.http_url}/_mock/order?asset_id={asset}&side=BUY&price=0.05&size=7"
    with urllib.request.urlopen(url) as reply:
        order_id = json.load(reply)["order_id"]
    assert (
        threaded_mock.call(lambda: threaded_mock.mock.exchange.orders[order_id]["status"]) == "LIVE"
    )
    with urllib.request.urlopen(f"{threaded_mock.http_url}/_mock/state") as reply:
        state = json.load(reply)
    assert state["api_key"] == threaded_mock.mock.credentials.api_key
    assert threaded_mock.mock.credentials.secret not in json.dumps(state)
