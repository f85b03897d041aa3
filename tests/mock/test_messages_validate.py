"""`polymarket_mock.messages.validate` against the reference's own examples (ref §1, §2, §8).

The docs harness validates the pack's json blocks with this function, so it must accept every
wire example the protocol reference quotes and reject the wrong shapes its §8 lists.
"""

import copy

import pytest
from polymarket_mock.messages import validate

YES = "65818619657568813474341868652308942079804919287380422192892211131408793125422"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
CONDITION = "0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af"
PC_YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NVDA_YES = "76043073756653678226373981964075571318267289248134717369284518995922789326425"
NVDA_NO = "31690934263385727664202099278545688007799199447969475608906331829650099442770"
NVDA_MARKET = "0x311d0c4b6671ab54af4970c06fcf58662516f5168997bdda209ec3db5aa6b0c1"

# --- examples quoted by the reference, verbatim where they are complete ---------------------

MARKET_SUBSCRIPTION_ASYNCAPI = {"assets_ids": [YES, NO], "type": "market"}  # §1.2
MARKET_SUBSCRIPTION_OVERVIEW = {  # §1.2 [D-overview]
    "assets_ids": [
        "21742633143463906290569050155826241533067272736897614950488156847949938836455",
        "48331043336612883890938759509493159234755048973500640148014422747788308965732",
    ],
    "type": "market",
    "custom_feature_enabled": True,
}
MARKET_SUBSCRIPTION_OFFICIAL = {  # §1.2 clob-client examples
    "type": "market",
    "markets": [],
    "assets_ids": [YES],
    "initial_dump": True,
}
MARKET_OPERATION = {  # §1.3 AsyncAPI
    "operation": "subscribe",
    "assets_ids": ["71321045679252212594626385532706912750332728571942532289631379312455583992563"],
}
MARKET_UNSUBSCRIBE = {"assets_ids": [YES], "operation": "unsubscribe"}  # §1.3 overview
USER_SUBSCRIPTION = {  # §2.1
    "auth": {
        "apiKey": "0b6e3d4c-2a1f-4b7e-9c3d-5e6f7a8b9c0d",
        "secret": "your-api-secret",
        "passphrase": "your-passphrase",
    },
    "markets": ["0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"],
    "type": "user",
}
USER_OPERATION = {  # §2.1
    "operation": "subscribe",
    "markets": ["0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"],
}
BOOK_CAPTURED = {  # §1.5 live capture, levels shortened but complete
    "market": "0x6bd56627aa21311850825edb27e53434a0e17a4f782be0086bc07f71eee00d0d",
    "asset_id": "350977769852917329387037893294763093471844346281449484439085576212613048126",
    "timestamp": "1786604072222",
    "hash": "ed47eb91f3c7985fac1cb18cb7c19535eddd3c0a",
    "bids": [
        {"price": "0.01", "size": "3149725.72"},
        {"price": "0.02", "size": "70281.2"},
        {"price": "0.07", "size": "182528.55"},
    ],
    "asks": [
        {"price": "0.99", "size": "156606.14"},
        {"price": "0.98", "size": "17512.3"},
        {"price": "0.08", "size": "228198.28"},
    ],
    "tick_size": "0.01",
    "event_type": "book",
    "last_trade_price": "0.920",
}
PRICE_CHANGE = {  # §1.6 [D-market-channel], verbatim
    "market": "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1",
    "price_changes": [
        {
            "asset_id": PC_YES,
            "price": "0.5",
            "size": "200",
            "side": "BUY",
            "hash": "56621a121a47ed9333273e21c83b660cff37ae50",
            "best_bid": "0.5",
            "best_ask": "1",
        },
        {
            "asset_id": NO,
            "price": "0.5",
            "size": "200",
            "side": "SELL",
            "hash": "1895759e4df7a796bf4f1c5a5950b748306923e2",
            "best_bid": "0",
            "best_ask": "0.5",
        },
    ],
    "timestamp": "1757908892351",
    "event_type": "price_change",
}
TICK_SIZE_CHANGE = {  # §1.7, verbatim
    "event_type": "tick_size_change",
    "asset_id": YES,
    "market": CONDITION,
    "old_tick_size": "0.01",
    "new_tick_size": "0.001",
    "timestamp": "1757908892351",
}
LAST_TRADE_PRICE = {  # §1.8, verbatim
    "event_type": "last_trade_price",
    "asset_id": "114122071509644379678018727908709560226618148003371446110114509806601493071694",
    "market": "0x6a67b9d828d53862160e470329ffea5246f338ecfffdf2cab45211ec578b0347",
    "price": "0.456",
    "size": "219.217767",
    "fee_rate_bps": "0",
    "side": "BUY",
    "timestamp": "1750428146322",
    "transaction_hash": "0xeeefffggghhh",
}
BEST_BID_ASK = {  # §1.9, verbatim
    "event_type": "best_bid_ask",
    "market": "0x0005c0d312de0be897668695bae9f32b624b4a1ae8b140c49f08447fcc74f442",
    "asset_id": "85354956062430465315924116860125388538595433819574542752031640332592237464430",
    "best_bid": "0.73",
    "best_ask": "0.77",
    "spread": "0.04",
    "timestamp": "1766789469958",
}
NEW_MARKET = {  # §1.9, with the abbreviated ids written out
    "event_type": "new_market",
    "id": "1031769",
    "question": "Will NVIDIA (NVDA) close above $240 end of January?",
    "market": NVDA_MARKET,
    "slug": "nvda-above-240-on-january-30-2026",
    "description": "...",
    "assets_ids": [NVDA_YES, NVDA_NO],
    "outcomes": ["Yes", "No"],
    "event_message": {
        "id": "125819",
        "ticker": "nvda-above-in-january-2026",
        "slug": "nvda-above-in-january-2026",
        "title": "Will NVIDIA (NVDA) close above ___ end of January?",
        "description": "...",
    },
    "timestamp": "1766790415550",
    "tags": ["stocks"],
    "condition_id": NVDA_MARKET,
    "active": True,
    "clob_token_ids": [NVDA_YES, NVDA_NO],
    "sports_market_type": "",
    "line": "",
    "game_start_time": "",
    "order_price_min_tick_size": "0.01",
    "group_item_title": "NVDA above $240",
}
MARKET_RESOLVED = {  # §1.9, with the abbreviated ids written out
    "event_type": "market_resolved",
    "id": "1031769",
    "market": NVDA_MARKET,
    "assets_ids": [NVDA_YES, NVDA_NO],
    "winning_asset_id": NVDA_YES,
    "winning_outcome": "Yes",
    "timestamp": "1766790415550",
    "tags": ["stocks"],
}
ORDER = {  # §2.3 docs "API" tab, placeholders filled in
    "event_type": "order",
    "id": "0xff354cd7ca7539dfa9c28d90943ab5779a4eac34b9b37a757d7b32bdfb11790b",
    "owner": "9180014b-33c8-9240-a14b-bdca11c0a465",
    "market": CONDITION,
    "asset_id": YES,
    "side": "BUY",
    "order_owner": "9180014b-33c8-9240-a14b-bdca11c0a465",
    "original_size": "10",
    "size_matched": "0",
    "price": "0.52",
    "associate_trades": None,
    "outcome": "Yes",
    "type": "PLACEMENT",
    "created_at": "1782753357",
    "expiration": "0",
    "order_type": "GTC",
    "status": "LIVE",
    "maker_address": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "timestamp": "1782753357257",
}
TRADE = {  # §2.4 docs "API" tab, placeholders filled in
    "event_type": "trade",
    "type": "TRADE",
    "id": "28c4d2eb-bbea-40e7-a9f0-b2fdb56b2c2e",
    "taker_order_id": "0x06bc63e346ed4ceddce9efd6b3af37c8f8f440c92fe7da6b2d0f9e4ccbc50c42",
    "market": CONDITION,
    "asset_id": YES,
    "side": "BUY",
    "size": "10",
    "fee_rate_bps": "0",
    "price": "0.52",
    "status": "MATCHED",
    "match_time": "1782753357",
    "last_update": "1782753357",
    "outcome": "Yes",
    "owner": "9180014b-33c8-9240-a14b-bdca11c0a465",
    "trade_owner": "9180014b-33c8-9240-a14b-bdca11c0a465",
    "maker_address": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "transaction_hash": None,
    "bucket_index": 0,
    "maker_orders": [
        {
            "order_id": "0xff354cd7ca7539dfa9c28d90943ab5779a4eac34b9b37a757d7b32bdfb11790b",
            "owner": "2a6b0c2e-8a1c-4c0e-9d1e-3f4a5b6c7d8e",
            "maker_address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "matched_amount": "10",
            "price": "0.52",
            "fee_rate_bps": "0",
            "asset_id": YES,
            "outcome": "Yes",
            "outcome_index": 0,
            "side": "SELL",
        }
    ],
    "trader_side": "TAKER",
    "timestamp": "1782753357257",
}

VALID = {
    "market_subscription_asyncapi": MARKET_SUBSCRIPTION_ASYNCAPI,
    "market_subscription_overview": MARKET_SUBSCRIPTION_OVERVIEW,
    "market_subscription_official": MARKET_SUBSCRIPTION_OFFICIAL,
    "market_operation_subscribe": MARKET_OPERATION,
    "market_operation_unsubscribe": MARKET_UNSUBSCRIBE,
    "user_subscription": USER_SUBSCRIPTION,
    "user_operation": USER_OPERATION,
    "book_captured": BOOK_CAPTURED,
    "price_change": PRICE_CHANGE,
    "tick_size_change": TICK_SIZE_CHANGE,
    "last_trade_price": LAST_TRADE_PRICE,
    "best_bid_ask": BEST_BID_ASK,
    "new_market": NEW_MARKET,
    "market_resolved": MARKET_RESOLVED,
    "order": ORDER,
    "trade": TRADE,
    "trade_matchtime_spelling": {
        **{k: v for k, v in TRADE.items() if k != "match_time"},
        "matchtime": "1782753357",
    },
    "trade_mined_with_hash": {
        **TRADE,
        "status": "MINED",
        "transaction_hash": "0x" + "ab" * 32,
    },
    "order_update": {**ORDER, "type": "UPDATE", "size_matched": "4", "associate_trades": ["t-1"]},
    "order_cancellation": {**ORDER, "type": "CANCELLATION", "status": "CANCELED"},
    "batch_of_events": [BOOK_CAPTURED, PRICE_CHANGE, LAST_TRADE_PRICE],  # §1.4 arrays
    "ping": "PING",
    "pong": "PONG",
    # §9.1: live text reply to a second initial subscription (nautilus_trader PR #3717), and
    # the bare array a closed or unknown token gets (a 2026-10 client's test comment)
    "invalid_operation": "INVALID OPERATION",
    "closed_token_answer": [],
}


@pytest.mark.parametrize("name", list(VALID))
def test_reference_examples_validate(name):
    """Every complete wire example of the reference validates."""
    assert validate(VALID[name]) == []


def _without(value: dict, key: str) -> dict:
    return {k: v for k, v in value.items() if k != key}


def _numeric_price_book() -> dict:
    book = copy.deepcopy(BOOK_CAPTURED)
    book["bids"][0]["price"] = 0.01
    return book


INVALID = {
    # §1.2: the field is spelled `assets_ids`
    "market_subscription_asset_ids_spelling": {"asset_ids": [YES], "type": "market"},
    # §4.4/§8.1: py-clob-client names are not the wire names
    "user_subscription_py_names": {
        "type": "user",
        "auth": {"api_key": "k", "api_secret": "s", "api_passphrase": "p"},
    },
    "unknown_event_type": {"event_type": "orderbook_delta", "market": CONDITION},
    # §8.2: there is no MATCHED order type
    "order_type_matched": {**ORDER, "type": "MATCHED"},
    # §8.3: `id`, not `order_id`; no `remaining`; no FILLED; no reason USER_CANCELLED
    "order_with_order_id": {**_without(ORDER, "id"), "order_id": ORDER["id"]},
    "order_with_remaining": {**ORDER, "remaining": "10"},
    "order_status_filled": {**ORDER, "type": "UPDATE", "status": "FILLED"},
    "order_with_reason": {
        **ORDER,
        "type": "CANCELLATION",
        "status": "CANCELED",
        "reason": "USER_CANCELLED",
    },
    "order_missing_discriminator": _without(ORDER, "event_type"),
    # §8.4: `id`, not `trade_id`; `fee_rate_bps`, not `fee`
    "trade_with_trade_id": {**_without(TRADE, "id"), "trade_id": TRADE["id"]},
    "trade_with_fee": {**TRADE, "fee": "0.01"},
    "trade_with_top_level_order_id": {**TRADE, "order_id": ORDER["id"]},
    "trade_unknown_status": {**TRADE, "status": "SETTLED"},
    # §1.6: the pre-2025-09-15 schema is not what the server sends now
    "legacy_price_change": {
        "asset_id": "71321045679252212594626385532706912750332728571942532289631379312455583992563",
        "changes": [{"price": "0.4", "side": "SELL", "size": "3300"}],
        "event_type": "price_change",
        "market": "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1",
        "timestamp": "1729084877448",
        "hash": "3cd4d61e042c81560c9037ece0c61f3b1a8fbbdd",
    },
    # §1.4: every number is a string
    "book_numeric_price": _numeric_price_book(),
    "price_change_numeric_timestamp": {**PRICE_CHANGE, "timestamp": 1757908892351},
    "book_missing_hash_and_bids": _without(_without(BOOK_CAPTURED, "hash"), "bids"),
    "batch_with_unknown_event": [BOOK_CAPTURED, {"event_type": "mystery"}],
    # §3: the heartbeat is upper-case text on the CLOB
    "lowercase_pong": "pong",
}


@pytest.mark.parametrize("name", list(INVALID))
def test_wrong_shapes_are_rejected(name):
    """Each wrong shape that §8 of the reference names fails validation with a reason."""
    errors = validate(INVALID[name])
    assert errors, f"{name} should not validate"
    assert all(isinstance(error, str) and error for error in errors)


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ("api_creds", {"apiKey": "k", "secret": "c2VjcmV0", "passphrase": "p"}),
        ("rest_page", {"data": [], "next_cursor": "LTE=", "limit": 100, "count": 0}),
    ],
)
def test_rest_schemas_accept_documented_bodies(schema, value):
    """REST bodies validate against their named schemas (§4.1, py-clob-client pagination)."""
    assert validate(value, schema=schema) == []


def test_api_creds_schema_rejects_python_names():
    """The REST create/derive body uses apiKey/secret/passphrase, not ApiCreds' names (§4.4)."""
    wrong = {"api_key": "k", "api_secret": "s", "api_passphrase": "p"}
    assert validate(wrong, schema="api_creds") != []
