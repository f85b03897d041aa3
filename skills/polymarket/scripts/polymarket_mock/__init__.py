"""A local mock of Polymarket's CLOB real-time API, for tests and for trying examples offline.

One port serves the market channel (``/ws/market``), the user channel (``/ws/user``), the REST
reads a client needs around them (``/auth/api-key``, ``/auth/derive-api-key``,
``/auth/api-keys``, ``/data/orders``, ``/data/order/<id>``, ``/data/trades``, ``/book``) and a
control endpoint (``/_mock/...``).
Wire facts follow the team's protocol reference (§1-§4, §8). Quick use::

    async with MockPolymarket(MockConfig(activity_interval=None)) as mock:
        ...  # connect to mock.url + "/ws/market"; drive mock.exchange; inject mock.faults

Where the reference is silent, the mock makes a choice and says so here:

* Book levels are listed best LAST (bids ascending, asks descending), as in the live capture.
* A price_change entry's ``hash`` is an opaque SHA-1 per change: the AsyncAPI calls it the "hash
  of the order that caused this change". A 2026 capture shows instead the token's book hash
  after the change (after the whole batch inside a trade batch); the mock does not reproduce
  that yet, so clients must not rely on either. ``book`` hashes are reproducible: a client
  that applies ``book`` + ``price_change`` (+ ``tick_size_change``/``last_trade_price``) in
  order, and takes ``min_order_size``/``neg_risk`` from REST ``/book``, can recompute the next
  ``book``'s hash.
  After a trade the mock sends price_change, last_trade_price, then a fresh ``book`` for both
  tokens of the market.
* Observed (tests/wire/corpus, nautilus_trader captures 2026-08/09): no WebSocket ``book``
  carries ``min_order_size`` or ``neg_risk`` (REST ``/book`` does; the hash covers them), and a
  post-trade ``book`` lacks ``tick_size`` and ``last_trade_price`` too (the initial dump has
  both). ``last_trade_price`` carries a ``transaction_hash`` (2026 captures, docs example).
* Observed (same corpus, 2026-09-29): a trade batch arrives as one price_change per level with
  one timestamp, every entry carrying the best prices AFTER the batch. The mock sends that live
  shape by default; ``MockConfig.batch_best_prices="entry"`` / ``--batch-best-prices entry``
  sends one frame with the running best prices per entry instead. An empty side is "" by
  default (ts-sdk); ``empty_side="bound"`` / ``--empty-side bound`` sends "0"/"1" as the docs
  example does.
* The No book mirrors the Yes book; one price_change frame carries both tokens' entries, and a
  connection subscribed to one token receives the other's entry too, as live (captures of
  2026-05/08); ``sibling_entries=False`` / ``--no-sibling-entries`` keeps only its own.
* Observed (tests/wire/corpus/captures_2026-12): a book's ``last_trade_price`` reads "0.500"
  (three decimals, hashed as written); REST ``/data/trades`` rows have maker ``fee_rate_bps``
  "" and maker prices that are quotients of micro-unit amounts ("0.7210000476613491"), no
  ``trade_owner``; ``new_market`` carries ``taker_base_fee``/``fees_enabled``/``fee_schedule``,
  ``active`` false and ``tags`` []. ``market_resolved`` has the docs table's fields (``outcomes``).
* Trades use ``match_time`` (sources disagree; ``matchtime`` also exists on the wire - clients
  should accept both). ``transaction_hash`` is "" until MINED by default (the AsyncAPI
  example); a 2024 capture (nautilus_trader user_trade2.json) already has it on MATCHED:
  ``MockConfig.transaction_hash_at_match`` / ``--tx-hash-at-match`` does that. The top-level
  trade ``price`` of a multi-level take is the best level's; ``maker_orders`` lists every level.
* Observed (nautilus_trader ws_messages/user_trade1.json, 2024): a trade seen by a MAKER has
  the TAKER's ``owner``, ``trade_owner``, ``maker_address``, ``side``, ``size`` (the taker's
  total) and ``taker_order_id`` on top, and ``maker_orders`` lists every maker; the account's
  own fills are its entries there. ``Exchange.fill(order_id, size, others=[...])`` builds
  exactly that (``others``: other makers at the same price). A taker's trade carries its own
  key on top.
* Observed (NT issue #3987, captures ws_user_order_fok_killed.json and
  ws_user_order_fok_buy_pusd_size.json): a fill-or-kill order that cannot fill in full is killed
  with one ``order`` CANCELLATION whose ``status`` is "CANCELED_order couldn't be fully filled.
  FOK orders are fully filled or killed.", ``size_matched`` "", ``created_at`` "" and ``outcome``
  "" (``Exchange.fill_or_kill``, ``take(order_type="FOK")``, ``/_mock/fok``, ``--scenario
  fok-killed``). The mock sends no PLACEMENT before it (inference from the empty fields).
* Observed (hbr-l/polypy#11): status ``CANCELED_MARKET_RESOLVED``. ``Exchange.resolve_market``
  (``/_mock/resolve``, ``--scenario market-resolved``) sends ``market_resolved`` and then one
  CANCELLATION with that status per LIVE order of the market (shape and order are inferences).
* Binary client frames: undocumented (the AsyncAPI defines text frames only). A mock choice,
  ``MockConfig.binary_frames`` / ``--binary-frames``: "close" (default) closes with 1008
  "invalid subscription payload" like any frame the mock cannot parse; "accept" reads the bytes
  as UTF-8 text.
* Bad or missing user-channel credentials: the socket is closed with no JSON error frame. No
  error frame or close code is documented; user reports suggest the server just closes the
  socket (an inference). The mock uses code 1008 with an empty reason.
* A PING before a valid subscription closes with 1008 "invalid subscription payload": observed
  on the market channel (nautilus_trader#4864). The mock extends the same close to other invalid
  first frames (not JSON, wrong types, unknown operation), to later invalid frames and to the
  user channel; those cases are undocumented. A frame over ``max_message_size`` gets 1009.
* ``subscribe_timeout`` (default 30 s) and ``ping_timeout`` (default off) are the mock's
  choices: the docs only say the server "may close connections that don't subscribe within a
  timeout period", and the official examples PING every 50 s although the docs say 10 s. They
  close with 1008 "subscription timeout" / "heartbeat timeout" (the real codes are undocumented).
* Unknown asset ids are accepted and ignored (undocumented). Re-subscribing an active asset sends
  no new book; the sources say only that the server rejects duplicates in an undocumented way
  while still applying ``custom_feature_enabled``.
* ``created_at`` is Unix seconds, as in the docs' examples (a nautilus fixture has 13-digit ms:
  clients must not trust its unit; ``MockConfig.created_at_ms`` / ``--created-at-ms`` sends ms).
  Wire timestamps are Unix ms, anchored once on the wall clock
  and then advanced by the event loop's clock (or fixed with ``MockConfig.epoch_ms``).
* REST: L1 headers are checked for presence and format only (no EIP-712 signer recovery); L2
  HMAC signatures are verified. The mock trades for one account (the first of
  ``MockConfig.credentials``) and create/derive hands out that account's key to ANY signer, so
  a derived key sees the scripted user events (the real server gives each address its own key).
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
