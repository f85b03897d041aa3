"""One scenario's world: a fresh in-process mock, the client as a subprocess, its output.

The mock runs on the checker's event loop, so its records (connections, frames received,
PINGs with loop times, close codes, handshakes) are read directly; the client gets the
mock's endpoints and fresh random credentials through its environment.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import secrets
import signal
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from polymarket_mock import Credentials, MockConfig, MockPolymarket
from polymarket_mock.accounts import DEFAULT_MAKER_ADDRESS
from polymarket_mock.connection import ConnectionRecord
from polymarket_mock.server import HARDHAT_TEST_KEY

from .adapter import Adapter
from .bounds import Bounds
from .leaks import find_leaks

__all__ = ["ENV_FIELDS", "Options", "Run", "fresh_credentials"]

# What the client is told, field -> default variable name (the pack's POLYMARKET_* names).
ENV_FIELDS: dict[str, str] = {
    "ws_url": "POLYMARKET_WS_URL",
    "clob_url": "POLYMARKET_CLOB_URL",
    "api_key": "POLYMARKET_API_KEY",
    "secret": "POLYMARKET_API_SECRET",
    "passphrase": "POLYMARKET_API_PASSPHRASE",
    "address": "POLYMARKET_ADDRESS",
    "private_key": "POLYMARKET_PRIVATE_KEY",
    "asset_ids": "POLYMARKET_ASSET_IDS",
    "markets": "POLYMARKET_MARKETS",
}
CHANNEL_PATH = {"market": "/ws/market", "user": "/ws/user"}
SEED_PRICE, SEED_SIZE = "0.01", "5"  # --seed-orders: one resting BUY per token


@dataclass
class Options:
    """What every run shares: the command, how it is told things, what it speaks."""

    command: Sequence[str]
    bounds: Bounds
    channels: tuple[str, ...] = ("market", "user")
    env_names: dict[str, str] = field(default_factory=lambda: dict(ENV_FIELDS))
    extra_env: dict[str, str] = field(default_factory=dict)
    assets: int = 4
    output: Adapter | None = None  # also judge the client's lines (pack-jsonl or an adapter)
    cwd: str | None = None
    verbose: bool = False
    # The client's tokens come from the account's own orders: before it starts, one resting
    # order per token given (--seed-orders).
    seed_orders: bool = False


def fresh_credentials() -> Credentials:
    """A random account for one run: the scan then knows exactly what must never leak."""
    return Credentials(
        api_key=str(uuid.uuid4()),
        secret=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        passphrase=secrets.token_hex(16),
    )


class Run:
    """A fresh mock plus the client process for one scenario."""

    def __init__(
        self,
        options: Options,
        *,
        assets: int | None = None,
        given: Credentials | None = None,
        activity: float | None = None,
    ) -> None:
        self.options = options
        self.bounds = options.bounds
        self.account = fresh_credentials()
        self.given = given or self.account  # what the client is told (bad-credentials: other)
        count = assets or options.assets
        interval = max(0.05, 1.0 * self.bounds.scale) if activity is None else activity
        self.mock = MockPolymarket(
            MockConfig(
                port=0,
                markets=max(1, (count + 1) // 2),
                activity_interval=interval,
                subscribe_timeout=None,  # judged by the checker, not enforced
                early_ping="record",  # ditto: a PING before the subscription is judged
                credentials=(self.account,),
            )
        )
        self.asset_ids: list[str] = []
        self.count = count
        self.proc: asyncio.subprocess.Process | None = None
        self.stdout: list[tuple[float, str]] = []
        self.stderr: list[str] = []
        self.exit_code: int | None = None
        self.exited_at: float | None = None
        self.stopped_at: float | None = None  # when the checker sent its signal
        self._readers: list[asyncio.Task[None]] = []
        self.loop = asyncio.get_running_loop()
        self.fault_hooks: list[Callable[[], None]] = []  # run at once after a link fault

    def faulted(self) -> None:
        """A scenario has just cut every link (drop, dead link): run the hooks (in the gap)."""
        for hook in self.fault_hooks:
            hook()

    # ------------------------------------------------------------ lifecycle
    def env(self) -> dict[str, str]:
        """The client's environment: ours, the mock's endpoints, the run's credentials."""
        values = {
            "ws_url": self.mock.url,
            "clob_url": self.mock.http_url,
            "address": DEFAULT_MAKER_ADDRESS,
            "private_key": HARDHAT_TEST_KEY,
            "asset_ids": ",".join(self.asset_ids) if "market" in self.options.channels else "",
            "markets": ",".join(m.condition_id for m in self.mock.markets),
        }
        if "user" in self.options.channels:
            values |= {
                "api_key": self.given.api_key,
                "secret": self.given.secret,
                "passphrase": self.given.passphrase,
            }
        # Never hand on the caller's own POLYMARKET_* values (real credentials, a real URL).
        ours = set(ENV_FIELDS.values()) | set(self.options.env_names.values())
        env = {k: v for k, v in os.environ.items() if k not in ours}
        for key, name in self.options.env_names.items():
            if name and values.get(key):
                env[name] = values[key]
        env.update(self.options.extra_env)
        return env

    async def start(self, before_client: Callable[[Run], Any] | None = None) -> None:
        """Start the mock (then `before_client(run)`), then the client."""
        logging.getLogger("polymarket_mock").setLevel(
            logging.INFO if self.options.verbose else logging.CRITICAL
        )
        await self.mock.start()
        self.asset_ids = self.mock.asset_ids[: self.count]
        if self.options.seed_orders:
            for asset in self.asset_ids:  # far below the market: rests, never fills by itself
                self.mock.exchange.place_order(asset, "BUY", SEED_PRICE, SEED_SIZE)
        if before_client is not None:
            before_client(self)
        self.proc = await asyncio.create_subprocess_exec(
            *self.options.command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env(),
            cwd=self.options.cwd,
            start_new_session=True,  # our signals reach the client alone, not the checker
            limit=2**24,
        )
        self._readers = [
            asyncio.create_task(self._read(self.proc.stdout, self.stdout.append, True)),
            asyncio.create_task(self._read(self.proc.stderr, self.stderr.append, False)),
            asyncio.create_task(self._wait_exit()),
        ]

    async def _read(self, stream: Any, sink: Callable[[Any], None], stamped: bool) -> None:
        while line := await stream.readline():
            text = line.decode("utf-8", "replace").rstrip("\n")
            sink((self.loop.time(), text) if stamped else text)

    async def _wait_exit(self) -> None:
        assert self.proc is not None
        self.exit_code = await self.proc.wait()
        self.exited_at = self.loop.time()

    async def stop(self, sig: int = signal.SIGTERM) -> tuple[int | None, float | None]:
        """Send `sig`; (exit code, seconds to exit) or (None, None) if it outlived the bound."""
        assert self.proc is not None
        if self.exit_code is not None:
            return self.exit_code, 0.0
        self.stopped_at = self.loop.time()
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        try:
            async with asyncio.timeout(self.bounds.exit_within):
                await asyncio.shield(self._readers[2])
        except TimeoutError:
            return None, None
        assert self.exited_at is not None
        return self.exit_code, self.exited_at - self.stopped_at

    async def close(self) -> None:
        """Kill the client if it is still alive (its process group), stop the mock."""
        if self.proc is not None and self.exit_code is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            async with asyncio.timeout(5):
                await asyncio.gather(*self._readers, return_exceptions=True)
        await self.mock.stop()

    # ------------------------------------------------------------ views of the records
    @property
    def now(self) -> float:
        return self.loop.time()

    @property
    def alive(self) -> bool:
        return self.exit_code is None

    def records(self, channel: str) -> list[ConnectionRecord]:
        return [r for r in self.mock.connections if r.channel == channel]

    def open_records(self, channel: str | None = None) -> list[ConnectionRecord]:
        return [
            r
            for r in self.mock.connections
            if r.closed_at is None and (channel is None or r.channel == channel)
        ]

    def handshakes(self, channel: str, since: float = 0.0, status: int | None = None) -> list:
        path = CHANNEL_PATH[channel]
        return [
            h
            for h in self.mock.handshakes
            if h.path == path and h.at >= since and (status is None or h.status == status)
        ]

    def ready(self, channel: str, since: float = 0.0) -> bool:
        """Whether the channel is fully subscribed on connections opened after `since`."""
        fresh = [r for r in self.open_records(channel) if r.subscribed_at and r.opened_at >= since]
        if channel == "user":
            return any(r.authenticated for r in fresh)
        covered = set().union(*(r.assets for r in fresh)) if fresh else set()
        return set(self.asset_ids) <= covered

    def all_ready(self, since: float = 0.0) -> bool:
        return all(self.ready(ch, since) for ch in self.options.channels)

    async def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Poll `predicate` every 10 ms; False after `timeout` or once the client has died."""
        deadline = self.now + timeout
        while not predicate():
            if self.now >= deadline or not self.alive:
                return predicate()
            await asyncio.sleep(0.01)
        return True

    def output(self) -> dict[str, str]:
        return {
            "stdout": "\n".join(text for _, text in self.stdout),
            "stderr": "\n".join(self.stderr),
        }

    def secrets(self) -> dict[str, str]:
        """What must never appear in the client's output (what it was given)."""
        if "user" not in self.options.channels:
            return {}
        return {"the API secret": self.given.secret, "the passphrase": self.given.passphrase}

    def tail(self, lines: int = 3) -> str:
        """The last stderr lines (for a FAIL reason); a line holding a secret is withheld."""
        shown = []
        for line in self.stderr[-lines:]:
            if find_leaks(self.secrets(), {"line": line}):
                line = "[line withheld: it holds a secret]"
            shown.append(line.strip()[:160])
        return " | ".join(shown)
