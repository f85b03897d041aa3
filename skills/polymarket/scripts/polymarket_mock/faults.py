"""Fault state and scoping: which connections stall, go dead, drop, close or get junk.

Rules (stall, dead link, handshake rejections, accept-then-close) stay in force for current and
future connections that match their scope until `clear()`. One-shot actions (drop, close, send_*)
hit the matching open connections now. A scope is optional filters: ``channel`` ("market" or
"user"), ``connection_id`` and, for stalls only, ``asset_id``.

`arm` holds a per-connection fault for the next connection of a channel: it fires once, on that
connection, as soon as it has subscribed (scheduled scenarios use it when no connection of a
channel is open at their time, so a client that connects late is not silently skipped).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from .rest_faults import RestFaults

__all__ = [
    "ECHO_PLACES",
    "Faults",
    "FaultTarget",
    "Scope",
    "HANDSHAKE_STATUSES",
    "MALFORMED_FRAME",
    "REST_ECHO_PAGES",
]

log = logging.getLogger("polymarket_mock")
HANDSHAKE_STATUSES = (401, 403, 429, 502, 503, 504)
# Truncated JSON: what a client sees when a frame is cut or corrupted.
MALFORMED_FRAME = '{"event_type": "book", "asset_id": '
# echo-secrets (a TEST fault): where a user connection gets its own credentials back, and what a
# REST read gets. RFC 6455: a close frame's payload is at most 125 bytes, 2 of them the code.
ECHO_PLACES = ("subscription", "text", "close")
REST_ECHO_PAGES = ("json", "html")
CLOSE_REASON_BYTES = 123


class FaultTarget(Protocol):
    """What faults need from an open connection (implemented by the server's Connection)."""

    record: Any

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def abort(self, rst: bool = False) -> None: ...
    async def close(self, code: int, reason: str, *, recorded: str | None = None) -> None: ...
    def send_raw(self, text: str) -> None: ...
    def send_oversized(self, size_bytes: int) -> None: ...
    async def drain(self) -> None: ...


@dataclass
class Scope:
    """Which connections a fault applies to; None matches anything."""

    channel: str | None = None
    connection_id: int | None = None
    asset_id: str | None = None

    def matches(self, record: Any) -> bool:
        """Whether a connection record falls in this scope (asset filters apply elsewhere)."""
        return (self.channel is None or self.channel == record.channel) and (
            self.connection_id is None or self.connection_id == record.id
        )


@dataclass
class _Counted:
    """A handshake-time rule that fires `remaining` more times (None = always)."""

    channel: str | None
    remaining: int | None
    args: tuple[Any, ...]

    def take(self, channel: str) -> tuple[Any, ...] | None:
        if self.channel not in (None, channel) or self.remaining == 0:
            return None
        if self.remaining is not None:
            self.remaining -= 1
        return self.args


@dataclass
class _Armed:
    """A per-connection fault waiting for the next connection of `channel` to subscribe."""

    label: str
    channel: str
    apply: Callable[[int], Awaitable[None] | None]


class Faults:
    """Fault rules plus actions on the open connections `targets()` returns."""

    def __init__(self, targets: Callable[[], Iterable[FaultTarget]]) -> None:
        self._targets = targets
        self.stalls: list[Scope] = []
        self.dead_links: list[Scope] = []
        self._accept_then_close: list[_Counted] = []
        self._rejections: list[_Counted] = []
        self._hangs: list[_Counted] = []
        self._rest_echoes: list[_Counted] = []
        self._armed: list[_Armed] = []
        self.fired: list[str] = []
        self.rest = RestFaults(self._fire)  # 429, 5xx, held answers on REST reads

    def _fire(self, text: str) -> None:
        self.fired.append(text)
        log.info("fault fired: %s", text)

    def _select(self, channel: str | None, connection_id: int | None) -> list[FaultTarget]:
        scope = Scope(channel, connection_id)
        return [t for t in self._targets() if scope.matches(t.record)]

    # ------------------------------------------------------------ rules
    def stall(self, channel=None, connection_id=None, asset_id=None) -> None:
        """Data stops (all, or one asset's); text PING is still answered with PONG."""
        self.stalls.append(Scope(channel, connection_id, asset_id))
        self._fire(f"stall channel={channel} connection={connection_id} asset={asset_id}")

    def dead_link(self, channel=None, connection_id=None) -> None:
        """Nothing is read or sent any more: no PONG, no data (half-open link)."""
        scope = Scope(channel, connection_id)
        self.dead_links.append(scope)
        for target in self._select(channel, connection_id):
            target.pause()
        self._fire(f"dead-link channel={channel} connection={connection_id}")

    def accept_then_close(self, code=1011, reason="", times=None, channel=None) -> None:
        """The next `times` connections (None = all) are accepted, then closed at once."""
        self._accept_then_close.append(_Counted(channel, times, (code, reason)))
        self._fire(f"accept-then-close code={code} times={times} channel={channel}")

    def reject_handshake(self, status=429, times=None, channel=None, retry_after=None) -> None:
        """Answer the next `times` upgrades (None = all) with this HTTP status; with
        `retry_after` (whole seconds) the refusal carries a ``Retry-After`` header."""
        if status not in HANDSHAKE_STATUSES:
            raise ValueError(f"status must be one of {HANDSHAKE_STATUSES}")
        self._rejections.append(_Counted(channel, times, (status, retry_after)))
        after = "" if retry_after is None else f" retry_after={retry_after}"
        self._fire(f"reject-handshake status={status} times={times} channel={channel}{after}")

    def hang_handshake(self, seconds=30.0, times=1) -> None:
        """Delay the next `times` HTTP upgrade responses by `seconds`."""
        self._hangs.append(_Counted(None, times, (seconds,)))
        self._fire(f"hang-handshake seconds={seconds} times={times}")

    def arm(self, label: str, channel: str, apply: Callable[[int], Awaitable[None] | None]):
        """Fire `apply(connection_id)` once, on the next `channel` connection that subscribes."""
        self._armed.append(_Armed(label, channel, apply))
        self._fire(f"{label} armed for the next {channel} connection")

    def take_armed(self, record: Any) -> list[Callable[[int], Awaitable[None] | None]]:
        """The armed faults for this just-subscribed connection (each is handed out once)."""
        hits = [armed for armed in self._armed if armed.channel == record.channel]
        self._armed = [armed for armed in self._armed if armed.channel != record.channel]
        for armed in hits:
            self._fire(f"{armed.label} fires on connection={record.id} (armed)")
        return [armed.apply for armed in hits]

    # ------------------------------------------------------------ actions now
    def drop(self, channel=None, connection_id=None, rst=False) -> None:
        """Abort the TCP connection now, without a close frame (RST with `rst`)."""
        for target in self._select(channel, connection_id):
            self._fire(f"drop connection={target.record.id} rst={rst}")
            target.abort(rst)

    async def close(self, code=1012, reason="service restart", channel=None, connection_id=None):
        """Close matching connections now with this code and reason."""
        targets = self._select(channel, connection_id)
        for target in targets:
            self._fire(f"close connection={target.record.id} code={code} reason={reason!r}")
        await asyncio.gather(*(target.close(code, reason) for target in targets))

    def send_malformed(self, channel=None, connection_id=None) -> None:
        """Send a text frame that is not JSON."""
        for target in self._select(channel, connection_id):
            self._fire(f"malformed frame to connection={target.record.id}")
            target.send_raw(MALFORMED_FRAME)

    def send_unknown_event(self, channel=None, connection_id=None) -> None:
        """Send valid JSON with an event_type no client knows."""
        for target in self._select(channel, connection_id):
            self._fire(f"unknown event to connection={target.record.id}")
            target.send_raw('{"event_type":"mock_unknown_event","timestamp":"0"}')

    def send_oversized(self, size_bytes=2_000_000, channel=None, connection_id=None) -> None:
        """Send one valid frame of at least `size_bytes` (for a client's max_size)."""
        for target in self._select(channel, connection_id):
            self._fire(f"oversized frame ({size_bytes} B) to connection={target.record.id}")
            target.send_oversized(size_bytes)

    async def echo_secrets(self, places=ECHO_PLACES, channel=None, connection_id=None) -> None:
        """A TEST fault, not live behaviour (no capture shows the server echoing credentials):
        each matching user connection gets the credentials it authenticated with back, in
        `places`: "subscription" its own first frame verbatim, "text" an error text frame
        "INVALID OPERATION: ..." quoting the secret and passphrase, "close" (last) a 1008 close
        whose reason quotes them, cut to 123 bytes. A client must print none of it."""
        if not places or set(places) - set(ECHO_PLACES):
            raise ValueError(f"places must be among {', '.join(ECHO_PLACES)}")
        for target in self._select(channel, connection_id):
            frame = getattr(target, "auth_frame", None)
            if frame is None:
                continue  # a market connection, or not authenticated: nothing to echo
            auth = json.loads(frame).get("auth", {})
            said = f"secret {auth.get('secret')} passphrase {auth.get('passphrase')}"
            self._fire(f"echo-secrets {','.join(places)} to connection={target.record.id}")
            if "subscription" in places:
                target.send_raw(frame)
            if "text" in places:
                target.send_raw(f"INVALID OPERATION: {said}")
            if "close" in places:
                await target.drain()
                reason = f"invalid credentials: {said}".encode()[:CLOSE_REASON_BYTES]
                said = "echo-secrets test fault"  # what the record keeps: no secret
                await target.close(1008, reason.decode("utf-8", "ignore"), recorded=said)

    def echo_secrets_rest(self, page="json", times=None) -> None:
        """A TEST fault: the next `times` L2 reads (/data/*; None = all) are refused, quoting the
        caller's passphrase and secret: "json" a 401 {"error": ...}, "html" a 502 HTML page."""
        if page not in REST_ECHO_PAGES:
            raise ValueError(f"page must be one of {', '.join(REST_ECHO_PAGES)}")
        self._rest_echoes.append(_Counted(None, times, (page,)))
        self._fire(f"echo-secrets-rest page={page} times={times}")

    def rest_echo(self) -> str | None:
        """The page ("json" or "html") for the next L2 read, or None (echo_secrets_rest)."""
        for rule in self._rest_echoes:
            if (args := rule.take("rest")) is not None:
                return args[0]
        return None

    def clear(self) -> None:
        """Undo every rule; dead links read and send again."""
        self.stalls.clear()
        self._accept_then_close.clear()
        self._rejections.clear()
        self._hangs.clear()
        self._rest_echoes.clear()
        self._armed.clear()
        self.rest.clear()
        if self.dead_links:
            self.dead_links.clear()
            for target in self._targets():
                target.resume()
        self._fire("clear")

    # ------------------------------------------------------------ queries
    def is_dead(self, record: Any) -> bool:
        """Whether a connection is under a dead-link rule."""
        return any(scope.matches(record) for scope in self.dead_links)

    def stalled_assets(self, record: Any) -> set[str] | None:
        """None if data flows; an empty set if all data stalls; else the stalled assets."""
        matching = [scope for scope in self.stalls if scope.matches(record)]
        if not matching:
            return None
        if any(scope.asset_id is None for scope in matching):
            return set()
        return {scope.asset_id for scope in matching if scope.asset_id}

    def handshake_action(self, channel: str) -> tuple[Any, ...] | None:
        """("hang", seconds), ("reject", status, retry_after) or None for the next upgrade on
        `channel` (retry_after: None or whole seconds for a Retry-After header)."""
        for rule in self._hangs:
            if (args := rule.take(channel)) is not None:
                return "hang", args[0]
        for rule in self._rejections:
            if (args := rule.take(channel)) is not None:
                return "reject", args[0], args[1]
        return None

    def accept_then_close_rule(self, channel: str) -> tuple[int, str] | None:
        """(code, reason) if this new connection must be closed right after accepting it."""
        for rule in self._accept_then_close:
            if (args := rule.take(channel)) is not None:
                return args[0], args[1]
        return None
