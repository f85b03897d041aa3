"""REST faults of the mock (polymarket_mock/rest_faults.py): 429 with or without Retry-After
(seconds or an HTTP-date), 5xx, answers held or never sent, scoped by path and counted; every
REST request recorded with its loop time. In process and through /_mock/fault."""

from __future__ import annotations

import concurrent.futures
import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from clob_rest import ADDRESS_ENV, ClobRest

from tests.fixtures.mock import ThreadedMock

HARDHAT_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.fixture
def quiet_mock():
    with ThreadedMock(activity_interval=None) as threaded:
        yield threaded


def _rest(threaded) -> ClobRest:
    return ClobRest.from_env({**threaded.env, ADDRESS_ENV: HARDHAT_ADDRESS}, timeout=5)


def _raw(threaded, path: str) -> tuple[int, dict[str, str]]:
    """Status and headers of an unsigned GET, without a proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(threaded.http_url + path, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_429_with_retry_after_in_seconds_then_as_a_date_then_none(quiet_mock):
    """Each rule fires `times` times, in order, on /data/* only; /time is never touched."""
    faults = quiet_mock.mock.faults.rest
    quiet_mock.call(faults.refuse, 429, retry_after=7, times=1)
    quiet_mock.call(faults.refuse, 429, retry_after=30, date=True, times=1)
    quiet_mock.call(faults.refuse, 429, times=1)
    assert _raw(quiet_mock, "/time")[0] == 200
    seen = []
    for _ in range(4):
        status, headers = _raw(quiet_mock, "/data/orders")
        seen.append((status, headers.get("Retry-After")))
    assert seen[0] == (429, "7")
    assert seen[1][0] == 429
    date = email.utils.parsedate_to_datetime(seen[1][1]).timestamp()
    assert 25 <= date - time.time() <= 31
    assert seen[2] == (429, None)
    assert seen[3][0] == 401  # no fault left: the usual L2 check refuses an unsigned read


def test_5xx_scoped_by_path_and_always(quiet_mock):
    faults = quiet_mock.mock.faults.rest
    quiet_mock.call(faults.refuse, 503, path="/data/trades")
    assert [_raw(quiet_mock, "/data/trades")[0] for _ in range(3)] == [503] * 3
    assert _raw(quiet_mock, "/data/orders")[0] == 401
    with pytest.raises(ValueError, match="status must be one of"):
        faults.refuse(404)
    quiet_mock.call(quiet_mock.mock.faults.clear)
    assert _raw(quiet_mock, "/data/trades")[0] == 401


def test_every_rest_request_is_recorded_with_its_loop_time(quiet_mock):
    """Signed reads are told apart from unsigned ones; the fault applied is named."""
    mock = quiet_mock.mock
    quiet_mock.call(mock.faults.rest.refuse, 502, times=1)
    rest = _rest(quiet_mock)
    with pytest.raises(Exception, match="HTTP 502"):
        rest.open_orders()
    assert rest.open_orders() == []
    records = quiet_mock.call(lambda: list(mock.faults.rest.requests))
    assert [(r.path, r.signed, r.status) for r in records] == [
        ("/time", False, 200),
        ("/data/orders", True, 502),
        ("/data/orders", True, 200),
    ]
    assert records[1].fault.startswith("status=502")
    assert records[0].at <= records[1].at <= records[2].at
    assert mock.faults.rest.signed_reads(records[2].at) == [records[2]]


def test_a_held_answer_is_the_state_when_the_request_arrived(quiet_mock):
    """hold(None): the answer waits until release(); it shows the orders of its arrival."""
    mock = quiet_mock.mock
    rest = _rest(quiet_mock)
    rest.server_time()
    quiet_mock.call(mock.faults.rest.hold, None, times=1)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(rest.open_orders)
        deadline = time.monotonic() + 5
        while not quiet_mock.call(lambda: mock.faults.rest.signed_reads()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        asset = mock.asset_ids[0]
        bid = mock.exchange.books[asset].best_bid
        quiet_mock.call(mock.exchange.place_order, asset, "BUY", bid, "5")
        time.sleep(0.2)
        assert not pending.done()
        quiet_mock.call(mock.faults.rest.release)
        assert pending.result(5) == []  # the order came after the request
    assert rest.open_orders() != []


def test_held_for_seconds_then_answered(quiet_mock):
    quiet_mock.call(quiet_mock.mock.faults.rest.hold, 0.5, path="/time", times=1)
    started = time.monotonic()
    assert _raw(quiet_mock, "/time")[0] == 200
    assert 0.45 <= time.monotonic() - started < 3
    record = quiet_mock.mock.faults.rest.requests[-1]
    assert record.answered_at - record.at >= 0.45


def test_the_control_endpoint_sets_rest_faults_and_lists_requests(quiet_mock):
    def control(**query):
        url = quiet_mock.http_url + "/_mock/fault?" + urllib.parse.urlencode(query)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=5) as response:
            return json.loads(response.read())

    control(kind="rest-refuse", status=429, retry_after=2, date=1, times=1)
    status, headers = _raw(quiet_mock, "/data/trades")
    assert status == 429 and headers["Retry-After"].endswith("GMT")
    control(kind="rest-hold", seconds=0.3, times=1)
    started = time.monotonic()
    _raw(quiet_mock, "/data/orders")
    assert time.monotonic() - started >= 0.25
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(quiet_mock.http_url + "/_mock/state", timeout=5) as response:
        state = json.loads(response.read())
    paths = [(r["path"], r["status"]) for r in state["rest_requests"]]
    assert paths == [("/data/trades", 429), ("/data/orders", 401)]
