"""The market channel (/ws/market): subscriptions by token id and routing of book events.

First frame: ``{"assets_ids": [...], "type": "market"}`` (missing type, ``markets: []``,
``operation: "subscribe"``, ``initial_dump``, ``level`` and ``custom_feature_enabled``
tolerated). Then a `book` per known asset unless ``initial_dump`` is false, as one JSON array
(even for one asset, as live) with ``dump_as_array``. Later ``{"operation": "subscribe"|
"unsubscribe", "assets_ids": [...]}`` at any time; newly subscribed assets get their `book`. A
closed (resolved) or unknown token is answered with a bare ``[]``, and a second first-style frame
with the text ``INVALID OPERATION`` (both live, reference §9.1).
`best_bid_ask`, `new_market` and `market_resolved` reach only connections with
``custom_feature_enabled``. A price_change reaches a connection with its own assets' entries and,
as live (``MockConfig.sibling_entries``), those of the market's other token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from . import messages
from .config import MockConfig
from .connection import Connection
from .exchange import Exchange
from .faults import Faults
from .session import INVALID_PAYLOAD, POLICY_VIOLATION, ChannelSession

__all__ = ["MarketHub", "MarketSession", "CUSTOM_EVENTS"]

log = logging.getLogger("polymarket_mock")
CUSTOM_EVENTS = {"best_bid_ask", "new_market", "market_resolved"}


class MarketSession(ChannelSession):
    """One /ws/market connection."""

    def __init__(self, conn: Connection, config: MockConfig, hub: MarketHub) -> None:
        super().__init__(conn, config)
        self.hub = hub
        conn.oversized_frame = self._oversized

    def subscribe(self, text: str) -> None:
        request = messages.parse_market_frame(text, first=True)
        self.record.custom_feature_enabled = bool(request.custom_feature_enabled)
        log.info(
            "#%d market: subscribed to %d assets%s",
            self.record.id,
            len(request.assets_ids),
            " (custom features)" if self.record.custom_feature_enabled else "",
        )
        self._add(request.assets_ids, request.initial_dump)

    def operate(self, text: str) -> None:
        if self._second_subscription(text):
            return
        request = messages.parse_market_frame(text, first=False)
        if request.custom_feature_enabled is not None:
            self.record.custom_feature_enabled = request.custom_feature_enabled
        log.info(
            "#%d market: %s %d assets", self.record.id, request.operation, len(request.assets_ids)
        )
        if request.operation == "subscribe":
            self._add(request.assets_ids, request.initial_dump)
        else:
            self.record.assets.difference_update(request.assets_ids)

    def _second_subscription(self, text: str) -> bool:
        """A later frame shaped like the first (no ``operation``): live answers the text
        ``INVALID OPERATION`` (nautilus_trader PR #3717, reference §9.1) and the frame subscribes
        nothing. Whether live also closes the socket is not known: it stays open unless
        ``config.close_on_invalid_operation``."""
        try:
            value = json.loads(text)
        except (ValueError, TypeError):
            return False
        if not isinstance(value, dict) or "operation" in value:
            return False
        try:
            messages.parse_market_frame(text, first=True)
        except messages.InvalidFrame:
            return False  # not a subscription at all: refused like any bad frame
        log.info("#%d market: second initial subscription: INVALID OPERATION", self.record.id)
        self.conn.send(messages.INVALID_OPERATION, data=False)
        if self.config.close_on_invalid_operation:
            self.record.error = "second initial subscription (INVALID OPERATION)"
            self._timers.append(asyncio.create_task(self._close_after_text()))
        return True

    async def _close_after_text(self) -> None:
        await self.conn.drain()  # the text goes out before the close frame
        await self.conn.close(POLICY_VIOLATION, INVALID_PAYLOAD)

    def _add(self, assets_ids: list[str], initial_dump: bool) -> None:
        # Already-subscribed assets get no second book (the real server rejects duplicates in
        # an undocumented way); closed or unknown ids are kept but never produce data.
        new = [a for a in dict.fromkeys(assets_ids) if a not in self.record.assets]
        self.record.assets.update(new)
        closed = [a for a in new if not self._open(a)]
        if initial_dump:
            ts = self.hub.exchange.clock()
            books = [self.hub.exchange.snapshot(a, ts) for a in new if a not in closed]
            self._send_books(books)
        if closed:
            self._send_closed(closed)

    def _open(self, asset: str) -> bool:
        """A token of a market that trades: known, and its market not resolved."""
        exchange = self.hub.exchange
        return asset in exchange.books and not exchange.market_of(asset).resolved

    def _send_closed(self, closed: list[str]) -> None:
        # "A closed or unknown token gets a bare []" (reference §9.1; captures/2026-12 manifest,
        # unid_rs_live_initial_books_new_market_2026-10). One `[]` per request, after the books
        # of the known ones: live order and count for a mixed request are not known (inference).
        log.info("#%d market: %d closed or unknown asset ids: []", self.record.id, len(closed))
        stalled = self.hub.faults.stalled_assets(self.record)
        if stalled is not None and (not stalled or set(closed) <= stalled):
            return  # a stall withholds every answer
        self.conn.send([])

    def _send_books(self, books: list[dict[str, Any]]) -> None:
        stalled = self.hub.faults.stalled_assets(self.record)
        if stalled is not None:
            books = [b for b in books if stalled and b["asset_id"] not in stalled]
        if books and self.config.dump_as_array:  # live: an array even for one book (§9.1)
            self.conn.send(books)
        else:
            for book in books:
                self.conn.send(book)

    def deliver(self, event: dict[str, Any]) -> None:
        """Send an exchange event if this connection should see it (filters and stalls)."""
        kind = event.get("event_type")
        if kind in CUSTOM_EVENTS and not self.record.custom_feature_enabled:
            return
        if not self.subscribed:
            return
        wanted = set(self.record.assets)
        stalled = self.hub.faults.stalled_assets(self.record)
        if stalled is not None:
            if not stalled:
                return
            wanted -= stalled
        if kind == "new_market":
            self.conn.send(event)
            return
        if not messages.event_assets(event) & wanted:
            return
        if kind == "price_change":
            # Live sends the market's other token's entry too (MockConfig.sibling_entries).
            others = self.config.sibling_entries
            entries = [
                e
                for e in event["price_changes"]
                if e["asset_id"] in wanted or (others and e["asset_id"] not in self.record.assets)
            ]
            event = {**event, "price_changes": entries}
        self.conn.send(event)

    def _oversized(self, size_bytes: int) -> list[dict[str, Any]]:
        """A batched array of current `book` snapshots, repeated up to `size_bytes`."""
        ts = self.hub.exchange.clock()
        assets = [a for a in self.record.assets if a in self.hub.exchange.books]
        assets = assets or self.hub.exchange.asset_ids[:1]
        books = [self.hub.exchange.snapshot(a, ts) for a in assets]
        unit = len(messages.encode(books)) - 2  # without the brackets
        return books * (size_bytes // unit + 1)


class MarketHub:
    """All market sessions; receives every market event from the exchange."""

    def __init__(self, exchange: Exchange, faults: Faults) -> None:
        self.exchange = exchange
        self.faults = faults
        self.sessions: set[MarketSession] = set()
        exchange.market_listeners.append(self.publish)

    def publish(self, event: dict[str, Any]) -> None:
        """Route one event to every session that should see it."""
        for session in list(self.sessions):
            session.deliver(event)

    def subscribed_assets(self) -> set[str]:
        """Union of the assets of open market connections."""
        return {a for s in self.sessions if s.conn.open for a in s.record.assets}
