"""Polymarket's official SDK (polymarket-client) as a runner, in .venv-sdk.

Market: `AsyncPublicClient.subscribe(MarketSpec(token_ids=...))`, events read from the handle
(pydantic models). The SDK keeps no book: the runner keeps the latest book event per asset,
as a user of the SDK would (price_change entries are not applied to it).
User: `AsyncSecureClient.create(credentials=...)` then `subscribe(UserSpec())`. create() checks
the credentials with GET /auth/api-keys, answered by a stub inside this process before timing.

Every URL points at the local host, the way tests/clients/sdk_driver.py (and the SDK's own
integration tests) do it: PRODUCTION_CONFIG forked with create_environment.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from polymarket import ApiKeyCreds, AsyncPublicClient, AsyncSecureClient
from polymarket._internal.environment import PRODUCTION_CONFIG, create_environment
from polymarket.streams import MarketSpec, UserSpec
from runner_io import Counter, finish, parse, version_of, wait_done

PRIVATE_KEY = "0x" + "11" * 32  # a throwaway signer: nothing is signed for the network
SECRET = "YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA=="  # base64, as the L2 HMAC needs


def stub_rest(owner: str) -> ThreadingHTTPServer:
    """GET /auth/api-keys -> our key: the only REST call the user stream needs."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = json.dumps({"apiKeys": [owner]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def environment(url: str, channel: str, rest: str):
    config = replace(
        PRODUCTION_CONFIG,
        clob_url=rest,
        clob_market_ws_url=url if channel == "market" else f"{url}-unused",
        clob_user_ws_url=url if channel == "user" else f"{url}-unused",
        relayer_url=rest,
        gamma_url=rest,
        data_url=rest,
        rfq_url=rest,
        rpc_url=rest,
    )
    return create_environment(name="bench", config=config)


async def main() -> None:
    args, given = parse()
    counter = Counter(given["expected_events"], given.get("head_events", 0))
    books: dict[str, object] = {}
    server = stub_rest(given["owner"]) if args.channel == "user" else None
    rest = f"http://127.0.0.1:{server.server_address[1]}" if server else "http://127.0.0.1:9"
    env = environment(args.url, args.channel, rest)
    if args.channel == "market":
        client = AsyncPublicClient(environment=env)
        handle = await client.subscribe(MarketSpec(token_ids=given["assets"]))
    else:
        from eth_account import Account

        client = await AsyncSecureClient.create(
            private_key=PRIVATE_KEY,
            wallet=Account.from_key(PRIVATE_KEY).address,  # an EOA wallet: no relayer
            environment=env,
            credentials=ApiKeyCreds(key=given["owner"], secret=SECRET, passphrase="bench"),
        )
        handle = await client.subscribe(UserSpec())

    async def read() -> None:
        async for event in handle:
            if event.type == "book":
                books[event.payload.token_id] = event
            counter.add()

    reader = asyncio.create_task(read())
    stopped = await wait_done(counter)
    dropped = handle.dropped
    reader.cancel()
    await handle.close()
    await client.close()
    finish(
        args,
        counter,
        version_of("polymarket-client"),
        stopped=stopped,
        dropped=dropped,
        books_held=len(books),
    )


if __name__ == "__main__":
    asyncio.run(main())
