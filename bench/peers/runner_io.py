"""What every runner shares: arguments, the event counter, the stop rule, memory, the result line.

Standard library only: runners run under a peer's own venv (another websockets, maybe another
Python) and import this file from their own folder (a script's folder is first on sys.path).

Protocol: `python run_<client>.py --url URL --frames N --channel market|user --mode
throughput|memory`, stdin one JSON object {"assets": [...], "expected_events": E,
"head_events": H, "owner": "..."}; stdout one JSON line with frames_per_s, events,
expected_events, peak_rss_mib, version (and the memory figures in memory mode).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from importlib import metadata
from pathlib import Path

__all__ = ["Counter", "parse", "finish", "rss_mib", "version_of", "wait_done"]

MIB = 2**20
FIRST_EVENT_TIMEOUT = 30.0  # connect + subscribe + first frame; a runner that never gets one failed
QUIET = 1.0  # seconds without an event after which a run that dropped events ends


def parse() -> tuple[argparse.Namespace, dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--frames", type=int, required=True)
    parser.add_argument("--channel", choices=["market", "user"], required=True)
    parser.add_argument("--mode", choices=["throughput", "memory"], default="throughput")
    args = parser.parse_args()
    return args, json.loads(sys.stdin.read() or "{}")


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / MIB
    return 0.0


def rss_mib() -> float:
    return _status("VmRSS")


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


class Counter:
    """Counts parsed events; times the first and the last; remembers RSS once the dump is in."""

    def __init__(self, expected: int, head: int = 0) -> None:
        self.expected = expected
        self.head = head
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.books_rss = 0.0
        self.done = asyncio.Event()

    def add(self, events: int = 1) -> None:
        self.reach(self.count + events)

    def reach(self, total: int) -> None:
        """The count is now `total` (for a client that counts frames itself)."""
        now = time.perf_counter()
        if not self.count:
            self.first = now
        self.count = total
        self.last = now
        if self.head and not self.books_rss and self.count >= self.head:
            self.books_rss = rss_mib()
        if self.count >= self.expected:
            self.done.set()


async def wait_done(counter: Counter) -> str:
    """Until every expected event arrived, or QUIET s without one; "" or why it stopped early."""
    waited, seen = 0.0, -1
    while not counter.done.is_set():
        try:
            await asyncio.wait_for(counter.done.wait(), 0.1)
        except TimeoutError:
            pass
        if not counter.count:
            waited += 0.1
            if waited > FIRST_EVENT_TIMEOUT:
                return f"no event within {FIRST_EVENT_TIMEOUT:.0f} s"
            continue
        if counter.count != seen:
            seen, quiet_since = counter.count, time.perf_counter()
        elif time.perf_counter() - quiet_since > QUIET:
            return f"quiet for {QUIET:.0f} s after {counter.count} events"
    return ""


def finish(args: argparse.Namespace, counter: Counter, version: str, **extra) -> None:
    """Print the result line. frames_per_s spans the first to the last event, as the bare loop."""
    span = counter.last - counter.first
    result = {
        "frames_per_s": (args.frames - 1) / span if span > 0 else 0.0,
        "events": counter.count,
        "expected_events": counter.expected,
        "peak_rss_mib": _status("VmHWM"),
        "rss_mib": rss_mib(),
        "books_rss_mib": counter.books_rss,
        "version": version,
        "python": sys.version.split()[0],
        **extra,
    }
    print(json.dumps(result), flush=True)
