"""The corpus of real Polymarket CLOB WebSocket frames under ``tests/wire/corpus/``.

``manifest.json`` lists every file with its provenance (see ``corpus/README.md``). A ``.json``
file holds one frame, a list of frames, or a list of batches (a batch is a list of frames that
arrived as one JSON array); a ``.jsonl`` file holds one received frame (object or batch) per
line. ``frames(entry)`` flattens any of these into individual frame dicts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "CORPUS",
    "MANIFEST",
    "SUFFIXES",
    "entries",
    "current",
    "old",
    "path",
    "received",
    "frames",
    "events",
    "wire",
]

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "manifest.json"
SUFFIXES = (".json", ".jsonl")


def entries() -> list[dict[str, Any]]:
    """Every manifest entry, in manifest order."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def current() -> list[dict[str, Any]]:
    """Entries whose shapes the live service sends today (era "current")."""
    return [e for e in entries() if e["era"] == "current"]


def old() -> list[dict[str, Any]]:
    """Entries of shapes the service no longer sends (era "old"; see `old_because`)."""
    return [e for e in entries() if e["era"] == "old"]


def wire(selected: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Only WebSocket entries (channel market or user), not REST captures kept for comparison."""
    return [e for e in (entries() if selected is None else selected) if e["channel"] != "rest"]


def path(entry: dict[str, Any]) -> Path:
    """The file of an entry."""
    return CORPUS / entry["file"]


def received(entry: dict[str, Any]) -> list[Any]:
    """The entry's frames as received: each an event object or a batch (a list of them)."""
    text = path(entry).read_text(encoding="utf-8")
    if path(entry).suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    value = json.loads(text)
    return value if isinstance(value, list) else [value]


def frames(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The individual frames of an entry's file (batches and lists flattened, order kept)."""
    items = received(entry)
    flat: list[dict[str, Any]] = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


def events(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """`frames`, with `event_type` put back where the publisher stored a frame without it.

    An entry whose ``schema`` names an event (e.g. ``ws_user_order_venue_cancel.json``:
    "order") says which; REST entries (``rest_*`` schemas) are returned unchanged.
    """
    schema = entry.get("schema", "")
    if not schema or schema.startswith("rest_"):
        return frames(entry)
    return [f if "event_type" in f else {"event_type": schema, **f} for f in frames(entry)]
