"""The user channel (/ws/user): authenticated order and trade events of one account.

First frame: ``{"auth": {"apiKey", "secret", "passphrase"}, "type": "user", "markets": [...]}``
(``markets`` optional or empty = all markets; ``assets_ids: []`` and ``initial_dump`` tolerated).
Bad or missing credentials: the socket is closed with no JSON error frame. The reference
documents no close code for this (observed: "socket closed"); the mock closes with 1008 and an
empty reason and records "authentication failed" in ``record.error``. No acknowledgement is sent
on success. Later ``{"operation": "subscribe"|"unsubscribe", "markets": [...]}`` change the filter.
"""

from __future__ import annotations

import logging
from typing import Any

from . import messages
from .accounts import Accounts
from .config import MockConfig
from .connection import Connection
from .exchange import Exchange
from .faults import Faults
from .messages import InvalidFrame
from .session import ChannelSession

__all__ = ["UserHub", "UserSession", "AuthFailed"]

log = logging.getLogger("polymarket_mock")


class AuthFailed(InvalidFrame):
    """Credentials missing or wrong: close without a JSON error and without a reason."""

    close_reason = ""


class UserSession(ChannelSession):
    """One /ws/user connection."""

    def __init__(self, conn: Connection, config: MockConfig, hub: UserHub) -> None:
        super().__init__(conn, config)
        self.hub = hub
        conn.oversized_frame = self._oversized

    def subscribe(self, text: str) -> None:
        try:
            request = messages.parse_user_frame(text, first=True)
        except InvalidFrame as exc:
            if "'auth'" not in str(exc):
                raise  # PING first, not JSON, wrong types: invalid subscription payload
            raise AuthFailed(f"authentication failed: {exc}")
        creds = self.hub.accounts.check_ws_auth(request.auth)
        if creds is None:
            raise AuthFailed("authentication failed: unknown apiKey or wrong secret/passphrase")
        self.record.authenticated = True
        self.conn.auth_frame = text  # for the echo-secrets test fault only
        self.record.api_key = creds.api_key
        self.record.markets = set(request.markets) if request.markets else None
        scope = "all markets" if self.record.markets is None else f"{len(request.markets)} markets"
        log.info("#%d user: authenticated as %s, %s", self.record.id, creds.api_key, scope)

    def operate(self, text: str) -> None:
        request = messages.parse_user_frame(text, first=False)
        markets = set(request.markets or [])
        if request.operation == "subscribe":
            if self.record.markets is not None:
                self.record.markets |= markets
        else:
            # Leaving one market while following all: follow every other known market.
            current = self.record.markets
            if current is None:
                current = {m.condition_id for m in self.hub.exchange.markets}
            self.record.markets = current - markets
        log.info("#%d user: %s %d markets", self.record.id, request.operation, len(markets))

    def deliver(self, owner: str, event: dict[str, Any]) -> None:
        """Send an account event if it is this connection's account and market filter."""
        if not self.subscribed or owner != self.record.api_key:
            return
        if self.record.markets is not None and event.get("market") not in self.record.markets:
            return
        stalled = self.hub.faults.stalled_assets(self.record)
        if stalled is not None and (not stalled or event.get("asset_id") in stalled):
            return
        self.conn.send(event)

    def _oversized(self, size_bytes: int) -> list[dict[str, Any]]:
        """A batched array of unknown-type events padded up to `size_bytes` (no state change)."""
        filler = {"event_type": "mock_padding", "padding": "x" * 1000}
        return [filler] * (size_bytes // 1000 + 1)


class UserHub:
    """All user sessions; receives every account event from the exchange."""

    def __init__(self, exchange: Exchange, faults: Faults, accounts: Accounts) -> None:
        self.exchange = exchange
        self.faults = faults
        self.accounts = accounts
        self.sessions: set[UserSession] = set()
        exchange.user_listeners.append(self.publish)

    def publish(self, owner: str, event: dict[str, Any]) -> None:
        """Route one account event to the sessions of that account."""
        for session in list(self.sessions):
            session.deliver(owner, event)
