"""The README's commands exist (every `make` target it names is a target of the Makefile), and
its user-channel walkthrough runs as written."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from polymarket_mock import DEMO_CREDENTIALS

ROOT = Path(__file__).resolve().parents[1]


def test_readme_make_targets_exist():
    """Each `make <target>` in the README is defined in the Makefile."""
    readme = (ROOT / "README.md").read_text("utf-8")
    makefile = (ROOT / "Makefile").read_text("utf-8")
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", readme))
    defined = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    assert {"docs", "test"} <= named, "the quickstart is make docs + make test"
    assert named <= defined, f"README names undefined targets: {sorted(named - defined)}"


def test_ci_runs_the_readme_test_command():
    """CI runs exactly the README's test command."""
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE)


def _user_channel_section(readme: str) -> str:
    start = readme.index("For the user channel,")
    return readme[start : readme.index("See `make mock ARGS=--help`", start)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_line(stream, needle: str, timeout: float) -> str:
    """Read `stream` until a line contains `needle` (a thread reads, so the wait is bounded)."""
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        seen = []
        for line in stream:
            seen.append(line)
            if needle in line:
                found.put("".join(seen))
                return
        found.put("".join(seen) + "<EOF>")

    threading.Thread(target=read, daemon=True).start()
    text = found.get(timeout=timeout)
    assert needle in text, text
    return text


def _bash(commands: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """README lines run by bash from the checkout; they must succeed."""
    done = subprocess.run(
        ["bash", "-c", commands], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def test_user_channel_walkthrough_runs_as_written(tmp_path):
    """The README's user-channel steps, run as written: `make mock ARGS="--scenario trading"`,
    the URL exports, the py-clob-client-v2 key derivation; user_stream.py then gets the
    scripted account's events live. Only the port differs (PORT, a free one, for 8765)."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = _user_channel_section(readme)
    (mock_command,) = re.findall(r'`(make mock ARGS="--scenario trading")`', section)
    derive, take_and_run = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    export_line, run_line = take_and_run.strip().splitlines()
    (urls,) = [b for b in re.findall(r"```bash\n(.*?)```", readme, re.DOTALL) if "_WS_URL" in b]
    port = _free_port()
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(ROOT))}
    log = (tmp_path / "mock.log").open("w")  # the mock's log lines (stderr) go to a file
    mock = subprocess.Popen(
        ["bash", "-c", mock_command],
        cwd=ROOT,
        env={**clean, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for_line(mock.stdout, "Ctrl-C stops.", timeout=60)
        show = '.venv/bin/python -c "import json, os; print(json.dumps(dict(os.environ)))"\n'
        shell = _bash(urls.replace("8765", str(port)) + derive + show, clean)
        *printed, last = shell.stdout.splitlines()
        assert printed == [], "the steps print nothing, secrets least of all"
        env = {k: v for k, v in json.loads(last).items() if k.startswith("POLYMARKET_")}
        assert env["POLYMARKET_API_KEY"] == DEMO_CREDENTIALS.api_key, "the account that trades"
        feed = tmp_path / "feed"  # the README's `feed/`, kept out of the checkout
        _bash(export_line.replace(" feed ", f" {feed} "), clean)
        program = subprocess.Popen(
            ["bash", "-c", run_line.replace("feed/", f"{feed}/")],
            cwd=ROOT,
            env={**clean, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            seen = _wait_for_line(program.stdout, "[ws]", timeout=30)
            assert re.search(r"^(ORDER|TRADE) \S+ status=\S+ .*\[ws\]$", seen, re.MULTILINE)
            os.killpg(program.pid, signal.SIGINT)
            assert program.wait(timeout=10) == 0
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(program.pid, signal.SIGKILL)
            program.stdout.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(mock.pid, signal.SIGINT)
        try:
            mock.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(mock.pid, signal.SIGKILL)
            mock.wait(timeout=10)
        mock.stdout.close()
        log.close()


def test_every_export_command_in_the_readme_runs_as_written(tmp_path):
    """Each `export_modules.py` line of the README writes what it says, from a fresh folder."""
    readme = (ROOT / "README.md").read_text()
    lines = re.findall(r"^python3 (skills/polymarket/scripts/export_modules\.py .*)$", readme, re.M)
    assert len(lines) >= 2
    for number, line in enumerate(lines):
        cwd = tmp_path / str(number)
        cwd.mkdir()
        args = line.split()[1:]
        done = subprocess.run(
            [sys.executable, str(ROOT / line.split()[0]), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (line, done.stderr)
        assert any(cwd.rglob("*.py")), line
