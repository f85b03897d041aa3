"""The mock exchange: the user's orders, fills, trades and their status walk.

Driver methods (`place_order`, `fill`, `take`, `cancel`, `advance_trade`) are synchronous and
publish user-channel events to ``user_listeners`` as ``(owner, event)`` plus the market-channel
consequences (via `MarketData`). Orders and trades are kept in their REST shapes (``orders``,
``trades``) so REST reads and the stream agree. Mock choices where the protocol reference is
silent are listed in the package docstring.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import messages
from .accounts import DEFAULT_MAKER_ADDRESS
from .marketdata import MarketData, flip_side

__all__ = ["Exchange", "DEFAULT_MAKER_ADDRESS", "TRADE_TRANSITIONS"]

# Exactly the lifecycle diagram of the reference (§2.4); CONFIRMED and FAILED are terminal.
TRADE_TRANSITIONS = {
    "MATCHED": {"MINED", "RETRYING"},
    "MINED": {"CONFIRMED"},
    "RETRYING": {"MINED", "FAILED"},
    "CONFIRMED": set(),
    "FAILED": set(),
}


def _side(side: str) -> str:
    side = side.upper()
    if side not in ("BUY", "SELL"):
        raise ValueError(f"side must be BUY or SELL, got {side!r}")
    return side


class Exchange(MarketData):
    """Markets and books plus the orders and trades of the accounts the mock knows."""

    # ----------------------------------------------------------------- orders
    def _order_record(self, asset_id, side, price, size, owner, order_type, ts) -> dict:
        market = self._market_of[asset_id]
        order = {
            "id": self._new_id(),
            "status": "LIVE",
            "owner": owner,
            "maker_address": self.addresses.get(owner, DEFAULT_MAKER_ADDRESS),
            "market": market.condition_id,
            "asset_id": asset_id,
            "side": side,
            "original_size": messages.fmt(size),
            "size_matched": "0",
            "price": messages.fmt(price),
            "outcome": market.outcome_of(asset_id),
            "expiration": "0",
            "order_type": order_type,
            "associate_trades": [],
            "created_at": ts // 1000,
        }
        self.orders[order["id"]] = order
        return order

    def _check(self, asset_id: str, price: str | Decimal, size: str | Decimal):
        if asset_id not in self.books:
            raise KeyError(f"unknown asset id {asset_id}")
        price, size = Decimal(str(price)), Decimal(str(size))
        tick = self.books[asset_id].tick_size
        if not (0 < price < 1) or price % tick:
            raise ValueError(f"price {price} must be inside (0, 1) on the tick {tick}")
        if size <= 0:
            raise ValueError(f"size must be positive, got {size}")
        return price, size

    def _user_event(self, order: dict[str, Any], kind: str, ts: int) -> None:
        self._emit_user({order["owner"]}, messages.order_event(order, kind, ts))

    def _rest(self, order: dict[str, Any], price: Decimal, size: Decimal) -> None:
        """Put (part of) a user order on the book."""
        asset, side = order["asset_id"], order["side"]
        self._user_size[(asset, side, price)] += size
        level = self.books[asset].size_at(side, price) + size
        self._update(self._market_of[asset], [(asset, side, price, level)])

    def place_order(
        self, asset_id: str, side: str, price, size, *, owner=None, order_type="GTC"
    ) -> str:
        """A resting limit order of `owner` (default account): PLACEMENT, then price_change."""
        price, size = self._check(asset_id, price, size)
        side, book = _side(side), self.books[asset_id]
        crosses = book.best_ask if side == "BUY" else book.best_bid
        if crosses is not None and (price >= crosses if side == "BUY" else price <= crosses):
            raise ValueError("order would cross the book; use take() for a marketable order")
        ts = self.clock()
        order = self._order_record(
            asset_id, side, price, size, owner or self.default_owner, order_type, ts
        )
        self._user_event(order, "PLACEMENT", ts)
        self._rest(order, price, size)
        return order["id"]

    def _trade_record(
        self, order, taker_order_id, taker_side, size, price, makers, trader_side, ts
    ):
        trade = {
            "id": self._new_uuid(),
            "taker_order_id": taker_order_id,
            "market": order["market"],
            "asset_id": order["asset_id"],
            "side": taker_side,
            "size": messages.fmt(size),
            "fee_rate_bps": "0",
            "price": messages.fmt(price),
            "status": "MATCHED",
            "match_time": str(ts // 1000),
            "last_update": str(ts // 1000),
            "outcome": order["outcome"],
            "owner": order["owner"],
            "trade_owner": order["owner"],
            "maker_address": order["maker_address"],
            "transaction_hash": "",
            "bucket_index": 0,
            "maker_orders": makers,
            "trader_side": trader_side,
        }
        self.trades[trade["id"]] = trade
        self.trade_owners[trade["id"]] = {order["owner"]}
        return trade

    def _maker_entry(self, order_id, owner, address, asset_id, side, size, price) -> dict:
        return {
            "order_id": order_id,
            "owner": owner,
            "maker_address": address,
            "matched_amount": messages.fmt(size),
            "price": messages.fmt(price),
            "fee_rate_bps": "0",
            "asset_id": asset_id,
            "outcome": self._market_of[asset_id].outcome_of(asset_id),
            "side": side,
        }

    def _matched(self, order: dict[str, Any], size: Decimal, trade_id: str) -> None:
        matched = Decimal(order["size_matched"]) + size
        order["size_matched"] = messages.fmt(matched)
        order["associate_trades"].append(trade_id)
        if matched >= Decimal(order["original_size"]):
            order["status"] = "MATCHED"

    def fill(self, order_id: str, size=None) -> str:
        """An outside taker hits the user's resting order; returns the trade id.

        User channel: order UPDATE (size_matched, associate_trades) then trade MATCHED with
        trader_side MAKER. Market channel: price_change, last_trade_price, both books.
        """
        order = self.orders[order_id]
        if order["status"] != "LIVE":
            raise ValueError(f"order {order_id} is {order['status']}, not LIVE")
        remaining = Decimal(order["original_size"]) - Decimal(order["size_matched"])
        size = remaining if size is None else Decimal(str(size))
        if not 0 < size <= remaining:
            raise ValueError(f"fill size {size} must be in (0, {remaining}]")
        asset, side, price = order["asset_id"], order["side"], Decimal(order["price"])
        ts = self.clock()
        maker = self._maker_entry(
            order_id, order["owner"], order["maker_address"], asset, side, size, price
        )
        trade = self._trade_record(
            order, self._new_id(), flip_side(side), size, price, [maker], "MAKER", ts
        )
        self._matched(order, size, trade["id"])
        self._user_event(order, "UPDATE", ts)
        self._emit_user({order["owner"]}, messages.trade_event(trade, ts))
        self._user_size[(asset, side, price)] -= size
        level = self.books[asset].size_at(side, price) - size
        self._update(self._market_of[asset], [(asset, side, price, level)])
        self._trade_prints(asset, flip_side(side), price, size, ts)
        return trade["id"]

    def take(self, asset_id: str, side: str, price, size, *, owner=None, order_type="GTC") -> str:
        """The user's marketable order crosses the book as TAKER; returns the trade id.

        Consumes outside liquidity best level first up to `price`. User channel: PLACEMENT,
        trade MATCHED (trader_side TAKER, one maker_orders entry per level), UPDATE. A GTC
        remainder rests on the book. The trade's top-level price is the first (best) level's.
        """
        price, size = self._check(asset_id, price, size)
        side, book = _side(side), self.books[asset_id]
        maker_side, levels, remaining = flip_side(side), [], size
        prices = sorted(book.side(maker_side), reverse=maker_side == "BUY")
        for level_price in prices:
            if remaining <= 0 or (level_price > price if side == "BUY" else level_price < price):
                break
            take = min(remaining, self._background(asset_id, maker_side, level_price))
            if take > 0:
                levels.append((level_price, take))
                remaining -= take
        if not levels:
            raise ValueError("order does not cross any outside liquidity")
        ts = self.clock()
        order = self._order_record(
            asset_id, side, price, size, owner or self.default_owner, order_type, ts
        )
        self._user_event(order, "PLACEMENT", ts)
        makers = [
            self._maker_entry(
                self._new_id(),
                self._new_uuid(),
                "0x" + f"{self._ids.getrandbits(160):040x}",
                asset_id,
                maker_side,
                amount,
                level_price,
            )
            for level_price, amount in levels
        ]
        filled = size - remaining
        trade = self._trade_record(
            order, order["id"], side, filled, levels[0][0], makers, "TAKER", ts
        )
        self._matched(order, filled, trade["id"])
        self._emit_user({order["owner"]}, messages.trade_event(trade, ts))
        self._user_event(order, "UPDATE", ts)
        changes = [
            (asset_id, maker_side, p, book.size_at(maker_side, p) - amount) for p, amount in levels
        ]
        self._update(self._market_of[asset_id], changes)
        self._trade_prints(asset_id, side, levels[-1][0], filled, ts)
        # What is left at a crossing price is the user's own opposite order: resting there
        # would lock the book, so the remainder is canceled (self-trade prevention).
        if (
            remaining > 0
            and order_type in ("GTC", "GTD")
            and not self._crosses(asset_id, side, price)
        ):
            self._rest(order, price, remaining)
        elif remaining > 0:
            order["status"] = "CANCELED"
            self._user_event(order, "CANCELLATION", ts)
        return trade["id"]

    def _crosses(self, asset_id: str, side: str, price: Decimal) -> bool:
        """Whether an order at `price` would meet liquidity still resting on the other side."""
        opposite = self.books[asset_id].side(flip_side(side))
        return any(p <= price if side == "BUY" else p >= price for p in opposite)

    def cancel(self, order_id: str) -> None:
        """Cancel the user's LIVE order: CANCELLATION (status CANCELED), then price_change."""
        order = self.orders[order_id]
        if order["status"] != "LIVE":
            raise ValueError(f"order {order_id} is {order['status']}, not LIVE")
        asset, side, price = order["asset_id"], order["side"], Decimal(order["price"])
        remaining = Decimal(order["original_size"]) - Decimal(order["size_matched"])
        ts = self.clock()
        order["status"] = "CANCELED"
        self._user_event(order, "CANCELLATION", ts)
        self._user_size[(asset, side, price)] -= remaining
        level = self.books[asset].size_at(side, price) - remaining
        self._update(self._market_of[asset], [(asset, side, price, level)])

    def advance_trade(self, trade_id: str, status: str) -> None:
        """Move a trade along MATCHED→MINED→CONFIRMED (or RETRYING→MINED/FAILED)."""
        trade = self.trades[trade_id]
        if status not in TRADE_TRANSITIONS[trade["status"]]:
            raise ValueError(f"trade {trade_id}: {trade['status']} cannot become {status}")
        ts = self.clock()
        trade["status"] = status
        trade["last_update"] = str(ts // 1000)
        if status == "MINED" and not trade["transaction_hash"]:
            trade["transaction_hash"] = self._new_id()
        self._emit_user(self.trade_owners[trade_id], messages.trade_event(trade, ts))
