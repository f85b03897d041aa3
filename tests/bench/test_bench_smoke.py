"""`python -m bench --smoke`: every figure runs end to end at tiny sizes and lands in the table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Every row the bench promises (figure 1 to 6), by key.
EXPECTED_ROWS = {
    "throughput.market_pc",
    "throughput.market_mix",
    "throughput.user",
    "handler.market_pc",
    "handler.market_mix",
    "handler.user",
    "handler.user_growth",
    "reconnect.p50",
    "reconnect.p99",
    "stall.reconnect",
    "stall.detect",
    "suite.compression",
    "ceiling.1",
    "ceiling.50",
    "memory.books",
    "memory.peak",
}


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.pop("BENCH_PACK_DIR", None)
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    [json_path] = out.glob("*.json")
    assert json_path.with_suffix(".md").is_file()
    return completed, json.loads(json_path.read_text("utf-8"))


def rows_by_key(results: dict) -> dict[str, dict]:
    return {row["key"]: row for row in results["rows"]}


def test_every_row_is_measured_and_printed(smoke_run):
    """The results hold every figure's rows, and the printed table shows each title."""
    completed, results = smoke_run
    rows = rows_by_key(results)
    assert set(rows) == EXPECTED_ROWS
    for row in rows.values():
        assert row["title"] in completed.stdout
        assert row["measured"]["runs"] >= 1


def test_machine_facts_are_recorded(smoke_run):
    """CPU, cores, Python, websockets version and date name the machine and the run."""
    _, results = smoke_run
    machine = results["machine"]
    for key in ("cpu_model", "cores", "python", "websockets", "date", "host", "pack_fingerprint"):
        assert machine[key], key
    assert machine["websockets"].startswith("17.")


def test_throughput_values_are_sane(smoke_run):
    """Rates are positive and the documented clients never beat the bare loop by much."""
    _, results = smoke_run
    rows = rows_by_key(results)
    for key in ("throughput.market_pc", "throughput.market_mix", "throughput.user"):
        row = rows[key]
        assert row["measured"]["low"] > 100, key
        assert row["reference"]["low"] > 100, key
        assert 0 < row["ratio"]["median"] < 1.5, key


def test_client_books_stayed_consistent(smoke_run):
    """The blaster's streams never made the documented feed resync (no out-of-sync warning)."""
    _, results = smoke_run
    lines = results["settings"]["client_log_lines"]
    assert not any(key.startswith("polymarket.market") for key in lines), lines


def test_stall_detection_is_bounded_by_the_design(smoke_run):
    """Detection lands between the threshold and threshold + one check (plus jitter)."""
    _, results = smoke_run
    ratio = rows_by_key(results)["stall.detect"]["ratio"]
    assert 0.99 <= ratio["low"] and ratio["high"] <= 1.6


def test_reconnect_suite_ceiling_and_memory_are_positive(smoke_run):
    """Outages are milliseconds, looptime compresses, the mock emits, memory is counted."""
    _, results = smoke_run
    rows = rows_by_key(results)
    assert 0 < rows["reconnect.p50"]["measured"]["median"] < 1000
    assert rows["suite.compression"]["ratio"]["median"] > 10
    assert rows["ceiling.1"]["measured"]["median"] > 0
    assert rows["ceiling.50"]["measured"]["median"] > 0
    assert rows["memory.books"]["measured"]["median"] > rows["memory.books"]["reference"]["low"]
