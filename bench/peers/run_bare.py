"""The bare loop as a runner: websockets recv() + json.loads, nothing kept (the reference)."""

from __future__ import annotations

import asyncio
import json

from runner_io import Counter, finish, parse, version_of, wait_done
from websockets.asyncio.client import connect

MAX_SIZE = 16 * 2**20  # the documented client's max_size


def subscription(channel: str, assets: list[str], owner: str) -> dict:
    if channel == "user":
        return {"auth": {"apiKey": owner, "secret": "x", "passphrase": "x"}, "type": "user"}
    return {"type": "market", "assets_ids": assets, "initial_dump": True}


async def main() -> None:
    args, given = parse()
    counter = Counter(given["expected_events"], given.get("head_events", 0))

    async def read() -> None:
        async with connect(args.url, max_size=MAX_SIZE, proxy=None) as ws:
            await ws.send(json.dumps(subscription(args.channel, given["assets"], given["owner"])))
            while True:
                value = json.loads(await ws.recv())
                counter.add(len(value) if isinstance(value, list) else 1)

    reader = asyncio.create_task(read())
    stopped = await wait_done(counter)
    reader.cancel()
    finish(args, counter, version_of("websockets"), stopped=stopped)


if __name__ == "__main__":
    asyncio.run(main())
