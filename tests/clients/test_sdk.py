"""Polymarket's official Python SDK, unchanged, as a conformance test of the bundled mock.

The SDK (polymarket-client, exact pins in tests/clients/requirements-sdk.lock) runs in its own
venv, .venv-sdk/ (``make sdk``; ``make test`` builds it), because it pins websockets<16. Each
test runs tests/clients/sdk_driver.py there as a subprocess, against a mock serving from a
background thread, and judges the SDK's output against what the mock recorded and sent:

* the market stream: every asset's books, replayed from the SDK's parsed ``book`` and
  ``price_change`` events, equal the mock's REST ``/book`` (and the SDK's own REST reads);
* the user stream: every order and trade event the mock sent is parsed by the SDK, same order,
  same ids, types and statuses, nothing dropped;
* the heartbeat: over 36 s (past the SDK's 30 s staleness limit) the SDK sends text ``PING``
  every 10 s on both sockets, the mock answers each with ``PONG``, and nothing reconnects;
* REST: a client created from existing credentials (``GET /auth/api-keys`` check), one that
  derives them over L1, open orders, account trades, order books;
* a finding pinned: the SDK drops the live FOK-kill order shape (``size_matched`` "").

Without .venv-sdk/ the tests skip, naming ``make sdk``; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import json
import os
import queue
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from polymarket_mock import HARDHAT_TEST_KEY

from tests.clients.driver_process import ROOT, DriverProcess, user_events_sent, venv_python
from tests.fixtures.mock import ThreadedMock
from tests.mock._support import resting_buy_price

SDK_VENV = ROOT / ".venv-sdk"
DRIVER = Path(__file__).with_name("sdk_driver.py")
# The address of HARDHAT_TEST_KEY (public Hardhat/Anvil account #0): the SDK's EOA wallet.
HARDHAT_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
# The SDK's CLOB heartbeat (polymarket/_internal/streams/clob/heartbeat.py): PING every 10 s,
# a socket is stale 30 s after the last PONG, checked every 5 s. Watching 36 s covers one check
# past the staleness limit, so an unanswered PING would have closed the socket.
HEARTBEAT_WATCH = 36.0
PING_INTERVAL = 10.0

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sdk_python() -> Path:
    """The SDK venv's python: skip without it, but fail in CI, which must build it."""
    missing = "the official SDK's venv .venv-sdk/ is missing: run `make sdk` (make test builds it)"
    return venv_python(SDK_VENV, missing)


class Driver(DriverProcess):
    """sdk_driver.py in a subprocess: JSON lines out (read by a thread), commands in."""

    def __init__(self, python: Path, mock: ThreadedMock, *args: str, derive: bool = False):
        env = {
            "PATH": os.environ.get("PATH", ""),
            "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY,
        }
        if not derive:
            env.update(mock.mock.credentials.env())
        command = [str(python), str(DRIVER), "--host", mock.http_url, "--ws", mock.url]
        command += ["--wallet", HARDHAT_ADDRESS, *args] + (["--derive"] if derive else [])
        super().__init__(command, env)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0):
        """The first line (old or new) that satisfies `predicate`."""
        for line in self.lines:
            if predicate(line):
                return line
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._new.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"sdk_driver exited: {self.stderr()}")
            self.lines.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"sdk_driver printed no such line in {timeout} s: {self.stderr()}")

    def kind(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        return self.wait_for(lambda line: line["kind"] == kind, timeout)

    def events(self, topic: str) -> list[dict[str, Any]]:
        return [
            line["event"]
            for line in self.lines
            if line["kind"] == "event" and line["event"]["topic"] == topic
        ]

    def logs(self) -> list[str]:
        return [line["message"] for line in self.lines if line["kind"] == "log"]

    def finish(self) -> int:
        """quit, read to the end, return the exit code."""
        self.send("quit")
        self.kind("closed")
        return self.proc.wait(timeout=15)


def _http(mock: ThreadedMock, path: str, **query: str) -> Any:
    """GET a mock path (REST or /_mock control) without proxies; the decoded JSON body."""
    url = mock.http_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return json.loads(response.read())


def _levels(levels: list[dict[str, str]]) -> dict[Decimal, Decimal]:
    return {Decimal(level["price"]): Decimal(level["size"]) for level in levels}


def _replay_books(events: list[dict[str, Any]]) -> dict[str, dict[str, dict]]:
    """Books per asset from the SDK's parsed book (replace) and price_change (set level)."""
    books: dict[str, dict[str, dict]] = {}
    for event in events:
        payload = event["payload"]
        if event["type"] == "book":
            books[payload["asset_id"]] = {
                "bids": _levels(payload["bids"]),
                "asks": _levels(payload["asks"]),
            }
        elif event["type"] == "price_change":
            for change in payload["price_changes"]:
                side = books[change["asset_id"]]["bids" if change["side"] == "BUY" else "asks"]
                price, size = Decimal(change["price"]), Decimal(change["size"])
                if size:
                    side[price] = size
                else:
                    side.pop(price, None)
    return books


@dataclass
class Session:
    """What one SDK session against the mock produced, and what the mock recorded."""

    driver: Driver
    api_key: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Every user-channel event the mock published for the SDK's account, in order."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """The mock's connection records after the heartbeat watch (before the SDK closed)."""
    rest_books: dict[str, Any] = field(default_factory=dict)
    """GET /book of every asset from the mock, after the session."""
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    exit_code: int | None = None


def _trade(mock: ThreadedMock) -> None:
    """Drive the account through the HTTP control endpoint: place, fill, walk trades MATCHED to
    CONFIRMED, take liquidity, RETRYING to FAILED, cancel, leave two orders LIVE; then a tick
    size change on the second market."""
    yes_a, no_a = mock.mock.markets[0].token_ids
    yes_b, no_b = mock.mock.markets[1].token_ids

    def control(action: str, **query: str) -> dict[str, Any]:
        return _http(mock, "/_mock/" + action, **query)

    price = mock.call(resting_buy_price, mock.mock, yes_a)
    order = control("order", asset_id=yes_a, side="BUY", price=price, size="100")["order_id"]
    maker = control("fill", order_id=order, size="40")["trade_id"]
    control("advance", trade_id=maker, status="MINED")
    control("advance", trade_id=maker, status="CONFIRMED")
    best_ask = _http(mock, "/book", token_id=yes_b)["asks"][-1]["price"]  # best last (§1.5)
    taker = control("take", asset_id=yes_b, side="BUY", price=best_ask, size="5")["trade_id"]
    control("advance", trade_id=taker, status="RETRYING")
    control("advance", trade_id=taker, status="FAILED")
    control("cancel", order_id=order)
    price = mock.call(resting_buy_price, mock.mock, no_b)
    control("order", asset_id=no_b, side="BUY", price=price, size="25")
    control("order", asset_id=no_a, side="BUY", price="0.01", size="10")
    control("tick", market=mock.mock.markets[1].condition_id, tick_size="0.001")


@pytest.fixture(scope="module")
def session(sdk_python: Path) -> Iterator[Session]:
    """One SDK client on both channels for HEARTBEAT_WATCH seconds while the account trades."""
    # Quiet books (no generated activity), so the books only move with the account's trading;
    # the mock closes a socket that sends no PING for 15 s.
    with ThreadedMock(activity_interval=None, ping_timeout=15.0) as mock:
        account = mock.mock.credentials.api_key
        sent = user_events_sent(mock)
        assets = mock.mock.asset_ids
        driver = Driver(sdk_python, mock, "--assets", ",".join(assets), "--user")
        try:
            driver.kind("subscribed")
            connected = time.monotonic()
            mock.run(
                mock.mock.wait_for,
                lambda m: (
                    any(r.channel == "user" and r.authenticated for r in m.connections)
                    and any(r.channel == "market" and r.subscribed_at for r in m.connections)
                ),
            )
            _trade(mock)
            driver.wait_for(lambda _: len(driver.events("user")) >= len(sent), timeout=15)
            time.sleep(max(0.0, connected + HEARTBEAT_WATCH - time.monotonic()))

            async def snapshot() -> list[dict[str, Any]]:
                await mock.mock.flush()
                return [record.to_json() for record in mock.mock.connections]

            records = mock.run(snapshot)
            driver.send("rest")
            driver.kind("rest")
            exit_code = driver.finish()
        finally:
            driver.kill()
        yield Session(
            driver=driver,
            api_key=account,
            sent=sent,
            records=records,
            rest_books={asset: _http(mock, "/book", token_id=asset) for asset in assets},
            orders=mock.call(lambda: {k: dict(v) for k, v in mock.mock.exchange.orders.items()}),
            trades=mock.call(lambda: {k: dict(v) for k, v in mock.mock.exchange.trades.items()}),
            exit_code=exit_code,
        )


def test_client_from_existing_credentials(session: Session):
    """AsyncSecureClient.create(credentials=...) keeps the given key after checking it with
    GET /auth/api-keys (the SDK falls back to deriving a new key if that check is refused)."""
    driver = session.driver
    client = driver.kind("client")
    assert client["api_key"] == session.api_key
    assert client["wallet_type"] == "EOA"
    before = driver.logs()[: driver.lines.index(client)]
    assert any("GET /auth/api-keys -> 200" in message for message in before), before
    assert not any("/auth/api-key " in m or "/auth/derive-api-key" in m for m in before)
    assert driver.kind("rest")["api_keys"] == [session.api_key]
    assert session.exit_code == 0


def test_market_stream_books_equal_rest_book(session: Session):
    """Each asset's book, replayed from the SDK's parsed book and price_change events, equals the
    mock's REST /book, and so does the SDK's own REST read of it."""
    events = session.driver.events("market")
    kinds = {"book", "price_change", "last_trade_price", "tick_size_change"}
    assert {e["type"] for e in events} == kinds
    streamed = _replay_books(events)
    assert set(streamed) == set(session.rest_books), "an initial book for every asset"
    sdk_rest = {book["asset_id"]: book for book in session.driver.kind("rest")["books"]}
    for asset, served in session.rest_books.items():
        expected = {"bids": _levels(served["bids"]), "asks": _levels(served["asks"])}
        assert streamed[asset] == expected, asset
        assert {
            "bids": _levels(sdk_rest[asset]["bids"]),
            "asks": _levels(sdk_rest[asset]["asks"]),
        } == expected


def test_every_user_event_is_parsed(session: Session):
    """Every order and trade event the mock sent reaches the SDK's user stream, parsed, in order:
    same ids, order types (PLACEMENT/UPDATE/CANCELLATION) and statuses; nothing dropped."""
    parsed = session.driver.events("user")
    sent_kinds = {e["event_type"] for e in session.sent}
    assert sent_kinds == {"order", "trade"}
    assert len(session.sent) >= 12
    got = [
        (
            e["type"],
            e["payload"]["id"],
            e["payload"].get("order_event_type"),
            str(e["payload"]["status"]),
        )
        for e in parsed
    ]
    want = [
        (e["event_type"], e["id"], e["type"] if e["event_type"] == "order" else None, e["status"])
        for e in session.sent
    ]
    assert got == want
    (user,) = [r for r in session.records if r["channel"] == "user"]
    assert user["data_frames_sent"] == len(session.sent)
    closed = session.driver.kind("closed")
    assert closed["counts"]["order"] + closed["counts"]["trade"] == len(session.sent)
    assert closed["dropped"] == 0
    assert not [m for m in session.driver.logs() if "dropped" in m]


def test_text_heartbeat_with_the_sdk(session: Session):
    """The SDK PINGs every 10 s on both sockets once subscribed, the mock answers every PING with
    PONG, and over 36 s (past the SDK's 30 s staleness limit) neither side closes anything."""
    assert [r["channel"] for r in session.records] == ["market", "user"], "one socket each"
    for record in session.records:
        pings = record["pings"]
        assert len(pings) >= 3, record["channel"]
        assert pings[0] > record["subscribed_at"], "no PING before the subscription"
        gaps = [later - earlier for earlier, later in zip(pings, pings[1:], strict=False)]
        assert all(abs(gap - PING_INTERVAL) < 3 for gap in gaps), gaps  # slack for a busy CI
        assert record["frames_sent"] - record["data_frames_sent"] == len(pings), "PONG each"
        assert record["closed_at"] is None and record["error"] is None
    assert not [m for m in session.driver.logs() if "stale" in m or "reconnect" in m]


def test_rest_reads(session: Session):
    """Open orders and account trades through the SDK match the mock's records."""
    rest = session.driver.kind("rest")
    live = {k for k, o in session.orders.items() if o["status"] == "LIVE"}
    assert len(live) == 2
    assert {order["id"] for order in rest["open_orders"]} == live
    assert {trade["id"] for trade in rest["trades"]} == set(session.trades)
    for trade in rest["trades"]:
        assert trade["status"] == session.trades[trade["id"]]["status"]


def test_client_that_derives_its_key_sees_user_events(sdk_python: Path):
    """AsyncSecureClient.create without credentials creates/derives a key over L1; the mock
    gives it the account it trades for, so the derived key receives that account's events."""
    with ThreadedMock(activity_interval=None) as mock:
        driver = Driver(sdk_python, mock, "--user", derive=True)
        try:
            client = driver.kind("client")
            assert client["api_key"] == mock.mock.credentials.api_key
            assert any("POST /auth/api-key -> 200" in m for m in driver.logs())
            driver.kind("subscribed")
            mock.run(
                mock.mock.wait_for,
                lambda m: any(r.channel == "user" and r.authenticated for r in m.connections),
            )
            asset = mock.mock.asset_ids[0]
            price = mock.call(resting_buy_price, mock.mock, asset)
            order = _http(mock, "/_mock/order", asset_id=asset, side="BUY", price=price, size="7")
            event = driver.wait_for(lambda line: line["kind"] == "event")["event"]
            assert event["type"] == "order"
            assert event["payload"]["id"] == order["order_id"]
            assert event["payload"]["order_event_type"] == "PLACEMENT"
            driver.send("rest")
            rest = driver.kind("rest")
            assert rest["api_keys"] == [client["api_key"]]
            assert [o["id"] for o in rest["open_orders"]] == [order["order_id"]]
            assert driver.finish() == 0
        finally:
            driver.kill()


def test_the_sdk_drops_the_live_fok_kill_shape(sdk_python: Path):
    """A finding, not a mock defect: a killed FOK order as captured live (reference §9:
    ``size_matched`` "" and ``created_at`` "", ws_user_order_fok_killed.json), which the mock
    sends for /_mock/fok, is dropped by polymarket-client 0.14.0, whose UserOrderPayload needs
    a decimal size_matched. If a newer pin parses it, this test fails: update the report."""
    with ThreadedMock(activity_interval=None) as mock:
        driver = Driver(sdk_python, mock, "--user")
        try:
            driver.kind("subscribed")
            mock.run(
                mock.mock.wait_for,
                lambda m: any(r.channel == "user" and r.authenticated for r in m.connections),
            )
            asset = mock.mock.asset_ids[0]
            best_ask = _http(mock, "/book", token_id=asset)["asks"][-1]["price"]
            killed = _http(
                mock, "/_mock/fok", asset_id=asset, side="BUY", price=best_ask, size="100000"
            )
            assert killed["trade_id"] is None
            dropped = "dropped 1 malformed user event"
            driver.wait_for(lambda line: dropped in line.get("message", ""))
            sent = mock.call(
                lambda: [r.data_frames_sent for r in mock.mock.connections if r.channel == "user"]
            )
            assert sent == [1], "the mock sent one order event"
            assert driver.events("user") == [], "the SDK yielded nothing for it"
            assert driver.finish() == 0
        finally:
            driver.kill()
