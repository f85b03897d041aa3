"""The bundled mock against the corpus of real frames (tests/wire/corpus).

* Every frame of every CURRENT entry passes `polymarket_mock.messages.validate`.
* Every OLD entry is recognised as old: the validator rejects it, naming the old field, and
  never raises.
* The mock PRODUCES every current shape: for each event type in the corpus, the frames the mock
  sends over its sockets have no field reality lacks, every field reality always sends, the same
  JSON value types, and both presence and absence of a field that live captures show both ways.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import urllib.request
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from polymarket_mock.messages import validate

from tests.mock._support import drain, market_socket, user_socket
from tests.wire import corpus

CURRENT = corpus.wire(corpus.current())
OLD = corpus.wire(corpus.old())
# Live captures on or after the 2025-09-15 price_change migration: what the wire does now.
RECENT = datetime.date(2025, 9, 15)


def _frames(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return corpus.events(entry)


@pytest.mark.parametrize("entry", CURRENT, ids=[e["file"] for e in CURRENT])
def test_every_current_frame_validates(entry):
    schema = entry.get("schema")
    for index, frame in enumerate(_frames(entry)):
        if schema and schema.startswith("rest_"):
            assert validate(frame, schema=schema) == [], index
        else:
            assert validate(frame) == [], (index, frame)


@pytest.mark.parametrize("entry", OLD, ids=[e["file"] for e in OLD])
def test_every_old_frame_is_recognised_as_old(entry):
    for frame in _frames(entry):
        errors = validate(frame)  # must not raise
        assert errors, "an old shape passed as current"
        assert any(field in " ".join(errors) for field in entry["old_fields"]), errors


def test_old_entries_name_the_fields_that_make_them_old():
    for entry in OLD:
        assert entry["old_fields"], entry["file"]


# ------------------------------------------------------------------ what the mock produces


def _shape(value: Any, prefix: str, out: dict[str, set[str]]) -> None:
    """Field path -> JSON value types, descending into objects and lists of objects."""
    for key, item in value.items():
        path = f"{prefix}{key}"
        out[path].add(type(item).__name__)
        if isinstance(item, dict):
            _shape(item, f"{path}.", out)
        elif isinstance(item, list):
            for element in item:
                if isinstance(element, dict):
                    _shape(element, f"{path}[].", out)


def _fields(frame: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    _shape(frame, "", out)
    return out


def _live_recent(entry: dict[str, Any]) -> bool:
    date = entry["captured"]["date"]
    return (
        entry["form"] != "docs-example"
        and "example" not in date
        and date[:4].isdigit()
        and datetime.date.fromisoformat(date[:10]) >= RECENT
    )


def _corpus_by_type() -> dict[str, list[tuple[dict[str, Any], bool]]]:
    """event_type -> [(frame, from a recent live capture)] over current WebSocket entries."""
    found: dict[str, list[tuple[dict[str, Any], bool]]] = defaultdict(list)
    for entry in CURRENT:
        if entry.get("schema", "").startswith("rest_"):
            continue
        for frame in _frames(entry):
            found[frame["event_type"]].append((frame, _live_recent(entry)))
    return found


CORPUS_TYPES = _corpus_by_type()
# Fields a documentation table lists that no frame of the corpus carries, which the mock sends.
DOCUMENTED_ONLY = {
    # The docs page market-channel lists `outcomes` in its market_resolved table (its example
    # omits it); polymarket-apis 2.3.0 cannot parse a market_resolved without it.
    "market_resolved": {"outcomes"},
}


async def _mock_frames(mock_factory, **options: Any) -> dict[str, list[dict[str, Any]]]:
    """Drive the mock through every event it can send; return what its sockets carried."""
    async with mock_factory(activity_interval=None, markets=2, **options) as mock:
        subscription = {"assets_ids": mock.asset_ids, "type": "market"}
        async with (
            market_socket(mock, {**subscription, "custom_feature_enabled": True}) as market_ws,
            user_socket(mock) as user_ws,
        ):
            seen = await drain(market_ws, 0.3)
            exchange = mock.exchange
            first, second = mock.markets[0], mock.markets[1]
            asset = first.token_ids[0]
            book = exchange.books[asset]
            resting = exchange.place_order(asset, "BUY", book.best_bid, 20)
            maker_trade = exchange.fill(resting, 5, others=(Decimal(1),))
            exchange.advance_trade(maker_trade, "MINED")
            exchange.take(asset, "BUY", exchange.books[asset].best_ask, 5)
            exchange.fill_or_kill(asset, "BUY", exchange.books[asset].best_ask, 10**7)
            exchange.cancel(resting)
            for _ in range(30):
                exchange.step(set(mock.asset_ids))
            exchange.set_tick_size(second.condition_id, "0.001")
            exchange.add_market()
            exchange.resolve_market(second.condition_id)
            await mock.flush()
            seen += await drain(market_ws, 0.3)
            seen += await drain(user_ws, 0.3)
    produced: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in seen:
        produced[event["event_type"]].append(event)
    return produced


async def test_mock_produces_every_current_shape(mock_factory):
    produced = await _mock_frames(mock_factory)
    problems: list[str] = []
    for kind, real in sorted(CORPUS_TYPES.items()):
        mine = produced.get(kind, [])
        if not mine:
            problems.append(f"{kind}: the mock never sends one")
            continue
        real_shapes = [_fields(frame) for frame, _ in real]
        mine_shapes = [_fields(frame) for frame in mine]
        real_union: dict[str, set[str]] = defaultdict(set)
        for shape in real_shapes:
            for path, types in shape.items():
                real_union[path] |= types
        always = set.intersection(*(set(shape) for shape in real_shapes))
        for path in sorted({p for shape in mine_shapes for p in shape}):
            if path in DOCUMENTED_ONLY.get(kind, ()):
                continue
            if path not in real_union:
                problems.append(f"{kind}: mock sends {path!r}, no real frame has it")
                continue
            types = set().union(*(shape[path] for shape in mine_shapes if path in shape))
            if not types <= real_union[path]:
                problems.append(f"{kind}.{path}: mock types {types} vs real {real_union[path]}")
        for path in sorted(always):
            if any(path not in shape for shape in mine_shapes):
                problems.append(f"{kind}: every real frame has {path!r}, some mock frame lacks it")
        live = [_fields(frame) for frame, recent in real if recent]
        for path in sorted({p for shape in live for p in shape if "." not in p}):
            if all(path in shape for shape in live):
                if any(path not in shape for shape in mine_shapes):
                    problems.append(f"{kind}: every recent live frame has {path!r}, the mock not")
                continue  # not optional on the recent wire
            if all(path in shape for shape in mine_shapes):
                problems.append(f"{kind}: live frames omit {path!r} at times; the mock never does")
            if all(path not in shape for shape in mine_shapes):
                problems.append(f"{kind}: live frames send {path!r} at times; the mock never does")
    assert problems == [], "\n".join(problems)


async def test_rest_book_has_the_captured_rest_fields(mock_factory):
    """REST GET /book keeps what WebSocket books lack (min_order_size, neg_risk): same field
    set and value types as the 2026-08 capture of the public endpoint."""
    (entry,) = [e for e in corpus.entries() if e.get("schema") == "rest_book"]
    (real,) = corpus.frames(entry)
    async with mock_factory(activity_interval=None) as mock:
        url = f"{mock.http_url}/book?token_id={mock.asset_ids[0]}"

        def get() -> dict[str, Any]:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(url, timeout=5) as reply:
                return json.loads(reply.read())

        mine = await asyncio.to_thread(get)
    assert {k: type(v).__name__ for k, v in mine.items()} == {
        k: type(v).__name__ for k, v in real.items()
    }
