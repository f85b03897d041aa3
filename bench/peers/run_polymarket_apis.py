"""polymarket-apis (PyPI) as a runner, in .venv-bench-polymarket-apis (Python 3.12+).

Its documented async client, `AsyncPolymarketWebsocketsClient`, with its URL attributes
pointed at the blaster. Market: `open_market_connection(token_ids, process_event=...,
local_order_books=LocalOrderBookStore())`: events parsed into its pydantic models AND every
frame applied to its own local book store. User: `open_user_connection(creds=ApiCreds(...))`.
Default queue and overflow settings, as a user gets them.
"""

from __future__ import annotations

import asyncio

from polymarket_apis.clients.websockets_client import (
    AsyncPolymarketWebsocketsClient,
    LocalOrderBookStore,
)
from polymarket_apis.types.clob_types import ApiCreds
from runner_io import Counter, finish, parse, version_of, wait_done


async def main() -> None:
    args, given = parse()
    counter = Counter(given["expected_events"], given.get("head_events", 0))
    client = AsyncPolymarketWebsocketsClient()
    client.url_market = client.url_user = args.url

    def process_event(event: object) -> None:
        counter.add(len(event) if isinstance(event, list) else 1)

    books = LocalOrderBookStore() if args.channel == "market" else None
    if args.channel == "market":
        connection = await client.open_market_connection(
            token_ids=given["assets"],
            custom_feature_enabled=False,
            process_event=process_event,
            local_order_books=books,
        )
    else:
        creds = ApiCreds(key=given["owner"], secret="x", passphrase="x")
        connection = await client.open_user_connection(creds=creds, process_event=process_event)
    stopped = await wait_done(counter)
    held = len(books.token_ids) if books else 0
    invalid = connection.market_book_invalid_reason if books else None
    failures = connection.health().consecutive_failures
    await client.close()
    finish(
        args,
        counter,
        version_of("polymarket-apis"),
        stopped=stopped,
        books_held=held,
        book_invalid_reason=invalid,
        connection_failures=failures,
    )


if __name__ == "__main__":
    asyncio.run(main())
