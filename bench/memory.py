"""Figure 6: memory of the documented market client holding 200 books, and after a burst.

Each run is a fresh child process (`python -m bench.memory ...`), so RSS belongs to one client:
it subscribes to 200 assets on the frame blaster (an initial dump of 200 books, 20 levels a
side, as one array frame), then reads a burst of price_change/trade/book frames. It reports

* RSS once imports are done (the floor),
* RSS and the Python heap held (tracemalloc, started just before connecting) once every book
  is in place,
* RSS and peak RSS (VmHWM) after the burst.

The bare client (recv + json.loads, keeps nothing) is the floor the documented client is
compared with.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

__all__ = ["MEMORY_ASSETS_STREAM", "memory_sample", "memory_pair"]

MEMORY_ASSETS_STREAM = "market_200"
MIB = 2**20


def _status(field: str) -> int:
    """A memory figure of this process in bytes, from Linux /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _rss() -> int:
    return _status("VmRSS")


def _peak_rss() -> int:
    # VmHWM starts afresh at exec; ru_maxrss of a forked child still counts the parent's pages.
    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_sample(url: str, assets: list[str], burst: int, client: str) -> dict[str, float]:
    """Run one client in a fresh process; its memory figures in MiB (and its frames/s)."""
    command = [sys.executable, "-m", "bench.memory", client, url, str(burst)]
    completed = subprocess.run(
        command,
        cwd=Path(__file__).resolve().parents[1],
        input=json.dumps(assets),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "POLYMARKET_JSON": "json"},  # the standard library decoder
    )
    if completed.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def memory_pair(url: str, assets: list[str], burst: int) -> dict[str, dict[str, float]]:
    """The documented and the bare client at the same time, each in its own process.

    RSS does not depend on speed, so running both at once only saves time.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            client: pool.submit(memory_sample, url, assets, burst, client)
            for client in ("documented", "bare")
        }
        return {client: future.result() for client, future in futures.items()}


async def _documented(url: str, assets: list[str], total: int) -> dict[str, float]:
    from .throughput import market_feed_for

    loop = asyncio.get_running_loop()
    marks: dict[str, float] = {}
    holder = []

    def on_event(_event, _book) -> None:
        feed = holder[0]
        stats = feed.connection.stats
        if "books" not in marks and stats.messages >= 1 and not feed.silent_assets():
            marks["books"] = _rss() / MIB
            marks["heap"] = tracemalloc.get_traced_memory()[0] / MIB
            tracemalloc.stop()
            marks["burst_started"] = loop.time()
        if stats.messages >= total and "burst_ended" not in marks:
            marks["burst_ended"] = loop.time()
            feed.stop()

    tracemalloc.start()
    feed = market_feed_for(assets, url, on_event)
    holder.append(feed)
    async with asyncio.timeout(240):
        await feed.run()
    if tracemalloc.is_tracing():
        tracemalloc.stop()
    marks["books_held"] = sum(not book.awaiting_snapshot for book in feed.books.values())
    return marks


async def _bare(url: str, assets: list[str], total: int) -> dict[str, float]:
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    marks: dict[str, float] = {}
    tracemalloc.start()
    async with connect(url, proxy=None, max_size=16 * MIB) as ws:
        await ws.send(json.dumps({"type": "market", "assets_ids": assets, "initial_dump": True}))
        json.loads(await ws.recv())
        marks["books"] = _rss() / MIB
        marks["heap"] = tracemalloc.get_traced_memory()[0] / MIB
        tracemalloc.stop()
        marks["burst_started"] = loop.time()
        for _ in range(total - 1):
            json.loads(await ws.recv())
        marks["burst_ended"] = loop.time()
    marks["books_held"] = 0
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("client", choices=["documented", "bare"])
    parser.add_argument("url")
    parser.add_argument("burst", type=int, help="frames after the initial dump")
    args = parser.parse_args()
    assets = json.loads(sys.stdin.read())
    from .pack import install_pack_modules

    install_pack_modules()
    import market_feed  # noqa: F401 - imported before the floor is read
    import websockets.asyncio.client  # noqa: F401
    import wire

    floor = _rss() / MIB
    run = _documented if args.client == "documented" else _bare
    marks = asyncio.run(run(args.url, assets, args.burst + 1))
    seconds = marks.pop("burst_ended") - marks.pop("burst_started")
    result = {
        "floor_mib": floor,
        "books_mib": marks["books"],
        "heap_mib": marks["heap"],
        "after_burst_mib": _rss() / MIB,
        "peak_mib": _peak_rss() / MIB,
        "books_held": marks["books_held"],
        "burst_rate": (args.burst - 1) / seconds if seconds > 0 else 0.0,
        "json_decoder": wire.json_in_use,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
