"""The market channel (/ws/market): subscriptions by token id and routing of book events.

First frame: ``{"assets_ids": [...], "type": "market"}`` (missing type, ``markets: []``,
``operation: "subscribe"``, ``initial_dump``, ``level`` and ``custom_feature_enabled``
tolerated). Then a `book` per known asset unless ``initial_dump`` is false, as one JSON array
when there are several and ``dump_as_array``. Later ``{"operation": "subscribe"|"unsubscribe",
"assets_ids": [...]}`` at any time; newly subscribed assets get their `book`.
`best_bid_ask`, `new_market` and `market_resolved` reach only connections with
``custom_feature_enabled``. A price_change reaches a connection with only its own assets' entries.
"""

from __future__ import annotations

import logging
from typing import Any

from . import messages
from .config import MockConfig
from .connection import Connection
from .exchange import Exchange
from .faults import Faults
from .session import ChannelSession

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

    def _add(self, assets_ids: list[str], initial_dump: bool) -> None:
        # Already-subscribed assets get no second book (the real server rejects duplicates in
        # an undocumented way); unknown ids are kept but never produce data.
        new = [a for a in dict.fromkeys(assets_ids) if a not in self.record.assets]
        self.record.assets.update(new)
        unknown = [a for a in new if a not in self.hub.exchange.books]
        if unknown:
            log.info("#%d market: %d unknown asset ids ignored", self.record.id, len(unknown))
        if initial_dump:
            ts = self.hub.exchange.clock()
            books = [self.hub.exchange.snapshot(a, ts) for a in new if a not in unknown]
            self._send_books(books)

    def _send_books(self, books: list[dict[str, Any]]) -> None:
        stalled = self.hub.faults.stalled_assets(self.record)
        if stalled is not None:
            books = [b for b in books if stalled and b["asset_id"] not in stalled]
        if len(books) > 1 and self.config.dump_as_array:
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
            entries = [e for e in event["price_changes"] if e["asset_id"] in wanted]
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
