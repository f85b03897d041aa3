"""Start one runner in its own interpreter, feed it the assets, read its one JSON line."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .specs import RUNNERS

__all__ = ["RunnerFailed", "run_runner", "runner_env"]

TIMEOUT = 300


class RunnerFailed(RuntimeError):
    """The runner exited without a result; the message is short enough for a table note."""


def runner_env(extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    # No proxy may reroute loopback; no PYTHONPATH of ours may leak into a peer's venv.
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def run_runner(
    python: Path,
    runner: str,
    url: str,
    frames: int,
    channel: str,
    mode: str,
    given: dict,
    env: tuple[tuple[str, str], ...] = (),
) -> dict:
    command = [str(python), str(RUNNERS / runner), "--url", url, "--frames", str(frames)]
    command += ["--channel", channel, "--mode", mode]
    try:
        done = subprocess.run(
            command,
            input=json.dumps(given),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=runner_env(env),
        )
    except subprocess.TimeoutExpired as error:
        raise RunnerFailed(f"no result within {TIMEOUT} s") from error
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise RunnerFailed(f"exit {done.returncode}: {(tail or ['no output'])[-1][:200]}")
    return json.loads(lines[-1])
