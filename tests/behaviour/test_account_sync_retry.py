"""account_sync.py under REST faults: a 429's Retry-After is honoured by every later read (the
rest of the same sync, a new connect's sync, another sync sharing the gate), 429 without it
waits rate_limited_delay, 5xx and no answer back off with full jitter, and neither the stream
nor close() ever waits for a read. Times are loop seconds under looptime; each read runs in the
loop (the daemon thread replaced) so the clock stays exact."""

from __future__ import annotations

import asyncio
import threading

import account_sync
import pytest
from account_sync import AccountSync
from clob_rest import ClobRestError
from order_tracker import OrderTracker

from tests.behaviour.samples import OWNER

MARKETS = ["0xm1", "0xm2"]
READS = ["time", "orders 0xm1", "orders 0xm2", "trades 0xm1", "trades 0xm2"]  # one sync


def limited(retry_after: float | None) -> ClobRestError:
    return ClobRestError(429, "GET /data/orders: HTTP 429", retry_after)


class ScriptedReader:
    """An AccountReader that records every read (name, loop time) and raises what `plan` gives
    for the n-th read (0-based, over its whole life)."""

    def __init__(self, plan: dict[int, Exception] | None = None):
        self.plan = dict(plan or {})
        self.reads: list[tuple[str, float]] = []

    def _read(self, name: str) -> None:
        number = len(self.reads)
        self.reads.append((name, asyncio.get_running_loop().time()))
        if number in self.plan:
            raise self.plan[number]

    def server_time(self):
        self._read("time")
        return 1_782_753_400

    def open_orders(self, market):
        self._read(f"orders {market}")
        return []

    def trades(self, market, after):
        self._read(f"trades {market}")
        return []

    def order(self, order_id):
        raise AssertionError("nothing to fetch singly")

    def times(self, since: float) -> list[float]:
        return [round(t - since, 3) for _, t in self.reads]


@pytest.fixture
def reads_in_loop(monkeypatch):
    """Each REST read takes 0.1 s of loop time, in the loop (no thread)."""

    async def call(function, /, *args, **kwargs):
        await asyncio.sleep(0.1)
        return function(*args, **kwargs)

    monkeypatch.setattr(account_sync, "in_daemon_thread", call)


def _sync(reader, **options) -> AccountSync:
    options = {"resync_interval": None, "offline_interval": None, **options}
    return AccountSync(
        reader,
        OrderTracker(owner=OWNER),
        markets=lambda: MARKETS,
        on_change=lambda c: None,
        **options,
    )


@pytest.mark.looptime
async def test_a_429_stops_the_rest_of_the_sync_and_every_read_waits_its_retry_after(
    reads_in_loop,
):
    """429 with Retry-After: 30 on the 2nd of 5 reads: the other 3 never go out; nothing is
    read for 30 s, although the retry delay is 1 s; then the whole sync runs."""
    t0 = asyncio.get_running_loop().time()
    reader = ScriptedReader({1: limited(30.0)})
    sync = _sync(reader, retry_delay=1.0)
    sync.schedule()
    await asyncio.sleep(60)
    await sync.close()
    times = reader.times(t0)
    assert [name for name, _ in reader.reads] == READS[:2] + READS
    assert times[:2] == [0.1, 0.2]
    assert times[2] >= 0.2 + 30, times
    assert sync.syncs == 1 and sync.failures == 1


@pytest.mark.looptime
async def test_a_new_connect_does_not_read_before_the_retry_after(reads_in_loop):
    """A reconnect starts a new sync; it too waits out a Retry-After seen just before."""
    t0 = asyncio.get_running_loop().time()
    reader = ScriptedReader({1: limited(20.0)})
    sync = _sync(reader, retry_delay=1.0)
    await sync.on_connected()
    await asyncio.sleep(2)
    await sync.on_connected()  # the stream reconnected while REST is rate limited
    await asyncio.sleep(1)
    assert len(reader.reads) == 2, reader.times(t0)
    await asyncio.sleep(40)
    await sync.close()
    assert reader.times(t0)[2] >= 0.2 + 20


@pytest.mark.looptime
async def test_syncs_sharing_a_gate_share_the_wait(reads_in_loop):
    """Two syncs with one gate (two accounts views on one reader's limits): a 429 seen by one
    holds the other's next read back until the Retry-After has passed."""
    gate = account_sync.RetryGate()
    t0 = asyncio.get_running_loop().time()
    first, second = ScriptedReader({2: limited(15.0)}), ScriptedReader()
    syncs = [_sync(first, gate=gate), _sync(second, gate=gate)]
    for sync in syncs:
        sync.schedule()
    await asyncio.sleep(40)
    for sync in syncs:
        await sync.close()
    limited_at = first.reads[2][1] - t0
    during = [t for r in (first, second) for t in r.times(t0) if limited_at < t < limited_at + 15]
    assert during == [], (first.times(t0), second.times(t0))
    assert len(second.reads) == 5 and second.times(t0)[3] >= limited_at + 15


@pytest.mark.looptime
async def test_a_429_without_retry_after_waits_rate_limited_delay(reads_in_loop):
    t0 = asyncio.get_running_loop().time()
    reader = ScriptedReader({0: limited(None)})
    sync = _sync(reader, retry_delay=1.0, rate_limited_delay=60.0)
    sync.schedule()
    await asyncio.sleep(100)
    await sync.close()
    assert reader.times(t0)[:2] == [0.1, 60.2]


@pytest.mark.looptime
async def test_5xx_and_no_answer_back_off_exponentially_with_full_jitter(reads_in_loop):
    """retry n waits rng() x min(cap, retry_delay x 2**n); a success resets the backoff."""
    draws = iter([1.0, 1.0, 0.5, 1.0, 1.0, 1.0, 0.25])
    t0 = asyncio.get_running_loop().time()
    failing = {n: ClobRestError(503, "HTTP 503") for n in range(5)}
    failing[2] = ClobRestError(None, "GET /time: no answer (timed out)")
    reader = ScriptedReader(failing)
    sync = _sync(reader, retry_delay=1.0, retry_cap=8.0, rng=lambda: next(draws))
    sync.schedule()
    await asyncio.sleep(60)
    starts = reader.times(t0)[:6]
    # each attempt: 0.1 s read, then the wait: 1x1, 1x2, 0.5x4, 1x8, 1x8 (capped)
    gaps = [round(b - a - 0.1, 3) for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps == [1.0, 2.0, 2.0, 8.0, 8.0]
    assert sync.syncs == 1 and sync.failures == 5
    assert sync.gate.failures == 0  # reset by the success
    await sync.close()


@pytest.mark.looptime
async def test_a_failed_timed_read_backs_off_too(reads_in_loop):
    """The timer's re-read goes through the same gate: its failure is retried with backoff."""
    t0 = asyncio.get_running_loop().time()
    reader = ScriptedReader({5: ClobRestError(502, "HTTP 502"), 6: ClobRestError(502, "HTTP 502")})
    sync = _sync(reader, resync_interval=100, retry_delay=2.0, rng=lambda: 1.0)
    await sync.on_connected()
    await asyncio.sleep(150)
    await sync.close()
    starts = [
        t for name, t in zip(reader.reads, reader.times(t0), strict=False) if name[0] == "time"
    ]
    assert starts == [0.1, 100.6, 102.7, 106.8]


@pytest.mark.looptime
async def test_the_stream_never_waits_for_rest(reads_in_loop):
    """on_connected (run in the socket's reading task) returns at once while REST is held back
    by a long Retry-After: frames keep being read."""
    loop = asyncio.get_running_loop()
    reader = ScriptedReader({0: limited(300.0)})
    sync = _sync(reader)
    await sync.on_connected()
    await asyncio.sleep(1)
    before = loop.time()
    await sync.on_connected()
    assert loop.time() == before
    await sync.close()


async def test_a_read_that_never_answers_never_delays_close():
    """A read hung in its thread (no monkeypatch: a real daemon thread): close() returns at
    once, and the thread cannot hold up the interpreter's exit."""
    release = threading.Event()

    class Hung(ScriptedReader):
        def server_time(self):
            release.wait(30)
            return 1_782_753_400

    sync = _sync(Hung())
    await sync.on_connected()
    await asyncio.sleep(0.2)
    hung = [t for t in threading.enumerate() if t.name == "rest-read"]
    try:
        await asyncio.wait_for(sync.close(), 0.5)
        assert hung and all(t.daemon for t in hung)
    finally:
        release.set()
