"""Named scripted scenarios for the command line: account activity and one-shot faults.

``trading`` runs for ever: every ``interval`` seconds the next step of a small script of the
default account (place a resting order, get partly filled, take liquidity, cancel, walk trades
MATCHED→MINED→CONFIRMED and now and then MATCHED→RETRYING→MINED or FAILED).

Every other scenario is a fault that fires once, ``at`` seconds after start, on the connections
open at that moment (so a client that reconnects gets a healthy connection), except the
handshake faults, which apply to the next three upgrades.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from .server import MockPolymarket

__all__ = ["Scenario", "SCENARIOS", "run_scenario", "trading"]

log = logging.getLogger("polymarket_mock")


@dataclass(frozen=True)
class Scenario:
    """A named script: `fault` scenarios fire once at `at`; others run for ever."""

    name: str
    help: str
    action: Callable[[MockPolymarket], Awaitable[None] | None]
    fault: bool = True


def _open_ids(mock: MockPolymarket) -> list[int]:
    return [r.id for r in mock.connections if r.closed_at is None]


def _each_open(apply: Callable[[MockPolymarket, int], None]) -> Callable[[MockPolymarket], None]:
    def action(mock: MockPolymarket) -> None:
        for connection_id in _open_ids(mock):
            apply(mock, connection_id)

    return action


async def _close_1012(mock: MockPolymarket) -> None:
    await mock.faults.close(1012, "service restart")


async def trading(mock: MockPolymarket, interval: float = 3.0, seed: int = 0) -> None:
    """The default account trades in a loop, one step every `interval` seconds."""
    rng = random.Random(f"{seed}-trading")
    exchange = mock.exchange

    async def pause() -> None:
        await asyncio.sleep(interval)

    while True:
        asset = rng.choice(mock.asset_ids)
        book = exchange.books[asset]
        tick = book.tick_size
        price = max((book.best_bid or Decimal("0.05")) - tick, tick)
        try:
            order_id = exchange.place_order(asset, "BUY", price, rng.randint(20, 200))
            await pause()
            first = exchange.fill(order_id, Decimal(exchange.orders[order_id]["original_size"]) / 2)
            await pause()
            exchange.advance_trade(first, "MINED")
            other = rng.choice(mock.asset_ids)
            ask = exchange.books[other].best_ask
            second = exchange.take(other, "BUY", ask, 5) if ask is not None else None
            await pause()
            exchange.advance_trade(first, "CONFIRMED")
            exchange.cancel(order_id)
            if second is not None:
                await pause()
                exchange.advance_trade(second, "RETRYING")
                await pause()
                exchange.advance_trade(second, "MINED" if rng.random() < 0.7 else "FAILED")
                if exchange.trades[second]["status"] == "MINED":
                    await pause()
                    exchange.advance_trade(second, "CONFIRMED")
        except (ValueError, KeyError) as exc:  # the book moved under the script: next round
            log.info("trading scenario skipped a step: %s", exc)
        await pause()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("trading", "the default account places, fills, takes, cancels", trading, False),
        Scenario(
            "stall",
            "open connections stop getting data; PONG still answered",
            _each_open(lambda m, cid: m.faults.stall(connection_id=cid)),
        ),
        Scenario(
            "dead-link",
            "open connections go silent both ways (no PONG)",
            _each_open(lambda m, cid: m.faults.dead_link(connection_id=cid)),
        ),
        Scenario(
            "drop", "open connections lose TCP without a close frame", lambda m: m.faults.drop()
        ),
        Scenario(
            "close-1012", "open connections are closed with 1012 service restart", _close_1012
        ),
        Scenario(
            "accept-then-close",
            "the next 3 connections are accepted and closed at once (1011)",
            lambda m: m.faults.accept_then_close(1011, "", times=3),
        ),
        Scenario(
            "reject-429",
            "the next 3 handshakes get HTTP 429",
            lambda m: m.faults.reject_handshake(429, times=3),
        ),
        Scenario(
            "malformed",
            "open connections get one non-JSON frame",
            lambda m: m.faults.send_malformed(),
        ),
        Scenario(
            "oversized",
            "open connections get one valid 2 MB frame",
            lambda m: m.faults.send_oversized(2_000_000),
        ),
    )
}


async def run_scenario(
    mock: MockPolymarket, name: str, at: float = 10.0, interval: float = 3.0
) -> None:
    """Run scenario `name`: a fault fires once after `at` s; `trading` loops every `interval` s."""
    scenario = SCENARIOS[name]
    if not scenario.fault:
        await trading(mock, interval, mock.config.seed)
        return
    await asyncio.sleep(at)
    log.info("scenario %s fires on %d open connections", name, len(_open_ids(mock)))
    result = scenario.action(mock)
    if result is not None:
        await result
