"""Figure 4: how much simulated time the looptime behaviour tests cover per real second.

Runs `pytest tests/behaviour tests/faults -q -p no:cacheprovider -p bench.looptime_probe` in a
subprocess; the probe sums, over every test run under looptime, the loop time the test advanced
and the real time its body took. Compression = sum(loop) / sum(real).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .pack import REPO_ROOT

__all__ = ["SUITE_PATHS", "run_suite"]

SUITE_PATHS = ("tests/behaviour", "tests/faults")


def run_suite(paths: tuple[str, ...] = SUITE_PATHS, extra: tuple[str, ...] = ()) -> dict:
    """Run the suite once with the probe; its totals plus the wall time of the whole run."""
    with tempfile.TemporaryDirectory(prefix="bench_suite_") as folder:
        out = Path(folder) / "looptime.json"
        env = {**os.environ, "BENCH_LOOPTIME_OUT": str(out)}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        command = [
            sys.executable,
            "-m",
            "pytest",
            *paths,
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "bench.looptime_probe",
            *extra,
        ]
        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        wall = time.perf_counter() - started
        if not out.exists():
            tail = (completed.stdout + completed.stderr)[-2000:]
            raise RuntimeError(f"pytest ended without the probe's totals:\n{tail}")
        totals = json.loads(out.read_text("utf-8"))
    totals["wall_seconds"] = wall
    totals["summary"] = (completed.stdout.strip().splitlines() or [""])[-1]
    return totals
