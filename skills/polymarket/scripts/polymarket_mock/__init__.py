"""A local mock of Polymarket's CLOB real-time API, for tests and for trying examples offline.

One port serves the market channel (``/ws/market``), the user channel (``/ws/user``), the REST
reads a client needs around them (``/auth/api-key``, ``/auth/derive-api-key``, ``/data/orders``,
``/data/order/<id>``, ``/data/trades``, ``/book``) and a control endpoint (``/_mock/...``).
Wire facts follow the team's protocol reference (§1-§4, §8). Quick use::

    async with MockPolymarket(MockConfig(activity_interval=None)) as mock:
        ...  # connect to mock.url + "/ws/market"; drive mock.exchange; inject mock.faults

Where the reference is silent, the mock makes a choice and says so here:

* Book levels are listed best LAST (bids ascending, asks descending), as in the live capture.
* A price_change entry's ``hash`` is an opaque SHA-1 per change: the AsyncAPI calls it the "hash
  of the order that caused this change", so it cannot be recomputed from the book and clients
  must not try. ``book`` hashes are reproducible: a client that applies ``book`` +
  ``price_change`` (+ ``tick_size_change``/``last_trade_price``) in order can recompute the next
  ``book``'s hash. After a trade the mock sends price_change, last_trade_price, then a fresh
  ``book`` for both tokens of the market.
* The No book mirrors the Yes book; one price_change frame carries both tokens' entries, and a
  connection receives only the entries of assets it subscribed to.
* Trades use ``match_time`` (sources disagree; ``matchtime`` also exists on the wire - clients
  should accept both). ``owner``/``trade_owner`` are the receiving account's key;
  ``transaction_hash`` is "" until MINED. The top-level trade ``price`` of a multi-level take is
  the best level's; ``maker_orders`` lists every level.
* Bad or missing user-channel credentials: the socket is closed with no JSON error frame (the
  reference: "observed: socket closed"); the mock uses code 1008 with an empty reason.
* An invalid frame (PING first, not JSON, wrong types, unknown operation) closes the connection
  with 1008 "invalid subscription payload" (observed on the market channel); the mock does the
  same for later frames and on the user channel. A frame over ``max_message_size`` gets 1009.
* ``subscribe_timeout`` and ``ping_timeout`` close with 1008 "subscription timeout" /
  "heartbeat timeout": the real server's codes for these are undocumented.
* Unknown asset ids are accepted and ignored; re-subscribing an active asset sends no new book.
* ``created_at`` is Unix seconds; wire timestamps are Unix ms, anchored once on the wall clock
  and then advanced by the event loop's clock (or fixed with ``MockConfig.epoch_ms``).
* REST: L1 headers are checked for presence and format only (no EIP-712 signer recovery); L2
  HMAC signatures are verified.
"""

from .accounts import DEMO_CREDENTIALS, Credentials, credentials_from_env
from .config import MockConfig
from .connection import ConnectionRecord, HandshakeRecord
from .markets import Market
from .server import HARDHAT_TEST_KEY, MockPolymarket

__all__ = [
    "MockPolymarket",
    "MockConfig",
    "Credentials",
    "DEMO_CREDENTIALS",
    "HARDHAT_TEST_KEY",
    "ConnectionRecord",
    "HandshakeRecord",
    "Market",
    "credentials_from_env",
]
