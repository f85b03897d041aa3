"""Wire schemas of every frame the CLOB channels carry, and `validate` against them.

Facts come from the protocol reference (``polymarket-ws-protocol.md`` §1-§4, §8). A schema lists
every documented field; a field the reference does not document is an error, so documentation
cannot quietly invent one. Fields the reference calls out as belonging to the *wrong* simplified
description (``order_id``, ``remaining``, ``reason``, ``trade_id``, ``fee``) get a pointed message.

Numbers are decimal strings; ``""`` is allowed only where the reference says the server sends it
for an absent decimal (``best_bid``/``best_ask``/``fee_rate_bps``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["SCHEMAS", "validate", "detect_schema"]

Check = Callable[[Any], str | None]
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_DIGITS = re.compile(r"^\d+$")


def _num(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a decimal string, got {type(value).__name__} {value!r}"
    return None if _DECIMAL.match(value) else f"must be a decimal string, got {value!r}"


def _num_or_empty(value: Any) -> str | None:
    return None if value == "" else _num(value)


def _ts(value: Any) -> str | None:
    if isinstance(value, str) and _DIGITS.match(value):
        return None
    return f"must be a string of digits (Unix time), got {value!r}"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {value!r}"


def _text_or_null(value: Any) -> str | None:
    return None if value is None else _text(value)


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be a boolean, got {value!r}"


def _int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else f"must be an integer, got {value!r}"


def _str_list(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return None
    return f"must be a list of strings, got {value!r}"


def _str_list_or_null(value: Any) -> str | None:
    return None if value is None else _str_list(value)


def _enum(*allowed: Any) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {list(allowed)}, got {value!r}"

    return check


def _nested(schema: str, many: bool) -> Check:
    def check(value: Any) -> str | None:
        items = value if many else [value]
        if many and not isinstance(value, list):
            return f"must be a list, got {value!r}"
        errors = [e for item in items for e in validate(item, schema=schema)]
        return "; ".join(errors) if errors else None

    return check


def _level_list(value: Any) -> str | None:
    return _nested("level", many=True)(value)


REQ, OPT = True, False
_SIDE = _enum("BUY", "SELL")
_LEVEL = {"price": (_num, REQ), "size": (_num, REQ)}
_BOOK = {
    "event_type": (_enum("book"), REQ),
    "asset_id": (_text, REQ),
    "market": (_text, REQ),
    "bids": (_level_list, REQ),
    "asks": (_level_list, REQ),
    "timestamp": (_ts, REQ),
    "hash": (_text_or_null, OPT),
    # tick_size/last_trade_price: on initial dumps, absent from post-trade books; min_order_size/
    # neg_risk: on no captured WebSocket book, only REST /book (ts-sdk accepts all four).
    # tests/wire/corpus: nautechsystems/nautilus_trader crates/adapters/polymarket/test_data/
    # ws_market_price_change_crossing_burst.json @7b766f88, ws_book_snapshot_captured.json @648970ce
    "tick_size": (_num, OPT),
    "min_order_size": (_num, OPT),
    "neg_risk": (_bool, OPT),
    "last_trade_price": (_num_or_empty, OPT),
}
_PRICE_CHANGE_ENTRY = {
    "asset_id": (_text, REQ),
    "price": (_num, REQ),
    "size": (_num, REQ),
    "side": (_SIDE, REQ),
    "hash": (_text, REQ),
    # An empty side: "" (ts-sdk bindings) or the bound "0"/"1" (docs example, tests/wire/corpus/
    # docs/market-channel_price_change.json): all are decimal strings or "".
    "best_bid": (_num_or_empty, OPT),
    "best_ask": (_num_or_empty, OPT),
}
_EVENT_MESSAGE = {k: (_text, OPT) for k in ("id", "ticker", "slug", "title", "description")}
_ORDER_STATUS_NAMES = ("LIVE", "MATCHED", "CANCELED", "DELAYED", "UNMATCHED", "INVALID")


def _order_status(value: Any) -> str | None:
    """A documented status or ``CANCELED_<reason>``.

    Live: ``CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.``
    (nautechsystems/nautilus_trader, crates/adapters/polymarket/test_data/
    ws_user_order_fok_killed.json @73b5ea92, from NT issue #3987) and
    ``CANCELED_MARKET_RESOLVED`` (hbr-l/polypy#11; Polymarket/ts-sdk#264 lists it as a status).
    """
    if isinstance(value, str) and (value in _ORDER_STATUS_NAMES or value.startswith("CANCELED_")):
        return None
    return f"must be one of {list(_ORDER_STATUS_NAMES)} or CANCELED_<reason>, got {value!r}"


_ORDER_STATUS = _order_status


def _ts_or_empty(value: Any) -> str | None:
    return None if value == "" else _ts(value)


_ORDER_TYPE = _enum("GTC", "GTD", "FOK", "FAK")
_TRADE_STATUS = _enum(
    "MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED", "MATCHED_NOT_BROADCASTED"
)
_MAKER_ORDER = {
    "order_id": (_text, REQ),
    "owner": (_text, REQ),
    "maker_address": (_text, OPT),
    "matched_amount": (_num, REQ),
    "price": (_num, REQ),
    "fee_rate_bps": (_num_or_empty, OPT),
    "asset_id": (_text, REQ),
    "outcome": (_text, OPT),
    "outcome_index": (_int, OPT),
    "side": (_SIDE, OPT),
}
_ORDER_FIELDS = {
    "id": (_text, REQ),
    "owner": (_text, REQ),
    "market": (_text, REQ),
    "asset_id": (_text, REQ),
    "side": (_SIDE, REQ),
    "original_size": (_num, REQ),
    "size_matched": (_num, REQ),
    "price": (_num, REQ),
    "associate_trades": (_str_list_or_null, OPT),
    "outcome": (_text, OPT),
    "expiration": (_ts, OPT),
    "order_type": (_ORDER_TYPE, OPT),
    "status": (_ORDER_STATUS, OPT),
    "maker_address": (_text, OPT),
    "exchange_version": (_text, OPT),
}
_TRADE_FIELDS = {
    "id": (_text, REQ),
    "taker_order_id": (_text, REQ),
    "market": (_text, REQ),
    "asset_id": (_text, REQ),
    "side": (_SIDE, REQ),
    "size": (_num, REQ),
    "price": (_num, REQ),
    "fee_rate_bps": (_num_or_empty, OPT),
    "status": (_TRADE_STATUS, REQ),
    "match_time": (_ts, OPT),
    "matchtime": (_ts, OPT),
    "last_update": (_ts, OPT),
    "outcome": (_text, OPT),
    "owner": (_text, REQ),
    "trade_owner": (_text, OPT),
    "maker_address": (_text, OPT),
    # Set already on MATCHED (nautilus_trader ws_messages/user_trade2.json @1a68ec40), "" or null
    # before (AsyncAPI, 2026 docs example).
    "transaction_hash": (_text_or_null, OPT),
    # An integer; 2024 captures had "0" (user_trade1.json @edfa2b0a): an old shape, rejected.
    "bucket_index": (_int, OPT),
    "maker_orders": (_nested("maker_order", many=True), OPT),
    "trader_side": (_enum("TAKER", "MAKER"), OPT),
    "exchange_version": (_text, OPT),
}

SCHEMAS: dict[str, dict[str, tuple[Check, bool]]] = {
    "level": _LEVEL,
    "market_subscription": {
        "assets_ids": (_str_list, REQ),
        "type": (_enum("market", "MARKET"), OPT),
        "initial_dump": (_bool, OPT),
        "level": (_enum(1, 2, 3), OPT),
        "custom_feature_enabled": (_bool, OPT),
        "markets": (_str_list, OPT),
        "operation": (_enum("subscribe"), OPT),
    },
    "market_operation": {
        "operation": (_enum("subscribe", "unsubscribe"), REQ),
        "assets_ids": (_str_list, REQ),
        "level": (_enum(1, 2, 3), OPT),
        "custom_feature_enabled": (_bool, OPT),
        "initial_dump": (_bool, OPT),
        "type": (_enum("market", "MARKET"), OPT),
        "markets": (_str_list, OPT),
    },
    "auth": {"apiKey": (_text, REQ), "secret": (_text, REQ), "passphrase": (_text, REQ)},
    "user_subscription": {
        "auth": (_nested("auth", many=False), REQ),
        "type": (_enum("user", "USER"), OPT),
        "markets": (_str_list, OPT),
        "assets_ids": (_str_list, OPT),
        "initial_dump": (_bool, OPT),
    },
    "user_operation": {
        "operation": (_enum("subscribe", "unsubscribe"), REQ),
        "markets": (_str_list, REQ),
        "auth": (_nested("auth", many=False), OPT),
        "type": (_enum("user", "USER"), OPT),
    },
    "book": _BOOK,
    "price_change_entry": _PRICE_CHANGE_ENTRY,
    "price_change": {
        "event_type": (_enum("price_change"), REQ),
        "market": (_text, REQ),
        "price_changes": (_nested("price_change_entry", many=True), REQ),
        "timestamp": (_ts, REQ),
    },
    "tick_size_change": {
        "event_type": (_enum("tick_size_change"), REQ),
        "asset_id": (_text, REQ),
        "market": (_text, REQ),
        "old_tick_size": (_num, REQ),
        "new_tick_size": (_num, REQ),
        "timestamp": (_ts, REQ),
    },
    "last_trade_price": {
        "event_type": (_enum("last_trade_price"), REQ),
        "asset_id": (_text, REQ),
        "market": (_text, REQ),
        "price": (_num, REQ),
        "size": (_num, REQ),
        "side": (_SIDE, REQ),
        "fee_rate_bps": (_num_or_empty, OPT),
        "timestamp": (_ts, REQ),
        # Every 2026 capture has it (michaelbooth1/weather execution-tape-pilot-2026-08-10-
        # trades.jsonl @82fba8ac); a 2024 one lacks it (nautilus_trader last_trade_price.json).
        "transaction_hash": (_text_or_null, OPT),
    },
    "best_bid_ask": {
        "event_type": (_enum("best_bid_ask"), REQ),
        "market": (_text, REQ),
        "asset_id": (_text, REQ),
        "best_bid": (_num_or_empty, REQ),
        "best_ask": (_num_or_empty, REQ),
        "spread": (_num_or_empty, REQ),
        "timestamp": (_ts, REQ),
    },
    "event_message": _EVENT_MESSAGE,
    "new_market": {
        "event_type": (_enum("new_market"), REQ),
        "id": (_text, REQ),
        "question": (_text, REQ),
        "market": (_text, REQ),
        "slug": (_text, REQ),
        "assets_ids": (_str_list, REQ),
        "outcomes": (_str_list, REQ),
        "timestamp": (_ts, REQ),
        "description": (_text, OPT),
        "event_message": (_nested("event_message", many=False), OPT),
        "tags": (_str_list, OPT),
        "condition_id": (_text, OPT),
        "active": (_bool, OPT),
        "clob_token_ids": (_str_list, OPT),
        "sports_market_type": (_text, OPT),
        "line": (_text, OPT),
        "game_start_time": (_text, OPT),
        "order_price_min_tick_size": (_num, OPT),
        "group_item_title": (_text, OPT),
        "taker_base_fee": (_text, OPT),
        "fees_enabled": (_bool, OPT),
        "fee_schedule": (lambda v: None, OPT),
    },
    "market_resolved": {
        "event_type": (_enum("market_resolved"), REQ),
        "id": (_text, REQ),
        "market": (_text, REQ),
        "assets_ids": (_str_list, REQ),
        "winning_asset_id": (_text, REQ),
        "winning_outcome": (_text, REQ),
        "timestamp": (_ts, REQ),
        "event_message": (_nested("event_message", many=False), OPT),
        "tags": (_str_list, OPT),
        # The docs page example (not the AsyncAPI one) adds question, slug, description and
        # event_message; its table also lists outcomes (tests/wire/corpus/docs/
        # market-channel_market_resolved.json).
        "question": (_text, OPT),
        "slug": (_text, OPT),
        "description": (_text, OPT),
        "outcomes": (_str_list, OPT),
    },
    "order": {
        "event_type": (_enum("order"), REQ),
        **_ORDER_FIELDS,
        "order_owner": (_text, OPT),
        "type": (_enum("PLACEMENT", "UPDATE", "CANCELLATION"), REQ),
        # A killed FOK order carries size_matched "" and created_at "" (same capture as above).
        "size_matched": (_num_or_empty, REQ),
        "created_at": (_ts_or_empty, OPT),
        "timestamp": (_ts, REQ),
    },
    "maker_order": _MAKER_ORDER,
    "trade": {
        "event_type": (_enum("trade"), REQ),
        "type": (_enum("TRADE"), REQ),
        **_TRADE_FIELDS,
        "timestamp": (_ts, REQ),
    },
    "rest_order": {**_ORDER_FIELDS, "created_at": (_int, OPT), "expiration": (_ts, OPT)},
    "rest_trade": _TRADE_FIELDS,
    "rest_page": {
        "data": (lambda v: None if isinstance(v, list) else "must be a list", REQ),
        "next_cursor": (_text, REQ),
        "limit": (_int, OPT),
        "count": (_int, OPT),
    },
    "api_creds": {"apiKey": (_text, REQ), "secret": (_text, REQ), "passphrase": (_text, REQ)},
}

# Fields of the widely copied wrong description (reference §8): say why, not just "unknown".
_KNOWN_WRONG = {
    "order_id": "`order_id` is not a top-level field; the id is `id` (reference §8.3)",
    "remaining": "there is no `remaining`; compute original_size - size_matched (reference §8.3)",
    "reason": "there is no cancellation `reason` field (reference §8.3)",
    "trade_id": "the trade id field is `id`, not `trade_id` (reference §8.4)",
    "fee": "there is no `fee`; the field is `fee_rate_bps` (reference §8.4)",
}
_EVENT_TYPES = {
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


# Text frames: the heartbeat both ways, and the live reply to a second initial subscription on a
# market socket (nautilus_trader PR #3717, reference §9.1).
_TEXT_FRAMES = ("PING", "PONG", "INVALID OPERATION")


def detect_schema(value: Any) -> str | None:
    """Name the schema a client or server frame claims to be, or None if it claims none."""
    if not isinstance(value, dict):
        return None
    if "event_type" in value:
        kind = value["event_type"]
        return kind if kind in _EVENT_TYPES else None
    if "operation" in value:
        user_like = "auth" in value or ("markets" in value and "assets_ids" not in value)
        return "user_operation" if user_like else "market_operation"
    if "auth" in value:
        return "user_subscription"
    if "assets_ids" in value:
        return "market_subscription"
    return None


def _check_book_order(value: dict[str, Any]) -> list[str]:
    errors = []
    for side, ascending in (("bids", True), ("asks", False)):
        try:
            prices = [Decimal(level["price"]) for level in value.get(side) or []]
        except (InvalidOperation, KeyError, TypeError):
            continue
        if prices != sorted(prices, reverse=not ascending):
            order = "ascending" if ascending else "descending"
            errors.append(f"{side} must be {order} by price so the best level is last")
    return errors


def validate(value: Any, schema: str | None = None) -> list[str]:
    """Return why `value` is not a valid frame ([] when it is); `schema` forces a schema.

    Without `schema`: the text frames "PING"/"PONG"/"INVALID OPERATION", a JSON array of server
    events (a bare `[]` too: the answer for a closed or unknown token, reference §9.1), or an
    object recognised by its fields (subscription, operation, or an event by its `event_type`).
    """
    if schema is None:
        if isinstance(value, str):
            return [] if value in _TEXT_FRAMES else [f"unknown text frame {value[:40]!r}"]
        if isinstance(value, list):
            return [f"[{i}] {e}" for i, item in enumerate(value) for e in validate(item)]
        schema = detect_schema(value)
        if schema is None:
            if isinstance(value, dict) and "event_type" in value:
                return [f"unknown event_type {value['event_type']!r}"]
            return ["not a recognised frame (no event_type, auth, operation or assets_ids)"]
    if schema not in SCHEMAS:
        return [f"unknown schema {schema!r}"]
    if not isinstance(value, dict):
        return [f"{schema}: must be a JSON object, got {type(value).__name__}"]
    spec = SCHEMAS[schema]
    errors = [
        f"{schema}: missing required field {key!r}"
        for key, (_, required) in spec.items()
        if required and key not in value
    ]
    for key, item in value.items():
        if key not in spec:
            hint = _KNOWN_WRONG.get(key, "not a documented field")
            errors.append(f"{schema}: field {key!r}: {hint}")
            continue
        problem = spec[key][0](item)
        if problem:
            errors.append(f"{schema}: field {key!r} {problem}")
    if schema == "book":
        errors.extend(_check_book_order(value))
    if schema == "order" and value.get("type") == "MATCHED":
        errors.append("order: `MATCHED` is a status, not an order type; fills arrive as UPDATE")
    return errors
