"""One token's aggregated order book: levels, best-last ordering and the SHA-1 book hash.

The hash is computed exactly like ``py_clob_client_v2.utilities.generate_orderbook_summary_hash``
(reimplemented here so the mock needs only the standard library and websockets): SHA-1 over
compact JSON with the key order market, asset_id, timestamp, hash "", bids, asks, min_order_size,
tick_size, neg_risk, last_trade_price. Levels are listed best LAST (bids ascending, asks
descending), as in the live capture the protocol reference quotes (§1.5).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import messages

__all__ = ["Book", "summary_hash"]


def summary_hash(book: dict[str, Any]) -> str:
    """SHA-1 of a wire `book` (or REST book summary) the way Polymarket's SDK computes it."""
    payload = {
        "market": book["market"],
        "asset_id": book["asset_id"],
        "timestamp": book["timestamp"],
        "hash": "",
        "bids": [{"price": level["price"], "size": level["size"]} for level in book["bids"]],
        "asks": [{"price": level["price"], "size": level["size"]} for level in book["asks"]],
        "min_order_size": book["min_order_size"],
        "tick_size": book["tick_size"],
        "neg_risk": book["neg_risk"],
        "last_trade_price": book["last_trade_price"],
    }
    serialized = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha1(serialized.encode("utf-8")).hexdigest()


@dataclass
class Book:
    """Aggregated price levels of one token plus the fields that enter its hash."""

    market: str
    asset_id: str
    tick_size: Decimal
    min_order_size: Decimal
    neg_risk: bool
    last_trade_price: Decimal | None = None
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)

    def side(self, side: str) -> dict[Decimal, Decimal]:
        """The levels of "BUY" (bids) or "SELL" (asks)."""
        return self.bids if side == "BUY" else self.asks

    def size_at(self, side: str, price: Decimal) -> Decimal:
        """Aggregate size resting at `price` on `side` (0 when there is no level)."""
        return self.side(side).get(price, Decimal(0))

    def set_level(self, side: str, price: Decimal, size: Decimal) -> None:
        """Set the aggregate size at a price; size 0 removes the level."""
        levels = self.side(side)
        if size <= 0:
            levels.pop(price, None)
        else:
            levels[price] = size

    @property
    def best_bid(self) -> Decimal | None:
        """Highest bid price, or None for an empty side."""
        return max(self.bids) if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        """Lowest ask price, or None for an empty side."""
        return min(self.asks) if self.asks else None

    def ordered(self) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Bids ascending and asks descending: the best level of each side is last."""
        bids = sorted(self.bids.items())
        asks = sorted(self.asks.items(), reverse=True)
        return bids, asks

    def summary(self, timestamp: int) -> dict[str, Any]:
        """The full book summary at `timestamp` (ms): what REST ``GET /book`` returns (plus
        event_type), with every field the hash covers, including the REST-only
        ``min_order_size`` and ``neg_risk`` that no WebSocket `book` carries."""
        bids, asks = self.ordered()
        event = messages.book_event(
            market=self.market,
            asset_id=self.asset_id,
            timestamp=timestamp,
            bids=bids,
            asks=asks,
            min_order_size=self.min_order_size,
            tick_size=self.tick_size,
            neg_risk=self.neg_risk,
            last_trade_price=self.last_trade_price,
            hash="",
        )
        event["hash"] = summary_hash(event)
        return event

    def snapshot(self, timestamp: int, *, after_trade: bool = False) -> dict[str, Any]:
        """The WebSocket `book` event at `timestamp` (ms): the summary without the REST-only
        fields, and after a trade also without tick_size and last_trade_price (see
        `messages.ws_book_event`). The hash is the summary's: it still covers them."""
        return messages.ws_book_event(self.summary(timestamp), after_trade=after_trade)

    def hash_at(self, timestamp: int) -> str:
        """The book hash as of `timestamp`."""
        return self.summary(timestamp)["hash"]
