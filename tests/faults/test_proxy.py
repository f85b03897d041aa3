"""The fault proxy does what each fault claims, observed through a real websockets client."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosedError

from tests.faults.proxy import FaultProxy


async def _echo(ws) -> None:
    async for message in ws:
        await ws.send(message)


async def _echo_server():
    return await serve(_echo, "127.0.0.1", 0, ping_interval=None)


async def test_pass_through_forwards_both_ways():
    """With no fault, frames cross the proxy in both directions."""
    async with (
        await _echo_server() as server,
        FaultProxy(*server.sockets[0].getsockname()[:2]) as proxy,
    ):
        async with connect(proxy.url, proxy=None) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"


async def test_sliced_writes_are_reassembled():
    """Writes cut into 3-byte slices still arrive as whole frames."""
    async with (
        await _echo_server() as server,
        FaultProxy(*server.sockets[0].getsockname()[:2]) as proxy,
    ):
        proxy.slice_size = 3
        async with connect(proxy.url, proxy=None) as ws:
            await ws.send("x" * 1000)
            assert await ws.recv() == "x" * 1000


@pytest.mark.looptime
async def test_latency_delays_each_chunk_on_the_loop_clock():
    """Added latency shows up in loop time, once per direction."""
    loop = asyncio.get_running_loop()
    async with (
        await _echo_server() as server,
        FaultProxy(*server.sockets[0].getsockname()[:2]) as proxy,
    ):
        async with connect(proxy.url, proxy=None) as ws:
            proxy.latency = 0.25
            started = loop.time()
            await ws.send("ping")
            await ws.recv()
            assert loop.time() - started == pytest.approx(0.5)


@pytest.mark.looptime
async def test_blackhole_is_caught_by_keepalive():
    """A blackhole keeps TCP open; only the keepalive deadline ends the connection."""
    loop = asyncio.get_running_loop()
    async with (
        await _echo_server() as server,
        FaultProxy(*server.sockets[0].getsockname()[:2]) as proxy,
    ):
        async with connect(
            proxy.url, proxy=None, ping_interval=20, ping_timeout=20, close_timeout=2
        ) as ws:
            proxy.blackhole()
            started = loop.time()
            with pytest.raises(ConnectionClosedError):
                await ws.recv()
            assert 40 <= loop.time() - started <= 42.5


async def test_reset_aborts_the_connection_at_once():
    """reset() ends every proxied connection without a close frame."""
    async with (
        await _echo_server() as server,
        FaultProxy(*server.sockets[0].getsockname()[:2]) as proxy,
    ):
        async with connect(proxy.url, proxy=None) as ws:
            proxy.reset()
            with pytest.raises(ConnectionClosedError) as caught:
                await asyncio.wait_for(ws.recv(), 2)
            assert caught.value.rcvd is None


async def test_disconnect_ends_connections_with_a_clean_fin():
    """disconnect() closes both sides with FIN: the client sees no close frame, at once."""
    async with (
        await _echo_server() as server,
        FaultProxy(*server.sockets[0].getsockname()[:2]) as proxy,
    ):
        async with connect(proxy.url, proxy=None) as ws:
            proxy.disconnect()
            with pytest.raises(ConnectionClosedError) as caught:
                await asyncio.wait_for(ws.recv(), 2)
            assert caught.value.rcvd is None and proxy.open_connections == 0


@pytest.mark.looptime
async def test_stop_reading_holds_bytes_back_and_heal_delivers_them():
    """A direction that is not read delays frames without losing them; heal() lets them through."""
    async with (
        await _echo_server() as server,
        FaultProxy(*server.sockets[0].getsockname()[:2]) as proxy,
    ):
        async with connect(proxy.url, proxy=None, ping_interval=None) as ws:
            proxy.stop_reading("up")
            await ws.send("held")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 30)
            proxy.heal()
            assert await asyncio.wait_for(ws.recv(), 1) == "held"
