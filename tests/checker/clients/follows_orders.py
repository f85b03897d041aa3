"""A client whose books are its own orders' tokens: none given at start (for --seed-orders).

    python follows_orders.py MODULES_DIR SCALE

The front door reading no tokens (user_only) and every open order's token subscribed as the
order appears, printed as trading_feed.py's JSON lines. Without --seed-orders the account has
no order at start, so it watches no book and the checker never sees it subscribe.
"""

import sys

sys.path.insert(0, sys.argv[1])
SCALE = float(sys.argv[2])

import asyncio  # noqa: E402
import logging  # noqa: E402

from realtime import JsonLines, Realtime, Settings, log_to_stderr, serve  # noqa: E402


def main() -> int:
    settings = Settings.from_env(user_only=True)  # tokens: from the account's orders only
    log_to_stderr(logging.INFO)
    out = JsonLines()
    pending: set[str] = set()

    def on_order(update) -> None:
        out.emit(update)
        token = update.order.asset_id
        if update.order.is_open and token not in pending:
            pending.add(token)
            asyncio.get_running_loop().create_task(feed.subscribe([token]))

    feed = Realtime(
        settings,
        on_connected=out.emit,
        on_book=out.emit,
        on_order=on_order,
        on_trade=out.emit,
        on_gap=out.emit,
        time_scale=SCALE,
    )
    return serve(feed, writers=[out])


if __name__ == "__main__":
    sys.exit(main())
