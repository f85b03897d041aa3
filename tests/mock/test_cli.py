"""The mock's command line: --help, a short run that serves a client, a clean exit on SIGINT."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.mock._support import client, events_of

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "skills" / "polymarket" / "scripts" / "mock_server.py"
URL = re.compile(r"ws://127\.0\.0\.1:(\d+)")


def _clean_env() -> dict[str, str]:
    """The caller's environment minus anything that would let the script find the mock for free."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "POLYMARKET_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_help_runs_from_any_directory(tmp_path):
    """`mock_server.py --help` works from an unrelated cwd and documents its options."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "--host" in text and "--port" in text
    # the contract: L1 signatures are checked for presence/format only, and --help says so
    assert re.search(r"(?i)eip-?712|signer|signature", text)


async def _read_url(process: asyncio.subprocess.Process) -> str:
    """The first ws:// URL the server prints on stdout."""
    assert process.stdout is not None
    async with asyncio.timeout(15):
        while True:
            line = (await process.stdout.readline()).decode()
            assert line, "the server exited before printing its URL"
            match = URL.search(line)
            if match:
                return match.group(0)


async def test_short_run_serves_a_client_and_exits_0_on_sigint(tmp_path):
    """A run prints its URL, serves the market channel, and exits 0 on SIGINT."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        cwd=tmp_path,
        env=_clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        url = await _read_url(process)
        http_url = "http" + url.removeprefix("ws")
        state = await asyncio.to_thread(_get_json, http_url + "/_mock/state")
        asset = state["markets"][0]["token_ids"][0]
        async with client(url + "/ws/market") as ws:
            await ws.send(json.dumps({"type": "market", "assets_ids": [asset]}))
            (book,) = events_of(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            assert book["event_type"] == "book" and book["asset_id"] == asset
            await ws.send("PING")
            assert await asyncio.wait_for(ws.recv(), 5) == "PONG"
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            _out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert "Traceback" not in err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _get_json(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("bad", [["--port", "not-a-number"], ["--no-such-option"]])
def test_bad_arguments_exit_2(tmp_path, bad):
    """Invalid arguments are a usage error (exit 2) with a message, not a traceback."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *bad],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
