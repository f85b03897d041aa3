"""Fault matrix row 14: stop() at the worst moments returns promptly and opens nothing new.

The moments: while sleeping a backoff delay, while waiting out a 429, while a handshake hangs
(in the server or in a blackholed proxy), while the connection is stalled (PONG still flowing)
and while the link is dead (the close handshake cannot complete). After run() returns, ten more
minutes of loop time pass: neither the mock nor the proxy may see another attempt.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.faults.proxy import FaultProxy
from tests.faults.rig import feed_on, lines, now, until

pytestmark = pytest.mark.looptime

CLOSE_TIMEOUT = 1.0  # close_timeout default: the most stop() may take, on any link
BIG_FRAME = 64 * 2**20  # more than loopback's socket buffers hold (~36 MB): the send waits
# Without compression, so that the big frame reaches the socket at its full size.
UNCOMPRESSED = {"connect_kwargs": {"proxy": None, "compression": None}}


async def _in_backoff(mock, proxy, feed) -> None:
    mock.faults.reject_handshake(status=503, times=None)
    await until(lambda: (feed.connection.stats.last_delay or 0) >= 8.0, within=60)
    await asyncio.sleep(3)  # in the middle of an 8 s delay


async def _in_rate_limit_wait(mock, proxy, feed) -> None:
    mock.faults.reject_handshake(status=429, times=None)
    await asyncio.sleep(10)  # inside the 60 s wait


async def _in_hanging_handshake(mock, proxy, feed) -> None:
    mock.faults.hang_handshake(seconds=300.0, times=None)
    await asyncio.sleep(5)  # the upgrade is pending; open_timeout is 10 s


async def _in_blackholed_handshake(mock, proxy, feed) -> None:
    proxy.blackhole()
    await asyncio.sleep(5)


async def _in_stall(mock, proxy, feed) -> None:
    await until(lambda: feed.connection.connected, within=5)
    await asyncio.sleep(60)
    mock.faults.stall(channel="market")
    await asyncio.sleep(30)  # stalled, the 60 s watchdog has not fired yet


async def _on_dead_link(mock, proxy, feed) -> None:
    await until(lambda: feed.connection.connected, within=5)
    await asyncio.sleep(60)
    proxy.blackhole()
    await asyncio.sleep(15)  # dead, the 30 s PONG deadline has not fired yet


async def _on_dead_link_with_a_full_send_buffer(mock, proxy, feed) -> None:
    await until(lambda: feed.connection.connected, within=5)
    await asyncio.sleep(60)
    proxy.stop_reading("up")  # the peer's TCP stays up but reads nothing: writes back up
    # A big frame (a subscribe for very many assets, say) cannot drain; nor can a close frame.
    sending = asyncio.create_task(feed.connection.send("x" * BIG_FRAME))
    sending.add_done_callback(lambda task: task.cancelled() or task.exception())
    await asyncio.sleep(5)
    assert not sending.done()


MOMENTS = {
    "during a backoff delay": (_in_backoff, 0.0, {}),
    "during a 429 wait": (_in_rate_limit_wait, 0.0, {}),
    "during a hanging handshake": (_in_hanging_handshake, 0.0, {}),
    "during a blackholed handshake": (_in_blackholed_handshake, 0.0, {}),
    "during a stall": (_in_stall, 0.0, {}),
    "on a dead link": (_on_dead_link, CLOSE_TIMEOUT, {}),
    "on a dead link with a full send buffer": (
        _on_dead_link_with_a_full_send_buffer,
        CLOSE_TIMEOUT,
        UNCOMPRESSED,
    ),
}


@pytest.mark.parametrize("moment", MOMENTS)
async def test_row14_stop_returns_promptly_and_opens_nothing_new(mock_factory, caplog, moment):
    """stop() ends run() within its bound (at once, or close_timeout on a dead link, even one
    whose send buffer is full: the transport is aborted once close_timeout is spent); no new
    handshake or TCP connection follows; an open connection is closed with 1000 by us."""
    caplog.set_level(logging.INFO, logger="polymarket")
    get_there, bound, options = MOMENTS[moment]
    async with (
        mock_factory(activity_interval=1.0) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        feed = feed_on(proxy.url, mock.asset_ids, **options)
        task = asyncio.create_task(feed.run())
        await get_there(mock, proxy, feed)
        was_connected = feed.connection.connected
        connections, accepted = len(mock.connections), proxy.accepted
        stopped_at = now()
        feed.stop()
        await asyncio.wait_for(task, timeout=bound + 1.0)  # re-raises anything run() raised
        took = now() - stopped_at
        await asyncio.sleep(600)
        # TCP is the ground truth (the mock records a hung upgrade only when it finally
        # answers it, after the client has gone); no WebSocket connection may be accepted.
        assert (proxy.accepted, len(mock.connections)) == (accepted, connections)
        proxy.heal()
        await mock.flush()
    assert took <= bound + 0.05, f"stop took {took:.2f}s of loop time"
    assert any("stopped after" in line for line in lines(caplog, level=logging.INFO))
    if was_connected and not moment.startswith("on a dead link"):
        last = mock.connections[-1]
        assert (last.close_code, last.closed_by) == (1000, "client")
        assert last.close_reason == "client shutdown"
