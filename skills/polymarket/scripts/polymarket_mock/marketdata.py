"""Market data of the mock exchange: markets, mirrored Yes/No books, generated activity.

Every book change is published as wire events to ``market_listeners`` (price_change with one
entry per token, tick_size_change, best_bid_ask, last_trade_price + book after a trade,
new_market, market_resolved); the market channel decides who receives what. `Exchange`
(orders and trades) builds on this class.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import messages
from .book import Book
from .markets import PRICE_FLOOR, Market, generate_market, mirror_price, opening_books

__all__ = ["MarketData", "flip_side"]

_SMALL_TICK = Decimal("0.001")
_TICK_HIGH, _TICK_LOW = Decimal("0.96"), Decimal("0.04")


def flip_side(side: str) -> str:
    return "SELL" if side == "BUY" else "BUY"


class MarketData:
    """Markets, their books and the listeners that receive every change."""

    def __init__(
        self,
        *,
        seed: int = 0,
        markets: int = 2,
        book_depth: int = 5,
        clock: Callable[[], int] | None = None,
        default_owner: str = "",
    ) -> None:
        self._generator = random.Random(seed)
        self._change_count = 0
        self._print_count = 0
        self._ids = random.Random(f"{seed}-ids")
        self._activity = random.Random(f"{seed}-activity")
        # Wire timestamps are Unix ms; the server replaces this with its loop-anchored clock.
        self.clock: Callable[[], int] = clock or (lambda: int(time.time() * 1000))
        self.book_depth = book_depth
        # How a price_change reports best prices; see `_update` (MockConfig documents both).
        self.batch_best_prices = "post"
        self.empty_side = "empty"
        self.default_owner = default_owner
        self.addresses: dict[str, str] = {}
        self.markets: list[Market] = []
        self.books: dict[str, Book] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.trades: dict[str, dict[str, Any]] = {}
        self.trade_owners: dict[str, set[str]] = {}
        self.market_listeners: list[Callable[[dict[str, Any]], None]] = []
        self.user_listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._market_of: dict[str, Market] = {}
        self._tick_before_extreme: dict[str, Decimal] = {}
        self._user_size: dict[tuple[str, str, Decimal], Decimal] = defaultdict(Decimal)
        for _ in range(markets):
            self._create_market()

    # ----------------------------------------------------------------- lookup
    @property
    def asset_ids(self) -> list[str]:
        """Every token id, market by market (Yes, No)."""
        return [token for market in self.markets for token in market.token_ids]

    def market_of(self, asset_id: str) -> Market:
        """The market a token belongs to (KeyError for an unknown token)."""
        return self._market_of[asset_id]

    def market_by_condition(self, condition_id: str) -> Market:
        """The market with this condition id."""
        for market in self.markets:
            if market.condition_id == condition_id:
                return market
        raise KeyError(condition_id)

    def snapshot(self, asset_id: str, timestamp: int | None = None) -> dict[str, Any]:
        """The current WebSocket `book` event of a token, as the initial dump sends it."""
        return self.books[asset_id].snapshot(self.clock() if timestamp is None else timestamp)

    def summary(self, asset_id: str, timestamp: int | None = None) -> dict[str, Any]:
        """The full book summary of a token (REST ``/book`` plus event_type; every hashed field)."""
        return self.books[asset_id].summary(self.clock() if timestamp is None else timestamp)

    # ----------------------------------------------------------------- publishing
    def _emit_market(self, event: dict[str, Any]) -> None:
        for listener in list(self.market_listeners):
            listener(event)

    def _emit_user(self, owners: set[str], event: dict[str, Any]) -> None:
        for owner in sorted(owners):
            for listener in list(self.user_listeners):
                listener(owner, event)

    def _new_id(self) -> str:
        return "0x" + f"{self._ids.getrandbits(256):064x}"

    def _new_uuid(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # ----------------------------------------------------------------- books
    def _create_market(self) -> Market:
        market = generate_market(self._generator, len(self.markets))
        yes, no = opening_books(market, self._generator, self.book_depth)
        self.markets.append(market)
        for book in (yes, no):
            self.books[book.asset_id] = book
            self._market_of[book.asset_id] = market
        return market

    def _background(self, asset_id: str, side: str, price: Decimal) -> Decimal:
        """Size at a level that is not the users' own (theirs on either token of the market)."""
        other = self._market_of[asset_id].other(asset_id)
        mine = self._user_size[(asset_id, side, price)]
        mirrored = self._user_size[(other, flip_side(side), mirror_price(price))]
        return self.books[asset_id].size_at(side, price) - mine - mirrored

    def _best(self, book: Book) -> tuple[Decimal | None, Decimal | None]:
        """best_bid/best_ask for a price_change entry: None (sent as "") for an empty side, or
        with ``empty_side="bound"`` the price bound beyond the range, "0" for no bid and "1" for
        no ask, as in Polymarket's docs price_change example (tests/wire/corpus/docs/
        market-channel_price_change.json): best_ask "1" beside a lone bid, best_bid "0" beside a
        lone ask."""
        bid, ask = book.best_bid, book.best_ask
        if self.empty_side == "bound":
            bid = Decimal(0) if bid is None else bid
            ask = Decimal(1) if ask is None else ask
        return bid, ask

    def _apply(self, asset_id: str, side: str, price: Decimal, size: Decimal, ts: int) -> list:
        """Set a level and its mirror; one price_change entry each.

        An entry's `hash` is documented as the "Hash of the order that caused this change"
        (AsyncAPI); the mock sends an opaque SHA-1 per change. Observed otherwise: in the
        2026-09-29 crossing-burst capture (tests/wire/corpus) 47 of 49 Yes-token entry hashes
        equal that token's book hash right after the entry, and the two inside the trade batch
        carry the post-batch book hash (tests/wire/test_book_hash.py). Not reproduced here yet.
        """
        other = self._market_of[asset_id].other(asset_id)
        self._change_count += 1
        change_hash = hashlib.sha1(f"{asset_id}:{ts}:{self._change_count}".encode()).hexdigest()
        entries = []
        for token, token_side, token_price in (
            (asset_id, side, price),
            (other, flip_side(side), mirror_price(price)),
        ):
            book = self.books[token]
            book.set_level(token_side, token_price, size)
            best_bid, best_ask = self._best(book)
            entries.append(
                messages.price_change_entry(
                    asset_id=token,
                    price=token_price,
                    size=book.size_at(token_side, token_price),
                    side=token_side,
                    hash=change_hash,
                    best_bid=best_bid,
                    best_ask=best_ask,
                )
            )
        return entries

    def _update(self, market: Market, levels: list[tuple[str, str, Decimal, Decimal]]) -> int:
        """Apply (asset, side, price, new size) levels: price_change, tick and best_bid_ask."""
        ts = self.clock()
        before = {t: (self.books[t].best_bid, self.books[t].best_ask) for t in market.token_ids}
        batch = [self._apply(*level, ts) for level in levels]
        if self.batch_best_prices == "post" and len(batch) > 1:
            # Live trade batch (nautechsystems/nautilus_trader crates/adapters/polymarket/
            # test_data/ws_market_price_change_crossing_burst.json @7b766f88, 2026-09-29): one
            # price_change per level, same timestamp, and EVERY entry carries its token's best
            # prices after the whole batch, not after its own level.
            after = {t: self._best(self.books[t]) for t in market.token_ids}
            for entries in batch:
                for entry in entries:
                    bid, ask = after[entry["asset_id"]]
                    entry.update(best_bid=messages.fmt(bid), best_ask=messages.fmt(ask))
                self._emit_market(messages.price_change_event(market.condition_id, entries, ts))
        elif batch:
            entries = [entry for entries in batch for entry in entries]
            self._emit_market(messages.price_change_event(market.condition_id, entries, ts))
        self._check_tick(market, ts)
        for token in market.token_ids:
            book = self.books[token]
            if (book.best_bid, book.best_ask) != before[token]:
                self._emit_market(
                    messages.best_bid_ask_event(
                        token, market.condition_id, book.best_bid, book.best_ask, ts
                    )
                )
        return ts

    def _check_tick(self, market: Market, ts: int) -> None:
        """Docs: the tick changes when the book's price goes above 0.96 or below 0.04."""
        yes = self.books[market.token_ids[0]]
        extreme = (yes.best_bid or 0) > _TICK_HIGH or (yes.best_ask or 1) < _TICK_LOW
        saved = self._tick_before_extreme.get(market.condition_id)
        if extreme and saved is None:
            self._tick_before_extreme[market.condition_id] = Decimal(market.tick_size)
            small = min(_SMALL_TICK, Decimal(market.tick_size))
            self.set_tick_size(market.condition_id, small, ts=ts)
        elif not extreme and saved is not None:
            del self._tick_before_extreme[market.condition_id]
            self.set_tick_size(market.condition_id, saved, ts=ts)

    def set_tick_size(self, condition_id: str, tick_size: Decimal | str, ts: int | None = None):
        """Change a market's tick size now (emits `tick_size_change` for both tokens)."""
        market = self.market_by_condition(condition_id)
        new = Decimal(str(tick_size))
        ts = self.clock() if ts is None else ts
        market.tick_size = messages.fmt(new)
        for token in market.token_ids:
            book = self.books[token]
            if book.tick_size != new:
                old, book.tick_size = book.tick_size, new
                self._emit_market(
                    messages.tick_size_change_event(token, market.condition_id, old, new, ts)
                )

    def _trade_prints(self, asset_id: str, taker_side: str, price: Decimal, size: Decimal, ts):
        """After a match: `last_trade_price` for the traded token, then both `book`s.

        The books are post-trade books: no tick_size and no last_trade_price (closing book of
        the 2026-09-29 crossing burst capture; see `messages.ws_book_event`).
        """
        market = self._market_of[asset_id]
        self.books[asset_id].last_trade_price = price
        # Every 2026 last_trade_price seen carries the settlement transaction hash (docs
        # example; michaelbooth1/weather docs/roadmap/execution-tape-pilot-2026-08-10-trades.jsonl
        # @82fba8ac): 0x + 64 hex, derived here so the id streams stay as they were.
        self._print_count += 1
        seed = f"{market.condition_id}:{asset_id}:{ts}:{self._print_count}"
        transaction_hash = "0x" + hashlib.sha256(seed.encode()).hexdigest()
        self._emit_market(
            messages.last_trade_price_event(
                asset_id=asset_id,
                market=market.condition_id,
                price=price,
                size=size,
                side=taker_side,
                fee_rate_bps=0,
                timestamp=ts,
                transaction_hash=transaction_hash,
            )
        )
        for token in market.token_ids:
            self._emit_market(self.books[token].snapshot(ts, after_trade=True))

    # ----------------------------------------------------------------- activity
    def step(self, subscribed: set[str]) -> None:
        """One round of generated activity on every market with a subscribed token."""
        for market in self.markets:
            if not market.resolved and subscribed & set(market.token_ids):
                self._step_market(market)

    def _step_market(self, market: Market) -> None:
        rng, yes = self._activity, market.token_ids[0]
        book, tick = self.books[yes], self.books[yes].tick_size
        if rng.random() < 0.1 and book.bids and book.asks:
            taker = rng.choice(("BUY", "SELL"))
            price = book.best_ask if taker == "BUY" else book.best_bid
            maker = flip_side(taker)
            available = self._background(yes, maker, price)
            if available > 0:
                size = min(available, Decimal(rng.randint(100, 5_000)) / 100)
                ts = self._update(market, [(yes, maker, price, book.size_at(maker, price) - size)])
                self._trade_prints(yes, taker, price, size, ts)
                return
        side = rng.choice(("BUY", "SELL"))
        levels = book.side(side)
        if side == "BUY":
            top = (book.best_ask or Decimal(1) - PRICE_FLOOR) - tick
            candidates = [top - k * tick for k in range(self.book_depth + 1)]
        else:
            low = (book.best_bid or PRICE_FLOOR) + tick
            candidates = [low + k * tick for k in range(self.book_depth + 1)]
        candidates = [p for p in candidates if PRICE_FLOOR <= p <= 1 - PRICE_FLOOR]
        if not candidates:
            return
        price = rng.choice(candidates)
        background = Decimal(rng.randint(100, 50_000)) / 100
        if price in levels and len(levels) > 2 and rng.random() < 0.25:
            background = Decimal(0)
        user_part = book.size_at(side, price) - self._background(yes, side, price)
        self._update(market, [(yes, side, price, background + user_part)])

    # ----------------------------------------------------------------- market lifecycle
    def add_market(self) -> Market:
        """Create a market now and announce it with `new_market` (custom feature, global)."""
        market = self._create_market()
        self._emit_market(
            messages.new_market_event(
                id=market.id,
                question=market.question,
                market=market.condition_id,
                slug=market.slug,
                assets_ids=list(market.token_ids),
                outcomes=list(market.outcomes),
                tick_size=market.tick_size,
                timestamp=self.clock(),
            )
        )
        return market

    def resolve_market(self, condition_id: str, winning_outcome: str = "Yes") -> None:
        """Resolve a market and publish `market_resolved` (custom feature)."""
        market = self.market_by_condition(condition_id)
        market.resolved = True
        winner = market.token_ids[market.outcomes.index(winning_outcome)]
        self._emit_market(
            messages.market_resolved_event(
                id=market.id,
                market=condition_id,
                assets_ids=list(market.token_ids),
                outcomes=list(market.outcomes),
                winning_asset_id=winner,
                winning_outcome=winning_outcome,
                timestamp=self.clock(),
                question=market.question,
                slug=market.slug,
            )
        )
