"""Drive polymarket-apis (PyPI, 2.3.0) against a CLOB WebSocket host; print JSON lines.

Runs under ``.venv-polymarket-apis/bin/python`` (``make polymarket-apis``; the package needs
Python >= 3.12), never under the project's venv. Only the public API is used: the documented
async client ``AsyncPolymarketWebsocketsClient`` with its ``url_market``/``url_user`` pointed at
the given host (as the bench's runner does), ``open_market_connection`` (custom features on, its
own ``LocalOrderBookStore``) and ``open_user_connection``.

    polymarket_apis_driver.py --ws ws://127.0.0.1:PORT --assets ID,ID

Credentials come from POLYMARKET_API_KEY/_SECRET/_PASSPHRASE and are never printed.

Output, one JSON object per line on stdout: ``{"kind": "ready"}`` once both connections have
started, then for every frame the client parsed ``{"kind": "frame", "channel", "models":
[<model class>...], "event_types": [...]}`` (a batch is one frame of several events), and the
client's own log records of WARNING and above as ``{"kind": "log", "event", "message", "model",
"detail"}`` (a payload that failed model validation says so there). Commands on stdin: ``quit``
(or end of input) closes the client and prints ``{"kind": "closed", "books_valid", ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from typing import Any

from polymarket_apis.clients.websockets_client import (
    AsyncPolymarketWebsocketsClient,
    LocalOrderBookStore,
)
from polymarket_apis.types.clob_types import ApiCreds


def emit(kind: str, **fields: Any) -> None:
    """One JSON line on stdout."""
    print(json.dumps({"kind": kind, **fields}, default=str), flush=True)


class EmitLogs(logging.Handler):
    """The client's warnings (validation failures, unknown events, reconnects) as lines."""

    def emit(self, record: logging.LogRecord) -> None:
        emit(
            "log",
            level=record.levelname,
            event=getattr(record, "event", ""),
            message=record.getMessage(),
            model=getattr(record, "model", ""),
            detail=str(getattr(record, "error_detail", ""))[:600],
        )


def frame_callback(channel: str):
    """process_event: one line per parsed frame (a list for a batched frame)."""

    def process_event(event: Any) -> None:
        events = event if isinstance(event, list) else [event]
        emit(
            "frame",
            channel=channel,
            models=[type(e).__name__ for e in events],
            event_types=[getattr(e, "event_type", None) for e in events],
        )

    return process_event


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ws", required=True, help="base WebSocket URL of the host")
    parser.add_argument("--assets", required=True, help="comma-separated token ids")
    args = parser.parse_args()
    handler = EmitLogs(logging.WARNING)
    logging.getLogger("polymarket_apis").addHandler(handler)
    creds = ApiCreds(
        key=os.environ["POLYMARKET_API_KEY"],
        secret=os.environ["POLYMARKET_API_SECRET"],
        passphrase=os.environ["POLYMARKET_API_PASSPHRASE"],
    )
    client = AsyncPolymarketWebsocketsClient()
    client.url_market = f"{args.ws}/ws/market"
    client.url_user = f"{args.ws}/ws/user"
    books = LocalOrderBookStore()
    market = await client.open_market_connection(
        token_ids=args.assets.split(","),
        custom_feature_enabled=True,
        process_event=frame_callback("market"),
        local_order_books=books,
    )
    user = await client.open_user_connection(creds=creds, process_event=frame_callback("user"))
    await asyncio.gather(market.wait_started(), user.wait_started())
    emit("ready")
    loop = asyncio.get_running_loop()
    while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("quit", ""):
        pass
    invalid = market.market_book_invalid_reason
    failures = [market.health().consecutive_failures, user.health().consecutive_failures]
    await client.close()
    emit("closed", books_invalid_reason=invalid, connection_failures=failures)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
