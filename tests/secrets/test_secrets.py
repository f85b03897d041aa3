"""Secrets never leak: not in output, logs (even at DEBUG), exceptions, reprs or URLs.

Distinctive canary credentials are given to the mock and to the pack's code; every check looks
for any 10-character piece of the secret or the passphrase (a partial leak is a leak), and for
the decoded secret too. Three angles:

* programs: user_stream.py, user_minimal.py and create_api_key.py run against a threaded mock,
  through a reconnect and REST reads; their whole output is searched; the URLs the mock saw
  (WebSocket upgrades and REST requests) are searched as well;
* programs refuse a non-TLS URL (ws://, http://) for a host that is not loopback;
* in process, with every logger at DEBUG (websockets logs each frame it sends at DEBUG, and the
  user channel's first frame holds the secret): the user-stream stack, a REST 401 and a
  handshake 401; log records, printed output, exception messages and the repr/str of every
  documented object that holds credentials.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Iterator

import pytest
from credentials import Credentials, clob_client
from polymarket_mock import Credentials as MockAccount
from py_clob_client_v2.exceptions import PolyApiException
from robust_ws import FatalHandshakeError, RobustConnection

from tests.faults.rig import user_stack
from tests.fixtures.mock import ThreadedMock
from tests.fixtures.pack import HARDHAT_TEST_KEY

DECODED_SECRET = b"canary:SECRET:do-not-leak:7f3a9c51e2"
CANARY = MockAccount(
    api_key="5ec2e75a-0000-4000-8000-00000000ca7a",
    secret=base64.urlsafe_b64encode(DECODED_SECRET).decode(),
    passphrase="canary-PASSPHRASE-do-not-leak-5d1e8b2f",
)
WINDOW = 10


def leaks(text: str, secrets: tuple[str, ...] | None = None) -> list[str]:
    """Every WINDOW-character piece of a secret that appears in `text`."""
    if secrets is None:
        secrets = (CANARY.secret, CANARY.passphrase, DECODED_SECRET.decode())
    found = []
    for secret in secrets:
        for start in range(len(secret) - WINDOW + 1):
            piece = secret[start : start + WINDOW]
            if piece in text:
                found.append(piece)
    return found


def canary_env(mock: ThreadedMock) -> dict[str, str]:
    return {
        "POLYMARKET_WS_URL": mock.url,
        "POLYMARKET_CLOB_URL": mock.http_url,
        "POLYMARKET_API_KEY": CANARY.api_key,
        "POLYMARKET_API_SECRET": CANARY.secret,
        "POLYMARKET_API_PASSPHRASE": CANARY.passphrase,
        "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY,
        "POLYMARKET_ASSET_IDS": ",".join(mock.mock.asset_ids),
        "POLYMARKET_MARKETS": ",".join(m.condition_id for m in mock.mock.markets),
    }


@pytest.fixture
def canary_mock() -> Iterator[ThreadedMock]:
    """A threaded mock that knows only the canary account, recording every REST target."""
    with ThreadedMock(credentials=(CANARY,)) as threaded:
        rest = threaded.mock.rest
        targets: list[str] = []
        handle = rest.handle

        def recording(method, target, headers):
            targets.append(target)
            return handle(method, target, headers)

        rest.handle = recording
        threaded.rest_targets = targets  # type: ignore[attr-defined]
        yield threaded


# -- programs ---------------------------------------------------------------------------


def test_programs_never_print_a_secret(canary_mock, run_program, tmp_path):
    """user_stream.py (through events, a drop, a reconnect and two REST syncs), user_minimal.py
    and create_api_key.py print no piece of any secret; the mock saw none in any URL."""
    mock, exchange = canary_mock.mock, canary_mock.mock.exchange
    env = canary_env(canary_mock)
    stream = run_program("user_stream.py", env=env)
    minimal = run_program("user_minimal.py", env=env)
    out = tmp_path / "created.env"
    created = run_program(
        "create_api_key.py",
        env={"POLYMARKET_CLOB_URL": mock.http_url, "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY},
        args=["--out", str(out)],
    )
    stream.wait_for(r"account sync 1: ", timeout=20)
    minimal.wait_for(r"subscribed to", timeout=20)
    asset = mock.asset_ids[0]
    order = canary_mock.call(
        exchange.place_order, asset, "BUY", exchange.books[asset].best_bid, "9"
    )
    canary_mock.call(exchange.fill, order, "4")
    stream.wait_for(rf"ORDER {order} status=LIVE matched=4/9", timeout=30)
    minimal.wait_for(rf"order UPDATE {order}", timeout=30)
    canary_mock.call(mock.faults.drop, channel="user")
    stream.wait_for(r"account sync 2: ", timeout=20)
    assert created.process.wait(30) == 0, created.output
    assert stream.interrupt() == 0 and minimal.interrupt() in (0, 1)

    written = dict(re.findall(r"export (\w+)=(\S+)", out.read_text()))
    created_secrets = (written["POLYMARKET_API_SECRET"], written["POLYMARKET_API_PASSPHRASE"])
    assert leaks(created.output, created_secrets) == [], created.output
    for run in (stream, minimal, created):
        assert leaks(run.output) == [], f"{run.title} printed a secret:\n{run.output}"
    urls = [h.path for h in mock.handshakes] + canary_mock.rest_targets
    assert any(t.startswith("/data/") for t in canary_mock.rest_targets)
    assert leaks(" ".join(urls)) == [] and leaks(" ".join(urls), created_secrets) == []


REFUSALS = [
    ("user_stream.py", {"POLYMARKET_WS_URL": "ws://example.com"}, "refusing unencrypted ws://"),
    ("user_stream.py", {"POLYMARKET_CLOB_URL": "http://example.com"}, "refusing plain http"),
    ("user_minimal.py", {"POLYMARKET_WS_URL": "ws://example.com"}, "refusing unencrypted ws://"),
    ("market_stream.py", {"POLYMARKET_WS_URL": "ws://example.com"}, "refusing unencrypted ws://"),
    ("market_monitor.py", {"POLYMARKET_WS_URL": "ws://example.com"}, "refusing unencrypted ws://"),
    ("create_api_key.py", {"POLYMARKET_CLOB_URL": "http://example.com"}, "refusing plain http"),
]


def test_programs_refuse_clear_text_to_a_remote_host(run_program, tmp_path):
    """Every program that connects refuses ws:// or http:// to a non-loopback host before
    sending anything, exits non-zero, and says why without echoing a secret."""
    base = {
        "POLYMARKET_WS_URL": "wss://ws-subscriptions-clob.polymarket.com",
        "POLYMARKET_CLOB_URL": "https://clob.polymarket.com",
        "POLYMARKET_API_KEY": CANARY.api_key,
        "POLYMARKET_API_SECRET": CANARY.secret,
        "POLYMARKET_API_PASSPHRASE": CANARY.passphrase,
        "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY,
        "POLYMARKET_ASSET_IDS": "1,2",
        "POLYMARKET_MARKETS": "",
    }
    runs = [
        (
            run_program(title, {**base, **override}, ["--out", str(tmp_path / f"{n}.env")])
            if title == "create_api_key.py"
            else run_program(title, {**base, **override}),
            expected,
        )
        for n, (title, override, expected) in enumerate(REFUSALS)
    ]
    for run, expected in runs:
        code = run.process.wait(30)
        run._reader.join(5)
        assert code != 0 and expected in run.output, f"{run.title}: {code}\n{run.output}"
        assert leaks(run.output) == [], run.output


# -- in process, everything at DEBUG ------------------------------------------------------


def documented_objects(credentials, subscription, tracker, sync, conn) -> list[object]:
    return [credentials, subscription, tracker, sync, conn, conn.stats]


@pytest.mark.parametrize(
    "markets",
    [
        pytest.param(None, id="all markets"),
        pytest.param("first", id="one market"),
    ],
)
async def test_user_stack_at_debug_logs_no_secret(mock_factory, caplog, capsys, markets):
    """The user-stream stack at DEBUG (websockets' frame log included), through a reconnect and
    REST syncs, then a REST 401 and a handshake 401: no piece of a secret in any log record of
    the pack, websockets, httpx or py-clob-client, in printed output, in an exception message,
    or in the repr/str of a documented object."""
    caplog.set_level(logging.DEBUG)
    async with mock_factory(activity_interval=None, credentials=(CANARY,)) as mock:
        env = {
            "POLYMARKET_CLOB_URL": mock.http_url,
            "POLYMARKET_API_KEY": CANARY.api_key,
            "POLYMARKET_API_SECRET": CANARY.secret,
            "POLYMARKET_API_PASSPHRASE": CANARY.passphrase,
            "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY,
        }
        credentials = Credentials.from_env(env)
        chosen = [mock.markets[0].condition_id] if markets else None
        stack = user_stack(mock.url, credentials, env, print, markets=chosen, ping_interval=0.05)
        subscription, tracker, sync, conn = (
            stack.subscription,
            stack.tracker,
            stack.sync,
            stack.conn,
        )
        task = asyncio.create_task(conn.run())
        try:
            await mock.wait_for(lambda m: m.connections and m.connections[0].authenticated)
            asset = mock.markets[0].token_ids[0]
            order = mock.exchange.place_order(
                asset, "BUY", mock.exchange.books[asset].best_bid, "9"
            )
            mock.exchange.fill(order, "3")
            await asyncio.sleep(0.2)
            mock.faults.drop(channel="user")
            await mock.wait_for(
                lambda m: len(m.connections) == 2 and m.connections[1].authenticated
            )
            await asyncio.sleep(0.2)
            await sync.wait()
        finally:
            conn.stop()
            await asyncio.wait_for(task, 5)
        assert sync.syncs >= 2 and tracker.orders[order].size_matched == 3

        errors: list[BaseException] = []
        stranger = Credentials("00000000-0000-4000-8000-0000000000ff", CANARY.secret, "nope")
        try:  # REST 401: the mock does not know this key
            await asyncio.to_thread(clob_client(stranger, env).get_open_orders)
        except PolyApiException as exc:
            errors.append(exc)
        mock.faults.reject_handshake(status=401, times=None, channel="user")
        refused = RobustConnection(
            f"{mock.url}/ws/user",
            subscription.first_frame,
            print,
            retry_refused=False,  # raise at once: the error's text is what is checked
            connect_kwargs={"proxy": None},
        )
        try:
            await refused.run()
        except FatalHandshakeError as exc:
            errors.append(exc)
        await sync.close()

    assert len(errors) == 2
    texts = [
        *(
            f"{r.name} {r.getMessage()} {r.exc_text or ''}"
            for r in caplog.records
            if not r.name.startswith("polymarket_mock")
        ),  # the mock's own log is not the pack's
        *capsys.readouterr(),
        *(f"{e} {e!r} {getattr(e, 'error_msg', '')}" for e in errors),
        *(f"{o} {o!r}" for o in documented_objects(credentials, subscription, tracker, sync, conn)),
    ]
    assert any(r.name == "websockets.client" and r.levelno == logging.DEBUG for r in caplog.records)
    found = {piece for text in texts for piece in leaks(text)}
    assert found == set(), f"secret pieces leaked: {sorted(found)}"
