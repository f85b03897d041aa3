"""`MockPolymarket`: one port serving /ws/market, /ws/user, the REST reads and /_mock control.

Everything runs on the event loop it is started in and reads time only from that loop, so a
test that starts the mock inside a looptime test compresses every timer of the mock too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import MAX_BODY_SIZE, Request, Response
from websockets.server import ServerProtocol

from .accounts import DEFAULT_MAKER_ADDRESS, Accounts, Credentials
from .config import MockConfig
from .connection import Connection, ConnectionRecord, HandshakeRecord
from .control import Control
from .exchange import Exchange
from .faults import Faults
from .market_channel import MarketHub, MarketSession
from .markets import Market
from .rest import HtmlPage, RestApi
from .user_channel import UserHub, UserSession

__all__ = ["MockPolymarket", "HARDHAT_TEST_KEY"]

log = logging.getLogger("polymarket_mock")
CHANNEL_PATHS = {"/ws/market": "market", "/ws/user": "user"}
# The well-known public Hardhat test key #0: a throwaway L1 signer for py-clob-client-v2.
HARDHAT_TEST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


class MockPolymarket:
    """A local Polymarket CLOB: market and user channels, REST reads, faults, a driver API."""

    def __init__(self, config: MockConfig | None = None, **overrides: Any) -> None:
        self.config = config or MockConfig()
        for key, value in overrides.items():
            setattr(self.config, key, value)
        self.accounts = Accounts(tuple(self.config.credentials))
        self.exchange = Exchange(
            seed=self.config.seed,
            markets=self.config.markets,
            book_depth=self.config.book_depth,
            clock=self._now_ms,
            default_owner=self.accounts.default.api_key,
        )
        self.exchange.transaction_hash_at_match = self.config.transaction_hash_at_match
        self.exchange.created_at_ms = self.config.created_at_ms
        for name, allowed in (
            ("batch_best_prices", ("entry", "post")),
            ("empty_side", ("empty", "bound")),
        ):
            if getattr(self.config, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {allowed}, got {getattr(self.config, name)!r}"
                )
            setattr(self.exchange, name, getattr(self.config, name))
        self.connections: list[ConnectionRecord] = []
        self.handshakes: list[HandshakeRecord] = []
        self._live: dict[int, Connection] = {}
        self.faults = Faults(lambda: [c for c in self._live.values() if c.open])
        self.market_hub = MarketHub(self.exchange, self.faults)
        self.user_hub = UserHub(self.exchange, self.faults, self.accounts)
        self.rest = RestApi(self.exchange, self.accounts, self.config.page_size)
        self.rest.faults = self.faults
        self.control = Control(self)
        self._server: Server | None = None
        self._activity: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._epoch_ms = 0.0
        self.port = self.config.port

    # ------------------------------------------------------------ public views
    @property
    def url(self) -> str:
        """Base WebSocket URL; clients append /ws/market or /ws/user."""
        return f"ws://{self.config.host}:{self.port}"

    @property
    def http_url(self) -> str:
        """Base HTTP URL of the REST reads and the /_mock control endpoint."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def markets(self) -> list[Market]:
        """The generated markets (condition_id, token_ids, outcomes, tick_size, ...)."""
        return self.exchange.markets

    @property
    def asset_ids(self) -> list[str]:
        """Every token id, flat (Yes, No of each market)."""
        return self.exchange.asset_ids

    @property
    def credentials(self) -> Credentials:
        """The default account (first of config.credentials)."""
        return self.accounts.default

    def book(self, asset_id: str) -> dict[str, Any]:
        """The mock's own current full book summary of a token (hash included): the WebSocket
        `book` fields plus the REST-only min_order_size and neg_risk the hash covers."""
        return self.exchange.summary(asset_id)

    def client_env(self) -> dict[str, str]:
        """Environment for a client program pointed at this mock (holds the secrets)."""
        return {
            "POLYMARKET_WS_URL": self.url,
            "POLYMARKET_CLOB_URL": self.http_url,
            **self.credentials.env(),
            "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY,
            # The wallet of that public test key: what the pack's clob_rest.py signs REST with.
            "POLYMARKET_ADDRESS": DEFAULT_MAKER_ADDRESS,
            "POLYMARKET_ASSET_IDS": ",".join(self.asset_ids),
            "POLYMARKET_MARKETS": ",".join(m.condition_id for m in self.markets),
        }

    def _now_ms(self) -> int:
        loop = self._loop
        if loop is None:
            return int(time.time() * 1000)
        return int(self._epoch_ms + loop.time() * 1000)

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> MockPolymarket:
        """Bind and start serving on the running loop."""
        self._loop = asyncio.get_running_loop()
        wall_ms = time.time() * 1000 if self.config.epoch_ms is None else self.config.epoch_ms
        self._epoch_ms = wall_ms - (self._loop.time() * 1000 if self.config.epoch_ms is None else 0)
        self._server = await serve(
            self._handler,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            process_response=self._process_response,
            create_connection=_MockServerConnection,
            ping_interval=None,  # the CLOB heartbeat is the client's text PING, not ours
            open_timeout=None,  # hang_handshake faults may delay our own upgrade response
            max_size=self.config.max_message_size,
            close_timeout=self.config.close_timeout,
            logger=logging.getLogger("polymarket_mock.websockets"),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self.config.activity_interval is not None:
            self._activity = asyncio.create_task(self._generate_activity())
        log.info("mock listening on %s (REST and control on %s)", self.url, self.http_url)
        return self

    async def stop(self) -> None:
        """Close every connection (1001 going away) and stop serving."""
        self.faults.rest.release()  # a held REST answer would keep its socket open
        if self._activity is not None:
            self._activity.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._activity
        for conn in list(self._live.values()):
            if conn.paused:  # a dead link would never answer the close handshake
                conn.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        log.info("mock stopped")

    async def __aenter__(self) -> MockPolymarket:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_for(
        self,
        predicate: Callable[[MockPolymarket], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented API
    ) -> None:
        """Poll `predicate(mock)` on the loop clock until true; TimeoutError after `timeout`."""
        async with asyncio.timeout(timeout):
            while not predicate(self):  # noqa: ASYNC110 - predicates are arbitrary callables
                await asyncio.sleep(0.01)

    async def flush(self) -> None:
        """Wait until every queued outbound frame was written."""
        await asyncio.gather(*(conn.drain() for conn in list(self._live.values())))

    # ------------------------------------------------------------ internals
    async def _generate_activity(self) -> None:
        assert self.config.activity_interval is not None
        while True:
            await asyncio.sleep(self.config.activity_interval)
            subscribed = self.market_hub.subscribed_assets()
            if subscribed:
                self.exchange.step(subscribed)

    async def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        channel = CHANNEL_PATHS.get(path)
        if channel is not None:
            action = self.faults.handshake_action(channel)
            if action and action[0] == "hang":
                await asyncio.sleep(action[1])
            elif action and action[0] == "reject":
                response = conn.respond(action[1], f"mock fault: HTTP {action[1]}\n")
                if action[2] is not None:
                    response.headers["Retry-After"] = str(action[2])
                return response
            return None
        if path.startswith("/ws"):
            return conn.respond(404, "Not Found\n")
        if path.startswith("/_mock/"):
            return await self._answer(conn, request)
        return await self.faults.rest.answer(conn, request, path, self._answer)

    async def _answer(self, conn: ServerConnection, request: Request) -> Response:
        """A control or REST request's JSON answer."""
        path = urlsplit(request.path).path
        try:
            if path.startswith("/_mock/"):
                reply = await self.control.handle(request.method, request.path)
            else:
                reply = self.rest.handle(request.method, request.path, request.headers)
        except (KeyError, ValueError, TypeError) as exc:
            reply = 400, {"error": f"{type(exc).__name__}: {exc}"}
        if reply is None:
            reply = 404, {"error": f"no such endpoint {path}"}
        return _json_response(conn, *reply)

    def _process_response(self, conn: ServerConnection, request: Request, response: Response):
        path = urlsplit(request.path).path
        if path in CHANNEL_PATHS:
            assert self._loop is not None
            self.handshakes.append(HandshakeRecord(path, response.status_code, self._loop.time()))
            if response.status_code != 101:
                log.info("handshake %s refused with HTTP %d", path, response.status_code)

    async def _handler(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        channel = CHANNEL_PATHS[urlsplit(ws.request.path).path]
        record = ConnectionRecord(
            id=len(self.connections) + 1, channel=channel, opened_at=loop.time()
        )
        self.connections.append(record)
        conn = Connection(ws, record, self.faults)
        self._live[record.id] = conn
        peer = ws.remote_address[:2] if ws.remote_address else "?"
        log.info("#%d %s: connected from %s", record.id, channel, peer)
        session: MarketSession | UserSession | None = None
        try:
            rule = self.faults.accept_then_close_rule(channel)
            if rule is not None:
                log.info("#%d: accept-then-close fault, closing with %d", record.id, rule[0])
                await conn.close(*rule)
                return
            if self.faults.is_dead(record):
                conn.pause()
            if channel == "market":
                session = MarketSession(conn, self.config, self.market_hub)
                self.market_hub.sessions.add(session)
            else:
                session = UserSession(conn, self.config, self.user_hub)
                self.user_hub.sessions.add(session)
            await session.run()
        finally:
            self.market_hub.sessions.discard(session)  # type: ignore[arg-type]
            self.user_hub.sessions.discard(session)  # type: ignore[arg-type]
            await conn.finish(loop.time())
            self._live.pop(record.id, None)
            log.info(
                "#%d %s: closed by %s code=%s reason=%r after %d PINGs, %d data frames sent",
                record.id,
                channel,
                record.closed_by,
                record.close_code,
                record.close_reason,
                len(record.pings),
                record.data_frames_sent,
            )


class _MockServerConnection(ServerConnection):
    """A ServerConnection whose handshake parser also reads a REST request's body.

    websockets' HTTP parser refuses any request with a non-zero Content-Length ("unsupported
    request body") by closing the socket without a reply, before process_request runs, so a
    POST with a body to any path got an empty reply. Here the Content-Length header is renamed
    while the request is parsed and the body is read (and kept as ``request_body``), so every
    request reaches the mock's routing and gets a JSON answer (404 for an unknown route).
    Bodies over 1 MiB and chunked bodies are still refused by websockets as before.
    """

    request_body: bytes = b""

    def __init__(self, protocol: ServerProtocol, *args: Any, **kwargs: Any) -> None:
        reader, pending = protocol.reader, [0]
        read_line = reader.read_line

        def read_line_with_body(m: int, too_long: type[Exception]) -> Generator[None, None, Any]:
            line = yield from read_line(m, too_long)
            name, colon, value = line.partition(b":")
            if colon and name.strip().lower() == b"content-length":
                digits = value.strip()
                if digits.isdigit() and 0 < int(digits) <= MAX_BODY_SIZE:
                    pending[0] = int(digits)
                    return b"X-Mock-Body-Length:" + value
            elif line.strip() == b"" and pending[0]:
                # End of the headers: the body follows; read it so it is not parsed as frames.
                self.request_body = bytes((yield from reader.read_exact(pending[0])))
                pending[0] = 0
            return line

        reader.read_line = read_line_with_body  # type: ignore[method-assign]
        # Restart the handshake parser (primed in ServerProtocol.__init__, nothing read yet) so
        # it reads through the wrapper.
        protocol.parser = protocol.parse()
        next(protocol.parser)
        super().__init__(protocol, *args, **kwargs)


def _json_response(conn: ServerConnection, status: int, body: Any) -> Response:
    html = isinstance(body, HtmlPage)  # an error page (a test fault), not JSON
    response = conn.respond(status, body if html else json.dumps(body) + "\n")
    headers = Headers(response.headers)
    del headers["Content-Type"]
    headers["Content-Type"] = "text/html; charset=utf-8" if html else "application/json"
    return Response(response.status_code, response.reason_phrase, headers, response.body)
