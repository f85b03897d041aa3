"""market_stream.py (market-channel.md) run as a reader would, against the threaded mock."""

from __future__ import annotations

from tests.fixtures.pack import mock_env

LINE = r"^\d{12}\.\.\. best bid (\d+(\.\d+)?|-) best ask (\d+(\.\d+)?|-)$"


def test_market_stream_prints_best_prices_and_exits_cleanly(run_program, threaded_mock):
    """It prints best bid/ask lines for every asset and exits 0 on Ctrl-C, closing with 1000."""
    proc = run_program("market_stream.py", env=mock_env(threaded_mock))
    for asset in threaded_mock.mock.asset_ids:
        proc.wait_for(rf"^{asset[:12]}\.\.\. best bid \d", timeout=10)
    proc.wait_for(LINE)
    assert proc.interrupt() == 0
    records = threaded_mock.call(lambda: list(threaded_mock.mock.connections))
    assert records and all(record.close_code == 1000 for record in records)
    assert "Traceback" not in proc.output


def test_market_stream_without_assets_explains_what_to_set(run_program, threaded_mock):
    """With POLYMARKET_ASSET_IDS unset it says so and exits with a non-zero code."""
    env = {k: v for k, v in mock_env(threaded_mock).items() if k != "POLYMARKET_ASSET_IDS"}
    proc = run_program("market_stream.py", env=env)
    proc.wait_for("POLYMARKET_ASSET_IDS")
    assert proc.process.wait(10) == 2


def test_market_monitor_reconnects_after_a_drop_and_reports_stats(run_program, threaded_mock):
    """It prints events, reconnects (and says so) after a drop, and reports stats on Ctrl-C."""
    proc = run_program("market_monitor.py", env=mock_env(threaded_mock))
    proc.wait_for(r"^connected #\d+ \(reconnects 0\)$")
    proc.wait_for(r"^book \d{12}\.\.\.$")
    threaded_mock.call(threaded_mock.mock.faults.drop, "market")
    proc.wait_for(r"^connected #\d+ \(reconnects 1\)$")
    mark = len(proc.output)
    proc.wait_for(r"^(book|price_change) ", after=mark)
    assert proc.interrupt() == 0
    assert "stats: connects=2 reconnects=1 stalls=0" in proc.output
    assert "last_close_code=1000" in proc.output
