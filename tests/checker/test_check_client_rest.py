"""check_client.py's REST scenarios (scenarios_rest.py): the front door passes them; the front
door with one REST defect (clients/rest_front_door.py) fails the scenario aimed at it and passes
another. Real subprocesses, as a reader runs the checker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.checker.test_check_client import CLIENTS, SCALE, SCRIPTS, check, verdicts

REST = ("rest-429", "rest-5xx", "rest-hang", "rest-gap", "rest-stale")


@pytest.fixture(scope="module")
def modules(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("rest_front_door")
    subprocess.run(
        [sys.executable, str(SCRIPTS / "export_modules.py"), str(folder), "--only", "realtime.py"],
        check=True,
        capture_output=True,
    )
    return str(folder)


@pytest.mark.timeout(300)
def test_the_front_door_passes_every_rest_scenario(tmp_path, modules):
    client = [sys.executable, str(CLIENTS / "front_door.py"), modules, SCALE]
    options = ("--only", ",".join(REST), "--output-format", "pack-jsonl", "--jobs", "2")
    code, report, out = check(tmp_path, client, *options)
    assert verdicts(report) == dict.fromkeys(REST, "PASS"), out
    assert code == 0
    assert "next read 2." in out and "not scaled" in out


def test_without_an_output_adapter_the_line_scenarios_skip(tmp_path, modules):
    client = [sys.executable, str(CLIENTS / "front_door.py"), modules, SCALE]
    code, report, out = check(tmp_path, client, "--only", "rest-429,rest-gap")
    assert verdicts(report) == {"rest-429": "PASS", "rest-gap": "SKIP"}, out
    assert "needs --output-format pack-jsonl or --output-adapter" in out


# (defect, the scenario aimed at it, one the same client must pass, words of the reason)
MATRIX = [
    ("ignores-retry-after", "rest-429", "rest-5xx", "never read sooner than the server asked"),
    ("no-rest-backoff", "rest-5xx", "rest-hang", "hammering REST"),
    ("rest-blocks-shutdown", "rest-hang", "rest-429", "must never hold up shutdown"),
    ("trusts-older-answer", "rest-stale", "rest-gap", "printed LIVE after CANCELED"),
    ("open-orders-only", "rest-gap", "rest-stale", "placed and filled: no order line"),
]


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("defect", "target", "passes", "words"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_a_rest_defect_fails_its_scenario(tmp_path, modules, defect, target, passes, words):
    client = [sys.executable, str(CLIENTS / "rest_front_door.py"), modules, SCALE, defect]
    options = ("--only", f"{target},{passes}", "--output-format", "pack-jsonl")
    code, report, out = check(tmp_path, client, *options)
    assert verdicts(report) == {target: "FAIL", passes: "PASS"}, out
    reason = next(s["reason"] for s in report["scenarios"] if s["name"] == target)
    assert words in reason
    assert code == 1
