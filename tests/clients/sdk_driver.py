"""Drive the official Polymarket SDK (polymarket-client) against a CLOB host; print JSON lines.

Runs under ``.venv-sdk/bin/python`` (``make sdk``), never under the project's venv: the SDK pins
websockets<16. Only the SDK's public API is used, with one exception: the SDK has no public way
to point at another host, so the environment is forked from PRODUCTION the way the SDK's own
integration tests do it (Polymarket/py-sdk ``tests/integration/_environment.py``:
``create_environment(name=..., config=replace(PRODUCTION_CONFIG, ...))``). Every service URL
points at the given host, so nothing reaches the network.

    sdk_driver.py --host http://127.0.0.1:PORT --ws ws://127.0.0.1:PORT --wallet 0x...
        [--assets ID,ID] [--user] [--derive]

The private key comes from POLYMARKET_PRIVATE_KEY. Without ``--derive`` the client is created
from the existing credentials in POLYMARKET_API_KEY/_SECRET/_PASSPHRASE (the documented path:
``AsyncSecureClient.create(credentials=...)`` checks them with ``GET /auth/api-keys``); with
``--derive`` the SDK creates or derives them over L1. ``--wallet`` is the signer's own address
(an EOA wallet): the SDK's default, a Deposit Wallet, needs the relayer service.

Output, one JSON object per line on stdout: ``{"kind": "client", ...}`` once the client exists,
``{"kind": "subscribed"}``, then every event the SDK yields as ``{"kind": "event", "event":
<the SDK model, model_dump(mode="json")>}``, SDK log records as ``{"kind": "log", ...}``. Commands,
one per line on stdin: ``rest`` (REST reads, answered with ``{"kind": "rest", ...}``) and ``quit``
(or end of input): close everything, print ``{"kind": "closed", ...}`` and exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from dataclasses import replace
from typing import Any

from polymarket import ApiKeyCreds, AsyncSecureClient
from polymarket._internal.environment import PRODUCTION_CONFIG, create_environment
from polymarket.streams import MarketSpec, UserSpec


def emit(kind: str, **fields: Any) -> None:
    """One JSON line on stdout."""
    print(json.dumps({"kind": kind, **fields}, default=str), flush=True)


class EmitLogs(logging.Handler):
    """Forwards the SDK's log records (stale heartbeat, dropped events, reconnects) as lines."""

    def emit(self, record: logging.LogRecord) -> None:
        emit("log", level=record.levelname, logger=record.name, message=record.getMessage())


def environment(host: str, ws: str):
    """PRODUCTION with every service URL on the mock."""
    config = replace(
        PRODUCTION_CONFIG,
        clob_url=host,
        clob_market_ws_url=f"{ws}/ws/market",
        clob_user_ws_url=f"{ws}/ws/user",
        relayer_url=host,
        gamma_url=host,
        data_url=host,
        rfq_url=host,
        rpc_url=host,
        rtds_ws_url=ws,
        sports_ws_url=ws,
    )
    return create_environment(name="mock", config=config)


async def pump(handle: Any, counts: dict[str, int]) -> None:
    """Print every event a subscription handle yields."""
    async for event in handle:
        counts[event.type] = counts.get(event.type, 0) + 1
        emit("event", event=event.model_dump(mode="json"))


async def rest_reads(client: AsyncSecureClient, assets: list[str]) -> dict[str, Any]:
    """Order books, open orders, account trades and API keys through the SDK."""
    books = [(await client.get_order_book(token_id=a)).model_dump(mode="json") for a in assets]
    orders = [o.model_dump(mode="json") async for o in client.list_open_orders().iter_items()]
    trades = [t.model_dump(mode="json") async for t in client.list_account_trades().iter_items()]
    return {
        "books": books,
        "open_orders": orders,
        "trades": trades,
        "api_keys": list(await client.fetch_api_keys()),
    }


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True, help="CLOB REST base URL")
    parser.add_argument("--ws", required=True, help="WebSocket base URL (no /ws/...)")
    parser.add_argument("--wallet", required=True, help="the signer's address (EOA wallet)")
    parser.add_argument("--assets", default="", help="token ids for the market stream")
    parser.add_argument("--user", action="store_true", help="subscribe to the user stream")
    parser.add_argument("--derive", action="store_true", help="create or derive credentials")
    args = parser.parse_args()
    assets = [a for a in args.assets.split(",") if a]

    logger = logging.getLogger("sdk_driver")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(EmitLogs())
    credentials = None
    if not args.derive:
        credentials = ApiKeyCreds(
            key=os.environ["POLYMARKET_API_KEY"],
            secret=os.environ["POLYMARKET_API_SECRET"],
            passphrase=os.environ["POLYMARKET_API_PASSPHRASE"],
        )
    client = await AsyncSecureClient.create(
        private_key=os.environ["POLYMARKET_PRIVATE_KEY"],
        wallet=args.wallet,
        environment=environment(args.host, args.ws),
        credentials=credentials,
        logger=logger,
    )
    emit(
        "client",
        api_key=client.credentials.key,
        wallet=client.wallet,
        wallet_type=client.wallet_type,
    )
    handles, counts = [], {}
    if assets:
        handles.append(await client.subscribe(MarketSpec(token_ids=assets)))
    if args.user:
        handles.append(await client.subscribe(UserSpec()))
    pumps = [asyncio.create_task(pump(handle, counts)) for handle in handles]
    emit("subscribed", streams=len(handles))

    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "rest":
            emit("rest", **await rest_reads(client, assets))
        elif line in ("quit", ""):
            break
    for handle in handles:
        await handle.close()
    await asyncio.gather(*pumps)
    await client.close()
    emit("closed", counts=counts, dropped=sum(handle.dropped for handle in handles))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
