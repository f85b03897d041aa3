"""What the tests of real clients share: the client's own venv (skipped when missing, failed in
CI), and its driver (sdk_driver.py, polymarket_apis_driver.py) as a subprocess that prints one
JSON object a line, read by a thread, and takes commands on stdin."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.fixtures.mock import ThreadedMock

ROOT = Path(__file__).resolve().parents[2]


def venv_python(venv: Path, missing: str, unable: Callable[[], str | None] = lambda: None) -> Path:
    """The python of `venv` once make has installed it. Else a skip saying `missing`, but a
    failure in CI (CI=true), which must build it; or a skip in any case when `unable()` names
    what this machine lacks to build it."""
    python = venv / "bin" / "python"
    if (venv / ".installed").exists() and python.exists():
        return python
    if (reason := unable()) is not None:
        pytest.skip(reason)
    if os.environ.get("CI") == "true":
        pytest.fail(missing)
    pytest.skip(missing)


def user_events_sent(mock: ThreadedMock) -> list[dict[str, Any]]:
    """A list that fills with a copy of every user event the mock publishes for its account."""
    account = mock.mock.credentials.api_key
    events: list[dict[str, Any]] = []

    def record(owner: str, event: dict[str, Any]) -> None:
        if owner == account:
            events.append(json.loads(json.dumps(event)))

    mock.call(mock.mock.exchange.user_listeners.append, record)
    return events


class DriverProcess:
    """The subprocess, the lines it printed so far (`lines`) and those not yet taken (`_new`,
    None once its stdout ends)."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: list[dict[str, Any]] = []
        self._new: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._new.put(json.loads(raw))
        self._new.put(None)

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()[-3000:]

    def kill(self) -> None:
        """Stop the process if still running, then close its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()
