"""The pack's front door (realtime.py), time-compressed, printing its own CSV lines, not JSON:
a client whose output only an adapter can read (the quickstart's csv_adapter.py).

    python custom_lines.py MODULES_DIR SCALE [keeps-old-book]

    book,ASSET,live|stale,BEST_BID,BEST_ASK,PRICE:SIZE PRICE:SIZE ...,PRICE:SIZE ...
    order,ID,STATUS,SIZE_MATCHED
    trade,ID,STATUS

With `keeps-old-book` (the one defect): once a book has gone stale (a gap), it prints the levels
it had before the gap, never the fresh snapshot's.
"""

import sys

sys.path.insert(0, sys.argv[1])
SCALE = float(sys.argv[2])
DEFECT = sys.argv[3] if len(sys.argv) > 3 else ""
if DEFECT not in ("", "keeps-old-book"):
    raise SystemExit(f"unknown defect {DEFECT!r}")

import logging  # noqa: E402

from front_door import scaled_options  # noqa: E402
from realtime import (  # noqa: E402
    BookUpdate,
    LineWriter,
    OrderUpdate,
    Realtime,
    Settings,
    TradeUpdate,
    log_to_stderr,
    serve,
)

last_live: dict[str, tuple[str, str]] = {}  # keeps-old-book: each book's last live levels
before_gap: dict[str, tuple[str, str]] = {}  # keeps-old-book: those levels when it went stale


def levels(side) -> str:
    return " ".join(f"{price}:{size}" for price, size in side.values())


def csv_line(update) -> str | None:
    if isinstance(update, BookUpdate):
        bids = levels(dict(sorted(update.book.bids.items(), reverse=True)))
        asks = levels(dict(sorted(update.book.asks.items())))
        if DEFECT and update.live:
            last_live[update.asset_id] = (bids, asks)
        if DEFECT and not update.live and update.asset_id in last_live:
            before_gap.setdefault(update.asset_id, last_live[update.asset_id])
        if DEFECT and update.asset_id in before_gap:
            bids, asks = before_gap[update.asset_id]
        state = "live" if update.live else "stale"
        best = ["" if p is None else str(p) for p in (update.best_bid, update.best_ask)]
        return ",".join(["book", update.asset_id, state, *best, bids, asks])
    if isinstance(update, OrderUpdate):
        order = update.order
        return f"order,{order.id},{order.status},{order.size_matched}"
    if isinstance(update, TradeUpdate):
        return f"trade,{update.trade.id},{update.trade.status}"
    return None


def main() -> int:
    log_to_stderr(logging.INFO)
    out = LineWriter()

    def emit(update) -> None:
        line = csv_line(update)
        if line is not None:
            out.write(line)

    feed = Realtime(
        Settings.from_env(),
        on_book=emit,
        on_order=emit,
        on_trade=emit,
        **scaled_options(SCALE),  # the front door's
    )
    return serve(feed, writers=[out])


if __name__ == "__main__":
    sys.exit(main())
