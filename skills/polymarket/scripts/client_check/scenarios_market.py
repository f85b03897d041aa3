"""Market-channel scenarios: a quiet market, closed tokens and text replies, malformed shapes.

Each was missed by the first battery and found by an independent harness (issue 16, part 3).
Wire facts: reference §9.1 (a closed or unknown token is answered with a bare ``[]``; a second
initial subscription with the text ``INVALID OPERATION``). Registered in scenarios.SCENARIOS.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from polymarket_mock.messages import INVALID_OPERATION

from .harness import Run
from .scenarios import Scenario, Verdict, _died, _ended, _ids, _settle, fail, ok

__all__ = ["MARKET_SCENARIOS"]

# Production figures of these scenarios' windows (seconds), scaled like every bound.
QUIET_WINDOW = 90.0  # 1.5x a 60 s data deadline: a client that reconnects on silence does it here
CLOSED_WINDOW = 120.0  # the stall bound: a client probing 2x 30 s then reconnecting does it here
APPLIED_WINDOW = 45.0  # the missing-book bound: a book not applied is asked for again here


def _window(run: Run, production: float) -> tuple[float, str]:
    """(seconds, how they were derived), like Bounds.says()."""
    value = max(production * run.bounds.scale, run.bounds.floor)
    return value, f"{value:.2f} s ({production:g} s x {run.bounds.scale:g})"


def _send_text(run: Run, record: Any, text: str) -> None:
    """Queue a raw text frame on one open connection of the in-process mock."""
    connection = run.mock._live.get(record.id)  # the mock's open connections, by record id
    if connection is not None:
        connection.send_raw(text)


def _asked_again(run: Run, assets: set[str]) -> int:
    """Subscribe frames after each connection's first that name any of `assets`."""
    return sum(
        bool(assets & set(frame.get("assets_ids") or []))
        for record in run.records("market")
        for frame in record.subscriptions[1:]
        if frame.get("operation", "subscribe") == "subscribe"
    )


def _reconnects(run: Run, since: float, targets: list[Any]) -> list[str]:
    """Why the market side was not left alone since `since` (empty: it was)."""
    problems = []
    ended = [r for r in targets if r.closed_at is not None]
    if ended:
        problems.append(", ".join(f"market #{r.id} {_ended(r)}" for r in ended))
    shakes = run.handshakes("market", since)
    if shakes:
        problems.append(f"{len(shakes)} new market handshake(s)")
    return problems


# ---------------------------------------------------------------- quiet market
async def quiet_market(run: Run) -> Verdict:
    """No market data for 1.5x a data deadline while PONGs flow; a probe (subscribe) is answered
    with an unchanged book: a healthy quiet connection must not be replaced."""
    await _settle(run)
    run.mock.config.activity_interval = 3600.0  # the next generated step is an hour away
    targets = [r for r in run.open_records("market") if r.subscribed_at]
    since = run.now
    window, said = _window(run, QUIET_WINDOW)
    await run.wait(lambda: False, window)
    if not run.alive:
        return fail(f"in a quiet market: {_died(run)}")
    problems = _reconnects(run, since, targets)
    probes = _asked_again(run, set(run.asset_ids))
    if problems:
        return fail(
            f"a quiet market ({said} without data, PONGs flowing, {probes} probe(s) answered "
            "with an unchanged book) was taken for a stall: " + "; ".join(problems)
        )
    pings = sum(1 for r in targets for t in r.pings if t >= since)
    return ok(
        f"{said} without market data on {_ids(targets)}: kept ({pings} PINGs answered, "
        f"{probes} probe(s) answered with an unchanged book)"
    )


# ---------------------------------------------------------------- closed token
def _close_first_market(run: Run) -> None:
    """The first market (the client's first two tokens) is resolved before the client starts:
    the mock answers any subscription of its tokens with a bare `[]` (reference §9.1)."""
    run.mock.exchange.resolve_market(run.mock.markets[0].condition_id)


async def closed_token(run: Run) -> Verdict:
    """Two of the client's tokens are closed (answered `[]`), and `INVALID OPERATION` arrives:
    no crash, no reconnect, the other books keep flowing."""
    closed = set(run.mock.markets[0].token_ids)
    await _settle(run)
    targets = [r for r in run.open_records("market") if r.subscribed_at]
    since = run.now
    for record in targets:
        _send_text(run, record, INVALID_OPERATION)
    window, said = _window(run, CLOSED_WINDOW)
    await run.wait(lambda: False, window)
    if not run.alive:
        return fail(f"after `[]` for a closed token and INVALID OPERATION: {_died(run)}")
    problems = _reconnects(run, since, targets)
    asked = _asked_again(run, closed)
    if problems:
        return fail(
            f"closed tokens (answered `[]`) and INVALID OPERATION: a reconnect loop within "
            f"{said}: "
            + "; ".join(problems)
            + f"; the closed tokens were asked {asked} more time(s)"
        )
    return ok(
        f"2 closed tokens answered `[]` and INVALID OPERATION on {_ids(targets)}: no crash, no "
        f"reconnect in {said}; the closed tokens were asked {asked} more time(s)"
    )


# ---------------------------------------------------------------- malformed shapes
NOT_EVENTS = ["null", "42", "[]", '[1, "x", null]']


def _withhold_first_book(run: Run) -> None:
    run.mock.faults.stall(channel="market", asset_id=run.asset_ids[0])


def _market_junk(run: Run) -> list[str]:
    """Market frames a client must skip without changing a book: JSON that is not an event, no
    event_type, a book whose bids is not a list, price_change entries missing a field."""
    asset = run.asset_ids[1]
    book = run.mock.exchange.snapshot(asset)
    entry = {"asset_id": asset, "price": "0.5", "size": "7", "side": "BUY", "hash": "0"}
    change = {"event_type": "price_change", "market": book["market"], "timestamp": "1"}
    frames = [json.dumps({k: v for k, v in book.items() if k != "event_type"})]
    frames.append(json.dumps({**book, "bids": "0.5:100"}))
    for field in ("price", "size", "side"):
        bad = {k: v for k, v in entry.items() if k != field}
        frames.append(json.dumps({**change, "price_changes": [bad]}))
    return NOT_EVENTS + frames


async def malformed_shapes(run: Run) -> Verdict:
    """In a quiet market, the first asset's first book comes only inside an array mixed with
    junk; then JSON that is not an event, an object without event_type, a bad book and bad
    price_change entries on every socket: no crash, no reconnect, and the valid book is applied
    (the asset is not asked for again)."""
    asset = run.asset_ids[0]
    short = asset[:10] + "..."
    targets = [r for r in run.open_records() if r.subscribed_at]
    markets = [r for r in targets if r.channel == "market"]
    # The market goes quiet first (a generated step would bring a later `book` of the asset),
    # and the last step already under way passes while the asset is still withheld.
    step = run.mock.config.activity_interval or 0.0
    run.mock.config.activity_interval = 3600.0
    await asyncio.sleep(2 * step + 0.05)
    since = run.now
    for record in markets:
        if asset in record.assets:
            book = run.mock.exchange.snapshot(asset)
            _send_text(run, record, json.dumps([1, "x", None, {"id": "junk"}, book, 42]))
    run.mock.faults.clear()  # in the same step: no change can fall between the book and this
    for record in targets:
        junk = _market_junk(run) if record.channel == "market" else NOT_EVENTS + ['{"id": "x"}']
        for text in junk:
            _send_text(run, record, text)
    window, said = _window(run, APPLIED_WINDOW)
    await run.wait(lambda: False, window)
    if not run.alive:
        return fail(f"after malformed frames of every shape: {_died(run)}")
    ended = [r for r in targets if r.closed_at is not None]
    if ended:
        which = ", ".join(f"{r.channel} #{r.id} {_ended(r)}" for r in ended)
        return fail(f"a malformed frame ended {which}")
    fresh = [h for ch in run.options.channels for h in run.handshakes(ch, since)]
    if fresh:
        return fail(f"{len(fresh)} new handshake(s) after the malformed frames")
    if _asked_again(run, {asset}):
        return fail(
            f"the book of {short} came inside an array with junk items and was not applied: "
            f"the client asked for it again within {said}"
        )
    return ok(
        f'non-events (null, 42, [], [1, "x", null]), no event_type, a bad book and entries '
        f"missing price/size/side on {_ids(targets)}: kept, no reconnect; the book of {short} "
        f"inside an array with junk was applied (not asked again in {said})"
    )


MARKET_SCENARIOS = (
    Scenario(
        "quiet-market",
        "no data for 90 s x scale, PONGs flow, probes answered unchanged: no reconnect",
        quiet_market,
        needs=("market",),
    ),
    Scenario(
        "closed-token",
        "2 tokens closed (answered []) and INVALID OPERATION: no crash, no reconnect loop",
        closed_token,
        needs=("market",),
        before_client=_close_first_market,
        book_check=False,  # a closed token has no book to compare
    ),
    Scenario(
        "malformed-shapes",
        "null, 42, [], junk arrays, no event_type, bad book/entries: skipped; valid applied",
        malformed_shapes,
        needs=("market",),
        before_client=_withhold_first_book,
    ),
)
