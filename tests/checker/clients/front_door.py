"""The pack's front door (realtime.py), time-compressed, printing trading_feed.py's JSON lines.

    python front_door.py MODULES_DIR SCALE

MODULES_DIR holds realtime.py and what it needs (scripts/export_modules.py DIR --only
realtime.py). Every interval of the pack is passed as its production default times SCALE, as
trading_feed.py would run it with the same options; the shutdown bound (serve) is not scaled.
"""

import sys

sys.path.insert(0, sys.argv[1])
SCALE = float(sys.argv[2])

import logging  # noqa: E402

from realtime import JsonLines, Realtime, Settings, log_to_stderr, serve  # noqa: E402


def scaled(**seconds: float) -> dict[str, float]:
    return {name: value * SCALE for name, value in seconds.items()}


def main() -> int:
    settings = Settings.from_env()
    log_to_stderr(logging.INFO)
    out = JsonLines()
    connection = scaled(
        ping_interval=10.0,
        pong_timeout=30.0,
        check_interval=1.0,
        backoff_base=0.5,
        backoff_cap=30.0,
        rate_limited_delay=60.0,
        refused_delay=300.0,
        close_timeout=1.0,
        open_timeout=10.0,
    )
    market = scaled(
        data_timeout=60.0, snapshot_timeout=30.0, asset_silence_timeout=300.0, stagger=0.5
    )
    feed = Realtime(
        settings,
        on_connected=out.emit,
        on_book=out.emit,
        on_order=out.emit,
        on_trade=out.emit,
        on_gap=out.emit,
        check_interval=1.0 * SCALE,
        connection_options=connection,
        market_options=market,
        sync_options=scaled(
            retry_delay=5.0,
            retry_cap=30.0,
            rate_limited_delay=60.0,
            settle_delay=5.0,
            resync_interval=300.0,
            offline_interval=60.0,
        ),
    )
    return serve(feed, writers=[out])


if __name__ == "__main__":
    sys.exit(main())
