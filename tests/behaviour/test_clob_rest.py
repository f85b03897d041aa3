"""clob_rest.py: the L2-signed REST reads over urllib, against the mock's REST (which checks the
HMAC, the five headers and pages with next_cursor)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import io
import json
import logging
import urllib.error
from urllib.parse import urlsplit

import account_sync
import clob_rest
import pytest
from account_sync import AccountSync, read_account
from clob_rest import (
    ADDRESS_ENV,
    END_CURSOR,
    FIRST_CURSOR,
    ClobRest,
    ClobRestError,
    l2_headers,
    l2_signature,
)
from credentials import Credentials, MissingCredentialError
from order_tracker import OrderTracker
from polymarket_mock.accounts import l2_signature as mock_l2_signature
from py_clob_client_v2.clob_types import ApiCreds, RequestArgs
from py_clob_client_v2.headers.headers import create_level_2_headers
from py_clob_client_v2.signing.hmac import build_hmac_signature
from user_events import parse_order
from websockets.datastructures import Headers

HARDHAT_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # of the mock's HARDHAT_TEST_KEY
SECRET = base64.urlsafe_b64encode(b"a test secret, 32 bytes long....").decode()


def _rest(threaded_mock, **changes) -> ClobRest:
    env = {**threaded_mock.env, ADDRESS_ENV: HARDHAT_ADDRESS, **changes}
    env.pop("POLYMARKET_PRIVATE_KEY")  # not needed: the point of this module
    return ClobRest.from_env(env)


class CountingRest(ClobRest):
    """Counts the requests it makes, by path."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests: list[tuple[str, dict]] = []

    def _request(self, path, params, *, signed=True):
        self.requests.append((path, dict(params)))
        return super()._request(path, params, signed=signed)


# --- the recipe -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", '{"heartbeat_id":"x"}'])
def test_the_signature_is_py_clob_client_v2s_and_the_mocks(body):
    """Same bytes as py-clob-client-v2's build_hmac_signature and the mock's check."""
    ours = l2_signature(SECRET, 1_782_753_400, "GET", "/data/orders", body)
    assert ours == build_hmac_signature(SECRET, 1_782_753_400, "GET", "/data/orders", body or None)
    assert ours == mock_l2_signature(SECRET, "1782753400", "GET", "/data/orders", body)


def test_the_headers_are_py_clob_client_v2s_l2_headers():
    """The five headers, named and valued as create_level_2_headers makes them."""

    class Signer:
        def address(self):
            return HARDHAT_ADDRESS

    creds = Credentials("key-1", SECRET, "pass-1")
    theirs = create_level_2_headers(
        Signer(), creds.api_creds(), RequestArgs(method="GET", request_path="/data/trades"), 1234
    )
    assert l2_headers(creds, HARDHAT_ADDRESS, 1234, "GET", "/data/trades") == theirs
    assert isinstance(creds.api_creds(), ApiCreds)


# --- against the mock -------------------------------------------------------------------------


def test_reads_server_time_then_signs_with_it(threaded_mock):
    """GET /time needs no auth; signed reads are accepted (the mock checks the HMAC)."""
    rest = _rest(threaded_mock)
    now = rest.server_time()
    assert abs(now - threaded_mock.call(threaded_mock.mock.exchange.clock) // 1000) <= 1
    assert rest._timestamp() - now in (0, 1)
    assert rest.open_orders() == []


def test_open_orders_follow_the_cursor_across_pages(threaded_mock):
    """With 2 records a page, 5 open orders take 3 pages, from "MA==" until "LTE="."""
    mock = threaded_mock.mock
    threaded_mock.call(setattr, mock.rest, "page_size", 2)
    asset = mock.asset_ids[0]
    bid = mock.exchange.books[asset].best_bid
    placed = {
        threaded_mock.call(mock.exchange.place_order, asset, "BUY", bid, "3") for _ in "abcde"
    }
    env = {**threaded_mock.env, ADDRESS_ENV: HARDHAT_ADDRESS}
    rest = CountingRest(Credentials.from_env(env), HARDHAT_ADDRESS, url=threaded_mock.http_url)
    orders = rest.open_orders(mock.markets[0].condition_id)
    assert {o["id"] for o in orders} == placed and len(orders) == 5
    pages = [params for path, params in rest.requests if path == "/data/orders"]
    cursors = [params["next_cursor"] for params in pages]
    assert cursors[0] == FIRST_CURSOR and len(cursors) == 3 and END_CURSOR not in cursors
    assert {params["market"] for params in pages} == {mock.markets[0].condition_id}
    assert rest.open_orders(mock.markets[1].condition_id) == []


def test_trades_from_a_time_and_orders_read_singly(threaded_mock):
    """trades(after=...) keeps trades matched at or after it; order() reads a filled order,
    and None for an order REST does not know."""
    mock = threaded_mock.mock
    threaded_mock.call(setattr, mock.rest, "page_size", 1)
    asset = mock.asset_ids[0]
    bid = mock.exchange.books[asset].best_bid
    order_id = threaded_mock.call(mock.exchange.place_order, asset, "BUY", bid, "10")
    first = threaded_mock.call(mock.exchange.fill, order_id, "4")
    second = threaded_mock.call(mock.exchange.fill, order_id, "6")
    rest = _rest(threaded_mock)
    assert {t["id"] for t in rest.trades()} == {first, second}
    later = int(mock.exchange.trades[second]["match_time"]) + 1
    assert rest.trades(after=later) == []
    assert rest.trades(mock.markets[1].condition_id) == []
    record = rest.order(order_id)
    assert record["status"] == "MATCHED" and record["size_matched"] == "10"
    assert rest.order("0x" + "0" * 64) is None


def test_read_account_with_the_stdlib_reader_returns_what_the_gap_hid(threaded_mock):
    """The same reconciliation as with py-clob-client-v2, with no private key anywhere."""
    mock = threaded_mock.mock
    exchange, asset = mock.exchange, mock.asset_ids[0]
    bid = exchange.books[asset].best_bid
    kept = threaded_mock.call(exchange.place_order, asset, "BUY", bid, "10")
    filled = threaded_mock.call(exchange.place_order, asset, "BUY", bid, "5")
    tracker = OrderTracker(owner=mock.credentials.api_key)
    for record in threaded_mock.call(lambda: copy.deepcopy(list(exchange.orders.values()))):
        tracker.apply_order(parse_order(record, kind="PLACEMENT"))
    threaded_mock.call(exchange.fill, filled)
    snapshot = read_account(
        _rest(threaded_mock),
        known_open=tracker.open_order_ids(),
        known=set(tracker.orders),
        owner=tracker.owner,
    )
    assert {o["id"] for o in snapshot.open_orders} == {kept}
    assert [o["id"] for o in snapshot.orders] == [filled]
    tracker.reconcile(snapshot.open_orders, snapshot.trades, snapshot.orders)
    assert tracker.orders[filled].status == "MATCHED"


async def test_account_sync_runs_on_the_stdlib_reader(threaded_mock):
    """AccountSync with ClobRest: a background sync that reports the account's orders."""
    mock = threaded_mock.mock
    asset = mock.asset_ids[0]
    bid = mock.exchange.books[asset].best_bid
    order_id = threaded_mock.call(mock.exchange.place_order, asset, "BUY", bid, "7")
    reported = []
    sync = AccountSync(
        _rest(threaded_mock),
        OrderTracker(owner=mock.credentials.api_key),
        on_change=reported.append,
    )
    await sync.on_connected()
    await sync.wait()
    await sync.close()
    assert sync.syncs == 1 and [c.id for c in reported] == [order_id]


# --- failures, and secrets --------------------------------------------------------------------


def test_a_wrong_secret_is_a_401_that_names_no_secret(threaded_mock, caplog):
    """A bad signature: ClobRestError with status 401; neither secret is in it or in the logs
    (the client's; the mock in this process logs the headers it received at DEBUG)."""
    caplog.set_level(logging.DEBUG)
    wrong = base64.urlsafe_b64encode(b"the wrong secret, do not show me").decode()
    rest = _rest(threaded_mock, POLYMARKET_API_SECRET=wrong)
    with pytest.raises(ClobRestError) as caught:
        rest.open_orders()
    assert caught.value.status == 401 and "HTTP 401" in str(caught.value)
    passphrase = threaded_mock.mock.credentials.passphrase
    ours = "\n".join(r.getMessage() for r in caplog.records if "mock" not in r.name)
    for text in (str(caught.value), repr(caught.value), repr(rest), ours):
        assert wrong not in text and wrong[:12] not in text and passphrase not in text


def test_server_error_text_never_echoes_a_credential():
    """Even a server that echoed the passphrase back would not get it into the exception."""

    class Echo(ClobRest):
        def _request(self, path, params, *, signed=True):
            raise ClobRestError(400, "placeholder")

    rest = Echo(Credentials("k", SECRET, "pass-do-not-show"), HARDHAT_ADDRESS)

    class Response:
        reason = "Bad Request"

        def read(self, size):
            return b'{"error": "bad passphrase pass-do-not-show"}'

    said = rest._said(Response())  # "passphrase" too if a protected value holds that word
    assert said.startswith("bad ") and said.endswith(" <redacted>"), said
    assert "pass-do-not-show" not in said


def test_plain_http_is_refused_except_to_loopback():
    """http:// to a remote host is refused before anything is sent; loopback and https pass."""
    creds = Credentials("k", SECRET, "p")
    with pytest.raises(ValueError, match="refusing plain http"):
        ClobRest(creds, HARDHAT_ADDRESS, url="http://clob.example.com")
    env = {
        "POLYMARKET_API_KEY": "k",
        "POLYMARKET_API_SECRET": SECRET,
        "POLYMARKET_API_PASSPHRASE": "p",
        ADDRESS_ENV: HARDHAT_ADDRESS,
        "POLYMARKET_CLOB_URL": "http://10.0.0.8:8080",
    }
    with pytest.raises(ValueError, match="refusing plain http"):
        ClobRest.from_env(env)
    assert ClobRest(creds, HARDHAT_ADDRESS, url="http://127.0.0.1:9/").url == "http://127.0.0.1:9"
    assert ClobRest(creds, HARDHAT_ADDRESS).url == "https://clob.polymarket.com"


def test_the_address_comes_from_the_environment_under_a_name_you_choose():
    """POLYMARKET_ADDRESS by default, another name if asked; missing or malformed is an error
    that names the variable, never a secret."""
    env = {
        "POLYMARKET_API_KEY": "k",
        "POLYMARKET_API_SECRET": SECRET,
        "POLYMARKET_API_PASSPHRASE": "p",
    }
    with pytest.raises(MissingCredentialError, match=ADDRESS_ENV) as caught:
        ClobRest.from_env(env)
    assert SECRET not in str(caught.value)
    rest = ClobRest.from_env({**env, "MY_FUNDER": HARDHAT_ADDRESS}, address_var="MY_FUNDER")
    assert rest.address == HARDHAT_ADDRESS and SECRET not in repr(rest)
    with pytest.raises(ValueError, match="40 hex digits"):
        ClobRest.from_env({**env, ADDRESS_ENV: "0x1234"})


def test_an_unreachable_server_is_a_clear_error():
    """Nothing listening: ClobRestError with no status, naming the path."""
    rest = ClobRest(Credentials("k", SECRET, "p"), HARDHAT_ADDRESS, url="http://127.0.0.1:9")
    with pytest.raises(ClobRestError, match="GET /time: no answer") as caught:
        rest.server_time()
    assert caught.value.status is None


# --- the whole user side on the standard-library reader, under looptime -----------------------


class InLoopOpener:
    """Stands in for clob_rest's urllib opener: hands each request to the in-loop mock's REST
    handler (same path, headers, HMAC check and pages), so looptime's clock stays exact."""

    def __init__(self, mock):
        self.mock = mock

    def open(self, request, timeout):
        parts = urlsplit(request.full_url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        reply = self.mock.rest.handle(request.get_method(), target, Headers(request.header_items()))
        status, body = reply if reply is not None else (404, {"error": "not found"})
        data = json.dumps(body).encode()
        if status != 200:
            raise urllib.error.HTTPError(request.full_url, status, "error", {}, io.BytesIO(data))
        return contextlib.closing(io.BytesIO(data))


@pytest.mark.looptime(end=600)
async def test_a_gap_is_reported_and_filled_by_the_stdlib_reader(mock_factory, monkeypatch):
    """A fill, a cancel and a trade status change made while the user socket is down: on_gap
    is called once, then REST (clob_rest, no private key) reports each as a [rest] change;
    events seen live and again over REST count once; the state equals the mock's record."""
    from robust_ws import RobustConnection
    from user_events import UserEventRouter
    from user_subscription import UserSubscription

    async def to_thread_in_loop(function, /, *args, **kwargs):
        await asyncio.sleep(0.05)  # a REST round trip
        return function(*args, **kwargs)

    monkeypatch.setattr(account_sync, "in_daemon_thread", to_thread_in_loop)
    async with mock_factory(activity_interval=None, markets=1) as mock:
        monkeypatch.setattr(clob_rest, "_OPENER", InLoopOpener(mock))
        env = {**mock.client_env(), ADDRESS_ENV: HARDHAT_ADDRESS}
        env.pop("POLYMARKET_PRIVATE_KEY")
        credentials = Credentials.from_env(env)
        tracker = OrderTracker(owner=credentials.api_key)
        changes, gaps = [], []

        def report(change):
            if change is not None:
                changes.append(change)

        sync = AccountSync(
            ClobRest.from_env(env),
            tracker,
            on_change=report,
            on_gap=lambda a, b: gaps.append((a, b)),
        )
        router = UserEventRouter(
            on_order=lambda e: report(tracker.apply_order(e)),
            on_trade=lambda e: report(tracker.apply_trade(e)),
        )
        conn = RobustConnection(
            f"{mock.url}/ws/user",
            UserSubscription(credentials, None).first_frame,
            router.handle_message,
            on_connected=sync.on_connected,
            name="user",
            data_timeout=None,
            rng=lambda: 1.0,
            connect_kwargs={"proxy": None},
        )
        running = asyncio.create_task(conn.run())
        await mock.wait_for(lambda m: sync.syncs == 1)
        exchange, asset = mock.exchange, mock.asset_ids[0]
        bid = exchange.books[asset].best_bid
        kept = exchange.place_order(asset, "BUY", bid, "10")
        gone = exchange.place_order(asset, "BUY", bid, "20")
        trade = exchange.fill(kept, "4")
        await mock.flush()
        await asyncio.sleep(0.1)
        live = list(changes)
        mock.faults.reject_handshake(status=503, times=2, channel="user")
        mock.faults.drop(channel="user")
        exchange.fill(kept, "6")
        exchange.cancel(gone)
        exchange.advance_trade(trade, "MINED")
        await mock.wait_for(lambda m: sync.syncs == 2 and sync._task.done(), 60)
        conn.stop()
        await asyncio.wait_for(running, 10)
        await sync.close()
    assert len(gaps) == 1 and {c.source for c in live} == {"ws"}
    after = changes[len(live) :]
    assert {(c.kind, c.id) for c in after} >= {("order", kept), ("order", gone), ("trade", trade)}
    assert {c.source for c in after} == {"rest"} and sync.failures == 0
    assert tracker.orders[kept].status == "MATCHED" and tracker.orders[gone].status == "CANCELED"
    assert tracker.trades[trade].status == "MINED"
    assert len({c.line for c in changes}) == len(changes)


# --- 429 Retry-After, 5xx: what the error tells the caller -----------------------------------


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("7", None, 7.0),
        (" 12 ", None, 12.0),
        ("0", None, 0.0),
        ("Sun, 06 Dec 2026 10:00:30 GMT", "Sun, 06 Dec 2026 10:00:00 GMT", 30.0),
        ("Sun, 06 Dec 2026 09:59:00 GMT", "Sun, 06 Dec 2026 10:00:00 GMT", 0.0),  # past: now
        ("Sun, 06 Dec 2026 10:00:05 GMT", None, 5.0),  # no Date header: against `now`
        ("99999999", None, clob_rest.RETRY_AFTER_MAX),
        ("Sun, 06 Dec 2099 10:00:00 GMT", None, clob_rest.RETRY_AFTER_MAX),
        ("", None, None),
        ("soon", None, None),
        ("-5", None, None),
        ("1.5", None, None),  # RFC 9110: delta-seconds is whole digits
        ("Sun, 06 Dec 2026 10:00:30 GMT", "garbage", 30.0),  # a bad Date: against `now`
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(value, date, expected):
    """RFC 9110 10.2.3: delta-seconds or an HTTP-date, the date read against the answer's own
    Date header (no clock skew) else the local clock; clamped to [0, RETRY_AFTER_MAX]; a value
    that is neither is None."""
    now = 1_796_551_200.0  # Sun, 06 Dec 2026 10:00:00 GMT
    assert clob_rest.retry_after_seconds(value, date=date, now=now) == expected


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        ({"status": 429, "retry_after": 7}, 429, 7.0),
        ({"status": 429, "retry_after": 30, "date": True}, 429, 30.0),
        ({"status": 429}, 429, None),
        ({"status": 503, "retry_after": 2}, 503, 2.0),
        ({"status": 500}, 500, None),
    ],
)
def test_a_refused_read_carries_its_status_and_retry_after(
    threaded_mock, fault, status, retry_after
):
    """The mock answers /data/orders 429 or 5xx: ClobRestError has the status and the wait the
    server asked for (seconds, from either form of the header), and names the wait."""
    rest = _rest(threaded_mock)
    rest.server_time()
    threaded_mock.call(threaded_mock.mock.faults.rest.refuse, times=1, **fault)
    with pytest.raises(ClobRestError) as caught:
        rest.open_orders()
    assert caught.value.status == status
    assert caught.value.retry_after == retry_after
    if retry_after is not None:
        assert f"Retry-After {retry_after:g} s" in str(caught.value)
    assert rest.open_orders() == []  # nothing held in the reader: the next read goes out


def test_no_answer_is_an_error_without_status_or_wait():
    """A timeout or a refused connection: status None, retry_after None (the caller backs off)."""
    rest = ClobRest(Credentials("k", SECRET, "p"), HARDHAT_ADDRESS, url="http://127.0.0.1:9")
    with pytest.raises(ClobRestError) as caught:
        rest.server_time()
    assert (caught.value.status, caught.value.retry_after) == (None, None)


async def test_account_sync_on_the_stdlib_reader_waits_what_the_mock_asked(threaded_mock):
    """End to end, judged from the mock's own request records (its loop clock): after a 429
    with Retry-After: 2 no signed read arrives for 2 s, although retry_delay is 0.1 s; three
    503s in a row are retried 0.1, 0.2, 0.4 s apart (full jitter at its ceiling)."""
    mock, rest_faults = threaded_mock.mock, threaded_mock.mock.faults.rest
    threaded_mock.call(rest_faults.refuse, 429, retry_after=2, times=1)
    sync = AccountSync(
        _rest(threaded_mock),
        OrderTracker(owner=mock.credentials.api_key),
        on_change=lambda change: None,
        retry_delay=0.1,
        rng=lambda: 1.0,
    )
    sync.schedule()
    await asyncio.wait_for(sync.wait(), 10)
    reads = threaded_mock.call(rest_faults.signed_reads)
    assert [r.status for r in reads[:2]] == [429, 200]
    assert reads[1].at - reads[0].answered_at >= 2.0
    threaded_mock.call(rest_faults.refuse, 503, times=3)
    since = threaded_mock.call(lambda: mock._loop.time())
    sync.schedule()
    await asyncio.wait_for(sync.wait(), 10)
    await sync.close()
    reads = threaded_mock.call(rest_faults.signed_reads, since)
    assert [r.status for r in reads[:4]] == [503, 503, 503, 200]
    gaps = [b.at - a.answered_at for a, b in zip(reads, reads[1:4], strict=False)]
    assert all(g >= w for g, w in zip(gaps, (0.1, 0.2, 0.4), strict=True)), gaps
