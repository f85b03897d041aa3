"""Named scripted scenarios for the command line: account activity and one-shot faults.

``trading`` runs for ever: every ``interval`` seconds the next step of a small script of the
default account (place a resting order, get partly filled by a taker who also fills other
makers, take liquidity, cancel, walk trades MATCHED→MINED→CONFIRMED and now and then
MATCHED→RETRYING→MINED or FAILED).

Every other scenario fires once, ``at`` seconds after start:

* connection faults (stall, dead-link, drop, close-1012, malformed, oversized) hit every
  connection open at that moment; for a channel (market, user) with no connection open then,
  the fault waits and hits the next connection of that channel as soon as it has subscribed.
  Either way each connection is hit once, so a client that reconnects afterwards gets a healthy
  connection;
* handshake faults (accept-then-close, reject-429) apply to the next three upgrades;
* account events (fok-killed, market-resolved) happen on the exchange at that moment.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from .server import MockPolymarket

__all__ = ["Scenario", "SCENARIOS", "run_scenario", "trading"]

log = logging.getLogger("polymarket_mock")


PerConnection = Callable[[MockPolymarket, int], Awaitable[None] | None]


@dataclass(frozen=True)
class Scenario:
    """A named script: `fault` (one-shot) scenarios fire once at `at`; others run for ever.

    A scenario with `each` is a connection fault: `each(mock, connection_id)` hits every open
    connection at `at`, and is armed for the next connection of any channel with none open.
    """

    name: str
    help: str
    action: Callable[[MockPolymarket], Awaitable[None] | None] | None = None
    fault: bool = True
    each: PerConnection | None = None


CHANNELS = ("market", "user")


def _open(mock: MockPolymarket) -> list:
    return [r for r in mock.connections if r.closed_at is None]


async def _hit(mock: MockPolymarket, name: str, each: PerConnection) -> None:
    """Hit the open connections now; arm the fault for channels with no open connection."""
    records = _open(mock)
    results = [each(mock, record.id) for record in records]
    await asyncio.gather(*(r for r in results if r is not None))
    for channel in CHANNELS:
        if not any(record.channel == channel for record in records):
            mock.faults.arm(name, channel, functools.partial(each, mock))


def _fok_killed(mock: MockPolymarket) -> None:
    """The default account sends a FOK buy one share larger than the best ask holds: killed."""
    exchange, asset = mock.exchange, mock.asset_ids[0]
    book = exchange.books[asset]
    price = book.best_ask if book.best_ask is not None else book.tick_size
    size = (exchange.outside_size(asset, "SELL", price) if book.best_ask is not None else 0) + 1
    order_id, _ = exchange.fill_or_kill(asset, "BUY", price, size)
    log.info("scenario fok-killed: order %s killed", order_id)


def _market_resolved(mock: MockPolymarket) -> None:
    """The default account rests a bid on the first market, then the market resolves Yes."""
    exchange, market = mock.exchange, mock.markets[0]
    yes = market.token_ids[0]
    book = exchange.books[yes]
    price = book.best_bid if book.best_bid is not None else book.tick_size
    exchange.place_order(yes, "BUY", price, 10)
    exchange.resolve_market(market.condition_id, market.outcomes[0])
    log.info("scenario market-resolved: %s resolved", market.condition_id)


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
            # the same taker also fills up to 3 shares of other makers at that price, so the
            # trade lists several makers, as live maker trades do
            others = min(exchange.outside_size(asset, "BUY", price), Decimal(rng.randint(1, 3)))
            first = exchange.fill(
                order_id,
                Decimal(exchange.orders[order_id]["original_size"]) / 2,
                others=[others] if others > 0 else [],
            )
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
            "data stops (PONG still answered) on open connections, or the next one per channel",
            each=lambda m, cid: m.faults.stall(connection_id=cid),
        ),
        Scenario(
            "dead-link",
            "silent both ways (no PONG): open connections, or the next one per channel",
            each=lambda m, cid: m.faults.dead_link(connection_id=cid),
        ),
        Scenario(
            "drop",
            "TCP lost without a close frame: open connections, or the next one per channel",
            each=lambda m, cid: m.faults.drop(connection_id=cid),
        ),
        Scenario(
            "close-1012",
            "closed with 1012 service restart: open connections, or the next one per channel",
            each=lambda m, cid: m.faults.close(1012, "service restart", connection_id=cid),
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
            "one non-JSON frame: open connections, or the next one per channel",
            each=lambda m, cid: m.faults.send_malformed(connection_id=cid),
        ),
        Scenario(
            "oversized",
            "one valid 2 MB frame: open connections, or the next one per channel",
            each=lambda m, cid: m.faults.send_oversized(2_000_000, connection_id=cid),
        ),
        Scenario(
            "echo-secrets",
            "TEST fault, not live: user connections get their credentials back in their own "
            "subscription, an INVALID OPERATION text and a 1008 close reason",
            each=lambda m, cid: m.faults.echo_secrets(connection_id=cid),
        ),
        Scenario(
            "fok-killed",
            "the default account's FOK buy cannot fill: killed, status CANCELED_order couldn't...",
            _fok_killed,
        ),
        Scenario(
            "market-resolved",
            "a bid of the default account rests, the first market resolves: market_resolved, "
            "then CANCELLATION with status CANCELED_MARKET_RESOLVED",
            _market_resolved,
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
    log.info("scenario %s fires (%d connections open)", name, len(_open(mock)))
    if scenario.each is not None:
        await _hit(mock, name, scenario.each)
        return
    assert scenario.action is not None
    result = scenario.action(mock)
    if result is not None:
        await result
