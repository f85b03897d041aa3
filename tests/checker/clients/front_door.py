"""The pack's front door (realtime.py), time-compressed, printing trading_feed.py's JSON lines.

    python front_door.py MODULES_DIR SCALE

MODULES_DIR holds realtime.py and what it needs (scripts/export_modules.py DIR --only
realtime.py). Every interval of the pack is passed as its production default times SCALE, as
trading_feed.py would run it with the same options (custom_lines.py takes them from here); the
shutdown bound (serve) is not scaled.
"""

import sys

sys.path.insert(0, sys.argv[1])
SCALE = float(sys.argv[2])

import logging  # noqa: E402

from realtime import JsonLines, Realtime, Settings, log_to_stderr, serve  # noqa: E402


def scaled_options(scale: float) -> dict:
    """Realtime's keyword arguments: these intervals at their defaults times `scale`. Not
    Realtime(time_scale=scale): that scales the REST read timeout (10 s), stop_timeout and
    stable_after too, and the 10 s read is what rest_front_door.py's rest-blocks-shutdown
    defect needs to hold up shutdown (at 1 s its scenario no longer fails)."""

    def scaled(**seconds: float) -> dict[str, float]:
        return {name: value * scale for name, value in seconds.items()}

    return {
        "check_interval": 1.0 * scale,
        "connection_options": scaled(
            ping_interval=10.0,
            pong_timeout=30.0,
            check_interval=1.0,
            backoff_base=0.5,
            backoff_cap=30.0,
            rate_limited_delay=60.0,
            refused_delay=300.0,
            close_timeout=1.0,
            open_timeout=10.0,
        ),
        "market_options": scaled(
            data_timeout=60.0, snapshot_timeout=30.0, asset_silence_timeout=300.0, stagger=0.5
        ),
        "sync_options": scaled(
            retry_delay=5.0,
            retry_cap=30.0,
            rate_limited_delay=60.0,
            settle_delay=5.0,
            resync_interval=300.0,
            offline_interval=60.0,
        ),
    }


def main() -> int:
    settings = Settings.from_env()
    log_to_stderr(logging.INFO)
    out = JsonLines()
    feed = Realtime(
        settings,
        on_connected=out.emit,
        on_book=out.emit,
        on_order=out.emit,
        on_trade=out.emit,
        on_gap=out.emit,
        **scaled_options(SCALE),
    )
    return serve(feed, writers=[out])


if __name__ == "__main__":
    sys.exit(main())
