"""What both channels share: read loop, text PING/PONG, the subscription and heartbeat timers,
and closing on bad input.

The first frame must be a valid subscription. A text PING before it, or any frame the channel
cannot parse, closes the connection with 1008 "invalid subscription payload" (observed on the
market channel, nautilus_trader#4864; the mock applies it to later bad frames and to the user
channel too, and records its own, more precise reason in ``record.error``). Bad input never
reaches other connections. A binary frame is such a frame unless ``config.binary_frames`` is
"accept" (then it is read as UTF-8 text); the real behaviour is undocumented. With
``config.early_ping`` "record" a PING before the subscription is only recorded (not answered,
not closed), so a client checker can judge it without the close derailing the rest of its run.
"""

from __future__ import annotations

import asyncio
import json
import logging

from websockets.exceptions import ConnectionClosed

from . import messages
from .config import MockConfig
from .connection import Connection
from .messages import InvalidFrame

__all__ = ["ChannelSession", "INVALID_PAYLOAD", "POLICY_VIOLATION"]

log = logging.getLogger("polymarket_mock")
POLICY_VIOLATION = 1008
INVALID_PAYLOAD = "invalid subscription payload"


class ChannelSession:
    """Base of the market and user sessions; subclasses implement `subscribe` and `operate`."""

    def __init__(self, conn: Connection, config: MockConfig) -> None:
        self.conn = conn
        self.record = conn.record
        self.config = config
        self.loop = asyncio.get_running_loop()
        self._timers: list[asyncio.Task[None]] = []

    @property
    def subscribed(self) -> bool:
        """Whether a valid subscription frame was received."""
        return self.record.subscribed_at is not None

    def subscribe(self, text: str) -> None:
        """Handle the first frame; raise InvalidFrame to refuse it."""
        raise NotImplementedError

    def operate(self, text: str) -> None:
        """Handle a later frame; raise InvalidFrame to refuse it."""
        raise NotImplementedError

    def _remember(self, text: str) -> None:
        try:
            value = json.loads(messages.redact(text))
        except ValueError:
            return
        if isinstance(value, dict):
            self.record.subscriptions.append(value)

    async def run(self) -> None:
        """Serve the connection until it closes."""
        if self.config.subscribe_timeout is not None:
            self._timers.append(asyncio.create_task(self._subscribe_deadline()))
        try:
            async for frame in self.conn.ws:
                text = self._as_text(frame)
                now = self.loop.time()
                self.record.frames_received.append((now, messages.redact(text)))
                if text == messages.PING and self.subscribed:
                    self.record.pings.append(now)
                    self.conn.send_pong()
                    continue
                if text == messages.PING:
                    self.record.pings.append(now)
                    if self.config.early_ping == "record":
                        continue  # kept in the record for a checker to judge; not answered
                try:
                    if self.subscribed:
                        self.operate(text)
                    else:
                        self.subscribe(text)
                        self.record.subscribed_at = self.loop.time()
                        self._on_subscribed()
                        self._remember(text)
                        await self._armed_faults()
                        continue
                    self._remember(text)
                except InvalidFrame as exc:
                    log.warning(
                        "#%d %s: refused frame: %s", self.record.id, self.record.channel, exc
                    )
                    self.record.error = str(exc)
                    reason = getattr(exc, "close_reason", INVALID_PAYLOAD)
                    await self.conn.close(POLICY_VIOLATION, reason)
                    break
        except ConnectionClosed:
            pass
        finally:
            for timer in self._timers:
                timer.cancel()

    def _as_text(self, frame: str | bytes) -> str | bytes:
        """A binary frame as text when ``config.binary_frames`` is "accept" (valid UTF-8 only).

        The real service's answer to a binary frame is undocumented (the AsyncAPI defines text
        frames only); with "close" (the default) the bytes go on and are refused like any frame
        the mock cannot parse.
        """
        if isinstance(frame, bytes) and self.config.binary_frames == "accept":
            try:
                return frame.decode("utf-8")
            except UnicodeDecodeError:
                return frame
        return frame

    async def _armed_faults(self) -> None:
        """Apply the faults armed for the next connection of this channel (see Faults.arm)."""
        for apply in self.conn.faults.take_armed(self.record):
            result = apply(self.record.id)
            if result is not None:
                await result

    def _on_subscribed(self) -> None:
        if self.config.ping_timeout is not None:
            self._timers.append(asyncio.create_task(self._heartbeat_deadline()))

    async def _subscribe_deadline(self) -> None:
        assert self.config.subscribe_timeout is not None
        await asyncio.sleep(self.config.subscribe_timeout)
        if not self.subscribed and self.conn.open:
            # The reference only says the server "may close" such connections; the code is ours.
            log.info("#%d: no subscription in time; closing", self.record.id)
            await self.conn.close(POLICY_VIOLATION, "subscription timeout")

    async def _heartbeat_deadline(self) -> None:
        timeout = self.config.ping_timeout
        assert timeout is not None
        while self.conn.open:
            last = self.record.pings[-1] if self.record.pings else self.record.subscribed_at
            assert last is not None
            remaining = last + timeout - self.loop.time()
            if self.conn.paused:  # a dead-link fault owns this connection
                await asyncio.sleep(timeout)
                continue
            if remaining <= 0:
                # Docs: "connection drops after about 10 seconds" without PING; code undocumented.
                log.info("#%d: no PING for %.1fs; closing", self.record.id, timeout)
                await self.conn.close(POLICY_VIOLATION, "heartbeat timeout")
                return
            await asyncio.sleep(remaining)
