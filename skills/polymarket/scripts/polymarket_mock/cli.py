"""Command line of the bundled mock: ``python mock_server.py --help``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys

from .accounts import DEMO_CREDENTIALS, credentials_from_env
from .config import MockConfig
from .control import __doc__ as CONTROL_DOC
from .scenarios import SCENARIOS, run_scenario
from .server import MockPolymarket

__all__ = ["main", "build_parser"]

log = logging.getLogger("polymarket_mock")

DESCRIPTION = """\
A local mock of Polymarket's CLOB real-time API on one port: the market channel (/ws/market),
the user channel (/ws/user), the REST reads around them (/auth/api-key, /auth/derive-api-key,
/auth/api-keys, /data/orders, /data/order/<id>, /data/trades, /book) and a control endpoint
(/_mock/state, /_mock/fault?kind=..., /_mock/clear, /_mock/order?..., /_mock/fill?...,
/_mock/fok?asset_id&side&price&size for a fill-or-kill order, /_mock/advance?trade_id&status
to move a trade on; see polymarket_mock/control.py). /_mock/advance allows only MATCHED -> MINED
or RETRYING, MINED -> CONFIRMED, RETRYING -> FAILED or MINED; CONFIRMED and FAILED are final
(anything else, MATCHED -> FAILED included, is refused with HTTP 400).
Unlike the one-shot scenarios below, /_mock/fault?kind=stall or dead-link is a condition, not an
event: it holds for every matching connection, later ones included (a reconnect stalls again),
until /_mock/clear; add connection_id=N to hit one connection only.
"""

EPILOG = """\
point a client at it:
  export POLYMARKET_WS_URL=ws://HOST:PORT      (clients append /ws/market or /ws/user)
  export POLYMARKET_CLOB_URL=http://HOST:PORT  (py-clob-client-v2 REST host)

credentials: the mock trades for ONE account: the fixed, fake demo account
polymarket_mock.DEMO_CREDENTIALS (see polymarket_mock/accounts.py), or, if POLYMARKET_API_KEY,
POLYMARKET_API_SECRET and POLYMARKET_API_PASSPHRASE are set when the mock starts, that account
(the demo account is then accepted too). Scripted activity (--scenario trading, /_mock/order,
...) is that account's. Create or derive an API key with any signer (py-clob-client-v2
create_or_derive_api_key, polymarket-client AsyncSecureClient.create) and the mock answers with
that account's credentials, whatever the wallet: a mock choice so that a derived key sees the
user events (the real server gives each address its own key). L1 requests are checked for
header presence and format only: the mock does not recover EIP-712 signers. L2 HMAC is verified.

scenarios (--scenario, repeatable). All but trading fire once, --at seconds after start.
A connection fault hits every connection open at that moment; for a channel (market, user)
with none open then, it hits the next connection of that channel once it has subscribed, so a
client that connects late is not skipped. Each connection is hit at most once: a client that
reconnects after the fault gets a healthy connection.
""" + "\n".join(f"  {name:<18} {s.help}" for name, s in SCENARIOS.items())


def _seconds_or_none(text: str) -> float | None:
    if text.lower() in ("none", "off", "0"):
        return None
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


# The control endpoint's full reference, so nobody has to open control.py for it.
CONTROL_HELP = (CONTROL_DOC or "").strip().removeprefix("The ")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by tests)."""
    parser = argparse.ArgumentParser(
        prog="mock_server.py",
        description=DESCRIPTION,
        epilog=EPILOG + "\n" + CONTROL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    add("--port", type=int, default=8765, help="port to bind; 0 = any free port (default 8765)")
    add("--seed", type=int, default=0, help="same seed, same markets, ids and activity")
    add("--markets", type=int, default=2, help="generated binary markets (default 2)")
    add("--book-depth", type=int, default=5, help="levels per side in opening books (default 5)")
    add(
        "--activity-interval",
        type=_seconds_or_none,
        default=1.0,
        help="seconds between generated book changes per subscribed market; none = quiet "
        "(default 1.0)",
    )
    add(
        "--scenario",
        action="append",
        default=[],
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help="run a named scenario (repeatable); see the list below",
    )
    add("--at", type=float, default=10.0, help="seconds after start when faults fire (default 10)")
    add(
        "--trading-interval",
        type=float,
        default=3.0,
        help="seconds between steps of the trading scenario (default 3)",
    )
    add(
        "--ping-timeout",
        type=_seconds_or_none,
        default=None,
        help="close a subscribed connection that sends no text PING for this long "
        "(default: never; the docs say PING every 10 s, official examples every 50 s: "
        "the real timeout is undocumented)",
    )
    add(
        "--subscribe-timeout",
        type=_seconds_or_none,
        default=30.0,
        help="close a connection with no valid subscription after this long (default 30, "
        "a mock choice: the real timeout is undocumented)",
    )
    add(
        "--binary-frames",
        choices=["close", "accept"],
        default="close",
        help="what a client frame sent as BINARY gets: close = 1008 'invalid subscription "
        "payload' (default), accept = read as UTF-8 text. A mock choice: the real service's "
        "answer is undocumented (its AsyncAPI defines text frames only)",
    )
    add(
        "--tx-hash-at-match",
        action="store_true",
        help="trades carry transaction_hash already when MATCHED, as a 2024 live capture shows "
        '(default: "" until MINED, as the AsyncAPI example)',
    )
    add(
        "--created-at-ms",
        action="store_true",
        help="order events' created_at in Unix milliseconds, as a nautilus fixture shows "
        "(default: seconds, as the docs)",
    )
    add(
        "--batch-best-prices",
        default="post",
        choices=["entry", "post"],
        help="best_bid/best_ask in a price_change that moves several levels (a sweep): post = "
        "one frame per level, same timestamp, every entry after the whole batch, as a 2026-09 "
        "live capture shows (default); entry = one frame, each entry after its own level",
    )
    add(
        "--empty-side",
        default="empty",
        choices=["empty", "bound"],
        help='price_change best price of an empty side: empty = "" (default, ts-sdk); bound = '
        '"0" for no bid and "1" for no ask, as the docs example (no capture settles which)',
    )
    add(
        "--no-sibling-entries",
        dest="sibling_entries",
        action="store_false",
        help="price_change entries only for subscribed tokens (default: also the other token of "
        "the market, as live captures of 2026-05 and 2026-08 show)",
    )
    add(
        "--close-on-invalid-operation",
        action="store_true",
        help="after the text INVALID OPERATION (the live answer to a second initial "
        "subscription on a market socket) also close it with 1008 (default: keep it open; "
        "whether live closes is not known)",
    )
    add(
        "--env-file",
        metavar="FILE",
        help="write every variable a client needs, the account's secret and passphrase included, "
        "as `export NAME=value` lines to FILE (created with mode 0600; an existing FILE is "
        "refused). Load it with: set -a; . FILE; set +a. The banner never prints the secrets",
    )
    add("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def _banner(mock: MockPolymarket, from_env: bool, scenarios: list[str]) -> str:
    source = (
        "from POLYMARKET_API_KEY/_SECRET/_PASSPHRASE in this environment"
        if from_env
        else "demo account; all variables, secrets included: --env-file FILE"
    )
    lines = [
        f"Mock Polymarket listening on {mock.url}",
        f"  market channel   {mock.url}/ws/market",
        f"  user channel     {mock.url}/ws/user",
        f"  REST and control {mock.http_url}  (state: {mock.http_url}/_mock/state)",
        "Point a client at it:",
        f"  export POLYMARKET_WS_URL={mock.url}",
        f"  export POLYMARKET_CLOB_URL={mock.http_url}",
        f"  export POLYMARKET_ASSET_IDS={','.join(mock.asset_ids)}",
        f"  export POLYMARKET_MARKETS={','.join(m.condition_id for m in mock.markets)}",
        f"API key: {mock.credentials.api_key} ({source})",
        "Markets:",
    ]
    for market in mock.markets:
        lines.append(f"  {market.condition_id}  {market.question}")
        for outcome, token in zip(market.outcomes, market.token_ids, strict=True):
            lines.append(f"    {outcome:<4} {token}")
    lines.append(f"Scenarios: {', '.join(scenarios) or 'none'}. Ctrl-C stops.")
    return "\n".join(lines)


def _write_env_file(path: str, env: dict[str, str]) -> None:
    """`export NAME=value` lines, readable by the owner alone; never replaces a file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for name, value in env.items():
            out.write(f"export {name}={shlex.quote(value)}\n")


async def serve(args: argparse.Namespace) -> None:
    """Run the mock (and scenarios) until SIGINT or SIGTERM."""
    env_creds = credentials_from_env()
    credentials = (env_creds, DEMO_CREDENTIALS) if env_creds else (DEMO_CREDENTIALS,)
    config = MockConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        markets=args.markets,
        book_depth=args.book_depth,
        activity_interval=args.activity_interval,
        subscribe_timeout=args.subscribe_timeout,
        ping_timeout=args.ping_timeout,
        binary_frames=args.binary_frames,
        transaction_hash_at_match=args.tx_hash_at_match,
        created_at_ms=args.created_at_ms,
        batch_best_prices=args.batch_best_prices,
        empty_side=args.empty_side,
        close_on_invalid_operation=args.close_on_invalid_operation,
        sibling_entries=args.sibling_entries,
        credentials=credentials,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with MockPolymarket(config) as mock:
        if args.env_file:
            _write_env_file(args.env_file, mock.client_env())
        print(_banner(mock, env_creds is not None, args.scenario), flush=True)
        tasks = [
            asyncio.create_task(run_scenario(mock, name, args.at, args.trading_interval))
            for name in args.scenario
        ]
        await stop.wait()
        log.info("stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, configure logging to stderr, serve; exit code 0 on Ctrl-C."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.env_file and os.path.lexists(args.env_file):
        parser.error(f"--env-file {args.env_file} exists; remove it or name another file")
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s.%(msecs)03d %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
    )
    # websockets' own logger: at DEBUG it prints request headers (POLY_PASSPHRASE) and the tail
    # of every frame (the user channel's secret), so it never goes below INFO.
    websockets_level = logging.INFO if args.log_level == "DEBUG" else logging.WARNING
    logging.getLogger("polymarket_mock.websockets").setLevel(websockets_level)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"mock_server.py: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
