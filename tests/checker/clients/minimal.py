"""A small, correct Polymarket client for the checker's tests; each broken client turns on ONE
defect of `DEFECTS` and must fail exactly the checker scenario that targets it.

    python minimal.py SCALE [DEFECT]

Standard library and websockets; configuration from the pack's POLYMARKET_* variables; every
interval is its production value times SCALE. It keeps no books: it only tracks which assets
have had their first `book`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

DEFECTS = {
    "ping-first": "sends a text PING before its subscription",
    "ping-flood": "sends a text PING every 10 ms",
    "no-stall-watchdog": "never notices a feed that stopped while PONGs flow",
    "no-pong-deadline": "never notices a link that stopped answering PING",
    "ignores-server-close": "takes a server's close frame as the end of the stream",
    "no-backoff": "resets its backoff after every accepted handshake (websockets' own loop)",
    "fatal-429": "gives up on HTTP 429",
    "prints-secret": "prints its subscription frame when the server closes the user socket",
    "logs-close-reason": "logs the server's close reason verbatim",
    "crash-on-malformed": "json.loads on every frame, no try",
    "small-max-size": "keeps websockets' default 1 MiB max_size",
    "one-socket": "puts every asset on one connection",
    "no-resubscribe": "never asks again for an asset whose first book did not come",
    "no-close-on-sigterm": "installs no SIGTERM handler (dies without closing)",
    "blind-retry-after": "after HTTP 429 waits Retry-After alone, however short (no floor)",
    "no-429-floor": "after HTTP 429 without Retry-After retries at once",
    "reconnects-on-quiet": "reconnects after 60 s without data, without probing an asset first",
    "reconnects-on-empty": "reconnects while an asset asked for again still has no book",
    "crashes-on-null": "takes every JSON item of a frame for an object (null.get)",
    "drops-mixed-arrays": "drops a whole array frame when one item is not an object",
}

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
DEFECT = sys.argv[2] if len(sys.argv) > 2 else ""
if DEFECT and DEFECT not in DEFECTS:
    raise SystemExit(f"unknown defect {DEFECT!r}")

PING_INTERVAL = (0.01 if DEFECT == "ping-flood" else 10.0) * SCALE
PONG_TIMEOUT = 30.0 * SCALE
DATA_TIMEOUT = 60.0 * SCALE
SNAPSHOT_TIMEOUT = 30.0 * SCALE
BACKOFF_BASE, BACKOFF_CAP = 0.5 * SCALE, 30.0 * SCALE
STABLE_UPTIME = 60.0 * SCALE
RATE_LIMITED = 60.0 * SCALE
CHECK = 1.0 * SCALE
CLOSE_TIMEOUT = 1.0 * SCALE
MAX_PER_CONNECTION = 10_000 if DEFECT == "one-socket" else 200


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Channel:
    """One connection slot: connect, subscribe, heartbeat, watchdogs, reconnect with backoff."""

    def __init__(self, name: str, url: str, first: dict, assets: list[str] | None = None):
        self.name, self.url, self.first = name, url, first
        self.assets = assets  # market only
        self.loop = asyncio.get_running_loop()

    async def run(self, stopping: asyncio.Event) -> None:
        attempt = 0
        while not stopping.is_set():
            delay = None
            opened = None
            try:
                max_size = 2**20 if DEFECT == "small-max-size" else 16 * 2**20
                async with connect(
                    self.url,
                    ping_interval=None,
                    max_size=max_size,
                    close_timeout=CLOSE_TIMEOUT,
                    open_timeout=10 * SCALE,
                ) as ws:
                    opened = self.loop.time()
                    if DEFECT == "no-backoff":
                        attempt = 0
                    end = await self.session(ws, stopping)
                    log(f"{self.name}: {end}")
                    if end == "server closed" and DEFECT == "ignores-server-close":
                        return
            except InvalidStatus as exc:
                status = exc.response.status_code
                log(f"{self.name}: handshake refused with HTTP {status}")
                if status == 429:
                    if DEFECT == "fatal-429":
                        raise
                    after = exc.response.headers.get("Retry-After", "")
                    header = float(after) if after.isdigit() else None
                    if DEFECT == "blind-retry-after" and header is not None:
                        delay = header
                    elif DEFECT == "no-429-floor":
                        delay = header or 0.0
                    else:
                        delay = max(RATE_LIMITED, header or 0.0)
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                log(f"{self.name}: connection failed: {type(exc).__name__}")
            if stopping.is_set():
                return
            if opened is not None and self.loop.time() - opened >= STABLE_UPTIME:
                attempt = 0
            if delay is None:
                delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
                attempt += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await stopping.wait()

    async def session(self, ws, stopping: asyncio.Event) -> str:
        if DEFECT == "ping-first":
            await ws.send("PING")
        await ws.send(json.dumps(self.first))
        now = self.loop.time()
        self.last_pong = self.last_data = self.subscribed_at = now
        self.booked: set[str] = set()
        self.probed_at: float | None = None  # a silence probe out since then
        tasks = [
            asyncio.create_task(self.read(ws)),
            asyncio.create_task(self.heartbeat(ws)),
            asyncio.create_task(self.watch(ws)),
            asyncio.create_task(stopping.wait()),
        ]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        end = next(iter(done)).result()
        if stopping.is_set():
            end = "stopping"
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await ws.close(1000)
        except TimeoutError:
            ws.transport.abort()
        return end if isinstance(end, str) else "stopped"

    async def read(self, ws) -> str:
        try:
            async for message in ws:
                if message == "PONG":
                    self.last_pong = self.loop.time()
                    continue
                self.last_data = self.loop.time()
                if DEFECT == "crash-on-malformed":
                    value = json.loads(message)
                else:
                    try:
                        value = json.loads(message)
                    except ValueError:
                        log(f"{self.name}: ignored a frame that is not JSON")
                        continue
                items = value if isinstance(value, list) else [value]
                if DEFECT == "drops-mixed-arrays" and not all(isinstance(e, dict) for e in items):
                    continue
                for event in items:
                    usable = DEFECT == "crashes-on-null" or isinstance(event, dict)
                    if usable and event.get("event_type") == "book":
                        self.booked.add(str(event.get("asset_id")))
        except ConnectionClosed:
            pass
        closed = ws.protocol.close_rcvd  # None: lost without a close frame
        if closed is not None and closed.code == 1008 and DEFECT == "prints-secret":
            log(f"{self.name}: refused (1008); subscription was {json.dumps(self.first)}")
        if closed is not None and DEFECT == "logs-close-reason":
            log(f"{self.name}: the server closed with {closed.code} {closed.reason!r}")
        return "server closed" if closed is not None else "connection lost"

    async def heartbeat(self, ws) -> str:
        while True:
            await asyncio.sleep(PING_INTERVAL)
            await ws.send("PING")

    async def watch(self, ws) -> str:
        asked: set[str] = set()
        asked_at = 0.0
        while True:
            await asyncio.sleep(CHECK)
            now = self.loop.time()
            if DEFECT != "no-pong-deadline" and now - self.last_pong > PONG_TIMEOUT:
                return f"no PONG for {PONG_TIMEOUT:g} s"
            if self.assets is None:
                continue
            if DEFECT != "no-stall-watchdog" and now - self.last_data > DATA_TIMEOUT:
                # Probe one booked asset first: its fresh book shows a quiet market is alive.
                probed = self.probed_at is not None and self.probed_at > self.last_data
                unanswered = probed and now - self.probed_at > SNAPSHOT_TIMEOUT
                if DEFECT == "reconnects-on-quiet" or unanswered or not self.booked:
                    return f"no data for {DATA_TIMEOUT:g} s"
                if not probed:
                    self.probed_at = now
                    probe = [next(iter(self.booked))]
                    for op in ("unsubscribe", "subscribe"):
                        await ws.send(json.dumps({"operation": op, "assets_ids": probe}))
            missing = [a for a in self.assets if a not in self.booked and a not in asked]
            if (
                DEFECT != "no-resubscribe"
                and missing
                and now - self.subscribed_at > SNAPSHOT_TIMEOUT
            ):
                asked.update(missing)
                asked_at = now
                for op in ("unsubscribe", "subscribe"):
                    await ws.send(json.dumps({"operation": op, "assets_ids": missing}))
            still = [a for a in asked if a not in self.booked]
            if DEFECT == "reconnects-on-empty" and still and now - asked_at > SNAPSHOT_TIMEOUT:
                return "assets still without a book after asking again"


async def main() -> int:
    env = os.environ
    base = env.get("POLYMARKET_WS_URL", "wss://ws-subscriptions-clob.polymarket.com")
    assets = [a for a in env.get("POLYMARKET_ASSET_IDS", "").split(",") if a]
    key, secret, passphrase = (
        env.get(f"POLYMARKET_API_{n}", "") for n in ("KEY", "SECRET", "PASSPHRASE")
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (
        [signal.SIGINT] if DEFECT == "no-close-on-sigterm" else [signal.SIGINT, signal.SIGTERM]
    )
    for sig in signals:
        loop.add_signal_handler(sig, stopping.set)
    channels = []
    for start in range(0, len(assets), MAX_PER_CONNECTION):
        shard = assets[start : start + MAX_PER_CONNECTION]
        first = {"assets_ids": shard, "type": "market", "initial_dump": True}
        channels.append(Channel(f"market-{len(channels)}", f"{base}/ws/market", first, shard))
    if key and secret and passphrase:
        auth = {"apiKey": key, "secret": secret, "passphrase": passphrase}
        first = {"auth": auth, "type": "user", "markets": []}
        channels.append(Channel("user", f"{base}/ws/user", first))
    await asyncio.gather(*(channel.run(stopping) for channel in channels))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
