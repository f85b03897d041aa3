"""scripts/check_client.py on the three programs of your-own-contract.md, each with its own
output adapter, as a reader runs it: bot_feed.py as the one file it is delivered as, through
the whole battery; csv_recorder.py and spread_monitor.py through the scenarios their contract
meets (a stall, a drop, malformed shapes, closed tokens, a quiet market, the shutdown bound).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.checker.test_check_client import battery, check, verdicts
from tests.fixtures.pack import pack_modules_dir

SCRIPTS = Path(__file__).resolve().parents[2] / "skills" / "polymarket" / "scripts"
BOT_NAMES = {
    "ws_url": "BOT_WS",
    "clob_url": "BOT_REST",
    "address": "BOT_WALLET",
    "asset_ids": "BOT_TOKENS",
    "markets": "BOT_MARKETS",
    "api_key": "BOT_KEY",
    "secret": "BOT_SECRET",
    "passphrase": "BOT_PASS",
}
SCALE = ["--time-scale", "0.1"]
JOBS = ["--jobs", "3"]  # 3 scenarios at once, each with its own mock


def export(tmp_path: Path, *how: str) -> None:
    command = [sys.executable, str(SCRIPTS / "export_modules.py"), *how]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)


def adapter(name: str) -> list[str]:
    return ["--output-adapter", str(pack_modules_dir / name)]  # the page's block, as tested


@pytest.mark.timeout(300)
def test_bot_feed_as_one_file_passes_the_whole_battery(tmp_path):
    """Its variables under its own names, its knob, its 2 s bound: 27 PASS, every output check
    equal to the mock's books and order."""
    export(tmp_path, "--single-file", "bot.py", "--only", "bot_feed.py")
    names = [f"--env-name={field}={name}" for field, name in BOT_NAMES.items()]
    options = [*JOBS, "--exit-within", "2", *names, "--env", "BOT_TIME_SCALE=0.1"]
    started = time.monotonic()
    code, report, out = check(
        tmp_path,
        [sys.executable, str(tmp_path / "bot.py")],
        *options,
        *adapter("bot_adapter.py"),
    )
    took = time.monotonic() - started
    assert verdicts(report) == dict.fromkeys(battery(), "PASS"), out
    assert code == 0
    assert "output not checked" not in out
    assert out.count("the last lines equal the mock's (4 books, 1 order") >= 15, out
    assert "(bound 2 s, not scaled)" in out
    assert took < 90, f"the battery took {took:.0f} s"  # ~40 s on two cores


MARKET_ONLY = ["--channels", "market"]  # no credentials given: the user scenarios SKIP


def test_csv_recorder_passes_its_scenarios_with_its_adapter(tmp_path):
    export(tmp_path, "recorder", "--only", "csv_recorder.py")
    chosen = ["stall", "drop", "closed-token", "malformed-shapes", "shutdown"]
    client = [sys.executable, str(tmp_path / "recorder" / "csv_recorder.py"), *SCALE]
    options = [*MARKET_ONLY, *JOBS, "--exit-within", "3", "--only", ",".join(chosen)]
    code, report, out = check(tmp_path, client, *options, *adapter("recorder_adapter.py"))
    assert verdicts(report) == dict.fromkeys(chosen, "PASS"), out
    assert code == 0 and "output not checked" not in out
    assert out.count("the last lines equal the mock's (4 books)") == 3, out  # stall to m-shapes
    assert "(bound 3 s, not scaled)" in out


def test_spread_monitor_passes_its_scenarios_with_its_adapter(tmp_path):
    """One market: --assets 2 gives it that market's two tokens (many-assets' 250 tokens are
    not a one-market monitor's contract; it refuses them with exit 2)."""
    export(tmp_path, "monitor", "--only", "spread_monitor.py")
    chosen = ["stall", "drop", "quiet-market", "malformed-shapes", "shutdown"]
    client = [sys.executable, str(tmp_path / "monitor" / "spread_monitor.py"), *SCALE]
    names = ["--env-name", "ws_url=SPREAD_WS", "--env-name", "asset_ids=SPREAD_TOKENS"]
    options = [*MARKET_ONLY, "--assets", "2", *names, *JOBS, "--only", ",".join(chosen)]
    code, report, out = check(tmp_path, client, *options, *adapter("spread_adapter.py"))
    assert verdicts(report) == dict.fromkeys(chosen, "PASS"), out
    assert code == 0 and "output not checked" not in out
    assert out.count("the last lines equal the mock's (2 books)") == 4, out
