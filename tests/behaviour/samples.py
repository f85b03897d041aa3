"""Wire-shaped user events for behaviour tests (fields per the protocol reference §2.3)."""

from __future__ import annotations

OWNER = "deadbeef-0000-4000-8000-000000000001"


def order_event(**changes) -> dict:
    """An order event; a change to None removes that field (associate_trades may be null)."""
    event = {
        "event_type": "order",
        "id": "0xorder",
        "owner": OWNER,
        "market": "0xmarket",
        "asset_id": "123",
        "side": "BUY",
        "original_size": "10",
        "size_matched": "0",
        "price": "0.52",
        "associate_trades": None,
        "type": "PLACEMENT",
        "status": "LIVE",
        "timestamp": "1782753357257",
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None or k == "associate_trades"}
