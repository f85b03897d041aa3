"""The output check: the client's last word on every book and order against the mock's truth.

The client's stdout lines become facts through an adapter (`adapter.py`: the built-in
pack-jsonl for the quickstart's lines, or the reader's own ``--output-adapter FILE.py``).
Before the fault one resting order of the account is placed; in the scenarios that cut every
link (drop, dead-link, the handshake-429 rows) part of it is filled at once, so the fill falls
in the gap and only a REST re-read can show it. After the scenario the mock goes quiet and,
within the recovery bound, every asset's last book fact must be live and equal the mock's book
(levels and/or best prices, as the facts carry), the order's last fact its status and matched
size (if the client reports orders at all), and any trade of the mock the client names the
mock's status (every trade of that order, if it reports trades at all). An adapter that
raises or returns junk stops the check (the scenario's own verdict stands) with a message
naming the file, the line and the fix.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .adapter import Adapter, AdapterError
from .harness import Run
from .leaks import find_leaks

__all__ = ["OutputProbe", "OutputResult"]

FILL = "4"


@dataclass
class OutputResult:
    """`problem`: what differs (None: all equal); `error`: the adapter failed, nothing judged."""

    compared: str
    problem: str | None = None
    error: str | None = None


class _LastWords:
    """The last fact per book, order and trade, read incrementally from the client's stdout."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.read = 0  # stdout lines already parsed
        self.books: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.trades: dict[str, dict[str, Any]] = {}

    def update(self, lines: list[tuple[float, str]]) -> None:
        """Parse the lines not seen yet (AdapterError from the adapter)."""
        while self.read < len(lines):
            number = self.read + 1
            self.read = number  # a failing line is not parsed again
            for fact in self.adapter.facts(lines[number - 1][1], number):
                if fact["kind"] == "book":
                    self.books[fact["asset_id"]] = fact
                elif fact["kind"] == "order":
                    self.orders[fact["id"]] = fact
                else:
                    self.trades[fact["id"]] = fact


class OutputProbe:
    """One order placed before the fault, a fill in the gap, the comparison at the end."""

    def __init__(self, run: Run, adapter: Adapter) -> None:
        self.run = run
        self.adapter = adapter
        self.words = _LastWords(adapter)
        self.order_id: str | None = None
        self.filled = False

    def start(self) -> None:
        run = self.run
        if "user" in run.options.channels:
            asset = run.asset_ids[0]
            bids = run.mock.book(asset)["bids"]
            price = bids[-1]["price"] if bids else "0.01"  # best last
            self.order_id = run.mock.exchange.place_order(asset, "BUY", price, "10")
            run.fault_hooks.append(self._fill_in_gap)

    def _fill_in_gap(self) -> None:
        """Right after a drop or a dead link: the fill's events reach no open user socket."""
        if self.order_id is not None and not self.filled:
            self.run.mock.exchange.fill(self.order_id, FILL)
            self.filled = True

    async def judge(self) -> OutputResult:
        run = self.run
        run.mock.config.activity_interval = 3600.0  # the next generated step is an hour away
        await asyncio.sleep(max(0.2, 2 * run.bounds.scale))
        problems: list[str] = []
        errors: list[str] = []

        def matches() -> bool:
            try:
                self.words.update(run.stdout)
            except AdapterError as exc:
                errors.append(self._withheld(str(exc)))
                return True  # nothing more can be judged
            problems[:] = self._problems()
            return not problems

        await run.wait(matches, run.bounds.upper("recover"))
        compared = f"{len(run.asset_ids)} books" if "market" in run.options.channels else ""
        if self.order_id and self.words.orders:
            fill = f" (filled {FILL} while a user connection was down)" if self.filled else ""
            compared += (", " if compared else "") + f"1 order{fill}"
        elif self.order_id:
            compared += (", " if compared else "") + "no order: the client reported none"
        if errors:
            return OutputResult(compared, error=errors[0])
        if problems:
            return OutputResult(
                compared, f"output ({self.adapter.name}): " + "; ".join(problems[:4])
            )
        return OutputResult(compared)

    def _withheld(self, text: str) -> str:
        """An adapter's exception text may quote the client's line: never a secret of it."""
        if find_leaks(self.run.secrets(), {"message": text}):
            return f"{self.adapter.name}: its error message holds a secret (withheld); fix it"
        return text

    def _problems(self) -> list[str]:
        run = self.run
        words = self.words
        wrong = []
        for asset in run.asset_ids if "market" in run.options.channels else ():
            fact, short = words.books.get(asset), asset[:10] + "..."
            if fact is None:
                wrong.append(f"{short}: no book line")
            elif not fact["live"]:
                wrong.append(f"{short}: the last book line says it is not live")
            else:
                wrong.extend(f"{short}: {p}" for p in _book_problems(fact, run.mock.book(asset)))
        if self.order_id and words.orders:  # a client that reports no order is judged on books
            truth = run.mock.exchange.orders[self.order_id]
            fact = words.orders.get(self.order_id)
            if fact is None:
                wrong.append("the order placed before the fault: no order line")
            elif fact.get("status", truth["status"]) != truth["status"] or fact.get(
                "size_matched", Decimal(truth["size_matched"])
            ) != Decimal(truth["size_matched"]):
                said = " ".join(
                    part
                    for part in (fact.get("status"), _matched(fact.get("size_matched")))
                    if part
                )
                wrong.append(
                    f"order: {said}, the mock's {truth['status']} matched {truth['size_matched']}"
                )
            wrong.extend(self._trade_problems(truth))
        return wrong

    def _trade_problems(self, order: dict[str, Any]) -> list[str]:
        trades = self.run.mock.exchange.trades
        wrong = []
        for trade_id, fact in self.words.trades.items():
            if trade_id in trades and fact["status"] != trades[trade_id]["status"]:
                wrong.append(
                    f"trade {trade_id[:10]}...: {fact['status']}, the mock's "
                    f"{trades[trade_id]['status']}"
                )
        if self.words.trades:  # the client reports trades: the order's must be among them
            missing = [t for t in order["associate_trades"] if t not in self.words.trades]
            if missing:
                wrong.append(f"{len(missing)} trade(s) of the order never reported")
        return wrong


def _matched(size: Decimal | None) -> str:
    return "" if size is None else f"matched {size}"


def _book_problems(fact: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    """What a live book fact gets wrong against the mock's book (only what the fact carries)."""
    wrong = []
    for side, best in (("bids", "best_bid"), ("asks", "best_ask")):
        expected = sorted(
            ((Decimal(v["price"]), Decimal(v["size"])) for v in truth[side]),
            reverse=side == "bids",
        )
        if side in fact and fact[side] != expected:
            wrong.append(f"{side} differ from the mock's book")
            break
        top = expected[0][0] if expected else None
        if best in fact and fact[best] != top:
            wrong.append(f"{best} {fact[best]} but the mock's is {top}")
            break
    return wrong
