"""A bench module run as a child process: it prints one JSON line when ready, and exits when
its stdin closes. The server under load then has a core of its own, apart from the client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["start_child", "stop_child"]

REPO_ROOT = Path(__file__).resolve().parents[1]


def start_child(module: str, *args: str, what: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start `python -m module args...` and return it with the JSON it printed when ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"{what} did not start")
    return process, json.loads(line)


def stop_child(process: subprocess.Popen[str] | None, timeout: float) -> None:
    """Close the child's stdin (its signal to stop) and wait; kill it if it hangs."""
    if process is None:
        return
    process.stdin.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
