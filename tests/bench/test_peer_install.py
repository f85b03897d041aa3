"""A peer that cannot be installed is reported with its reason, in the table, never dropped.

Offline and fast: the broken peers fail before any download (an interpreter that does not
exist; a requirement pip cannot find with --no-index).
"""

from __future__ import annotations

import sys

from bench.peers.figures import memory_rows
from bench.peers.specs import ClientSpec
from bench.peers.venvs import prepare
from bench.report import render_table


def broken(tmp_path, **fields) -> ClientSpec:
    return ClientSpec(
        "broken",
        "a broken peer",
        "run_bare.py",
        venv=str(tmp_path / "venv"),  # absolute: pathlib joins it as is
        requirements=str(tmp_path / "requirements.txt"),
        **fields,
    )


def test_missing_interpreter_is_a_reason_in_the_table(tmp_path):
    (tmp_path / "requirements.txt").write_text("websockets\n")
    spec = broken(tmp_path, python=str(tmp_path / "no-such-python3"))
    [peer] = prepare([spec], install=True)
    assert peer.python is None
    assert "cannot install" in peer.reason and "no-such-python3" in peer.reason
    [row] = memory_rows([peer], {}, [], 200)
    assert row.measured is None and row.status == peer.reason
    table = render_table([row])
    assert "a broken peer" in table and "cannot install" in table


def test_unresolvable_requirement_is_a_reason(tmp_path):
    (tmp_path / "requirements.txt").write_text("--no-index\nno-such-bench-package==0.0.1\n")
    [peer] = prepare([broken(tmp_path, python=sys.executable)], install=True)
    assert peer.python is None
    assert peer.reason.startswith("cannot install (pip):"), peer.reason
    assert "no-such-bench-package" in peer.reason
    assert not (tmp_path / "venv" / ".installed").exists()  # tried again next time


def test_no_install_reports_not_installed(tmp_path):
    (tmp_path / "requirements.txt").write_text("websockets\n")
    [peer] = prepare([broken(tmp_path)], install=False)
    assert peer.python is None
    assert peer.reason == "not installed (run without --no-install)"
    assert not (tmp_path / "venv").exists()
