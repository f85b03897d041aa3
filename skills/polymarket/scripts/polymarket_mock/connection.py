"""One accepted WebSocket connection: its observable record and an ordered outbound queue.

Driver calls are synchronous, so frames are queued and written by one writer task per
connection (order preserved; `drain` waits until the queue is written). Stall and dead-link
faults are applied here, at the moment a frame is queued: stalled data is dropped, PONG is not.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from dataclasses import asdict, dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from . import messages
from .faults import Faults

__all__ = ["ConnectionRecord", "HandshakeRecord", "Connection"]

log = logging.getLogger("polymarket_mock")


@dataclass
class HandshakeRecord:
    """One HTTP upgrade attempt on /ws/market or /ws/user."""

    path: str
    status: int
    at: float


@dataclass
class ConnectionRecord:
    """What the mock observed on one accepted WebSocket connection (secrets redacted)."""

    id: int
    channel: str
    opened_at: float
    frames_received: list[tuple[float, str]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    pings: list[float] = field(default_factory=list)
    subscribed_at: float | None = None
    assets: set[str] = field(default_factory=set)
    markets: set[str] | None = None
    custom_feature_enabled: bool = False
    authenticated: bool = False
    api_key: str | None = None
    closed_at: float | None = None
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: str | None = None
    error: str | None = None
    """Why the mock refused a frame or closed the connection (its own words)."""
    frames_sent: int = 0
    data_frames_sent: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy (sets become sorted lists)."""
        data = asdict(self)
        data["assets"] = sorted(self.assets)
        data["markets"] = None if self.markets is None else sorted(self.markets)
        return data


class Connection:
    """A live connection: queue frames, apply faults, close, abort, pause."""

    def __init__(self, ws: ServerConnection, record: ConnectionRecord, faults: Faults) -> None:
        self.ws = ws
        self.record = record
        self.faults = faults
        self.paused = False
        self.oversized_frame: Any = None  # set by the channel: size -> frame text
        # The user subscription as sent, credentials included: read only by the echo-secrets
        # test fault, never recorded.
        self.auth_frame: str | None = None
        self._recorded_reason: str | None = None
        self._aborted = False
        self._queue: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write())

    @property
    def open(self) -> bool:
        """Whether frames can still be queued."""
        return self.record.closed_at is None and not self._aborted

    # ------------------------------------------------------------ sending
    def send(self, frame: Any, *, data: bool = True) -> None:
        """Queue a frame (dict/list is JSON-encoded); dropped on a dead link."""
        if not self.open or self.paused:
            return
        text = frame if isinstance(frame, str) else messages.encode(frame)
        self._queue.put_nowait((text, data))

    def send_pong(self) -> None:
        """Answer a text PING (still done during a stall)."""
        self.send(messages.PONG, data=False)

    def send_raw(self, text: str) -> None:
        """Queue a text frame as is (faults)."""
        self.send(text)

    def send_oversized(self, size_bytes: int) -> None:
        """Queue one valid frame of at least `size_bytes` built by the channel."""
        if self.oversized_frame is not None:
            self.send(self.oversized_frame(size_bytes))

    async def _write(self) -> None:
        while True:
            text, data = await self._queue.get()
            try:
                await self.ws.send(text)
                self.record.frames_sent += 1
                self.record.data_frames_sent += data
            except ConnectionClosed:
                pass
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued frame was handed to the socket (or dropped on close)."""
        if not self._writer.done():
            await self._queue.join()

    # ------------------------------------------------------------ closing
    async def close(self, code: int, reason: str = "", *, recorded: str | None = None) -> None:
        """Close from the server side with this code and reason (`recorded`: what the record
        keeps instead of the reason, when that holds a secret)."""
        self._recorded_reason = recorded
        if self.record.error is None and code != 1000:
            self.record.error = recorded or reason or f"closed with {code}"
        if self.paused:
            self.abort()
            return
        await self.ws.close(code, reason)

    def abort(self, rst: bool = False) -> None:
        """Drop TCP now without a close frame; with `rst`, send RST instead of FIN."""
        self._aborted = True
        transport = self.ws.transport
        sock = transport.get_extra_info("socket")
        if rst and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def pause(self) -> None:
        """Dead link: read nothing (so no PONG) and send nothing."""
        self.paused = True
        self.ws.transport.pause_reading()

    def resume(self) -> None:
        """Undo `pause`."""
        if self.paused and not self._aborted:
            self.paused = False
            self.ws.transport.resume_reading()

    async def finish(self, now: float) -> None:
        """Record how the connection ended and stop the writer."""
        if not self._aborted:
            await self.ws.wait_closed()
        self._writer.cancel()
        while not self._queue.empty():  # unblock drain() waiters
            self._queue.get_nowait()
            self._queue.task_done()
        protocol = self.ws.protocol
        record = self.record
        record.closed_at = now
        record.close_code = self.ws.close_code
        record.close_reason = self._recorded_reason or self.ws.close_reason
        if self._aborted or (protocol.close_sent is None and protocol.close_rcvd is None):
            record.closed_by = "abort"
        elif protocol.close_rcvd is not None and (
            protocol.close_sent is None or protocol.close_rcvd_then_sent
        ):
            record.closed_by = "client"
        else:
            record.closed_by = "server"
