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

    # Wire variants seen live that the documented shapes do not show (off by default; set from
    # MockConfig by the server):
    transaction_hash_at_match = False
    """Give a trade its transaction_hash already when MATCHED: nautechsystems/nautilus_trader
    tests/integration_tests/adapters/polymarket/resources/ws_messages/user_trade2.json @1a68ec40
    (2024-09, status MATCHED, hash set). The docs show "" (AsyncAPI) or null (2026 page)."""
    created_at_ms = False
    """Order events' created_at in Unix ms instead of seconds: crates/adapters/polymarket/
    test_data/ws_user_order_venue_cancel.json @1764cf24 (2026-03) has "1774377384000"."""

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
        event = messages.order_event(order, kind, ts)
        if self.created_at_ms:
            event["created_at"] = str(order["created_at"] * 1000)
        self._emit_user({order["owner"]}, event)

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
        self, order, taker_order_id, taker_side, size, price, makers, trader_side, ts, taker=None
    ):
        # `taker`: (api key, address) of an outside taker. On a MAKER's trade the top-level
        # owner, trade_owner and maker_address are the taker's, as in the live capture
        # nautechsystems/nautilus_trader tests/integration_tests/adapters/polymarket/resources/
        # ws_messages/user_trade1.json @17b9c239 (2024-09): trader_side MAKER, owner and
        # trade_owner 092dab0c-... and maker_address 0x64B7... appear in no maker_orders entry,
        # while the receiving account (3e2c94ca-..., 0xa3D8..., see order_placement.json) is one
        # of six maker_orders entries; size 1096.87 is the sum of all six matched_amounts.
        owner, address = taker or (order["owner"], order["maker_address"])
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
            "owner": owner,
            "trade_owner": owner,
            "maker_address": address,
            "transaction_hash": self._new_id() if self.transaction_hash_at_match else "",
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

    def outside_size(self, asset_id: str, side: str, price) -> Decimal:
        """Size resting at a level that belongs to no account of the mock (other makers)."""
        return self._background(asset_id, _side(side), Decimal(str(price)))

    def _random_maker(self) -> tuple[str, str, str]:
        """(order id, API key, address) of a participant outside the mock's accounts."""
        return self._new_id(), self._new_uuid(), "0x" + f"{self._ids.getrandbits(160):040x}"

    def fill(self, order_id: str, size=None, *, others=()) -> str:
        """An outside taker hits the user's resting order; returns the trade id.

        `others`: matched amounts the same taker also takes from other makers resting at the
        same price (outside liquidity, at most what rests there), one maker_orders entry each,
        listed before the user's entry (they were queued first). The trade is shaped as a maker
        receives it live (see `_trade_record`): top-level owner, trade_owner, maker_address,
        side, size and taker_order_id are the taker's; size is the taker's total;
        ``maker_orders`` lists every maker; trader_side is MAKER.

        User channel: order UPDATE (size_matched, associate_trades) then trade MATCHED.
        Market channel: price_change, last_trade_price (the taker's total), both books.
        """
        order = self.orders[order_id]
        if order["status"] != "LIVE":
            raise ValueError(f"order {order_id} is {order['status']}, not LIVE")
        remaining = Decimal(order["original_size"]) - Decimal(order["size_matched"])
        size = remaining if size is None else Decimal(str(size))
        if not 0 < size <= remaining:
            raise ValueError(f"fill size {size} must be in (0, {remaining}]")
        asset, side, price = order["asset_id"], order["side"], Decimal(order["price"])
        amounts = [Decimal(str(amount)) for amount in others]
        if any(amount <= 0 for amount in amounts):
            raise ValueError(f"other makers' amounts must be positive, got {list(others)}")
        outside = self._background(asset, side, price)
        if sum(amounts, Decimal(0)) > outside:
            raise ValueError(f"only {outside} of other makers rests at {price}")
        ts = self.clock()
        makers = [
            self._maker_entry(*self._random_maker(), asset, side, amount, price)
            for amount in amounts
        ]
        makers.append(
            self._maker_entry(
                order_id, order["owner"], order["maker_address"], asset, side, size, price
            )
        )
        total = size + sum(amounts, Decimal(0))
        taker_order_id, taker_key, taker_address = self._random_maker()
        trade = self._trade_record(
            order,
            taker_order_id,
            flip_side(side),
            total,
            price,
            makers,
            "MAKER",
            ts,
            taker=(taker_key, taker_address),
        )
        self._matched(order, size, trade["id"])
        self._user_event(order, "UPDATE", ts)
        self._emit_user({order["owner"]}, messages.trade_event(trade, ts))
        self._user_size[(asset, side, price)] -= size
        level = self.books[asset].size_at(side, price) - total
        self._update(self._market_of[asset], [(asset, side, price, level)])
        self._trade_prints(asset, flip_side(side), price, total, ts)
        return trade["id"]

    def take(
        self, asset_id: str, side: str, price, size, *, owner=None, order_type="GTC"
    ) -> str | None:
        """The user's marketable order crosses the book as TAKER; returns the trade id.

        Consumes outside liquidity best level first up to `price`. User channel: PLACEMENT,
        trade MATCHED (trader_side TAKER, one maker_orders entry per level), UPDATE. A GTC
        remainder rests on the book. The trade's top-level price is the first (best) level's.
        An ``order_type="FOK"`` order that cannot be filled in full is killed instead (see
        `fill_or_kill`) and None is returned.
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
        if order_type == "FOK" and remaining > 0:
            self._kill(asset_id, side, price, size, owner or self.default_owner)
            return None
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

    def _kill(self, asset_id: str, side: str, price: Decimal, size: Decimal, owner: str) -> str:
        """Kill a FOK order: one CANCELLATION frame shaped like the live captures, nothing else.

        Inference: the captured frame has created_at "" and size_matched "", as if the order was
        never booked, so the mock sends no PLACEMENT before it and changes no book. The REST
        post_order answer for this case is the error "order couldn't be fully filled. FOK
        orders are fully filled or killed." (Polymarket/clob-client#68).
        """
        ts = self.clock()
        order = self._order_record(asset_id, side, price, size, owner, "FOK", ts)
        order["status"] = messages.FOK_KILLED_STATUS
        self._emit_user({owner}, messages.killed_order_event(order, ts))
        return order["id"]

    def fill_or_kill(
        self, asset_id: str, side: str, price, size, *, owner=None
    ) -> tuple[str, str | None]:
        """A fill-or-kill order of `owner`: (order id, trade id), trade id None if killed.

        Filled in full against outside liquidity up to `price` (as `take`), or killed: a lone
        CANCELLATION with ``status`` "CANCELED_order couldn't be fully filled. FOK orders are
        fully filled or killed.", ``size_matched`` "" and ``created_at`` "" (live captures).
        """
        price, size = self._check(asset_id, price, size)
        side, owner = _side(side), owner or self.default_owner
        maker_side = flip_side(side)
        available = sum(
            (
                self._background(asset_id, maker_side, p)
                for p in self.books[asset_id].side(maker_side)
                if (p <= price if side == "BUY" else p >= price)
            ),
            Decimal(0),
        )
        if available < size:
            return self._kill(asset_id, side, price, size, owner), None
        trade_id = self.take(asset_id, side, price, size, owner=owner, order_type="FOK")
        assert trade_id is not None
        return self.trades[trade_id]["taker_order_id"], trade_id

    def resolve_market(self, condition_id: str, winning_outcome: str = "Yes") -> None:
        """Resolve a market: `market_resolved`, then every LIVE order of it is canceled with
        status CANCELED_MARKET_RESOLVED (one CANCELLATION each) and leaves the book.

        The status is live-observed (hbr-l/polypy#11); the frame's other fields and the order
        of the two events are inferences: an ordinary CANCELLATION with that status, sent after
        the resolution that caused it.
        """
        super().resolve_market(condition_id, winning_outcome)
        for order in list(self.orders.values()):
            if order["market"] == condition_id and order["status"] == "LIVE":
                self._cancel(order, messages.MARKET_RESOLVED_STATUS)

    def _crosses(self, asset_id: str, side: str, price: Decimal) -> bool:
        """Whether an order at `price` would meet liquidity still resting on the other side."""
        opposite = self.books[asset_id].side(flip_side(side))
        return any(p <= price if side == "BUY" else p >= price for p in opposite)

    def cancel(self, order_id: str, status: str = "CANCELED") -> None:
        """Cancel the user's LIVE order: CANCELLATION, then price_change.

        `status` is CANCELED (a user's cancel), INVALID (a venue-side cancel, as in
        nautilus_trader test_data/ws_user_order_venue_cancel.json @1764cf24) or any
        ``CANCELED_<reason>`` (the family seen live, e.g. CANCELED_MARKET_RESOLVED).
        """
        if status not in ("CANCELED", "INVALID") and not status.startswith("CANCELED_"):
            raise ValueError(f"status must be CANCELED, INVALID or CANCELED_<reason>: {status!r}")
        order = self.orders[order_id]
        if order["status"] != "LIVE":
            raise ValueError(f"order {order_id} is {order['status']}, not LIVE")
        self._cancel(order, status)

    def _cancel(self, order: dict[str, Any], status: str) -> None:
        asset, side, price = order["asset_id"], order["side"], Decimal(order["price"])
        remaining = Decimal(order["original_size"]) - Decimal(order["size_matched"])
        ts = self.clock()
        order["status"] = status
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
