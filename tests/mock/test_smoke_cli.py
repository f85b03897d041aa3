"""Smoke tests of the mock's command line, run as a subprocess the way a reader runs it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from polymarket_mock import DEMO_CREDENTIALS
from websockets.asyncio.client import connect

SCRIPT = (
    Path(__file__).resolve().parents[2] / "skills" / "polymarket" / "scripts" / "mock_server.py"
)
# The skill folder must stay free of __pycache__ (it is shipped as is).
QUIET_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **QUIET_ENV, **(env or {})},
    )
    banner = []
    assert process.stdout is not None
    while not banner or not banner[-1].startswith("Scenarios:"):
        line = process.stdout.readline()
        assert line, f"mock exited early: {process.stderr.read() if process.stderr else ''}"
        banner.append(line)
    return process, "".join(banner)


def _stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    return out, err


def test_help_works_from_any_directory(tmp_path):
    """`python mock_server.py --help` exits 0 from an unrelated cwd and names the env vars."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | QUIET_ENV
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    for needle in ("POLYMARKET_WS_URL", "POLYMARKET_CLOB_URL", "--scenario", "stall", "EIP-712"):
        assert needle in result.stdout


def test_stall_scenario_keeps_pong_and_ctrl_c_exits_zero():
    """--scenario stall: data stops at --at, PING still gets PONG; SIGINT exits with code 0."""
    process, banner = _start("--scenario", "stall", "--at", "0.5", "--activity-interval", "0.05")
    try:
        url = re.search(r"POLYMARKET_WS_URL=(\S+)", banner).group(1)
        asset = re.search(r"POLYMARKET_ASSET_IDS=([^,\s]+)", banner).group(1)

        async def client() -> list[str]:
            async with connect(url + "/ws/market", proxy=None) as ws:
                await ws.send(json.dumps({"assets_ids": [asset], "type": "market"}))
                # a one-token dump is a one-element array, as live (reference §9.1)
                assert json.loads(await ws.recv())[0]["event_type"] == "book"
                await asyncio.sleep(1.0)  # real time: the stall fires at 0.5 s
                while True:  # drain what was sent before the stall
                    try:
                        async with asyncio.timeout(0.3):
                            await ws.recv()
                    except TimeoutError:
                        break
                await ws.send("PING")
                async with asyncio.timeout(2):
                    return [await ws.recv()]

        assert asyncio.run(client()) == ["PONG"]
    finally:
        out, err = _stop(process)
    assert "fault fired: stall" in err and "#1 market: connected" in err
    assert "closed by client code=1000" in err


def test_env_credentials_are_accepted_and_never_printed():
    """With POLYMARKET_API_* set, the banner shows that key and no secret or passphrase."""
    env = {
        "POLYMARKET_API_KEY": "0badc0de-0000-4000-8000-000000000002",
        "POLYMARKET_API_SECRET": "c2VjcmV0LWZyb20tdGhlLWVudmlyb25tZW50",
        "POLYMARKET_API_PASSPHRASE": "passphrase-from-the-environment",
    }
    process, banner = _start("--scenario", "trading", "--trading-interval", "0.05", env=env)
    try:
        assert "API key: 0badc0de-0000-4000-8000-000000000002" in banner
        url = re.search(r"POLYMARKET_WS_URL=(\S+)", banner).group(1)

        async def client() -> dict:
            auth = {"apiKey": env["POLYMARKET_API_KEY"], "secret": env["POLYMARKET_API_SECRET"]}
            auth["passphrase"] = env["POLYMARKET_API_PASSPHRASE"]
            async with connect(url + "/ws/user", proxy=None) as ws:
                await ws.send(json.dumps({"auth": auth, "type": "user"}))
                async with asyncio.timeout(5):
                    return json.loads(await ws.recv())

        event = asyncio.run(client())
        assert event["event_type"] in ("order", "trade")
        assert event["owner"] == env["POLYMARKET_API_KEY"]
    finally:
        out, err = _stop(process)
    secrets = (env["POLYMARKET_API_SECRET"], env["POLYMARKET_API_PASSPHRASE"])
    for secret in (*secrets, DEMO_CREDENTIALS.secret, DEMO_CREDENTIALS.passphrase):
        assert secret not in banner + out + err
