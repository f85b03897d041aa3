"""`MockConfig`: every knob of the mock, with its documented default."""

from __future__ import annotations

from dataclasses import dataclass

from .accounts import DEMO_CREDENTIALS, Credentials

__all__ = ["MockConfig"]


@dataclass
class MockConfig:
    """Settings of one MockPolymarket. Every interval is in seconds of the event-loop clock."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 0
    """Same seed, same markets, books, ids and generated activity."""
    markets: int = 2
    """Number of generated binary markets (two tokens each)."""
    book_depth: int = 5
    """Levels per side in the opening books."""
    activity_interval: float | None = 1.0
    """Seconds between generated book changes per subscribed market; None = quiet."""
    dump_as_array: bool = True
    """The books sent on subscribe as ONE JSON array frame, even for one asset, as live
    (reference §9.1); else one frame per book."""
    subscribe_timeout: float | None = 30.0
    """Close a connection that sends no valid subscription in time (None = never)."""
    early_ping: str = "close"
    """A text PING before the subscription: "close" = 1008 "invalid subscription payload", as
    observed (nautilus_trader#4864); "record" = kept in ``record.pings`` and otherwise ignored
    (scripts/check_client.py judges it itself and keeps the rest of its run meaningful)."""
    ping_timeout: float | None = None
    """Close a subscribed connection that sends no text PING for this long (None = never)."""
    credentials: tuple[Credentials, ...] = (DEMO_CREDENTIALS,)
    """Accepted L2 accounts; the first is the default driver account."""
    max_message_size: int = 2**20
    """Largest client frame accepted; a bigger one is closed with 1009 (message too big)."""
    binary_frames: str = "close"
    """What a BINARY client frame gets (undocumented on the real service; the AsyncAPI defines
    only text frames): "close" = 1008 "invalid subscription payload", like any frame the mock
    cannot parse; "accept" = decoded as UTF-8 and handled like the same text frame."""
    transaction_hash_at_match: bool = False
    """Trades carry a transaction_hash already when MATCHED, as in a 2024 live capture
    (nautilus_trader user_trade2.json); default "" until MINED, as the AsyncAPI example shows."""
    created_at_ms: bool = False
    """Order events' created_at in Unix ms (seen in a nautilus fixture) instead of seconds."""
    batch_best_prices: str = "post"
    """best_bid/best_ask of a price_change that changes several levels at once (a trade
    sweeping levels): "entry" = one frame, each entry the best prices right after its own level;
    "post" = one frame per level, same timestamp, EVERY entry the best prices after the whole
    batch, as in the live capture nautilus_trader ws_market_price_change_crossing_burst.json
    (2026-09-29), so a client cross-checking entry by entry sees a transient mismatch."""
    empty_side: str = "empty"
    """price_change best price of an empty side: "empty" = "" (ts-sdk bindings); "bound" = "0"
    for no bid and "1" for no ask, as Polymarket's docs price_change example shows. No capture
    settles which the live service sends today."""
    sibling_entries: bool = True
    """A price_change reaches a connection with its entries for tokens the connection did not
    subscribe to (the other token of the market) as well, as live: a one-book initial dump was
    followed by price_changes with an entry for each token of the market (captures of 2026-05
    and 2026-08, tests/wire/corpus/captures_2026-12/). False = only the subscribed tokens'
    entries. Entries of a subscribed token a fault stalls are left out either way."""
    close_on_invalid_operation: bool = False
    """A second initial subscription on a market socket gets the text ``INVALID OPERATION``, as
    live (nautilus_trader PR #3717); whether live then also closes is not known. False = the
    socket stays open; True = it is then closed with 1008 (the only close code seen live)."""
    close_timeout: float = 2.0
    """Seconds the mock waits for the client's close frame after sending its own."""
    page_size: int = 100
    """Items per page of the paginated REST reads."""
    epoch_ms: int | None = None
    """Unix ms at loop time 0 for wire timestamps; None = anchor on the wall clock at start."""
