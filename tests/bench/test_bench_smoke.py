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
    "throughput.market_pc.orjson",
    "throughput.market_mix.orjson",
    "throughput.user.orjson",
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
    "scale.1",
    "scale.50",
    "scale.500",
}
PEERS = ("official", "polymarket-apis", "nautilus")
# Side by side: ours and every peer on each stream, and every peer's memory; a peer that is not
# installed still has its rows (with the reason).
EXPECTED_ROWS |= {
    f"peers.{mix}.{client}"
    for mix in ("market_pc", "market_mix", "user")
    for client in ("ours", "ours+orjson", *PEERS)
}
EXPECTED_ROWS |= {f"peers.memory.{peer}" for peer in PEERS}
# Venvs the smoke run may use but never builds (--no-install): CI has no time to install them.
PEER_VENVS = {"polymarket-apis": ".venv-polymarket-apis", "nautilus": ".venv-bench-nautilus"}


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.pop("BENCH_PACK_DIR", None)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--out",
            str(out),
            "--peers",
            ",".join(PEERS),
            "--no-install",
        ],
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
        if row["measured"] is None:  # a peer that could not run says why
            assert row["status"], row["key"]
            assert row["status"] in completed.stdout
        else:
            assert row["measured"]["runs"] >= 1


def test_official_sdk_runs_side_by_side(smoke_run):
    """The official SDK (.venv-sdk, built by `make test`) reads every stream at a positive rate,
    with a ratio to the bare runner of the same runs."""
    _, results = smoke_run
    rows = rows_by_key(results)
    for mix in ("market_pc", "market_mix", "user"):
        for client in ("ours", "ours+orjson", "official"):
            row = rows[f"peers.{mix}.{client}"]
            assert row["measured"] is not None, row["status"]
            assert row["measured"]["low"] > 0, row["key"]
            assert row["ratio"]["median"] > 0, row["key"]
            assert "FAILED" not in row["note"] and "FEWER EVENTS" not in row["note"], row["note"]
    assert rows["peers.memory.official"]["measured"]["median"] > 0


def test_missing_peers_are_shown_not_installed(smoke_run):
    """With --no-install a peer whose venv is not built appears as "not installed", never
    dropped; one that is built is measured."""
    _, results = smoke_run
    rows = rows_by_key(results)
    for peer, venv in PEER_VENVS.items():
        installed = (REPO_ROOT / venv / ".installed").is_file()
        for key in (f"peers.market_pc.{peer}", f"peers.user.{peer}", f"peers.memory.{peer}"):
            row = rows[key]
            if installed:
                assert row["measured"]["median"] > 0, key
            else:
                assert row["measured"] is None
                assert row["status"] == "not installed (run without --no-install)"


def test_documented_rows_name_their_decoder(smoke_run):
    """Documented figures run on the standard library decoder and say so; the orjson rows say
    orjson (or that it is not installed), with the issue's targets beside the ratios."""
    _, results = smoke_run
    rows = rows_by_key(results)
    for mix in ("market_pc", "market_mix", "user"):
        assert "decoder: json" in rows[f"throughput.{mix}"]["note"]
        assert "target >= 0." in rows[f"throughput.{mix}"]["ratio_label"]
        assert "decoder: json" in rows[f"handler.{mix}"]["note"]
        assert "decoder json" in rows[f"peers.{mix}.ours"]["note"]
        fast = rows[f"throughput.{mix}.orjson"]
        if fast["measured"] is None:
            assert fast["status"] == "orjson not installed (pip install orjson)"
        else:
            assert "decoder: orjson" in fast["note"]
            assert "decoder orjson" in rows[f"peers.{mix}.ours+orjson"]["note"]
    for mix in ("market_pc", "market_mix"):
        if rows[f"throughput.{mix}.orjson"]["measured"] is not None:
            assert "target >= 1.0" in rows[f"throughput.{mix}.orjson"]["ratio_label"]
    assert "Decoder: json" in rows["memory.peak"]["note"]


def test_scale_rows_state_their_ceilings(smoke_run):
    """1, 50 and 500 assets (3 connections): frames/s, CPU per frame, the blaster's ceiling for
    the same shards as the reference, and the mock's ceiling named in the note."""
    _, results = smoke_run
    rows = rows_by_key(results)
    assert rows["scale.1"]["ratio"]["median"] == 1.0  # the row the others are divided by
    for count, connections in ((1, 1), (50, 1), (500, 3)):
        row = rows[f"scale.{count}"]
        assert row["measured"]["low"] > 0 and row["reference"]["low"] > 0, row["key"]
        assert row["extra"]["connections"] == connections
        assert row["extra"]["cpu_us_per_frame"]["median"] > 0
        assert "mock's own ceiling (figure 5)" in row["note"]
        assert "source-limited" in row["note"].lower()
        assert "Decoder: json" in row["note"]
    shards = results["raw"]["scale.shards"]["scale_500"]
    assert sorted(g["assets"] for g in shards if g["cycle"] >= 100) == [100, 200, 200]


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
