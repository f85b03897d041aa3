"""The three programs of your-own-contract.md, each a contract unlike the pack's, run as readers
run them against the threaded mock: bot_feed.py (BOT_* names, a JSON line per event, 2 s /
status 0), csv_recorder.py (CSV rows of best prices) and spread_monitor.py (one market's
spread). Each is at most 100 lines of its own; bot_feed.py also runs as one exported file.
The checker runs on them are in tests/checker/test_own_contracts.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from bot_adapter import parse_line as bot_facts
from polymarket_mock.accounts import DEFAULT_MAKER_ADDRESS
from recorder_adapter import parse_line as recorder_facts
from spread_adapter import parse_line as spread_facts

from tests.fixtures.mock import ThreadedMock
from tests.fixtures.pack import TITLED_BLOCKS, ProgramRun, _program_environment, mock_env
from tests.pack.blocks import PACK_ROOT

SCRIPTS = Path(__file__).resolve().parents[2] / "skills" / "polymarket" / "scripts"
PROGRAMS = ("bot_feed.py", "csv_recorder.py", "spread_monitor.py")
BOT_NAMES = {
    "POLYMARKET_WS_URL": "BOT_WS",
    "POLYMARKET_CLOB_URL": "BOT_REST",
    "POLYMARKET_ASSET_IDS": "BOT_TOKENS",
    "POLYMARKET_MARKETS": "BOT_MARKETS",
    "POLYMARKET_API_KEY": "BOT_KEY",
    "POLYMARKET_API_SECRET": "BOT_SECRET",
    "POLYMARKET_API_PASSPHRASE": "BOT_PASS",
}


def own_lines(source: str) -> int:
    """A program's own lines: not blank, not only a comment (docstrings count)."""
    return sum(
        1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#")
    )


@pytest.mark.parametrize("title", PROGRAMS)
def test_each_program_is_at_most_100_lines_of_its_own(title):
    lines = own_lines(TITLED_BLOCKS[title].source)
    assert TITLED_BLOCKS[title].requires == ["realtime.py"]  # the kit, nothing retyped
    assert 20 < lines <= 100, f"{title}: {lines} lines of its own"


def test_the_page_states_each_programs_own_lines():
    """The intro's "are N, N and N lines of their own" is what the blocks hold."""
    text = (PACK_ROOT / "real-time" / "your-own-contract.md").read_text("utf-8")
    stated = re.search(r"are (\d+), (\d+) and (\d+) lines of their own", " ".join(text.split()))
    assert stated, "the intro no longer states the programs' own lines"
    counts = [own_lines(TITLED_BLOCKS[title].source) for title in PROGRAMS]
    assert [int(n) for n in stated.groups()] == counts


@pytest.fixture
def quiet_mock():
    """No generated activity: every change comes from the test, so every line is expected."""
    with ThreadedMock(activity_interval=None) as mock:
        yield mock


def bot_env(threaded_mock) -> dict[str, str]:
    env = {BOT_NAMES[k]: v for k, v in mock_env(threaded_mock).items() if k in BOT_NAMES}
    return {**env, "BOT_WALLET": DEFAULT_MAKER_ADDRESS, "BOT_TIME_SCALE": "0.1"}


def json_lines(run: ProgramRun) -> list[dict]:
    return [json.loads(line) for line in run.output.splitlines() if line.startswith("{")]


def closed_by_client_1000(threaded_mock) -> set[str]:
    """The channels the program opened; the last connection of each closed by it with 1000."""
    records = threaded_mock.call(lambda: list(threaded_mock.mock.connections))
    last = {record.channel: record for record in records}
    seen = [(r.id, r.channel, r.close_code, r.closed_by) for r in records]
    assert all((r.close_code, r.closed_by) == (1000, "client") for r in last.values()), seen
    return set(last)


def test_bot_feed_prints_a_line_per_event_and_what_rest_found_in_a_gap(threaded_mock, run_program):
    """BOT_* only: a market line per event with the kit's best prices of the tokens it touched,
    a user line per order and trade event with its type and status, stale and gap lines, the
    fill made while the user socket was down as a REST line; SIGINT: exit 0, 1000 closes."""
    mock = threaded_mock.mock
    run = run_program("bot_feed.py", env=bot_env(threaded_mock))
    for asset in mock.asset_ids:
        run.wait_for(rf'"ev":"book","books":\{{"{asset}":\["0\.\d+","0\.\d+"\]\}}')
    asset = mock.asset_ids[0]
    bid = threaded_mock.call(lambda: mock.exchange.books[asset].best_bid)
    order = threaded_mock.call(mock.exchange.place_order, asset, "BUY", bid, "10")
    run.wait_for(rf'"ch":"user","ev":"order","id":"{order}","type":"PLACEMENT","status":"LIVE"')
    threaded_mock.call(mock.exchange.fill, order, "4")
    run.wait_for(rf'"ev":"order","id":"{order}","type":"UPDATE","status":"LIVE","matched":"4')
    run.wait_for(r'"ch":"user","ev":"trade","id":"[^"]+","type":"TRADE","status":"MATCHED"')
    mark = len(run.output)

    def drop_then_fill() -> None:  # one step of the mock's loop: no user socket sees the fill
        mock.faults.drop("user")
        mock.exchange.fill(order, "6")

    threaded_mock.call(drop_then_fill)
    run.wait_for(r'"ch":"user","ev":"gap","tokens":\[\],"recovered":"rest"', after=mark)
    run.wait_for(rf'"ch":"rest","ev":"order","id":"{order}","status":"MATCHED"', after=mark)
    threaded_mock.call(mock.faults.drop, "market")
    stale = run.wait_for(rf'"ch":"market","ev":"stale","books":\{{"{asset}":null\}}', after=mark)
    run.wait_for(rf'"ev":"book","books":\{{"{asset}":\["', after=stale.end())  # back, live
    assert run.interrupt() == 0
    assert closed_by_client_1000(threaded_mock) == {"market", "user"}
    lines = json_lines(run)
    assert {(x["ch"], x["ev"]) for x in lines} >= {("market", "book"), ("user", "order")}
    rest = [x for x in lines if x["ch"] == "rest" and x["id"] == order]
    assert Decimal(rest[-1]["matched"]) == 10  # the gap's fill, found by the re-read
    facts = [f for line in run.output.splitlines() for f in _listed(bot_facts(line))]
    assert {f["kind"] for f in facts} == {"book", "order", "trade"}
    for secret in (mock.credentials.secret, mock.credentials.passphrase):
        assert secret not in run.output
    assert "Traceback" not in run.output and "POLYMARKET_" not in run.output


def _listed(facts):
    return [] if facts is None else facts if isinstance(facts, list) else [facts]


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        ("BOT_PASS", "BOT_PASS"),  # half the credentials
        # nothing to stream: the message names the caller's token and key variables
        ("BOT_TOKENS BOT_KEY BOT_SECRET BOT_PASS", r"no tokens \(BOT_TOKENS\).*\(BOT_KEY\)"),
    ],
)
def test_bot_feed_names_its_own_variables(threaded_mock, run_program, left_out, named):
    env = {k: v for k, v in bot_env(threaded_mock).items() if k not in left_out.split()}
    run = run_program("bot_feed.py", env=env)
    assert run.process.wait(10) == 2
    run.wait_for(named)
    assert (
        "POLYMARKET_" not in run.output and threaded_mock.mock.credentials.secret not in run.output
    )


def test_bot_feed_reads_its_time_scale_from_bot_time_scale(threaded_mock, run_program):
    run = run_program("bot_feed.py", env={**bot_env(threaded_mock), "BOT_TIME_SCALE": "fast"})
    assert run.process.wait(10) == 2
    run.wait_for("BOT_TIME_SCALE must be a positive number")


@pytest.mark.parametrize("how", [("--only", "bot_feed.py"), ("--append", "my_bot.py")])
def test_bot_feed_runs_as_one_exported_file(threaded_mock, tmp_path, how):
    """The page's two commands: `--only bot_feed.py`, and `--append my_bot.py` with the same
    code as a reader's own file written against exported modules. One file, no import of the
    kit, runs alone in a folder of its own and stops cleanly."""
    page = (PACK_ROOT / "real-time" / "your-own-contract.md").read_text("utf-8")
    command = ["--single-file", "bot.py", *how]
    assert f"python scripts/export_modules.py {' '.join(command)}" in page
    (tmp_path / "my_bot.py").write_text(TITLED_BLOCKS["bot_feed.py"].source, "utf-8")
    command[1] = str(tmp_path / "alone" / "bot.py")
    argv = [sys.executable, str(SCRIPTS / "export_modules.py"), *command]
    subprocess.run(argv, cwd=tmp_path, check=True, capture_output=True)
    alone = tmp_path / "alone"
    assert [p.name for p in alone.iterdir()] == ["bot.py"]
    text = (alone / "bot.py").read_text()
    assert how[1] in text.split('"""', 2)[1]  # the header lists it
    assert "from realtime import" not in text and "import realtime" not in text
    assert "class BotFeed" in text and "class MarketFeed" in text
    env = _program_environment(bot_env(threaded_mock))
    run = ProgramRun("bot.py", alone, env, [])
    try:
        run.wait_for(r'"ev":"book","books":\{"\d+":\["0\.')
        assert run.interrupt() == 0
    finally:
        run.kill()


def test_csv_recorder_writes_a_row_per_best_price_change(quiet_mock, run_program):
    """Rows of the server's time, token, bid, ask: one per token at the start, one when a bid
    moves; credentials in the environment open no user socket; SIGINT: exit 0."""
    mock = quiet_mock.mock
    env = mock_env(quiet_mock)  # credentials too: the recorder must ignore them
    run = run_program("csv_recorder.py", env=env, args=["--time-scale", "0.1"])
    run.wait_for("^time,token,bid,ask$")
    books = quiet_mock.call(lambda: {a: mock.exchange.books[a] for a in mock.asset_ids})
    for asset, book in books.items():
        row = run.wait_for(rf"^\d{{13}},{asset},[\d.]*,[\d.]*$").group(0)
        fact = recorder_facts(row)
        assert (Decimal(fact["best_bid"]), Decimal(fact["best_ask"])) == (
            book.best_bid,
            book.best_ask,
        )
    asset = mock.asset_ids[0]
    bid = books[asset].best_bid + Decimal("0.01")  # inside the spread: the best bid moves
    quiet_mock.call(mock.exchange.place_order, asset, "BUY", bid, "10")
    run.wait_for(rf"^\d{{13}},{asset},{bid.normalize()},[\d.]+$")
    other = mock.markets[0].other(asset)  # the No book mirrors it: its best ask moves
    run.wait_for(rf"^\d{{13}},{other},[\d.]+,{(1 - bid).normalize()}$")
    assert run.interrupt() == 0
    assert closed_by_client_1000(quiet_mock) == {"market"}  # no user socket
    rows = [line for line in run.output.splitlines() if line.count(",") == 3]
    assert len(rows) == 1 + len(mock.asset_ids) + 2  # the header, a row each, the moves
    assert "Traceback" not in run.output


def test_spread_monitor_says_when_a_spread_crosses_its_threshold(quiet_mock, run_program):
    """Both tokens of one market: `bbo` lines with both books, `wide` at the start (threshold
    below the opening spread), `tight` for both tokens when a bid inside the spread narrows it
    (the No book mirrors the Yes one), `stale` when the link drops; SIGINT: exit 0."""
    mock = quiet_mock.mock
    market = mock.markets[0]
    yes, no = market.token_ids
    book = quiet_mock.call(lambda: mock.exchange.books[yes])
    spread = book.best_ask - book.best_bid
    assert spread >= Decimal("0.02"), "the opening book leaves no room for a bid inside it"
    threshold = spread - Decimal("0.005")
    env = {"SPREAD_WS": quiet_mock.url, "SPREAD_TOKENS": f"{yes},{no}"}
    args = ["--threshold", str(threshold), "--time-scale", "0.1"]
    run = run_program("spread_monitor.py", env=env, args=args)
    for token in (yes, no):
        run.wait_for(rf"^wide {token} {spread.normalize()}$")
        line = run.wait_for(rf"^bbo {market.condition_id} {token} [\d.]+ [\d.]+ \| ")
        assert spread_facts(line.group(0) + "x x x")["asset_id"] == token
    bid = book.best_bid + Decimal("0.01")
    quiet_mock.call(mock.exchange.place_order, yes, "BUY", bid, "10")
    for token in (yes, no):
        run.wait_for(rf"^tight {token} {(spread - Decimal('0.01')).normalize()}$")
    mark = len(run.output)
    quiet_mock.call(mock.faults.drop, "market")
    for token in (yes, no):
        stale = run.wait_for(rf"^stale {token}$", after=mark)
        assert spread_facts(stale.group(0))["live"] is False
    run.wait_for(rf"^bbo {market.condition_id} {yes} {bid.normalize()} ", after=mark)  # back, live
    assert run.interrupt() == 0
    assert "Traceback" not in run.output


def test_spread_monitor_wants_exactly_two_tokens(quiet_mock, run_program):
    run = run_program("spread_monitor.py", env={"SPREAD_TOKENS": quiet_mock.mock.asset_ids[0]})
    assert run.process.wait(10) == 2
    run.wait_for("SPREAD_TOKENS: the two token ids of one market")
