"""Live formats the mock produces so that clients meet them offline (issue 16, section 2).

Each was seen in the 2026-12 capture set (tests/wire/corpus/captures_2026-12/, manifest.json):

* REST ``/data/trades`` rows: maker ``fee_rate_bps`` "" and maker prices off the tick grid, the
  quotient of the maker's micro-unit amounts ("0.7210000476613491"); no ``trade_owner``;
* a book's ``last_trade_price`` with three decimals ("0.500"), the hash over that text;
* ``price_change`` entries for the other token of the market, to a one-token subscriber;
* ``new_market`` with the live fee fields, ``active`` false and ``tags`` [];
* ``market_resolved`` with the docs page's full field set (``outcomes`` included).
"""

from __future__ import annotations

import json
import time
from decimal import ROUND_CEILING, Decimal
from typing import Any

import pytest
from polymarket_mock.accounts import l2_signature
from polymarket_mock.book import summary_hash
from polymarket_mock.messages import validate

from tests.mock._support import drain, market_socket, next_events, resting_buy_price
from tests.wire import corpus

CAPTURES = "captures_2026-12/"


def _captured(file: str) -> list[dict[str, Any]]:
    (entry,) = [e for e in corpus.entries() if e["file"] == CAPTURES + file]
    return corpus.frames(entry)


def _rest_trades(mock: Any) -> list[dict[str, Any]]:
    creds, stamp = mock.credentials, str(int(time.time()))
    headers = {
        "POLY_ADDRESS": creds.address,
        "POLY_SIGNATURE": l2_signature(creds.secret, stamp, "GET", "/data/trades"),
        "POLY_TIMESTAMP": stamp,
        "POLY_API_KEY": creds.api_key,
        "POLY_PASSPHRASE": creds.passphrase,
    }
    status, page = mock.rest.handle("GET", "/data/trades", headers)
    assert status == 200, page
    return page["data"]


async def test_rest_trade_rows_have_blank_maker_fees_and_amount_quotient_prices(mock_factory):
    """Another maker matched 11.371898 beside ours (a USDC-sized taker): its price is the
    quotient of micro-unit amounts, off the grid; ours (5, a whole amount) stays on it."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        price = resting_buy_price(mock, asset)
        order = mock.exchange.place_order(asset, "BUY", price, "20")
        mock.exchange.fill(order, "5", others=(Decimal("11.371898"),))
        (row,) = _rest_trades(mock)
    assert validate(row, schema="rest_trade") == []
    assert row["fee_rate_bps"] == "0" and "trade_owner" not in row
    assert [m["fee_rate_bps"] for m in row["maker_orders"]] == ["", ""]
    other, mine = row["maker_orders"]
    assert mine["price"] == price
    tokens = 11_371_898
    usdc = (Decimal(price) * tokens).to_integral_value(ROUND_CEILING)  # a buyer pays more
    assert other["price"] == repr(int(usdc) / tokens) != price
    assert abs(Decimal(other["price"]) - Decimal(price)) < Decimal("1e-6")


def test_the_captured_maker_prices_are_amount_quotients():
    """Every maker price of the 2026-07/08 rows is reproduced by the mock's rule."""
    from polymarket_mock.messages import maker_price_text

    rows = _captured("unid_rs_rest_data_trades_rows_2026-07-08.json")
    makers = [m for row in rows for m in row["maker_orders"]]
    assert len(makers) == 8
    for maker in makers:
        tick = Decimal(maker["price"]).quantize(Decimal("0.001"))
        assert maker_price_text(tick, maker["matched_amount"], maker["side"]) == maker["price"]


async def test_books_write_last_trade_price_with_three_decimals(mock_factory):
    """Dump and REST /book say "0.500", not "0.5", and the hash covers that text."""
    async with mock_factory(activity_interval=None) as mock:
        asset = mock.asset_ids[0]
        mock.exchange.books[asset].last_trade_price = Decimal("0.5")
        async with market_socket(mock, [asset]) as ws:
            (book,) = await next_events(ws)
        rest = mock.book(asset)
    assert book["last_trade_price"] == rest["last_trade_price"] == "0.500"
    assert summary_hash({**rest, "timestamp": book["timestamp"]}) == book["hash"]
    live = [b for b in _captured("unid_go_book_pc_book_sequence_2025-12.jsonl") if "bids" in b]
    assert live[0]["last_trade_price"] == "0.500"  # what the mock copies


@pytest.mark.parametrize("sibling_entries", [True, False])
async def test_a_one_token_subscriber_gets_the_other_tokens_entries(mock_factory, sibling_entries):
    """Live (2026-05, 2026-08): entries for both tokens reach a subscriber of one; the option
    off keeps only the subscribed token's."""
    async with mock_factory(activity_interval=None, sibling_entries=sibling_entries) as mock:
        yes, no = mock.markets[0].token_ids
        async with market_socket(mock, [yes]) as ws:
            await next_events(ws)
            mock.exchange.place_order(yes, "BUY", resting_buy_price(mock, yes), "10")
            await mock.flush()
            changes = [e for e in await drain(ws, 0.3) if e["event_type"] == "price_change"]
    assets = [[c["asset_id"] for c in e["price_changes"]] for e in changes]
    assert assets == ([[yes, no]] if sibling_entries else [[yes]])


async def test_new_market_and_market_resolved_carry_the_live_and_documented_fields(mock_factory):
    """new_market: the live capture's fields in its order (fees, active false, tags []);
    market_resolved: the docs page table's fields, outcomes included."""
    (live,) = [
        f
        for f in _captured("unid_rs_live_initial_books_new_market_2026-10.jsonl")
        if f.get("event_type") == "new_market"
    ]
    async with mock_factory(activity_interval=None) as mock:
        frame = {"assets_ids": mock.asset_ids, "type": "market", "custom_feature_enabled": True}
        async with market_socket(mock, frame) as ws:
            await drain(ws, 0.3)
            market = mock.exchange.add_market()
            mock.exchange.resolve_market(mock.markets[0].condition_id, "No")
            await mock.flush()
            events = {e["event_type"]: e for e in await drain(ws, 0.3)}
    new, resolved = events["new_market"], events["market_resolved"]
    assert list(new) == list(live)
    for key in ("taker_base_fee", "fees_enabled", "fee_schedule", "active", "tags"):
        assert new[key] == live[key], key
    assert new["assets_ids"] == list(market.token_ids) and validate(new) == []
    assert set(resolved) == {
        "id",
        "question",
        "market",
        "slug",
        "description",
        "assets_ids",
        "outcomes",
        "winning_asset_id",
        "winning_outcome",
        "event_message",
        "timestamp",
        "event_type",
        "tags",
    }
    assert resolved["outcomes"] == ["Yes", "No"] and resolved["winning_outcome"] == "No"
    assert resolved["winning_asset_id"] == mock.markets[0].token_ids[1]
    assert json.loads(json.dumps(resolved)) == resolved and validate(resolved) == []
