"""--output-format pack-jsonl: the client's JSON lines against the mock's truth after a fault.

The lines are the quickstart's (trading_feed.py): ``book`` lines with levels best first and
``order`` lines with ``status`` and ``size_matched``. Before the fault one resting order of the
account is placed; in the scenarios that cut every link (drop, dead-link, handshake-429) part
of it is filled at once, so the fill falls in the gap and only a REST re-read can show it.
After the scenario the mock goes quiet and, within the recovery bound, every asset's last
``book`` line must be live with the mock's levels and best prices, and the order's last line
must have the mock's status and matched size.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from .harness import Run

__all__ = ["OutputProbe"]

FILL = "4"


def _dec(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


class OutputProbe:
    """One order placed before the fault, a fill in the gap, the comparison at the end."""

    def __init__(self, run: Run) -> None:
        self.run = run
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

    async def judge(self) -> tuple[str | None, str]:
        """(problem or None, what was compared)."""
        run = self.run
        run.mock.config.activity_interval = 3600.0  # the next generated step is an hour away
        await asyncio.sleep(max(0.2, 2 * run.bounds.scale))
        problems: list[str] = []

        def matches() -> bool:
            problems[:] = self._problems()
            return not problems

        await run.wait(matches, run.bounds.upper("recover"))
        compared = f"{len(run.asset_ids)} books" if "market" in run.options.channels else ""
        if self.order_id:
            fill = f" (filled {FILL} while a user connection was down)" if self.filled else ""
            compared += (", " if compared else "") + f"1 order{fill}"
        if problems:
            return "output (pack-jsonl): " + "; ".join(problems[:4]), compared
        return None, compared

    def _last_lines(self) -> tuple[dict[str, dict], dict[str, dict]]:
        books: dict[str, dict] = {}
        orders: dict[str, dict] = {}
        for _, text in self.run.stdout:
            if not text.startswith("{"):
                continue
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if not isinstance(line, dict):
                continue
            if line.get("type") == "book":
                books[str(line.get("asset_id"))] = line
            elif line.get("type") == "order":
                orders[str(line.get("id"))] = line
        return books, orders

    def _problems(self) -> list[str]:
        run = self.run
        books, orders = self._last_lines()
        wrong = []
        for asset in run.asset_ids if "market" in run.options.channels else ():
            line, truth, short = books.get(asset), run.mock.book(asset), asset[:10] + "..."
            if line is None:
                wrong.append(f"{short}: no book line")
                continue
            if line.get("status") != "live":
                wrong.append(f"{short}: last book line {line.get('status')!r}, not live")
                continue
            for side, best in (("bids", "best_bid"), ("asks", "best_ask")):
                expected = [(_dec(v["price"]), _dec(v["size"])) for v in reversed(truth[side])]
                got = [(_dec(p), _dec(s)) for p, s in line.get(side) or []]
                if got != expected:
                    wrong.append(f"{short}: {side} differ from the mock's book")
                    break
                top = expected[0][0] if expected else None
                if _dec(line.get(best)) != top:
                    wrong.append(f"{short}: {best} {line.get(best)} but the mock's is {top}")
                    break
        if self.order_id:
            truth = run.mock.exchange.orders[self.order_id]
            line = orders.get(self.order_id)
            if line is None:
                wrong.append("the order placed before the fault: no order line")
            elif line.get("status") != truth["status"] or _dec(line.get("size_matched")) != _dec(
                truth["size_matched"]
            ):
                wrong.append(
                    f"order: {line.get('status')} matched {line.get('size_matched')}, the mock's "
                    f"{truth['status']} matched {truth['size_matched']}"
                )
        return wrong
