"""REST faults on the mock's reads, and a record of every REST request with its loop time.

A rule matches requests whose path starts with ``path`` (default ``/data/``: the L2 reads),
fires ``times`` more times (None = always), and does one of two things:

* ``refuse(status, retry_after, date)``: answer with this HTTP status (429 or 5xx) and an
  ``{"error"}`` body, as a rate limiter or a failing upstream would. With ``retry_after``
  (whole seconds) the answer carries ``Retry-After``: the seconds, or with ``date`` an HTTP-date
  that many seconds after the answer's ``Date`` header (RFC 9110 allows both forms).
* ``hold(seconds)``: the answer is computed when the request arrives (the state of that
  moment) and sent ``seconds`` later; None holds it until ``release()``, ``clear()`` or the mock
  stops: a request that never answers while the client waits.

``requests`` records every REST request (control requests excluded): path, loop time of
arrival and of the answer, status, whether it carried the L2 signature, and the fault applied,
so a test or the checker can judge how a client spaced its reads.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

__all__ = ["REST_FAULT_STATUSES", "RestFaults", "RestRecord"]

log = logging.getLogger("polymarket_mock")
REST_FAULT_STATUSES = (429, 500, 502, 503, 504)


@dataclass
class RestRecord:
    """One REST request as the mock saw it; times are loop seconds."""

    method: str
    path: str
    at: float
    signed: bool  # it carried POLY_SIGNATURE (an L2 read)
    status: int | None = None  # None while its answer is held
    answered_at: float | None = None
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class _Rule:
    path: str
    remaining: int | None
    status: int | None  # refuse with this status, or None: hold
    retry_after: int | None = None
    date: bool = False
    seconds: float | None = None

    def take(self, path: str) -> bool:
        if not path.startswith(self.path) or self.remaining == 0:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True

    def label(self) -> str:
        if self.status is None:
            return f"hold seconds={self.seconds}"
        after = "" if self.retry_after is None else f" retry_after={self.retry_after}"
        return f"status={self.status}{after}{' (date)' if self.date else ''}"


class RestFaults:
    """Fault rules on REST requests, the record of every request, held answers."""

    def __init__(self, fire: Callable[[str], None] = lambda text: None) -> None:
        self._fire = fire
        self._rules: list[_Rule] = []
        self._release = asyncio.Event()
        self.requests: list[RestRecord] = []

    def refuse(self, status=429, *, retry_after=None, date=False, path="/data/", times=None):
        """Answer the next `times` matching requests (None = all) with `status`."""
        if status not in REST_FAULT_STATUSES:
            raise ValueError(f"status must be one of {REST_FAULT_STATUSES}")
        rule = _Rule(path, times, status, None if retry_after is None else int(retry_after), date)
        self._rules.append(rule)
        self._fire(f"rest {rule.label()} path={path} times={times}")

    def hold(self, seconds=None, *, path="/data/", times=None) -> None:
        """Hold the next `times` matching answers `seconds` (None: until released)."""
        rule = _Rule(path, times, None, seconds=None if seconds is None else float(seconds))
        self._rules.append(rule)
        self._fire(f"rest {rule.label()} path={path} times={times}")

    def release(self) -> None:
        """Send every held answer now."""
        self._release.set()
        self._release = asyncio.Event()

    def clear(self) -> None:
        """Drop every rule and send every held answer."""
        self._rules.clear()
        self.release()

    def signed_reads(self, since: float = 0.0) -> list[RestRecord]:
        """The L2-signed requests that arrived at or after `since` (loop time)."""
        return [r for r in self.requests if r.signed and r.at >= since]

    async def answer(
        self,
        conn: ServerConnection,
        request: Request,
        path: str,
        respond: Callable[[ServerConnection, Request], Awaitable[Response]],
    ) -> Response:
        """Record the request, apply the first matching rule, answer through `respond`."""
        loop = asyncio.get_running_loop()
        signed = bool(request.headers.get("POLY_SIGNATURE"))
        record = RestRecord(request.method, path, loop.time(), signed)
        self.requests.append(record)
        rule = next((r for r in self._rules if r.take(path)), None)
        if rule is None:
            response = await respond(conn, request)
        elif rule.status is not None:
            record.fault = rule.label()
            response = _refusal(conn, rule)
        else:
            record.fault = rule.label()
            response = await respond(conn, request)  # the state of this moment
            release = self._release
            try:
                async with asyncio.timeout(rule.seconds):
                    await release.wait()
            except TimeoutError:
                pass
        record.status, record.answered_at = response.status_code, loop.time()
        log.info("REST %s: %d%s", path, response.status_code, f" ({rule.label()})" if rule else "")
        return response


def _refusal(conn: ServerConnection, rule: _Rule) -> Response:
    assert rule.status is not None
    text = "Too Many Requests" if rule.status == 429 else "upstream error"
    response = conn.respond(rule.status, f'{{"error": "{text} (mock fault)"}}\n')
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    if rule.retry_after is not None:
        if rule.date:  # relative to this answer's own Date header: no clock skew
            sent = email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
            value = email.utils.formatdate(sent + rule.retry_after, usegmt=True)
        else:
            value = str(rule.retry_after)
        response.headers["Retry-After"] = value
    return response
