"""nautilus_trader's Polymarket adapter decoders as a runner, in .venv-bench-nautilus.

Decoding only: each frame goes through the adapter's own msgspec decoders (MARKET_WS_MESSAGE /
USER_WS_MESSAGE from nautilus_trader.adapters.polymarket.websocket.types, as its data and
execution clients build them), received as bytes with the `websockets` package. No book upkeep:
the adapter turns these into OrderBookDeltas inside a trading node (instruments, cache, clock),
which is not run here; the runner keeps the latest book snapshot struct per asset.
"""

from __future__ import annotations

import asyncio
import json

import msgspec
from nautilus_trader.adapters.polymarket.schemas.book import PolymarketBookSnapshot
from nautilus_trader.adapters.polymarket.websocket.types import MARKET_WS_MESSAGE, USER_WS_MESSAGE
from runner_io import Counter, finish, parse, version_of, wait_done
from websockets.asyncio.client import connect

MAX_SIZE = 16 * 2**20


async def main() -> None:
    args, given = parse()
    counter = Counter(given["expected_events"], given.get("head_events", 0))
    decoder = msgspec.json.Decoder(
        MARKET_WS_MESSAGE if args.channel == "market" else USER_WS_MESSAGE
    )
    books: dict[str, PolymarketBookSnapshot] = {}
    failures: list[str] = []
    if args.channel == "market":
        subscription = {"type": "market", "assets_ids": given["assets"], "initial_dump": True}
    else:
        auth = {"apiKey": given["owner"], "secret": "x", "passphrase": "x"}
        subscription = {"auth": auth, "type": "user"}

    async def read() -> None:
        async with connect(args.url, max_size=MAX_SIZE, proxy=None) as ws:
            await ws.send(json.dumps(subscription))
            while True:
                raw = await ws.recv(decode=False)
                try:
                    message = decoder.decode(raw)
                except (msgspec.ValidationError, msgspec.DecodeError) as error:
                    failures.append(str(error)[:200])  # the adapter logs and skips these
                    continue
                items = message if isinstance(message, list) else (message,)
                for item in items:
                    if isinstance(item, PolymarketBookSnapshot):
                        books[item.asset_id] = item
                counter.add(len(items))

    reader = asyncio.create_task(read())
    stopped = await wait_done(counter)
    reader.cancel()
    finish(
        args,
        counter,
        version_of("nautilus_trader"),
        stopped=stopped,
        decode_failures=len(failures),
        first_failure=failures[0] if failures else "",
        books_held=len(books),
    )


if __name__ == "__main__":
    asyncio.run(main())
