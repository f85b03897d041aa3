"""The clients measured side by side: ours, the bare loop, and the peers, with their venvs."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ClientSpec", "OURS", "OURS_ORJSON", "BARE", "PEERS", "REPO_ROOT", "RUNNERS"]

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNERS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ClientSpec:
    """One client: where its runner runs and, for a peer, how its venv is built."""

    name: str  # also the --peers name
    label: str  # for the table
    runner: str  # file name in bench/peers/
    venv: str = ""  # folder under the repo; "" = the project venv (sys.executable)
    requirements: str = ""  # pinned requirements file, relative to the repo
    min_python: tuple[int, int] = (3, 11)
    python: str = ""  # an interpreter to build the venv with; "" = the first found that fits
    install_hint: str = ""  # for the progress line
    measures: str = ""  # the row note: what exactly this client does with each frame
    channels: tuple[str, ...] = ("market", "user")
    env: tuple[tuple[str, str], ...] = ()  # set in the runner's environment

    @property
    def is_peer(self) -> bool:
        return bool(self.venv)

    def venv_path(self) -> Path:
        return REPO_ROOT / self.venv

    def interpreter(self) -> Path:
        return self.venv_path() / "bin" / "python" if self.venv else Path(sys.executable)


BARE = ClientSpec(
    "bare",
    "bare recv+json.loads",
    "run_bare.py",
    measures="websockets recv() + json.loads, nothing kept.",
)
OURS = ClientSpec(
    "ours",
    "documented (pack)",
    "run_ours.py",
    measures="the pack's MarketFeed (books kept), or RobustConnection + UserEventRouter + "
    "OrderTracker as user_stream.py wires them; counted in frames; decoder: json (standard "
    "library, POLYMARKET_JSON=json).",
    env=(("POLYMARKET_JSON", "json"),),
)
# The same runner with the pack's optional fast path: wire.py decodes with orjson.
OURS_ORJSON = ClientSpec(
    "ours+orjson",
    "documented (pack) + orjson",
    "run_ours.py",
    measures="the same documented clients as `ours`, with wire.py on orjson "
    "(POLYMARKET_JSON=orjson).",
    env=(("POLYMARKET_JSON", "orjson"),),
)
PEERS = (
    ClientSpec(
        "official",
        "official SDK polymarket-client",
        "run_official.py",
        venv=".venv-sdk",  # the venv `make sdk` builds for tests/clients, reused
        requirements="tests/clients/requirements-sdk.lock",
        install_hint="about 30 s",
        measures="AsyncPublicClient.subscribe(MarketSpec) / AsyncSecureClient.subscribe(UserSpec), "
        "events read from its handle as pydantic models; it keeps no book, so the runner keeps "
        "the latest book event per asset (price_change not applied). The user stream's "
        "GET /auth/api-keys is answered by a stub in the runner before timing.",
    ),
    ClientSpec(
        "polymarket-apis",
        "polymarket-apis",
        "run_polymarket_apis.py",
        venv=".venv-polymarket-apis",  # the venv `make polymarket-apis` builds for tests/clients
        requirements="tests/clients/requirements-polymarket-apis.lock",
        min_python=(3, 12),
        install_hint="about 20 s",
        measures="AsyncPolymarketWebsocketsClient.open_market_connection with its "
        "LocalOrderBookStore (books kept) / open_user_connection; events parsed into its "
        "pydantic models; default queue settings.",
    ),
    ClientSpec(
        "nautilus",
        "nautilus_trader adapter",
        "run_nautilus.py",
        venv=".venv-bench-nautilus",
        requirements="bench/peers/requirements-nautilus.txt",
        install_hint="about a minute",
        measures="decoding only: the adapter's msgspec decoders (MARKET_WS_MESSAGE / "
        "USER_WS_MESSAGE) on bytes from websockets recv(decode=False); no book upkeep (that "
        "needs a trading node); the runner keeps the latest book snapshot per asset.",
    ),
)
