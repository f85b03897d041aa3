"""The pack's documented clients as a runner, in the project venv: MarketFeed (books kept), or
RobustConnection + UserEventRouter + OrderTracker wired as user_stream.py (bench/throughput.py)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from runner_io import Counter, finish, parse, wait_done

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: bench, the pack

from bench.pack import install_pack_modules  # noqa: E402
from bench.throughput import market_feed_for, user_connection, user_handler  # noqa: E402


async def main() -> None:
    args, given = parse()
    install_pack_modules()  # reuses the parent's extracted folder (BENCH_PACK_DIR)
    import wire  # its decoder comes from POLYMARKET_JSON (the spec's env): json or orjson

    # The feed reports one event per asset entry, so it counts frames: the count it was sent.
    counter = Counter(args.frames, 1 if given.get("head_events") else 0)
    if args.channel == "market":

        def on_event(_event: dict, _book: object) -> None:
            if feed.connection.stats.messages != counter.count:
                counter.reach(feed.connection.stats.messages)

        feed = market_feed_for(given["assets"], args.url, on_event)
        runner = asyncio.create_task(feed.run())
        stop = feed.stop
    else:
        handle, _tracker = user_handler()

        def on_message(raw: str) -> None:
            handle(raw)
            counter.add()  # one event a frame on the user stream

        connection = user_connection(args.url, on_message)
        runner = asyncio.create_task(connection.run())
        stop = connection.stop
    stopped = await wait_done(counter)
    stop()
    await asyncio.wait_for(runner, 5)
    version = f"pack, decoder {wire.json_in_use}"
    finish(args, counter, version, stopped=stopped, json_decoder=wire.json_in_use)


if __name__ == "__main__":
    asyncio.run(main())
