"""Build and parse every CLOB WebSocket frame; the one place that knows the wire shapes.

Server events are built here (the channels never assemble dicts themselves) and client frames
are parsed here. `validate` (from `schemas`) checks any frame against the documented shapes.
All numbers leave through `fmt`, one canonical formatter, so a client that re-serialises what it
received reproduces the mock's book hash byte for byte.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .schemas import SCHEMAS, detect_schema, validate

__all__ = [
    "PING",
    "PONG",
    "INVALID_OPERATION",
    "SCHEMAS",
    "InvalidFrame",
    "MarketRequest",
    "UserRequest",
    "book_event",
    "ws_book_event",
    "REST_ONLY_BOOK_FIELDS",
    "price_change_entry",
    "price_change_event",
    "last_trade_price_event",
    "tick_size_change_event",
    "best_bid_ask_event",
    "new_market_event",
    "market_resolved_event",
    "order_event",
    "killed_order_event",
    "FOK_KILLED_STATUS",
    "MARKET_RESOLVED_STATUS",
    "trade_event",
    "rest_page",
    "rest_trade_row",
    "maker_price_text",
    "last_trade_price_text",
    "LIVE_FEE_FIELDS",
    "encode",
    "fmt",
    "parse_market_frame",
    "parse_user_frame",
    "redact",
    "event_assets",
    "validate",
    "detect_schema",
]

PING = "PING"
PONG = "PONG"
# Live text reply to a second initial subscription on a market socket (reference §9.1).
INVALID_OPERATION = "INVALID OPERATION"
Number = Decimal | str | int


@functools.lru_cache(maxsize=8192)  # books repeat the same prices and sizes constantly
def fmt(value: Number | None) -> str:
    """Format a number the one way the mock writes numbers: plain decimal, no trailing zeros."""
    if value is None:
        return ""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def last_trade_price_text(value: Number | None) -> str:
    """A book's `last_trade_price` as live books write it: at least three decimals ("0.500"),
    "" before any trade. Every live initial dump captured shows it ("0.500", "0.850", "0.140",
    "0.920" on 0.01-tick markets: tests/wire/corpus/captures_2026-12/, nautilus_trader
    ws_book_snapshot_captured.json), and the 2025-12 book hashes reproduce only with "0.500".
    Inference: the same text after a trade (the post-trade book omits the field)."""
    if value is None:
        return ""
    number = Decimal(str(value))
    if number.as_tuple().exponent > -3:  # type: ignore[operator]
        number = number.quantize(Decimal("0.001"))
    return format(number, "f")


def encode(value: Any) -> str:
    """Serialise a frame compactly (what goes on the wire)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _levels(levels: list[tuple[Decimal, Decimal]]) -> list[dict[str, str]]:
    return [{"price": fmt(price), "size": fmt(size)} for price, size in levels]


def book_event(
    *,
    market: str,
    asset_id: str,
    timestamp: int,
    bids: list[tuple[Decimal, Decimal]],
    asks: list[tuple[Decimal, Decimal]],
    min_order_size: Number,
    tick_size: Number,
    neg_risk: bool,
    last_trade_price: Number | None,
    hash: str,
) -> dict[str, Any]:
    """A full book summary (REST shape plus event_type); key order is the hash payload's (see
    `book.summary_hash`). What goes on the WebSocket is `ws_book_event` of it."""
    return {
        "market": market,
        "asset_id": asset_id,
        "timestamp": str(timestamp),
        "hash": hash,
        "bids": _levels(bids),
        "asks": _levels(asks),
        "min_order_size": fmt(min_order_size),
        "tick_size": fmt(tick_size),
        "neg_risk": neg_risk,
        "last_trade_price": last_trade_price_text(last_trade_price),
        "event_type": "book",
    }


# No WebSocket `book` in the corpus carries these; REST GET /book does
# (nautechsystems/nautilus_trader crates/adapters/polymarket/test_data/
# clob_book_response_empty_ask.json @078ff030, 2026-08-03, vs ws_book_snapshot_captured.json
# @648970ce and ws_market_price_change_crossing_burst.json @7b766f88). The hash still covers them.
REST_ONLY_BOOK_FIELDS = ("min_order_size", "neg_risk")
# A `book` sent after a trade lacks these too (closing book of the crossing burst above,
# 2026-09-29), while the initial dump carries both (opening book of the burst; the captured book).
TRADE_BOOK_OMITS = ("tick_size", "last_trade_price")
_AFTER_TRADE_ORDER = ("market", "asset_id", "bids", "asks", "hash", "timestamp", "event_type")


def ws_book_event(summary: dict[str, Any], *, after_trade: bool = False) -> dict[str, Any]:
    """The WebSocket `book` of a full book summary (`book_event`): REST-only fields dropped;
    ``after_trade`` also drops tick_size and last_trade_price and uses the key order of the
    captured post-trade book. Hash unchanged."""
    if after_trade:
        return {key: summary[key] for key in _AFTER_TRADE_ORDER}
    return {k: v for k, v in summary.items() if k not in REST_ONLY_BOOK_FIELDS}


def price_change_entry(
    *,
    asset_id: str,
    price: Number,
    size: Number,
    side: str,
    hash: str,
    best_bid: Number | None,
    best_ask: Number | None,
) -> dict[str, str]:
    """One entry of `price_changes[]`; size "0" removes the level."""
    return {
        "asset_id": asset_id,
        "price": fmt(price),
        "size": fmt(size),
        "side": side,
        "hash": hash,
        "best_bid": fmt(best_bid),
        "best_ask": fmt(best_ask),
    }


def price_change_event(market: str, entries: list[dict[str, str]], timestamp: int) -> dict:
    """A `price_change` in the post-2025-09-15 `price_changes[]` shape."""
    return {
        "market": market,
        "price_changes": entries,
        "timestamp": str(timestamp),
        "event_type": "price_change",
    }


def last_trade_price_event(
    *,
    asset_id: str,
    market: str,
    price: Number,
    size: Number,
    side: str,
    fee_rate_bps: Number,
    timestamp: int,
    transaction_hash: str | None = None,
) -> dict[str, Any]:
    """A `last_trade_price`; `side` is the taker's."""
    event = {
        "asset_id": asset_id,
        "event_type": "last_trade_price",
        "fee_rate_bps": fmt(fee_rate_bps),
        "market": market,
        "price": fmt(price),
        "side": side,
        "size": fmt(size),
        "timestamp": str(timestamp),
    }
    if transaction_hash:
        event["transaction_hash"] = transaction_hash
    return event


def tick_size_change_event(
    asset_id: str, market: str, old: Number, new: Number, timestamp: int
) -> dict[str, str]:
    """A `tick_size_change` (price crossed 0.96 or 0.04)."""
    return {
        "event_type": "tick_size_change",
        "asset_id": asset_id,
        "market": market,
        "old_tick_size": fmt(old),
        "new_tick_size": fmt(new),
        "timestamp": str(timestamp),
    }


def best_bid_ask_event(
    asset_id: str, market: str, best_bid: Decimal | None, best_ask: Decimal | None, timestamp: int
) -> dict[str, str]:
    """A `best_bid_ask` (custom feature); an absent side is ""."""
    spread = best_ask - best_bid if best_bid is not None and best_ask is not None else None
    return {
        "event_type": "best_bid_ask",
        "market": market,
        "asset_id": asset_id,
        "best_bid": fmt(best_bid),
        "best_ask": fmt(best_ask),
        "spread": fmt(spread),
        "timestamp": str(timestamp),
    }


MOCK_DESCRIPTION = "A generated market of the bundled mock."
# The fee fields of the live new_market of 2026-10-02 (a fee-enabled 5-minute crypto market:
# tests/wire/corpus/captures_2026-12/unid_rs_live_initial_books_new_market_2026-10.jsonl), sent
# with that capture's values for every mock market; the AsyncAPI lists none of them.
LIVE_FEE_FIELDS: dict[str, Any] = {
    "taker_base_fee": "1000",
    "fees_enabled": True,
    "fee_schedule": {"exponent": "1", "rate": "0.07", "taker_only": True, "rebate_rate": "0.2"},
}


def new_market_event(
    *,
    id: str,
    question: str,
    market: str,
    slug: str,
    assets_ids: list[str],
    outcomes: list[str],
    tick_size: Number,
    timestamp: int,
    description: str = MOCK_DESCRIPTION,
    event_message: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A `new_market` (custom feature; global, not tied to subscribed assets).

    The field set and order of the live capture of 2026-10-02 (see LIVE_FEE_FIELDS): the docs
    example's fields (nautechsystems/nautilus_trader crates/adapters/polymarket/test_data/
    ws_market_new_market_msg.json @08c60d8f) plus taker_base_fee, fees_enabled and
    fee_schedule; `active` false, `tags` [] and `group_item_title` "" as live sent them for a
    market just announced (the docs example has true, ["stocks"] and a title).
    """
    return {
        "id": id,
        "question": question,
        "market": market,
        "slug": slug,
        "description": description,
        "assets_ids": list(assets_ids),
        "outcomes": list(outcomes),
        "event_message": event_message or mock_event_message(id, slug, question, description),
        "timestamp": str(timestamp),
        "event_type": "new_market",
        "tags": [],
        "condition_id": market,
        "active": False,
        "clob_token_ids": list(assets_ids),
        "sports_market_type": "",
        "line": "",
        "game_start_time": "",
        "order_price_min_tick_size": fmt(tick_size),
        "group_item_title": "",
        **json.loads(json.dumps(LIVE_FEE_FIELDS)),  # a copy: a client may mutate what it gets
    }


def mock_event_message(id: str, slug: str, title: str, description: str) -> dict[str, str]:
    """The `event_message` object of new_market/market_resolved for a mock market (the mock
    has one event per market; its id is the market's)."""
    return {"id": id, "ticker": slug, "slug": slug, "title": title, "description": description}


def market_resolved_event(
    *,
    id: str,
    market: str,
    assets_ids: list[str],
    outcomes: list[str],
    winning_asset_id: str,
    winning_outcome: str,
    timestamp: int,
    question: str,
    slug: str,
    description: str = MOCK_DESCRIPTION,
) -> dict[str, Any]:
    """A `market_resolved` (custom feature) with the docs page's full field set.

    The docs page (market-channel, "market_resolved Message") lists in its table id, question,
    market, slug, description, assets_ids, outcomes, winning_asset_id, winning_outcome,
    event_message, timestamp and event_type; its example (tests/wire/corpus/docs/
    market-channel_market_resolved.json) omits only `outcomes`, which clients such as
    polymarket-apis 2.3.0 require. `tags` is the AsyncAPI's optional field (no live capture).
    """
    return {
        "id": id,
        "question": question,
        "market": market,
        "slug": slug,
        "description": description,
        "assets_ids": list(assets_ids),
        "outcomes": list(outcomes),
        "winning_asset_id": winning_asset_id,
        "winning_outcome": winning_outcome,
        "event_message": mock_event_message(id, slug, question, description),
        "timestamp": str(timestamp),
        "event_type": "market_resolved",
        "tags": ["mock"],
    }


def order_event(order: dict[str, Any], kind: str, timestamp: int) -> dict[str, Any]:
    """An `order` event (`type` PLACEMENT/UPDATE/CANCELLATION) from the REST order record."""
    return {
        "event_type": "order",
        "id": order["id"],
        "owner": order["owner"],
        "market": order["market"],
        "asset_id": order["asset_id"],
        "side": order["side"],
        "order_owner": order["owner"],
        "original_size": order["original_size"],
        "size_matched": order["size_matched"],
        "price": order["price"],
        "associate_trades": list(order["associate_trades"]) or None,
        "outcome": order["outcome"],
        "type": kind,
        "created_at": str(order["created_at"]),
        "expiration": order["expiration"],
        "order_type": order["order_type"],
        "status": order["status"],
        "maker_address": order["maker_address"],
        "timestamp": str(timestamp),
    }


# Order statuses of the CANCELED_<reason> family, as the live service spells them.
# nautechsystems/nautilus_trader crates/adapters/polymarket/test_data/ws_user_order_fok_killed.json
# @73b5ea92 (live frame quoted in NT issue #3987, 2026-05) and ws_user_order_fok_buy_pusd_size.json
# @47983203 (2026-08) both carry exactly this text.
FOK_KILLED_STATUS = (
    "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed."
)
# Reported live on the user stream by hbr-l/polypy#11 (2025-12-15); Polymarket/ts-sdk#264
# (2026-08) counts it among the order statuses that mean "no fill".
MARKET_RESOLVED_STATUS = "CANCELED_MARKET_RESOLVED"


def killed_order_event(order: dict[str, Any], timestamp: int) -> dict[str, Any]:
    """The CANCELLATION of a fill-or-kill order that could not be fully filled.

    Shaped like the two live captures above: ``size_matched`` "", ``created_at`` "",
    ``outcome`` "", ``associate_trades`` [] (not null) and the FOK status text.
    """
    event = order_event(order, "CANCELLATION", timestamp)
    event.update(
        size_matched="",
        created_at="",
        outcome="",
        associate_trades=[],
        status=FOK_KILLED_STATUS,
    )
    return event


def trade_event(trade: dict[str, Any], timestamp: int) -> dict[str, Any]:
    """A `trade` event from the REST trade record (`match_time` spelling; see the docstring)."""
    return {"event_type": "trade", "type": "TRADE", **trade, "timestamp": str(timestamp)}


_MICRO = Decimal(10) ** 6  # USDC and outcome tokens have 6 decimals on chain


def maker_price_text(price: Number, matched_amount: Number, side: str) -> str:
    """A REST maker entry's price as live rows give it: the double quotient of the maker's
    USDC and token amounts in micro-units, the USDC rounded against the maker (a buyer pays
    the ceiling, a seller gets the floor). Reproduces every maker price of the 2026-07/08
    capture (tests/wire/corpus/captures_2026-12/unid_rs_rest_data_trades_rows_2026-07-08.json),
    e.g. "0.7210000476613491" = 8199139 / 11371898 for 11.371898 bought at 0.721; an amount
    with few decimals gives the tick price back ("0.748")."""
    tokens = Decimal(str(matched_amount)) * _MICRO
    usdc = Decimal(str(price)) * tokens
    rounded = usdc.to_integral_value(rounding="ROUND_CEILING" if side == "BUY" else "ROUND_FLOOR")
    if not tokens or tokens != tokens.to_integral_value():
        return fmt(price)
    return repr(int(rounded) / int(tokens))


def rest_trade_row(trade: dict[str, Any]) -> dict[str, Any]:
    """A trade as GET /data/trades returns it, from the mock's trade record.

    As the live rows of 2026-07/08 (see `maker_price_text`): maker_orders[].fee_rate_bps ""
    while the top-level one stays "0" (also rs-clob-client-v2 PR #111, which parses "" as
    zero), maker prices as amount quotients, and no trade_owner (no row has one).
    """
    row = {key: value for key, value in trade.items() if key != "trade_owner"}
    row["maker_orders"] = [
        {
            **maker,
            "price": maker_price_text(maker["price"], maker["matched_amount"], maker["side"]),
            "fee_rate_bps": "",
        }
        for maker in trade["maker_orders"]
    ]
    return row


def rest_page(data: list[dict[str, Any]], next_cursor: str, limit: int) -> dict[str, Any]:
    """One page of a paginated REST read."""
    return {"data": data, "next_cursor": next_cursor, "limit": limit, "count": len(data)}


def event_assets(event: dict[str, Any]) -> set[str]:
    """The token ids a market-channel event concerns (empty for global events)."""
    if event.get("event_type") == "price_change":
        return {entry["asset_id"] for entry in event["price_changes"]}
    if event.get("event_type") == "new_market":
        return set()
    if "assets_ids" in event:
        return set(event["assets_ids"])
    return {event["asset_id"]} if "asset_id" in event else set()


class InvalidFrame(ValueError):
    """A client frame the server does not accept; the message says why."""


@dataclass
class MarketRequest:
    """A parsed market-channel frame: the first subscription or a later operation."""

    operation: str  # "subscribe" | "unsubscribe"
    assets_ids: list[str]
    initial_dump: bool = True
    level: int | None = None
    custom_feature_enabled: bool | None = None


@dataclass
class UserRequest:
    """A parsed user-channel frame: the first subscription (with auth) or a later operation."""

    operation: str  # "subscribe" | "unsubscribe"
    markets: list[str] | None
    auth: dict[str, str] | None = None


def _load(text: str | bytes) -> dict[str, Any]:
    if isinstance(text, bytes):
        raise InvalidFrame("binary frame; the CLOB channels take text frames")
    if text == PING:
        raise InvalidFrame("PING before a valid subscription")
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidFrame(f"not JSON: {text[:60]!r}")
    if not isinstance(value, dict):
        raise InvalidFrame(f"not a JSON object: {type(value).__name__}")
    return value


def _typed(value: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    item = value.get(key, default)
    if item is default:
        return default
    if kind is int and isinstance(item, bool) or not isinstance(item, kind):
        raise InvalidFrame(f"{key!r} must be {kind.__name__}, got {item!r}")
    return item


def _str_list(value: dict[str, Any], key: str, required: bool) -> list[str] | None:
    if key not in value:
        if required:
            raise InvalidFrame(f"missing {key!r}")
        return None
    items = value[key]
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InvalidFrame(f"{key!r} must be a list of strings")
    return items


def _operation(value: dict[str, Any], first: bool) -> str:
    op = value.get("operation", "subscribe" if first else None)
    if op not in ("subscribe", "unsubscribe") or (first and op != "subscribe"):
        raise InvalidFrame(f"unknown or missing operation {op!r}")
    return op


def parse_market_frame(text: str | bytes, *, first: bool) -> MarketRequest:
    """Parse a market-channel frame; tolerant of documented extras, unknown keys ignored."""
    value = _load(text)
    if first and str(value.get("type", "market")).lower() != "market":
        raise InvalidFrame(f"type must be 'market', got {value.get('type')!r}")
    level = _typed(value, "level", int, None)
    if level not in (None, 1, 2, 3):
        raise InvalidFrame(f"level must be 1, 2 or 3, got {level!r}")
    return MarketRequest(
        operation=_operation(value, first),
        assets_ids=_str_list(value, "assets_ids", required=True) or [],
        initial_dump=_typed(value, "initial_dump", bool, True),
        level=level,
        custom_feature_enabled=_typed(value, "custom_feature_enabled", bool, None),
    )


def parse_user_frame(text: str | bytes, *, first: bool) -> UserRequest:
    """Parse a user-channel frame. The first must carry `auth` (checked by the caller)."""
    value = _load(text)
    if first and str(value.get("type", "user")).lower() != "user":
        raise InvalidFrame(f"type must be 'user', got {value.get('type')!r}")
    _str_list(value, "assets_ids", required=False)
    auth = value.get("auth")
    if first and not isinstance(auth, dict):
        raise InvalidFrame("missing 'auth' object")
    if auth is not None and not isinstance(auth, dict):
        raise InvalidFrame("'auth' must be an object")
    markets = _str_list(value, "markets", required=not first)
    return UserRequest(operation=_operation(value, first), markets=markets, auth=auth)


def redact(text: str | bytes) -> str:
    """A received frame as the mock records it: `auth.secret`/`auth.passphrase` masked."""
    if isinstance(text, bytes):
        return f"<binary frame, {len(text)} bytes>"
    if '"auth"' not in text:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return "<unparsable frame that mentions auth, redacted>"
    if isinstance(value, dict) and isinstance(value.get("auth"), dict):
        value["auth"] = {k: (v if k == "apiKey" else "***") for k, v in value["auth"].items()}
        return encode(value)
    return text
