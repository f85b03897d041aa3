"""scripts/check_client.py: the pack's front door passes every scenario; each broken client in
tests/checker/clients fails the scenario aimed at its one defect and passes another.

Every run is a real subprocess of the checker, as a reader runs it from the unpacked skill.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from csv_adapter import parse_line as csv_parse_line  # the quickstart's example adapter

from tests.fixtures.pack import pack_modules_dir

SCRIPTS = Path(__file__).resolve().parents[2] / "skills" / "polymarket" / "scripts"
CHECK = SCRIPTS / "check_client.py"
CLIENTS = Path(__file__).resolve().parent / "clients"
MINIMAL = CLIENTS / "minimal.py"
SCALE = "0.1"  # the front door: the compression (PING every 1 s)
FAST = "0.05"  # broken clients: each run only its own scenario and one it must pass


def check(tmp_path: Path, client: list[str], *options: str, scale: str = SCALE, env=None):
    """Run the checker; (exit code, JSON report, stdout)."""
    report = tmp_path / "report.json"
    argv = [sys.executable, str(CHECK), "--time-scale", scale, "--json", str(report)]
    done = subprocess.run(
        [*argv, *options, "--", *client], capture_output=True, text=True, timeout=300, env=env
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return done.returncode, data, done.stdout + done.stderr


def battery() -> list[str]:
    """Every scenario's name, from the checker itself (helpers add rows over time)."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        from client_check.scenarios import SCENARIOS
    finally:
        sys.path.remove(str(SCRIPTS))
    return list(SCENARIOS)


def verdicts(report: dict) -> dict[str, str]:
    return {s["name"]: s["status"] for s in report["scenarios"]}


@pytest.fixture(scope="module")
def front_door(tmp_path_factory) -> list[str]:
    """The pack's realtime.py exported as a reader takes it, behind a time-compressed wrapper."""
    modules = tmp_path_factory.mktemp("front_door")
    subprocess.run(
        [sys.executable, str(SCRIPTS / "export_modules.py"), str(modules), "--only", "realtime.py"],
        check=True,
        capture_output=True,
    )
    return [sys.executable, str(CLIENTS / "front_door.py"), str(modules), SCALE]


@pytest.mark.timeout(300)
def test_front_door_passes_the_whole_battery_in_under_two_minutes(tmp_path, front_door):
    started = time.monotonic()
    options = ("--output-format", "pack-jsonl", "--jobs", "3")  # 38 s; 111 s with --jobs 1
    code, report, out = check(tmp_path, front_door, *options)
    took = time.monotonic() - started
    assert verdicts(report) == dict.fromkeys(verdicts(report), "PASS"), out
    assert len(report["scenarios"]) == len(battery())
    assert code == 0
    assert took < 120, f"the battery took {took:.0f} s"
    # every line names its bound, derived from the declared scale
    assert "(10 s x 0.1)" in out and "(120 s x 0.1)" in out and "not scaled" in out
    assert f"summary: {len(battery())} passed, 0 failed, 0 skipped" in out
    # drop, dead-link and the three handshake-429 rows fill the order in the gap
    assert out.count("filled 4 while a user connection was down") == 5


@pytest.mark.timeout(300)
def test_trading_feed_as_exported_passes_the_whole_battery(tmp_path):
    """The quickstart's 24/7 program itself, compressed by its own --time-scale (37 s here)."""
    program = [sys.executable, str(pack_modules_dir / "trading_feed.py"), "--time-scale", SCALE]
    options = ("--output-format", "pack-jsonl", "--jobs", "3", "--cwd", str(pack_modules_dir))
    code, report, out = check(tmp_path, program, *options)
    assert verdicts(report) == dict.fromkeys(battery(), "PASS"), out
    assert code == 0


def test_seed_orders_lets_a_client_that_follows_its_own_orders_be_checked(tmp_path, front_door):
    """A client whose books are its orders' tokens is never 'subscribed to every token' on an
    account with no orders; --seed-orders rests one order per token before it starts, and with
    wrong credentials (it cannot see them) only its user side is judged."""
    client = [sys.executable, str(CLIENTS / "follows_orders.py"), front_door[2], SCALE]
    (tmp_path / "seeded").mkdir()
    names = "subscription,drop,bad-credentials"
    code, report, out = check(
        tmp_path / "seeded", client, "--only", names, "--jobs", "3", "--seed-orders"
    )
    assert verdicts(report) == dict.fromkeys(names.split(","), "PASS"), out
    assert code == 0
    (tmp_path / "bare").mkdir()
    code, report, out = check(tmp_path / "bare", client, "--only", "subscription")
    assert verdicts(report) == {"subscription": "FAIL"} and "not subscribed" in out, out


def test_output_check_sees_an_order_filled_in_a_gap_and_never_reread(tmp_path, front_door):
    """Without POLYMARKET_ADDRESS the front door cannot re-read the account over REST: the fill
    made while its user socket was down never reaches its lines, and pack-jsonl says so."""
    options = (
        "--only",
        "drop,malformed",
        "--output-format",
        "pack-jsonl",
        "--env-name",
        "address=",
    )
    code, report, out = check(tmp_path, front_door, *options)
    assert verdicts(report) == {"drop": "FAIL", "malformed": "PASS"}, out
    reason = report["scenarios"][0]["reason"]
    assert "order: LIVE matched 0, the mock's LIVE matched 4" in reason
    assert code == 1


def test_the_minimal_client_passes_the_whole_battery(tmp_path):
    """The base of every broken client is correct: a FAIL below is its one defect's doing."""
    code, report, out = check(tmp_path, [sys.executable, str(MINIMAL), FAST], scale=FAST)
    rest = {name for name in battery() if name.startswith("rest-")}  # it reads no REST: SKIP
    assert verdicts(report) == {n: "SKIP" if n in rest else "PASS" for n in verdicts(report)}, out
    assert all("reads no REST" in s["reason"] for s in report["scenarios"] if s["name"] in rest)
    assert len(report["scenarios"]) == len(battery()) and code == 0


# (clients/<defect>.py, the scenario aimed at it, one the same client must pass, reason words).
# Each is minimal.py (which passes them all) with one defect switched on.
MATRIX = [
    ("ping-first", "heartbeat", "subscription", "PING(s) before the subscription"),
    ("ping-flood", "heartbeat", "drop", "a flood"),
    ("no-stall-watchdog", "stall", "drop", "PINGs answered with PONG"),
    ("no-pong-deadline", "dead-link", "stall", "not subscribed again within"),
    ("ignores-server-close", "server-close", "drop", "server close 1000"),
    ("no-backoff", "accept-then-close", "handshake-5xx", "hammering"),
    ("fatal-429", "handshake-429", "handshake-5xx", "429 must not be fatal"),
    ("prints-secret", "bad-credentials", "drop", "secret in the client's output"),
    ("crash-on-malformed", "malformed", "drop", "after a malformed frame"),
    ("small-max-size", "oversized", "drop", "1009"),
    ("one-socket", "many-assets", "subscription", "a connection carried 250"),
    ("no-resubscribe", "missing-book", "drop", "not asked again"),
    ("no-close-on-sigterm", "shutdown", "shutdown-sigint", "not closed with 1000"),
    ("blind-retry-after", "handshake-429-short", "handshake-429-bare", "retried 1."),
    ("no-429-floor", "handshake-429-bare", "drop", "retried 0."),
    ("logs-close-reason", "echoed-secrets", "drop", "secret in the client's output"),
    ("reconnects-on-quiet", "quiet-market", "drop", "was taken for a stall"),
    ("reconnects-on-empty", "closed-token", "drop", "a reconnect loop"),
    ("crashes-on-null", "malformed-shapes", "drop", "after malformed frames of every shape"),
    ("drops-mixed-arrays", "malformed-shapes", "drop", "was not applied"),
]


@pytest.mark.parametrize(
    ("defect", "target", "passes", "words"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_a_broken_client_fails_its_scenario(tmp_path, defect, target, passes, words):
    client = [sys.executable, str(CLIENTS / f"{defect.replace('-', '_')}.py"), FAST]
    code, report, out = check(tmp_path, client, "--only", f"{target},{passes}", scale=FAST)
    assert verdicts(report) == {target: "FAIL", passes: "PASS"}, out
    reason = next(s["reason"] for s in report["scenarios"] if s["name"] == target)
    assert words in reason
    assert code == 1
    assert f"failed: {target}" in out


def test_good_clients_print_nothing_the_server_echoes(tmp_path, front_door):
    """echoed-secrets: the front door (its modules redact by value, wire.protect) and the minimal
    client (it never prints what the server says) pass; the close-reason logger fails above."""
    for client, scale in ((front_door, SCALE), ([sys.executable, str(MINIMAL), FAST], FAST)):
        code, report, out = check(tmp_path, client, "--only", "echoed-secrets", scale=scale)
        assert verdicts(report) == {"echoed-secrets": "PASS"}, out
        assert "INVALID OPERATION text and a 1008 close reason" in out and code == 0


def test_the_checker_never_prints_the_secret(tmp_path):
    """The leaking client's subscription frame (with the secret) is located, never quoted."""
    client = [sys.executable, str(CLIENTS / "prints_secret.py"), FAST]
    code, report, out = check(tmp_path, client, "--only", "bad-credentials", scale=FAST)
    assert code == 1
    text = out + json.dumps(report)
    assert "stderr line" in text
    assert '"secret"' not in text and '\\"secret\\"' not in text and "passphrase\\" not in text


def test_parallel_scenarios_share_nothing_and_report_in_the_battery_order(tmp_path):
    """--jobs 4: each scenario has its own mock (port, connections, records): every reason
    names that mock's own first connections; lines come in the battery's order, progress on
    stderr as scenarios finish; the run takes about its longest scenario, not their sum."""
    chosen = ["subscription", "drop", "server-close", "malformed"]
    client = [sys.executable, str(MINIMAL), FAST]
    report = tmp_path / "report.json"
    argv = [sys.executable, str(CHECK), "--time-scale", FAST, "--json", str(report), "--jobs", "4"]
    started = time.monotonic()
    done = subprocess.run(
        [*argv, "--only", ",".join(reversed(chosen)), "--", *client],
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - started
    data = json.loads(report.read_text())
    assert verdicts(data) == dict.fromkeys(chosen, "PASS"), done.stdout + done.stderr
    order = [ln.split()[1] for ln in done.stdout.splitlines() if ln.startswith("PASS")]
    assert order == [n for n in battery() if n in chosen]
    reasons = {s["name"]: s["reason"] for s in data["scenarios"]}
    assert "#1: " in reasons["subscription"] and "#2: " in reasons["subscription"]
    assert "drop of #1, #2:" in reasons["drop"]
    assert "on #1, #2:" in reasons["malformed"]
    assert done.stderr.count("finished ") == 4, done.stderr
    assert data["jobs"] == 4
    assert took < sum(s["seconds"] for s in data["scenarios"])


@pytest.mark.parametrize(
    ("adapter", "words"),
    [
        ("csv_adapter.py", "(4 books, 1 order (filled 4 while a user connection was down"),
        ("custom_lines_best_adapter.py", "(4 books, no order: the client reported none)"),
    ],
)
def test_a_client_printing_its_own_lines_is_checked_through_its_adapter(
    tmp_path, front_door, adapter, words
):
    """custom_lines.py prints CSV, not the pack's JSON: an adapter (the quickstart's example,
    or one reading best prices only) maps its lines to facts, and its last word on every book
    and the order is judged."""
    client = [sys.executable, str(CLIENTS / "custom_lines.py"), front_door[2], SCALE]
    path = pack_modules_dir / adapter if adapter == "csv_adapter.py" else CLIENTS / adapter
    options = ("--only", "drop,malformed", "--jobs", "2", "--output-adapter", str(path))
    code, report, out = check(tmp_path, client, *options)
    assert verdicts(report) == {"drop": "PASS", "malformed": "PASS"}, out
    notes = report["scenarios"][0]["notes"]
    assert any("output: the last lines equal the mock's " + words in n for n in notes), notes
    assert code == 0


def test_a_client_whose_book_goes_wrong_after_a_gap_fails_through_its_adapter(tmp_path, front_door):
    """keeps-old-book: after a gap custom_lines.py prints the levels from before it."""
    client = [sys.executable, str(CLIENTS / "custom_lines.py"), front_door[2], SCALE]
    adapter = str(pack_modules_dir / "csv_adapter.py")
    options = ("--only", "drop,malformed", "--jobs", "2", "--output-adapter", adapter)
    code, report, out = check(tmp_path, [*client, "keeps-old-book"], *options)
    assert verdicts(report) == {"drop": "FAIL", "malformed": "PASS"}, out
    reason = report["scenarios"][0]["reason"]
    assert "output (csv_adapter.py): " in reason and "differ from the mock's book" in reason
    assert code == 1


def test_an_adapter_that_raises_loses_no_verdict_and_says_what_to_fix(tmp_path, front_door):
    adapter = tmp_path / "my_adapter.py"
    adapter.write_text("def parse_line(line):\n    return int(line.split(',')[3])\n")
    client = [sys.executable, str(CLIENTS / "custom_lines.py"), front_door[2], SCALE]
    options = ("--only", "drop,malformed", "--jobs", "2", "--output-adapter", str(adapter))
    code, report, out = check(tmp_path, client, *options)
    assert verdicts(report) == {"drop": "PASS", "malformed": "PASS"}, out
    for scenario in report["scenarios"]:
        assert scenario["output_error"].startswith("my_adapter.py: parse_line raised ")
        assert (
            "on stdout line 1; return None for lines that are not facts"
            in (scenario["output_error"])
        )
    assert "output not checked (fix the adapter): drop, malformed" in out
    assert code == 2


def test_an_adapter_that_cannot_be_used_is_named_with_the_fix(tmp_path):
    sys.path.insert(0, str(SCRIPTS))
    try:
        from client_check.adapter import AdapterError, load_adapter
    finally:
        sys.path.remove(str(SCRIPTS))
    cases = {
        "missing.py": (None, "no such file"),
        "broken.py": ("def parse_line(line:\n", "raised SyntaxError"),
        "failing.py": ("x = 1\nimport no_such_module_here\n", "ModuleNotFoundError"),
        "nothing.py": ("def parse(line):\n    return None\n", "defines no function parse_line"),
    }
    for name, (text, words) in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(AdapterError) as caught:
            load_adapter(tmp_path / name)
        assert name in str(caught.value) and words in str(caught.value), caught.value
    assert "at line 2" in _load_error(load_adapter, AdapterError, tmp_path / "failing.py")
    junk = {
        "[1, 2]": "returned a value of type int",
        "{'kind': 'quote'}": "'kind': 'book', 'order' or 'trade'",
        "{'kind': 'book', 'asset_id': 'a'}": "needs 'bids' and 'asks'",
        "{'kind': 'book', 'asset_id': 'a', 'bids': [[1]], 'asks': []}": "[price, size]",
        "{'kind': 'book', 'asset_id': 'a', 'best_bid': 'x', 'best_ask': None}": "a price",
        "{'kind': 'order', 'id': 'o'}": "'status' or 'size_matched'",
        "{'kind': 'trade', 'status': 'MATCHED'}": "needs 'id'",
    }
    for value, words in junk.items():
        (tmp_path / "junk.py").write_text(f"def parse_line(line):\n    return {value}\n")
        with pytest.raises(AdapterError) as caught:
            load_adapter(tmp_path / "junk.py").facts("a line", 7)
        message = str(caught.value)
        assert message.startswith("junk.py: parse_line returned ") and "stdout line 7" in message
        assert words in message, (value, message)
    # a good adapter: normalised facts (levels best first, Decimals, statuses upper case)
    (tmp_path / "good.py").write_text(
        "def parse_line(line):\n"
        "    return [{'kind': 'book', 'asset_id': 'a', 'bids': [['0.4', 1], [0.5, '2']],\n"
        "             'asks': []}, {'kind': 'order', 'id': 'o', 'status': 'live'}]\n"
    )
    book, order = load_adapter(tmp_path / "good.py").facts("x", 1)
    assert [str(p) for p, _ in book["bids"]] == ["0.5", "0.4"] and book["live"] is True
    assert order == {"kind": "order", "id": "o", "status": "LIVE"}


def test_an_adapter_fact_for_a_stale_book_needs_no_prices(tmp_path):
    """A book marked not live has no prices to compare: the fact is valid without them, and
    counts as "not live" (an empty live fact is still junk)."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        from client_check.adapter import AdapterError, load_adapter
    finally:
        sys.path.remove(str(SCRIPTS))
    (tmp_path / "stale.py").write_text(
        "def parse_line(line):\n"
        "    return {'kind': 'book', 'asset_id': line, 'live': line == 'b'}\n"
    )
    adapter = load_adapter(tmp_path / "stale.py")
    assert adapter.facts("a", 1) == [{"kind": "book", "asset_id": "a", "live": False}]
    with pytest.raises(AdapterError, match="needs 'bids' and 'asks'"):
        adapter.facts("b", 2)


def test_the_quickstart_adapter_reads_its_example_lines():
    book = csv_parse_line("book,7132,live,0.48,0.52,0.48:30 0.47:120,0.52:25")
    assert book == {
        "kind": "book",
        "asset_id": "7132",
        "live": True,
        "bids": [["0.48", "30"], ["0.47", "120"]],
        "asks": [["0.52", "25"]],
        "best_bid": "0.48",
        "best_ask": "0.52",
    }
    assert csv_parse_line("book,7132,stale,,,,")["live"] is False
    order = {"kind": "order", "id": "0xff35", "status": "LIVE", "size_matched": "4"}
    assert csv_parse_line("order,0xff35,LIVE,4") == order
    assert csv_parse_line("2026-12-03 INFO connected") is None


def _load_error(load, error, path) -> str:
    try:
        load(path)
    except error as exc:
        return str(exc)
    raise AssertionError(f"{path} loaded")


def test_a_missing_adapter_stops_the_checker_before_any_scenario(tmp_path):
    argv = [sys.executable, str(CHECK), "--output-adapter", str(tmp_path / "nope.py")]
    done = subprocess.run([*argv, "--", "true"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "nope.py: no such file" in done.stderr and "checking:" not in done.stdout


def test_a_client_without_the_user_channel_skips_user_scenarios(tmp_path):
    client = [sys.executable, str(MINIMAL), FAST]
    code, report, out = check(
        tmp_path,
        client,
        "--only",
        "bad-credentials,drop",
        "--channels",
        "market",
        scale=FAST,
    )
    assert verdicts(report) == {"bad-credentials": "SKIP", "drop": "PASS"}, out
    assert code == 0


def test_renamed_variables_reach_the_client(tmp_path):
    """--env-name FIELD=NAME: the client reads other names; the checker gives only those, and
    never hands on the caller's own POLYMARKET_* values."""
    wrapper = tmp_path / "renamed.py"
    wrapper.write_text(
        "import os, runpy, sys\n"
        "assert 'POLYMARKET_API_SECRET' not in os.environ, 'the caller secret leaked through'\n"
        "os.environ['POLYMARKET_ASSET_IDS'] = os.environ.pop('BOT_TOKENS', '')\n"
        "sys.argv = [sys.argv[1], *sys.argv[2:]]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    client = [sys.executable, str(wrapper), str(MINIMAL), FAST]
    options = (
        "--only",
        "subscription",
        "--channels",
        "market",
        "--env-name",
        "asset_ids=BOT_TOKENS",
        "--env-name",
        "secret=BOT_SECRET",  # the default name is then not ours to set: dropped all the same
    )
    env = {**os.environ, "POLYMARKET_API_SECRET": "a-real-secret-of-the-caller-0000"}
    code, report, out = check(tmp_path, client, *options, scale=FAST, env=env)
    assert verdicts(report) == {"subscription": "PASS"}, out


def test_help_explains_every_scenario_and_the_time_scale():
    done = subprocess.run(
        [sys.executable, str(CHECK), "--help"], capture_output=True, text=True, check=True
    )
    for word in (
        "--time-scale",
        "--env-name",
        "--json",
        "--output-format",
        "--output-adapter",
        "parse_line(line: str)",
        '"best_bid": price|None',
        "--jobs",
        "SIGTERM",
        "12-character",
    ):
        assert word in done.stdout
    listed = subprocess.run(
        [sys.executable, str(CHECK), "--list"], capture_output=True, text=True, check=True
    ).stdout
    assert len(
        [line for line in listed.splitlines() if line and not line.startswith("bounds")]
    ) == len(battery())
    for name in ("heartbeat", "stall", "handshake-429", "many-assets", "shutdown-sigint"):
        assert name in done.stdout and name in listed


def test_usage_errors_exit_2(tmp_path):
    for argv in ([], ["--only", "nope", "--", "true"], ["--channels", "x", "--", "true"]):
        done = subprocess.run([sys.executable, str(CHECK), *argv], capture_output=True, text=True)
        assert done.returncode == 2, (argv, done.stderr)


def test_leak_scan_finds_any_twelve_characters():
    sys.path.insert(0, str(SCRIPTS))
    try:
        from client_check.leaks import find_leaks
    finally:
        sys.path.remove(str(SCRIPTS))
    secret = "abcdefghijklmnopqrstuvwxyz"
    streams = {"stdout": "ok\nkey ...mnopqrstuvwx...", "stderr": "abcdefghijk only 11"}
    assert find_leaks({"the API secret": secret}, streams) == ["the API secret in stdout line 2"]


def test_the_checker_imports_only_the_standard_library_websockets_and_the_mock():
    import ast

    allowed = set(sys.stdlib_module_names) | {"websockets", "polymarket_mock", "client_check"}
    for path in [CHECK, *sorted((SCRIPTS / "client_check").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_the_checker_runs_from_a_copy_of_the_skill(tmp_path):
    """Copied out of the repository (as the unpacked skill), run isolated from another folder."""
    import shutil

    copy = tmp_path / "polymarket" / "scripts"
    shutil.copytree(SCRIPTS, copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    client = [sys.executable, str(MINIMAL), FAST]
    argv = [sys.executable, "-I", str(copy / "check_client.py"), "--time-scale", FAST]
    done = subprocess.run(
        [*argv, "--only", "drop", "--", *client],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  drop" in done.stdout
