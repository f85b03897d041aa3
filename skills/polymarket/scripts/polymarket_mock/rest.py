"""The REST reads a WebSocket client needs around the stream, with L1/L2 header checks.

* ``POST /auth/api-key`` and ``GET /auth/derive-api-key`` need the L1 headers POLY_ADDRESS,
  POLY_SIGNATURE, POLY_TIMESTAMP, POLY_NONCE. Only their presence and format are checked: the mock
  does NOT recover the EIP-712 signer. Mock choice: the mock has ONE trading account (the first of
  ``config.credentials``: the POLYMARKET_API_* account it was started with, else the demo
  account), and both return ``{"apiKey","secret","passphrase"}`` of that account for ANY signer,
  so a key derived with any wallet sees the user events of the driver, the scenarios and
  ``/_mock/...`` (the real server gives each address its own key).
* ``GET /auth/api-keys`` (L2) returns ``{"apiKeys": [<key>, ...]}``, the keys of the calling
  account (here: the one key). Shape: polymarket-client 0.14.0 parses exactly this
  (``polymarket/_internal/actions/auth.py``, ``parse_api_keys_response``: a tuple of strings) and
  calls it to check existing credentials in ``AsyncSecureClient.create(credentials=...)``;
  py-clob-client-v2 1.2.1 ``get_api_keys()`` returns the body unparsed. (clob-client-v2's
  TypeScript types declare ``apiKeys: ApiKeyCreds[]``; the newer SDK parses strings.)
* ``GET /data/orders`` (LIVE orders), ``GET /data/order/<id>``, ``GET /data/trades`` need the L2
  headers POLY_ADDRESS, POLY_SIGNATURE, POLY_TIMESTAMP, POLY_API_KEY, POLY_PASSPHRASE; the
  signature must be base64url(HMAC_SHA256(base64url_decode(secret), ts + METHOD + path)) with
  the path without its query. Else 401 ``{"error": ...}``. Pages: ``{"data", "next_cursor",
  "limit", "count"}``; the cursor is base64 of an offset ("MA==" first, "LTE=" after the last).
* Unauthenticated: ``GET /book?token_id=`` (a book like the `book` event, without event_type),
  ``GET /time`` (Unix seconds), ``GET /ok``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import messages
from .accounts import Accounts, Credentials, l2_signature
from .exchange import Exchange
from .faults import Faults

__all__ = ["RestApi", "FIRST_CURSOR", "END_CURSOR", "HtmlPage"]

FIRST_CURSOR, END_CURSOR = "MA==", "LTE="
Reply = tuple[int, Any]
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
_DIGITS = re.compile(r"^\d+$")


def _error(status: int, text: str) -> Reply:
    return status, {"error": text}


class HtmlPage(str):
    """A reply body sent as text/html, as a proxy's error page (the echo-secrets test fault)."""


class RestApi:
    """Answers REST requests from the exchange state; `clock` gives Unix ms."""

    def __init__(self, exchange: Exchange, accounts: Accounts, page_size: int = 100) -> None:
        self.exchange = exchange
        self.accounts = accounts
        self.page_size = page_size
        self.clock: Callable[[], int] = lambda: exchange.clock()
        self.faults: Faults | None = None  # set by the server: the echo-secrets test fault

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> Reply | None:
        """Answer a request, or None when the path is not a REST path of the mock."""
        url = urlsplit(target)
        path, query = url.path, {k: v[-1] for k, v in parse_qs(url.query).items()}
        if path in ("/auth/api-key", "/auth/derive-api-key"):
            wanted = "POST" if path == "/auth/api-key" else "GET"
            if method != wanted:
                return _error(405, f"use {wanted} {path}")
            return self._api_key(headers)
        if path == "/auth/api-keys":
            if method != "GET":
                return _error(405, f"use GET {path}")
            creds = self._l2(method, path, headers)
            if isinstance(creds, tuple):
                return creds
            return 200, {"apiKeys": [creds.api_key]}
        if path == "/ok":
            return 200, "OK"
        if path == "/time":
            return 200, self.clock() // 1000
        if path == "/book":
            token = query.get("token_id", "")
            if token not in self.exchange.books:
                return _error(404, "No orderbook exists for the requested token id")
            book = self.exchange.summary(token)
            book.pop("event_type")
            return 200, book
        if path in ("/data/orders", "/data/trades") or path.startswith("/data/order/"):
            if method != "GET":
                return _error(405, f"use GET {path}")
            creds = self._l2(method, path, headers)
            if isinstance(creds, tuple):
                return creds
            page = self.faults.rest_echo() if self.faults is not None else None
            if page is not None:
                return self._echo(page, creds, headers)
            if path == "/data/orders":
                return self._orders(creds, query)
            if path == "/data/trades":
                return self._trades(creds, query)
            return self._order(creds, path.removeprefix("/data/order/"))
        return None

    # ------------------------------------------------------------ auth
    def _api_key(self, headers: Mapping[str, str]) -> Reply:
        address = headers.get("POLY_ADDRESS", "")
        problems = [
            name
            for name, pattern, value in (
                ("POLY_ADDRESS", _ADDRESS, address),
                ("POLY_SIGNATURE", _SIGNATURE, headers.get("POLY_SIGNATURE", "")),
                ("POLY_TIMESTAMP", _DIGITS, headers.get("POLY_TIMESTAMP", "")),
                ("POLY_NONCE", _DIGITS, headers.get("POLY_NONCE", "")),
            )
            if not pattern.match(value)
        ]
        if problems:
            return _error(401, f"Invalid L1 Request headers: {', '.join(problems)}")
        creds = self.accounts.default
        return 200, {
            "apiKey": creds.api_key,
            "secret": creds.secret,
            "passphrase": creds.passphrase,
        }

    def _l2(self, method: str, path: str, headers: Mapping[str, str]) -> Credentials | Reply:
        names = (
            "POLY_ADDRESS",
            "POLY_SIGNATURE",
            "POLY_TIMESTAMP",
            "POLY_API_KEY",
            "POLY_PASSPHRASE",
        )
        missing = [name for name in names if not headers.get(name)]
        if missing:
            return _error(401, f"Unauthorized/Invalid api key: missing {', '.join(missing)}")
        creds = self.accounts.get(headers["POLY_API_KEY"])
        if creds is None or not hmac.compare_digest(headers["POLY_PASSPHRASE"], creds.passphrase):
            return _error(401, "Unauthorized/Invalid api key")
        try:
            expected = l2_signature(creds.secret, headers["POLY_TIMESTAMP"], method, path)
        except (binascii.Error, ValueError):
            return _error(401, "Unauthorized/Invalid api key: secret is not base64url")
        if not hmac.compare_digest(headers["POLY_SIGNATURE"], expected):
            return _error(401, "Unauthorized/Invalid api key: bad POLY_SIGNATURE")
        return creds

    @staticmethod
    def _echo(page: str, creds: Credentials, headers: Mapping[str, str]) -> Reply:
        """A TEST fault (Faults.echo_secrets_rest): a refusal that quotes the credentials."""
        passphrase = headers["POLY_PASSPHRASE"]
        if page == "json":
            said = f"passphrase {passphrase} secret {creds.secret}"
            return _error(401, f"Unauthorized/Invalid api key: {said}")
        cut = f"POLY_PASSPHRASE {passphrase[:24]}... (secret {creds.secret[:24]}...)"  # pieces
        return 502, HtmlPage(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
            f"<p>upstream refused the request: {cut}</p></body></html>\n"
        )

    # ------------------------------------------------------------ reads
    def _page(self, items: list[dict[str, Any]], query: Mapping[str, str]) -> Reply:
        cursor = query.get("next_cursor") or FIRST_CURSOR
        if cursor == END_CURSOR:
            return 200, messages.rest_page([], END_CURSOR, self.page_size)
        try:
            offset = int(base64.b64decode(cursor).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return _error(400, f"invalid next_cursor {cursor!r}")
        page = items[offset : offset + self.page_size]
        more = offset + self.page_size < len(items)
        following = base64.b64encode(str(offset + self.page_size).encode()).decode()
        return 200, messages.rest_page(page, following if more else END_CURSOR, self.page_size)

    @staticmethod
    def _matches(item: dict[str, Any], query: Mapping[str, str]) -> bool:
        return all(item[key] == query[key] for key in ("market", "asset_id", "id") if key in query)

    def _orders(self, creds: Credentials, query: Mapping[str, str]) -> Reply:
        orders = [
            dict(order, associate_trades=list(order["associate_trades"]))
            for order in self.exchange.orders.values()
            if order["owner"] == creds.api_key
            and order["status"] == "LIVE"
            and self._matches(order, query)
        ]
        return self._page(orders, query)

    def _order(self, creds: Credentials, order_id: str) -> Reply:
        order = self.exchange.orders.get(order_id)
        if order is None or order["owner"] != creds.api_key:
            return _error(404, f"order {order_id} not found")
        return 200, dict(order, associate_trades=list(order["associate_trades"]))

    def _trades(self, creds: Credentials, query: Mapping[str, str]) -> Reply:
        after, before = query.get("after"), query.get("before")
        trades = [
            messages.rest_trade_row(trade)
            for trade_id, trade in self.exchange.trades.items()
            if creds.api_key in self.exchange.trade_owners[trade_id]
            and self._matches(trade, query)
            and (after is None or int(trade["match_time"]) >= int(after))
            and (before is None or int(trade["match_time"]) <= int(before))
        ]
        return self._page(trades, query)
