"""Mock options that reproduce two real price_change behaviours the corpus shows.

* ``batch_best_prices="post"``: a trade batch arrives as one price_change per level, same
  timestamp, every entry carrying the best prices AFTER the whole batch (crossing-burst capture).
* ``empty_side="bound"``: an empty side's best price is "0" (no bid) or "1" (no ask), as in
  Polymarket's docs price_change example; the default "" is the ts-sdk reading.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from polymarket_mock import MockConfig, MockPolymarket
from polymarket_mock.messages import validate

from tests.wire import corpus

BURST = "nautilus_trader/test_data/ws_market_price_change_crossing_burst.json"
DOCS = "docs/market-channel_price_change.json"


def _entry(name: str) -> dict[str, Any]:
    return next(e for e in corpus.entries() if e["file"] == name)


def _sweep(**options: Any) -> tuple[MockPolymarket, str, list[dict[str, Any]]]:
    """A taker BUY that sweeps every outside ask of the first Yes token (FAK: no rest)."""
    mock = MockPolymarket(MockConfig(seed=11, markets=1, activity_interval=None, **options))
    exchange = mock.exchange
    events: list[dict[str, Any]] = []
    exchange.market_listeners.append(events.append)
    asset = mock.asset_ids[0]
    outside = sum(exchange.books[asset].asks.values(), Decimal(0))
    exchange.take(asset, "BUY", Decimal("0.99"), outside + 7, order_type="FAK")
    return mock, asset, [e for e in events if e["event_type"] == "price_change"]


def _best(frame_entries: list[dict[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for entry in frame_entries:
        found.setdefault(entry["asset_id"], set()).add((entry["best_bid"], entry["best_ask"]))
    return found


def test_the_capture_shows_a_batch_with_post_batch_best_prices():
    """What the option reproduces: the burst's last three frames (one trade) share timestamp
    1790658827000 and every entry carries its token's best prices after the batch."""
    frames = [f for f in corpus.frames(_entry(BURST)) if f["event_type"] == "price_change"]
    batch = [f for f in frames if f["timestamp"] == "1790658827000"]
    assert len(batch) == 3 and all(len(f["price_changes"]) == 2 for f in batch)
    best = _best([e for f in batch for e in f["price_changes"]])
    assert all(len(pairs) == 1 for pairs in best.values()), best
    # ...although the first frame still shows the 0.311 bid the second one removes:
    assert ("0.29", "0.301") in best[batch[0]["price_changes"][1]["asset_id"]]


def test_post_batch_mode_sends_one_frame_per_level_with_the_final_best_prices():
    mock, asset, frames = _sweep(batch_best_prices="post")
    book = mock.exchange.books[asset]
    other = mock.markets[0].other(asset)
    assert len(frames) >= 2, "the sweep must touch several levels"
    assert len({f["timestamp"] for f in frames}) == 1
    assert all(len(f["price_changes"]) == 2 for f in frames)  # one level, mirrored
    final = {
        asset: (book.best_bid, book.best_ask),
        other: (mock.exchange.books[other].best_bid, mock.exchange.books[other].best_ask),
    }
    for frame in frames:
        assert validate(frame) == []
        for entry in frame["price_changes"]:
            bid, ask = final[entry["asset_id"]]
            assert entry["best_bid"] == ("" if bid is None else str(bid.normalize()))
            assert entry["best_ask"] == ("" if ask is None else str(ask.normalize()))


def test_entry_mode_sends_the_running_best_prices_in_one_frame():
    _, asset, frames = _sweep(batch_best_prices="entry")
    assert len(frames) == 1
    asks = [e["best_ask"] for e in frames[0]["price_changes"] if e["asset_id"] == asset]
    assert len(set(asks)) == len(asks) > 1, "each entry: the best ask after its own level"


def test_the_docs_example_uses_bound_sentinels():
    (frame,) = corpus.frames(_entry(DOCS))
    lone_bid, lone_ask = frame["price_changes"]
    assert lone_bid["best_ask"] == "1" and lone_ask["best_bid"] == "0"


@pytest.mark.parametrize(
    ("empty_side", "no_bid", "no_ask"), [("empty", "", ""), ("bound", "0", "1")]
)
def test_empty_side_best_prices(empty_side, no_bid, no_ask):
    mock, asset, frames = _sweep(empty_side=empty_side)
    other = mock.markets[0].other(asset)
    assert not mock.exchange.books[asset].asks and not mock.exchange.books[other].bids
    entries = [e for frame in frames for e in frame["price_changes"]]
    assert [e["best_ask"] for e in entries if e["asset_id"] == asset][-1] == no_ask
    assert [e["best_bid"] for e in entries if e["asset_id"] == other][-1] == no_bid
    for frame in frames:
        assert validate(frame) == []


def test_unknown_option_values_are_refused():
    with pytest.raises(ValueError, match="batch_best_prices"):
        MockPolymarket(MockConfig(batch_best_prices="after"))
    with pytest.raises(ValueError, match="empty_side"):
        MockPolymarket(MockConfig(empty_side="none"))


async def test_the_command_line_sets_both_options(monkeypatch):
    """--batch-best-prices and --empty-side reach the MockConfig the CLI serves with."""
    from polymarket_mock import cli

    seen: list[MockConfig] = []

    class Stop(Exception):
        pass

    class Recorder:
        def __init__(self, config: MockConfig) -> None:
            seen.append(config)

        async def __aenter__(self):
            raise Stop

        async def __aexit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(cli, "MockPolymarket", Recorder)
    options = ["--batch-best-prices", "post", "--empty-side", "bound", "--no-sibling-entries"]
    args = cli.build_parser().parse_args(options)
    with pytest.raises(Stop):
        await cli.serve(args)
    assert (seen[0].batch_best_prices, seen[0].empty_side) == ("post", "bound")
    assert seen[0].sibling_entries is False
    defaults = cli.build_parser().parse_args([])
    # The default is the live shape (2026-09 capture); "" for an empty side (no capture settles it).
    assert (defaults.batch_best_prices, defaults.empty_side) == ("post", "empty")
    assert defaults.sibling_entries is True  # live: 2026-05 and 2026-08 captures
    help_text = cli.build_parser().format_help()
    assert "--batch-best-prices" in help_text and "--empty-side" in help_text
    assert "--no-sibling-entries" in help_text
