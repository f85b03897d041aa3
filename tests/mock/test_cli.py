"""The mock's command line: --help, a short run that serves a client, a clean exit on SIGINT."""

import asyncio
import base64
import contextlib
import json
import os
import re
import signal
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


async def _run(tmp_path, *args: str) -> tuple[int, str, str]:
    """Run the script to completion from `tmp_path`; exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        *args,
        cwd=tmp_path,
        env=_clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(20):
        out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_help_runs_from_any_directory(tmp_path):
    """`mock_server.py --help` works from an unrelated cwd and documents its options."""
    code, text, err = await _run(tmp_path, "--help")
    assert code == 0, err
    assert "--host" in text and "--port" in text
    # the contract: L1 signatures are checked for presence/format only, and --help says so
    assert "EIP-712" in text
    assert re.search(r"(?i)(does not|doesn't|never)\s+(recover|verif)", text)


def _transition_phrases() -> list[str]:
    """Phrases such as MATCHED -> MINED or RETRYING, from exchange.TRADE_TRANSITIONS (the truth)."""
    from polymarket_mock.exchange import TRADE_TRANSITIONS

    phrases = [
        f"{src} -> {' or '.join(sorted(dst))}" for src, dst in TRADE_TRANSITIONS.items() if dst
    ]
    final = sorted(src for src, dst in TRADE_TRANSITIONS.items() if not dst)
    return [*phrases, f"{' and '.join(final)} are final"]


async def test_help_and_control_docstring_name_the_trade_transitions_advance_allows(tmp_path):
    """/_mock/advance refuses other transitions (HTTP 400): --help and control.py say which."""
    from polymarket_mock import control

    code, text, err = await _run(tmp_path, "--help")
    assert code == 0, err
    for where in (" ".join(text.split()), " ".join(control.__doc__.split())):
        assert "/_mock/advance" in where
        for phrase in _transition_phrases():
            assert phrase in where, phrase


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
async def test_bad_arguments_exit_2(tmp_path, bad):
    """Invalid arguments are a usage error (exit 2) with a message, not a traceback."""
    code, _out, err = await _run(tmp_path, *bad)
    assert code == 2
    assert err and "Traceback" not in err


async def _start(tmp_path, *args: str, env: dict[str, str] | None = None):
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *args,
        cwd=tmp_path,
        env=env or _clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(process) -> tuple[str, str]:
    """SIGINT, then the remaining output; the exit code must be 0."""
    process.send_signal(signal.SIGINT)
    async with asyncio.timeout(10):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode(), err.decode()


async def test_scenario_close_1012_fires_at_the_given_time(tmp_path):
    """`--scenario close-1012 --at 0.5` closes an open connection with 1012 service restart."""
    process = await _start(tmp_path, "--scenario", "close-1012", "--at", "0.5")
    try:
        url = await _read_url(process)
        async with client(url + "/ws/market") as ws:
            await ws.send(json.dumps({"type": "market", "assets_ids": []}))
            async with asyncio.timeout(5):
                try:
                    while True:
                        await ws.recv()
                except Exception:  # noqa: BLE001  (any close ends the wait)
                    pass
            assert ws.close_code == 1012
        await _stop(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_scheduled_fault_hits_a_client_that_connects_after_the_time(tmp_path):
    """`--scenario close-1012 --at 0.2`: a client connecting a second later still gets 1012
    (the fault waits for the next connection of its channel); the one after is healthy."""
    process = await _start(tmp_path, "--scenario", "close-1012", "--at", "0.2")
    try:
        url = await _read_url(process)
        await asyncio.sleep(1.0)
        codes = []
        for _ in range(2):
            async with client(url + "/ws/market") as ws:
                await ws.send(json.dumps({"type": "market", "assets_ids": []}))
                await ws.send("PING")
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        while await ws.recv() != "PONG":
                            pass
                codes.append(ws.close_code)
        assert codes == [1012, None], "hit once, then a healthy connection"
        await _stop(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_env_credentials_are_accepted_and_never_printed(tmp_path):
    """POLYMARKET_API_* set at start authenticate /ws/user; no output shows the secrets."""
    secret = base64.urlsafe_b64encode(b"cli-test-secret-cli-test-secret!").decode()
    passphrase = "cli-test-passphrase-5f2e"
    env = {
        **_clean_env(),
        "POLYMARKET_API_KEY": "7d1e2c3b-4a5f-4e6d-8c7b-9a0b1c2d3e4f",
        "POLYMARKET_API_SECRET": secret,
        "POLYMARKET_API_PASSPHRASE": passphrase,
    }
    process = await _start(tmp_path, "--log-level", "DEBUG", env=env)
    try:
        url = await _read_url(process)
        auth = {"apiKey": env["POLYMARKET_API_KEY"], "secret": secret, "passphrase": passphrase}
        async with client(url + "/ws/user") as ws:
            await ws.send(json.dumps({"type": "user", "auth": auth}))
            await ws.send("PING")
            assert await asyncio.wait_for(ws.recv(), 5) == "PONG"
        out, err = await _stop(process)
        for text in (out, err):
            assert secret not in text and passphrase not in text
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_env_file_holds_every_client_variable_privately(tmp_path):
    """--env-file writes the client's variables, secrets included, mode 0600; stdout has none."""
    env_file = tmp_path / "mock.env"
    process = await _start(tmp_path, "--env-file", str(env_file))
    url = await _read_url(process)
    out, err = await _stop(process)
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    values = dict(
        line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines()
    )
    assert values["POLYMARKET_WS_URL"] == url
    for name in ("API_KEY", "API_SECRET", "API_PASSPHRASE", "ADDRESS", "ASSET_IDS", "MARKETS"):
        assert values[f"POLYMARKET_{name}"], name
    for secret in (values["POLYMARKET_API_SECRET"], values["POLYMARKET_API_PASSPHRASE"]):
        assert secret.strip("'")[:12] not in out + err
    code, _out, err = await _run(tmp_path, "--env-file", str(env_file))
    assert code == 2 and "exists" in err  # never replaced


async def test_help_holds_the_whole_control_endpoint_reference(tmp_path):
    """Every /_mock route and its arguments are in --help: no reader opens control.py."""
    from polymarket_mock import control

    code, text, _err = await _run(tmp_path, "--help")
    assert code == 0
    routes = set(re.findall(r"/_mock/[a-z-]+", control.__doc__))
    assert len(routes) >= 10 and routes <= set(re.findall(r"/_mock/[a-z-]+", text))
    assert "/_mock/order?asset_id&side&price&size" in text and "retry_after" in text
