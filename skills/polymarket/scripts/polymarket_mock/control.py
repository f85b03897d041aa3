"""The HTTP control endpoint (/_mock/...) for driving the mock from another process.

GET or POST, arguments in the query string, JSON replies:

* ``/_mock/state``: markets, connections (secrets redacted), handshakes, faults fired.
* ``/_mock/fault?kind=...``: kind is stall, dead-link, drop, close, accept-then-close, reject,
  hang, malformed, unknown-event or oversized; optional channel, connection_id, asset_id, code,
  reason, status, times, seconds, size, rst, retry_after (reject: a Retry-After header).
  stall and dead-link hold for every matching connection, later ones too, until /_mock/clear.
  rest-refuse answers the next ``times`` REST reads under ``path`` (default /data/; all if no
  times) with ``status`` (429 default, 500, 502, 503, 504), with ``retry_after`` seconds as a
  Retry-After header (``date=1``: as an HTTP-date); rest-hold sends their answers ``seconds``
  late (none: never, until rest-release, /_mock/clear or the mock stops). state lists every
  REST request (``rest_requests``: path, loop times, status, signed, fault).
  echo-secrets (a test fault, not live behaviour) sends each user connection its own credentials
  back in ``places`` (default subscription,text,close: its first frame, an "INVALID OPERATION:"
  text frame, a 1008 close reason); echo-secrets-rest refuses the next ``times`` /data/* reads
  quoting them, ``page`` json (401) or html (502).
* ``/_mock/clear``: undo every fault.
* ``/_mock/order?asset_id&side&price&size``, ``/_mock/take?...`` (same), ``/_mock/fok?...``
  (same; a fill-or-kill order: filled in full or killed, replies order_id and trade_id or null),
  ``/_mock/fill?order_id[&size][&others=1.5,0.5]`` (others: other makers the same taker fills at
  that price), ``/_mock/cancel?order_id[&status]`` (CANCELED, INVALID or CANCELED_<reason>),
  ``/_mock/advance?trade_id&status`` (only MATCHED -> MINED or RETRYING, MINED -> CONFIRMED,
  RETRYING -> FAILED or MINED; CONFIRMED and FAILED are final: anything else, MATCHED -> FAILED
  included, is refused with HTTP 400; exchange.TRADE_TRANSITIONS),
  ``/_mock/tick?market&tick_size``, ``/_mock/new-market``,
  ``/_mock/resolve?market[&outcome]`` (then the market's LIVE orders: CANCELED_MARKET_RESOLVED),
  ``/_mock/step`` (one round of generated activity on every market).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .faults import ECHO_PLACES

if TYPE_CHECKING:
    from .server import MockPolymarket

__all__ = ["Control", "FAULT_KINDS"]

FAULT_KINDS = (
    "stall",
    "dead-link",
    "drop",
    "close",
    "accept-then-close",
    "reject",
    "hang",
    "malformed",
    "unknown-event",
    "oversized",
    "rest-refuse",
    "rest-hold",
    "rest-release",
    "echo-secrets",
    "echo-secrets-rest",
)


def _int(query: dict[str, str], key: str, default: int | None = None) -> int | None:
    return int(query[key]) if key in query else default


class Control:
    """Maps /_mock/ requests onto the mock's driver and fault API."""

    def __init__(self, mock: MockPolymarket) -> None:
        self.mock = mock

    async def handle(self, method: str, target: str) -> tuple[int, Any] | None:
        """Answer a /_mock/ request; None for an unknown path."""
        url = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        action = url.path.removeprefix("/_mock/")
        mock, exchange = self.mock, self.mock.exchange
        if action == "state":
            return 200, self.state()
        if action == "fault":
            await self.fault(query)
            return 200, {"ok": True, "kind": query.get("kind")}
        if action == "clear":
            mock.faults.clear()
            return 200, {"ok": True}
        if action in ("order", "take"):
            args = (query["asset_id"], query["side"], query["price"], query["size"])
            if action == "order":
                return 200, {"order_id": exchange.place_order(*args)}
            return 200, {"trade_id": exchange.take(*args)}
        if action == "fok":
            args = (query["asset_id"], query["side"], query["price"], query["size"])
            order_id, trade_id = exchange.fill_or_kill(*args)
            return 200, {"order_id": order_id, "trade_id": trade_id}
        if action == "fill":
            others = [x for x in query.get("others", "").split(",") if x]
            trade_id = exchange.fill(query["order_id"], query.get("size"), others=others)
            return 200, {"trade_id": trade_id}
        if action == "cancel":
            exchange.cancel(query["order_id"], query.get("status", "CANCELED"))
            return 200, {"ok": True}
        if action == "advance":
            exchange.advance_trade(query["trade_id"], query["status"])
            return 200, {"ok": True}
        if action == "tick":
            exchange.set_tick_size(query["market"], query["tick_size"])
            return 200, {"ok": True}
        if action == "new-market":
            return 200, {"condition_id": exchange.add_market().condition_id}
        if action == "resolve":
            exchange.resolve_market(query["market"], query.get("outcome", "Yes"))
            return 200, {"ok": True}
        if action == "step":
            exchange.step(set(exchange.asset_ids))
            return 200, {"ok": True}
        return None

    def state(self) -> dict[str, Any]:
        """A JSON view of markets, connections and handshakes (no secrets)."""
        mock = self.mock
        return {
            "url": mock.url,
            "http_url": mock.http_url,
            "api_key": mock.credentials.api_key,
            "markets": [
                {
                    "condition_id": m.condition_id,
                    "token_ids": list(m.token_ids),
                    "outcomes": list(m.outcomes),
                    "tick_size": m.tick_size,
                }
                for m in mock.markets
            ],
            "connections": [record.to_json() for record in mock.connections],
            "handshakes": [vars(h) for h in mock.handshakes],
            "faults_fired": list(mock.faults.fired),
            "rest_requests": [r.to_json() for r in mock.faults.rest.requests],
        }

    async def fault(self, query: dict[str, str]) -> None:
        """Apply one fault described by query arguments."""
        faults, kind = self.mock.faults, query.get("kind", "")
        scope: dict[str, Any] = {
            "channel": query.get("channel"),
            "connection_id": _int(query, "connection_id"),
        }
        times = _int(query, "times")
        if kind == "stall":
            faults.stall(asset_id=query.get("asset_id"), **scope)
        elif kind == "dead-link":
            faults.dead_link(**scope)
        elif kind == "drop":
            faults.drop(rst=query.get("rst", "") in ("1", "true"), **scope)
        elif kind == "close":
            code = _int(query, "code", 1012)
            await faults.close(code, query.get("reason", "service restart"), **scope)
        elif kind == "accept-then-close":
            code = _int(query, "code", 1011)
            faults.accept_then_close(code, query.get("reason", ""), times, scope["channel"])
        elif kind == "reject":
            status, retry_after = _int(query, "status", 429), _int(query, "retry_after")
            faults.reject_handshake(status, times, scope["channel"], retry_after)
        elif kind == "hang":
            faults.hang_handshake(float(query.get("seconds", 30.0)), times or 1)
        elif kind == "malformed":
            faults.send_malformed(**scope)
        elif kind == "unknown-event":
            faults.send_unknown_event(**scope)
        elif kind == "oversized":
            faults.send_oversized(_int(query, "size", 2_000_000), **scope)
        elif kind == "rest-refuse":
            faults.rest.refuse(
                _int(query, "status", 429),
                retry_after=_int(query, "retry_after"),
                date=query.get("date", "") in ("1", "true"),
                path=query.get("path", "/data/"),
                times=times,
            )
        elif kind == "rest-hold":
            seconds = float(query["seconds"]) if "seconds" in query else None
            faults.rest.hold(seconds, path=query.get("path", "/data/"), times=times)
        elif kind == "rest-release":
            faults.rest.release()
        elif kind == "echo-secrets":
            places = query.get("places", ",".join(ECHO_PLACES)).split(",")
            await faults.echo_secrets(tuple(p for p in places if p), **scope)
        elif kind == "echo-secrets-rest":
            faults.echo_secrets_rest(query.get("page", "json"), times)
        else:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
