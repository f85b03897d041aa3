"""Command line of the client checker: ``python check_client.py --help``."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time
from pathlib import Path

from .adapter import PACK_JSONL, Adapter, AdapterError, load_adapter
from .bounds import MEANING, PRODUCTION, Bounds
from .harness import ENV_FIELDS, Options
from .report import line, summary, write_json
from .scenarios import SCENARIOS, Verdict, run_scenario

__all__ = ["main", "build_parser"]

DESCRIPTION = """\
Check your own Polymarket WebSocket client against the bundled mock, one fault at a time.

For each scenario the checker starts a FRESH mock Polymarket inside its own process (market and
user channels, REST, fresh random API credentials), starts your client with the mock's
endpoints and those credentials in its environment, waits until it has subscribed on every
channel it speaks, applies the scenario's fault, judges the client from what the mock recorded
on every connection (subscription frames, text PINGs with their times, handshakes and HTTP
statuses, who closed and with which code), stops it with SIGTERM (SIGINT in shutdown-sigint),
and prints one PASS/FAIL line naming what it saw and the bound it applied. In every scenario
the client's stdout and stderr are scanned for any 12-character piece of the API secret or
passphrase it was given (never printed by the checker). Exit code: 0 if nothing failed, 1 if a
scenario failed, 2 on a usage error (a broken --output-adapter included).

  python check_client.py -- python my_bot.py --flag
  python check_client.py --time-scale 0.1 --only drop,stall --json report.json -- ./bot
"""

EPILOG = (
    """\
time scale: --time-scale S declares that every interval of your client is S times its
production value (S=0.1: PING every 1 s instead of 10 s, a 3 s PONG deadline, a 6 s data
deadline, a 6 s wait after HTTP 429, a 3 s backoff cap). The checker multiplies each
production figure below by S, and never uses less than --floor real seconds for an upper
bound. Give your client the scaled intervals yourself (options, a wrapper); the checker cannot.
Production figures (seconds, counts):
"""
    + "\n".join(f"  {k:<16} {v:>4g}  {MEANING[k]}" for k, v in PRODUCTION.items())
    + """

environment given to the client (--env-name FIELD=NAME to rename, FIELD= to leave one out):
"""
    + "\n".join(f"  {k:<12} {v}" for k, v in ENV_FIELDS.items())
    + """
  asset_ids and markets are comma-separated; address is a fixed test wallet, private_key the
  public Hardhat test key #0. Without 'user' in --channels no credentials are passed.

scenarios (--only / --skip take comma-separated names):
"""
    + "\n".join(f"  {s.name:<20} {s.summary}" for s in SCENARIOS.values())
    + """

  A scenario needing a channel your client does not speak (--channels) is SKIPped.
  A client that watches the books of its own orders' tokens (none given at start) takes
  --seed-orders: one resting order per token is placed for the account before it starts, so
  it has tokens to subscribe; with wrong credentials (bad-credentials) it cannot see them, so
  its market side is then not awaited.
  --jobs N runs N scenarios at once, each against its own mock on its own port, so N copies
  of your client run at once: a client that binds a fixed port or shares a file cannot. The
  lines still come in the order above; bounds are the same (on a busy machine use fewer jobs).
  shutdown judges 1000 closes and exit 0; the other scenarios send SIGTERM at their end and
  kill a client still running --exit-within seconds later (noted, not judged).

output checks: --output-format pack-jsonl reads the JSON lines of the pack's quickstart
(trading_feed.py); --output-adapter FILE.py reads yours. Before each fault the mock places one
resting order for the account, and where the fault cuts every link (drop, dead-link, the
handshake-429 rows) fills part of it at that instant, so only a REST re-read can show it.
After the scenario the mock goes quiet; within the recover bound every asset's last book must
be live and equal the mock's, the order's last word must have the mock's status and matched
size, and a trade the client names the mock's status.

adapter contract: FILE.py defines parse_line(line: str), called with stdout lines of your
client, a line possibly many times: keep it stateless. It returns None (not a fact), a fact or
a list of facts:
  {"kind": "book", "asset_id": ID, "bids": [[price, size], ...], "asks": [...]}   levels
  {"kind": "book", "asset_id": ID, "best_bid": price|None, "best_ask": price|None}  or best only
  {"kind": "order", "id": ID, "status": "LIVE", "size_matched": "4"}   either or both
  {"kind": "trade", "id": ID, "status": "MATCHED"}
Prices and sizes as numbers or decimal strings, levels in any order, statuses in any case;
"live": False on a book your client itself marks as not current (no prices needed). The REST
scenarios (rest-gap, rest-stale) need a line for each order as it is placed, and its status
and matched total on later lines. An adapter that cannot load
stops the checker (exit 2); one that raises or returns something else leaves the scenarios'
verdicts standing, is named with the stdout line and the fix, and makes the exit code 2.
"""
)


class UsageError(Exception):
    """A bad option value: reported by argparse (exit code 2)."""


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} takes KEY=VALUE, got {value!r}")
        pairs[key] = rest
    return pairs


def _names(text: str | None) -> list[str]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise UsageError(f"unknown scenario(s) {', '.join(unknown)}; see --list")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="check_client.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] -- COMMAND [ARG ...]",
    )
    add = parser.add_argument
    add(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="S",
        help="your client's intervals / production intervals (default 1.0)",
    )
    add("--only", metavar="NAMES", help="run only these scenarios, in the battery's order")
    add("--skip", metavar="NAMES", help="leave these scenarios out")
    add("--list", action="store_true", help="list the scenarios with their bounds and exit")
    add(
        "--channels",
        default="market,user",
        help="channels your client speaks: market, user or both (default market,user)",
    )
    add(
        "--env-name",
        action="append",
        default=[],
        metavar="FIELD=NAME",
        help="pass FIELD under the variable NAME (repeatable); FIELD= passes nothing",
    )
    add(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra environment variable for the client (repeatable)",
    )
    add(
        "--assets",
        type=int,
        default=4,
        help="token ids given to the client (default 4; many-assets gives 250)",
    )
    add(
        "--startup",
        type=float,
        default=15.0,
        help="real seconds for the client to start and subscribe (default 15, not scaled)",
    )
    add(
        "--exit-within",
        type=float,
        default=5.0,
        help="real seconds from SIGTERM/SIGINT to exit (default 5, not scaled)",
    )
    add(
        "--floor",
        type=float,
        default=1.0,
        help="no upper bound below this many real seconds (default 1)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--output-format",
        choices=["pack-jsonl"],
        help="also check the client's JSON lines (the quickstart's shapes) against the mock",
    )
    output.add_argument(
        "--output-adapter",
        metavar="FILE.py",
        help="also check the client's own lines, read by FILE.py's parse_line (see below)",
    )
    add(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="run N scenarios at once, each with its own mock on its own port (default 1)",
    )
    add(
        "--seed-orders",
        action="store_true",
        help="the client's tokens come from its account's orders: place one resting BUY "
        "(5 at 0.01) per token before it starts",
    )
    add("--json", type=Path, metavar="FILE", help="write the full report as JSON to FILE")
    add("--cwd", help="working directory of the client")
    add("--verbose", action="store_true", help="show the mock's log")
    add("command", nargs=argparse.REMAINDER, help="after --: the command that starts your client")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _main(parser, args)
    except UsageError as exc:
        parser.error(str(exc))


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        bounds = Bounds(args.time_scale, args.floor, args.startup, args.exit_within)
    except ValueError as exc:
        parser.error(str(exc))
    if args.list:
        for s in SCENARIOS.values():
            print(f"{s.name:<20} {s.summary}")
        print(
            f"bounds at --time-scale {bounds.scale:g}: "
            + ", ".join(
                f"{k} {bounds.says(k)}"
                for k in (
                    "ping_max_gap",
                    "reconnect",
                    "dead_link",
                    "stall",
                    "missing_book",
                    "recover",
                )
            )
        )
        return 0
    if not command:
        parser.error("give the client's command after --")
    if args.jobs < 1:
        parser.error("--jobs takes a whole number >= 1")
    channels = tuple(c.strip() for c in args.channels.split(",") if c.strip())
    if not channels or any(c not in ("market", "user") for c in channels):
        parser.error("--channels takes market, user or market,user")
    names = dict(ENV_FIELDS)
    for field_name, name in _pairs(args.env_name, "--env-name").items():
        if field_name not in names:
            parser.error(f"--env-name: unknown field {field_name!r} (one of {', '.join(names)})")
        names[field_name] = name
    chosen = _names(args.only) or list(SCENARIOS)
    skipped = set(_names(args.skip))
    chosen = [n for n in SCENARIOS if n in chosen and n not in skipped]
    options = Options(
        command=command,
        bounds=bounds,
        channels=channels,
        env_names=names,
        extra_env=_pairs(args.env, "--env"),
        assets=args.assets,
        output=_output(args),
        cwd=args.cwd,
        verbose=args.verbose,
        seed_orders=args.seed_orders,
    )
    if args.seed_orders and "user" not in channels:
        parser.error("--seed-orders needs the user channel (--channels market,user)")
    print(f"checking: {shlex.join(command)}")
    print(
        f"time scale {bounds.scale:g} (your intervals = production x {bounds.scale:g}); "
        f"channels {', '.join(channels)}; {len(chosen)} scenario(s)"
    )
    sys.stdout.flush()
    started = time.monotonic()
    results = asyncio.run(_run_all(options, chosen, args.jobs))
    wall = time.monotonic() - started
    summary(results, sys.stdout, wall)
    if args.json:
        extra = {"channels": list(channels), "jobs": args.jobs, "wall_seconds": round(wall, 3)}
        write_json(args.json, command, bounds, results, extra)
        print(f"report: {args.json}")
    if any(v.status == "FAIL" for v in results.values()):
        return 1
    return 2 if any(v.output_error for v in results.values()) else 0


def _output(args: argparse.Namespace) -> Adapter | None:
    """The adapter reading the client's lines, if any (UsageError if it cannot load)."""
    if args.output_adapter:
        try:
            return load_adapter(args.output_adapter)
        except AdapterError as exc:
            raise UsageError(str(exc)) from None
    return PACK_JSONL if args.output_format == "pack-jsonl" else None


async def _run_all(options: Options, chosen: list[str], jobs: int = 1) -> dict:
    """Run `chosen`, at most `jobs` at once (each Run has its own mock: no port or record is
    shared). Lines come in the battery's order, each as soon as every scenario before it has
    finished; with jobs > 1 a progress line goes to stderr as each one finishes."""
    results: dict[str, Verdict] = {}
    width = max(18, *(len(name) for name in chosen))
    slots = asyncio.Semaphore(jobs)
    shown = 0

    async def one(name: str) -> None:
        nonlocal shown
        async with slots:
            verdict = await run_scenario(options, SCENARIOS[name])
        results[name] = verdict
        if jobs > 1:
            print(
                f"[{len(results)}/{len(chosen)}] finished {name}: {verdict.status}",
                file=sys.stderr,
                flush=True,
            )
        while shown < len(chosen) and chosen[shown] in results:
            print(line(chosen[shown], results[chosen[shown]], width), flush=True)
            shown += 1

    await asyncio.gather(*(one(name) for name in chosen))
    return {name: results[name] for name in chosen}
