"""An in-process TCP proxy that injects transport faults between a client and the mock.

Transport faults must be invisible to the server's WebSocket layer, so they live here rather than
in the mock: bytes swallowed in one or both directions while both sockets stay open (a blackhole),
a peer that stops reading (TCP backpressure, nothing lost), a clean FIN or a reset, added latency,
and writes sliced into small chunks. It runs in the test's own event loop, so `looptime`
compresses its delays like everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

__all__ = ["FaultProxy", "Direction"]

Direction = str  # "up" (client -> server) or "down" (server -> client)
DIRECTIONS = ("up", "down")


@dataclass
class _Pair:
    client_writer: asyncio.StreamWriter
    server_writer: asyncio.StreamWriter
    tasks: list[asyncio.Task] = field(default_factory=list)


class FaultProxy:
    """Forward TCP from a local port to `upstream`, with faults switchable at any time."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.blackholed: set[Direction] = set()
        self.latency = 0.0
        self.slice_size: int | None = None
        self.accepted = 0
        self._pairs: list[_Pair] = []
        self._server: asyncio.Server | None = None
        # Set while a direction may be read; cleared by stop_reading() (TCP backpressure).
        self._reading = {direction: asyncio.Event() for direction in DIRECTIONS}
        for event in self._reading.values():
            event.set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        """Proxied connections whose pumps are still running."""
        return sum(1 for pair in self._pairs if not all(t.done() for t in pair.tasks))

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        self.reset()
        await self._server.wait_closed()

    def blackhole(self, *directions: Direction) -> None:
        """Swallow bytes in the given directions (both by default); sockets stay ESTABLISHED."""
        self.blackholed = set(directions or DIRECTIONS)

    def stop_reading(self, *directions: Direction) -> None:
        """Stop reading in the given directions (both by default): nothing is lost, nothing
        moves, and the sender's buffers fill up, as with a peer that stopped reading."""
        for direction in directions or DIRECTIONS:
            self._reading[direction].clear()

    def heal(self) -> None:
        """Stop every fault; bytes flow untouched again (held-back bytes are delivered)."""
        self.blackholed.clear()
        self.latency = 0.0
        self.slice_size = None
        for event in self._reading.values():
            event.set()

    def reset(self) -> None:
        """Abort every proxied connection with a TCP RST in both directions."""
        for pair in self._pairs:
            for writer in (pair.client_writer, pair.server_writer):
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                writer.transport.abort()
            for task in pair.tasks:
                task.cancel()
        self._pairs.clear()

    def disconnect(self) -> None:
        """End every proxied connection with a clean FIN both ways (no close frame, no RST)."""
        for pair in self._pairs:
            for task in pair.tasks:
                task.cancel()
            for writer in (pair.client_writer, pair.server_writer):
                with contextlib.suppress(Exception):
                    writer.close()
        self._pairs.clear()

    async def _accept(self, client_reader, client_writer) -> None:
        self.accepted += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        pair = _Pair(client_writer, server_writer)
        self._pairs.append(pair)
        pair.tasks = [
            asyncio.create_task(self._pump(client_reader, server_writer, "up")),
            asyncio.create_task(self._pump(server_reader, client_writer, "down")),
        ]
        await asyncio.gather(*pair.tasks, return_exceptions=True)

    async def _pump(self, reader, writer, direction: Direction) -> None:
        try:
            while True:
                data = await reader.read(65536)
                # Held, not lost, while this direction is not read (a read may be in flight).
                await self._reading[direction].wait()
                if not data:
                    break
                if direction in self.blackholed:
                    continue
                if self.latency:
                    await asyncio.sleep(self.latency)
                step = self.slice_size or len(data)
                for start in range(0, len(data), step):
                    writer.write(data[start : start + step])
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
