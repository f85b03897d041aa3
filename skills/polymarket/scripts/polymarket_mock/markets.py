"""Deterministic generated binary markets and their opening books.

A market has a condition id ("0x" + 64 hex) and two ~77-digit decimal token ids (Yes, No).
The No book mirrors the Yes book (a Yes bid at p is a No ask at 1 - p), as Polymarket displays
complementary tokens; the exchange keeps that mirror on every change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from .book import Book

__all__ = ["Market", "generate_market", "opening_books", "mirror_price", "PRICE_FLOOR"]

# Generated activity stays inside [PRICE_FLOOR, 1 - PRICE_FLOOR] so it never crosses the
# 0.96 / 0.04 tick-size limits by itself; drivers can go there on purpose.
PRICE_FLOOR = Decimal("0.05")


@dataclass
class Market:
    """One binary market: condition id, the Yes/No token ids and trading parameters."""

    id: str
    condition_id: str
    token_ids: tuple[str, str]
    question: str
    slug: str
    outcomes: tuple[str, str] = ("Yes", "No")
    tick_size: str = "0.01"
    min_order_size: str = "5"
    neg_risk: bool = False
    resolved: bool = False

    def outcome_of(self, asset_id: str) -> str:
        """The outcome name ("Yes"/"No") of one of this market's tokens."""
        return self.outcomes[self.token_ids.index(asset_id)]

    def other(self, asset_id: str) -> str:
        """The complementary token id."""
        yes, no = self.token_ids
        return no if asset_id == yes else yes


def mirror_price(price: Decimal) -> Decimal:
    """The complementary token's price for the same economic level."""
    return Decimal(1) - price


def generate_market(rng: random.Random, index: int) -> Market:
    """A new market with ids drawn from `rng` (so the same seed gives the same markets)."""
    condition_id = "0x" + f"{rng.getrandbits(256):064x}"
    token_ids = tuple(str(rng.randrange(10**76, 10**77)) for _ in range(2))
    return Market(
        id=str(1_000_000 + index),
        condition_id=condition_id,
        token_ids=(token_ids[0], token_ids[1]),
        question=f"Mock market {index}: will it resolve Yes?",
        slug=f"mock-market-{index}",
    )


def opening_books(market: Market, rng: random.Random, depth: int) -> tuple[Book, Book]:
    """Yes and No books around a random mid, `depth` levels a side, the No book mirrored."""
    tick = Decimal(market.tick_size)
    low, high = int(Decimal("0.30") / tick), int(Decimal("0.70") / tick)
    mid = rng.randint(low, high) * tick
    yes, no = (
        Book(
            market=market.condition_id,
            asset_id=token,
            tick_size=tick,
            min_order_size=Decimal(market.min_order_size),
            neg_risk=market.neg_risk,
        )
        for token in market.token_ids
    )
    for k in range(1, depth + 1):
        bid, ask = mid - k * tick, mid + k * tick
        for side, price in (("BUY", bid), ("SELL", ask)):
            if PRICE_FLOOR <= price <= 1 - PRICE_FLOOR:
                size = Decimal(rng.randint(100, 50_000)) / 100
                yes.set_level(side, price, size)
                no.set_level("SELL" if side == "BUY" else "BUY", mirror_price(price), size)
    yes.last_trade_price, no.last_trade_price = mid, mirror_price(mid)
    return yes, no
