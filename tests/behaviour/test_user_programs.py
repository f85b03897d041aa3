"""The user-channel programs against the mock, and user_subscription.py on a live connection."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest
from credentials import Credentials
from robust_ws import RobustConnection
from user_events import OrderEvent, UserEventRouter
from user_subscription import UserSubscription, send_if_connected

from tests.fixtures.pack import mock_env

ORDER_LINE = re.compile(
    r"^ORDER (?P<id>0x[0-9a-f]+) status=(?P<status>\S+) "
    r"matched=(?P<matched>[\d.]+)/(?P<size>[\d.]+).*\[(?P<source>ws|rest)\]$",
    re.MULTILINE,
)
TRADE_LINE = re.compile(
    r"^TRADE (?P<id>\S+) status=(?P<status>\S+) .*\[(?P<source>ws|rest)\]$", re.MULTILINE
)


def _user_subscribed(threaded_mock, count: int) -> None:
    """Wait until `count` user connections have been accepted and subscribed."""

    def ready(mock) -> bool:
        users = [c for c in mock.connections if c.channel == "user" and c.subscribed_at is not None]
        return len(users) >= count and users[-1].closed_at is None

    threaded_mock.run(threaded_mock.mock.wait_for, ready, 10.0, timeout=15)


def _final_states(output: str) -> dict[str, tuple[str, Decimal]]:
    """The last printed (status, size_matched) of every order."""
    states = {}
    for match in ORDER_LINE.finditer(output):
        states[match["id"]] = (match["status"], Decimal(match["matched"]))
    return states


def _mock_states(threaded_mock) -> dict[str, tuple[str, Decimal]]:
    orders = threaded_mock.call(lambda: dict(threaded_mock.mock.exchange.orders))
    return {i: (o["status"], Decimal(o["size_matched"])) for i, o in orders.items()}


# --- user_minimal.py ----------------------------------------------------------------------


def test_minimal_client_prints_events_and_survives_bad_frames(threaded_mock, run_program):
    """user_minimal.py subscribes first, prints each event, skips garbage, exits 0 on Ctrl-C."""
    mock = threaded_mock.mock
    proc = run_program("user_minimal.py", env=mock_env(threaded_mock))
    proc.wait_for(r"subscribed to 2 market\(s\)")
    _user_subscribed(threaded_mock, 1)
    asset = mock.asset_ids[0]
    bid = mock.exchange.books[asset].best_bid
    order_id = threaded_mock.call(mock.exchange.place_order, asset, "BUY", bid, "10")
    proc.wait_for(rf"^order PLACEMENT {order_id} status=LIVE matched=0/10$")
    threaded_mock.call(mock.faults.send_malformed, "user")
    threaded_mock.call(mock.faults.send_unknown_event, "user")
    proc.wait_for(r"other event_type='mock_unknown_event'")
    threaded_mock.call(mock.exchange.fill, order_id, "4")
    proc.wait_for(rf"^order UPDATE {order_id} status=LIVE matched=4/10$")
    proc.wait_for(r"^trade MATCHED \S+ MAKER$")
    (record,) = [c for c in mock.connections if c.channel == "user"]
    assert record.subscriptions[0]["type"] == "user" and record.authenticated
    assert record.frames_received[0][1].startswith("{"), "the subscription is the first frame"
    assert proc.interrupt() == 0
    assert mock.credentials.secret not in proc.output


def test_minimal_client_reports_a_rejected_subscription(threaded_mock, run_program):
    """With wrong credentials the server closes the socket; the program says so and exits 1."""
    env = {**mock_env(threaded_mock), "POLYMARKET_API_SECRET": "d3Jvbmctc2VjcmV0"}
    proc = run_program("user_minimal.py", env=env)
    proc.wait_for(r"connection ended: code 1008")
    proc.process.wait(timeout=10)
    assert proc.interrupt() == 1
    assert "d3Jvbmctc2VjcmV0" not in proc.output


# --- user_stream.py -----------------------------------------------------------------------


HARDHAT_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # of the mock's test key


def _reader_env(threaded_mock, reader: str) -> dict[str, str]:
    """The environment that selects a REST reader in user_stream.py."""
    env = mock_env(threaded_mock)
    if reader == "stdlib":  # the address and the API secrets; no private key at all
        env.pop("POLYMARKET_PRIVATE_KEY")
        env["POLYMARKET_ADDRESS"] = HARDHAT_ADDRESS
    elif reader == "none":
        env.pop("POLYMARKET_PRIVATE_KEY")
    return env


@pytest.mark.parametrize("reader", ["stdlib", "py-clob-client-v2"])
def test_user_stream_tracks_orders_across_a_disconnect(threaded_mock, run_program, reader):
    """user_stream.py: live changes print once; changes made while disconnected are recovered
    over REST after the reconnect (standard-library reads with POLYMARKET_ADDRESS, else
    py-clob-client-v2); the gap is printed; its final states equal the mock's own record;
    Ctrl-C exits 0."""
    mock = threaded_mock.mock
    exchange = mock.exchange
    yes, no = mock.markets[0].token_ids
    other_market_asset = mock.markets[1].token_ids[0]
    proc = run_program("user_stream.py", env=_reader_env(threaded_mock, reader))
    _user_subscribed(threaded_mock, 1)
    proc.wait_for(r"account sync 1: ")

    # Live: place two orders, fill one partly, mine the trade.
    bid = exchange.books[yes].best_bid
    a = threaded_mock.call(exchange.place_order, yes, "BUY", bid, "100")
    b = threaded_mock.call(exchange.place_order, other_market_asset, "BUY", "0.05", "50")
    proc.wait_for(rf"^ORDER {a} status=LIVE matched=0/100 .*\(PLACEMENT\) \[ws\]$")
    proc.wait_for(rf"^ORDER {b} status=LIVE matched=0/50 .*\[ws\]$")
    first_trade = threaded_mock.call(exchange.fill, a, "40")
    proc.wait_for(rf"^ORDER {a} status=LIVE matched=40/100 remaining=60 .*\(UPDATE\) \[ws\]$")
    proc.wait_for(rf"^TRADE {first_trade} status=MATCHED MAKER .*\[ws\]$")
    threaded_mock.call(exchange.advance_trade, first_trade, "MINED")
    proc.wait_for(rf"^TRADE {first_trade} status=MINED .*tx=0x[0-9a-f]+ \[ws\]$")

    # The gap: drop the socket, keep it down for two attempts, and trade meanwhile. All of it
    # runs in one call on the mock's loop, so none of these events can reach the program live.
    def gap() -> dict[str, str]:
        mock.faults.reject_handshake(503, times=2, channel="user")
        mock.faults.drop(channel="user")
        exchange.fill(a)  # the rest of a: MATCHED
        exchange.cancel(b)
        c = exchange.place_order(yes, "BUY", bid, "30")
        taker_trade = exchange.take(no, "BUY", exchange.books[no].best_ask, "5")
        exchange.advance_trade(first_trade, "CONFIRMED")
        return {"c": c, "taker_trade": taker_trade}

    made = threaded_mock.call(gap)
    mark = len(proc.output)
    _user_subscribed(threaded_mock, 2)
    proc.wait_for(r"^GAP \d+\.\ds without the stream; reconciling over REST$", after=mark)
    proc.wait_for(r"account sync 2: ", timeout=15, after=mark)
    proc.wait_for(rf"^ORDER {a} status=MATCHED matched=100/100 .*\[rest\]$", after=mark)
    proc.wait_for(rf"^ORDER {b} status=CANCELED .*\[rest\]$", after=mark)
    proc.wait_for(rf"^ORDER {made['c']} status=LIVE matched=0/30 .*\[rest\]$", after=mark)
    proc.wait_for(rf"^TRADE {made['taker_trade']} status=MATCHED TAKER .*\[rest\]$", after=mark)
    proc.wait_for(rf"^TRADE {first_trade} status=CONFIRMED .*\[rest\]$", after=mark)

    # Live again after the reconnect.
    last_trade = threaded_mock.call(exchange.fill, made["c"], "10")
    proc.wait_for(rf"^ORDER {made['c']} status=LIVE matched=10/30 .*\[ws\]$", after=mark)
    proc.wait_for(rf"^TRADE {last_trade} status=MATCHED MAKER .*\[ws\]$", after=mark)

    assert _final_states(proc.output) == _mock_states(threaded_mock)
    trades = {m["id"]: m["status"] for m in TRADE_LINE.finditer(proc.output)}
    assert trades == {t: r["status"] for t, r in exchange.trades.items()}
    # Every state change printed exactly once, however many times it was seen.
    seen = [(m["id"], m["status"], m["matched"]) for m in ORDER_LINE.finditer(proc.output)]
    assert len(seen) == len(set(seen)), "a duplicate state change was printed"
    creds = mock.credentials
    assert creds.secret not in proc.output and creds.passphrase not in proc.output

    assert proc.interrupt() == 0
    states = _mock_states(threaded_mock)
    still_open = sum(status == "LIVE" for status, _ in states.values())
    trade_count = len(exchange.trades)
    summary = rf"^stopped: {len(states)} orders \({still_open} open\), {trade_count} trades"
    assert re.search(summary, proc.output, re.M), proc.output[-500:]


def test_user_stream_without_rest_reports_each_gap(threaded_mock, run_program):
    """WebSocket only (no address, no private key): it says so, streams, and prints a GAP line
    for each gap, with no REST read; what happened in the gap is not shown."""
    mock = threaded_mock.mock
    exchange = mock.exchange
    asset = mock.asset_ids[0]
    proc = run_program("user_stream.py", env=_reader_env(threaded_mock, "none"))
    proc.wait_for(r"^no REST reads \(POLYMARKET_ADDRESS unset\): gaps are reported only$")
    _user_subscribed(threaded_mock, 1)
    bid = exchange.books[asset].best_bid
    order_id = threaded_mock.call(exchange.place_order, asset, "BUY", bid, "10")
    proc.wait_for(rf"^ORDER {order_id} status=LIVE .*\[ws\]$")

    def gap() -> None:
        mock.faults.reject_handshake(503, times=1, channel="user")
        mock.faults.drop(channel="user")
        exchange.fill(order_id, "4")

    threaded_mock.call(gap)
    _user_subscribed(threaded_mock, 2)
    proc.wait_for(r"^GAP \d+\.\ds without the stream; events in it are lost$")
    later = threaded_mock.call(exchange.place_order, asset, "BUY", bid, "5")
    proc.wait_for(rf"^ORDER {later} status=LIVE .*\[ws\]$")
    assert "matched=4/10" not in proc.output and "account sync" not in proc.output
    assert proc.output.count("GAP ") == 1
    assert proc.interrupt() == 0


def test_user_stream_without_credentials_names_the_variables(run_program):
    """Missing credentials: a clear error naming the variables, exit code 2, nothing else."""
    proc = run_program("user_stream.py", env={})
    proc.process.wait(timeout=30)
    assert proc.interrupt() == 2
    assert "POLYMARKET_API_KEY" in proc.output and "Traceback" not in proc.output


def test_user_stream_refused_at_the_handshake_exits_1_at_once(threaded_mock, run_program):
    """Run by hand, a refused handshake (here a 404: a wrong base URL) ends it with the reason,
    rather than the 24/7 default of retrying every 300 s."""
    env = {**_reader_env(threaded_mock, "none"), "POLYMARKET_WS_URL": threaded_mock.url + "/nope"}
    proc = run_program("user_stream.py", env=env)
    proc.process.wait(timeout=30)
    assert proc.interrupt() == 1
    assert "error:" in proc.output and "404" in proc.output and "Traceback" not in proc.output


# --- user_subscription.py on a live RobustConnection (mock in the test's loop) -------------


async def _until(predicate) -> None:
    """Poll a condition on the loop clock (events arrive through real loopback sockets)."""
    async with asyncio.timeout(5.0):
        while not predicate():  # noqa: ASYNC110 - arbitrary conditions, no event to wait on
            await asyncio.sleep(0.01)


def test_first_frame_follows_every_market_without_a_filter():
    """No markets: the first frame omits `markets`; subscribe is a no-op, unsubscribe refused."""
    creds = Credentials("key-1234-5678", "c2VjcmV0", "pass")
    subscription = UserSubscription(creds, ["", " "])
    assert subscription.first_frame() == {"type": "user", "auth": creds.ws_auth()}
    assert subscription.subscribe(["0xa"]) is None
    with pytest.raises(ValueError, match="undocumented"):
        subscription.unsubscribe(["0xa"])
    assert "c2VjcmV0" not in repr(subscription) and "pass" not in repr(subscription)


def test_filter_changes_send_only_real_changes():
    """subscribe/unsubscribe return frames only for real changes; leaving every market fails."""
    subscription = UserSubscription(Credentials("k", "s", "p"), ["0xa"])
    assert subscription.subscribe(["0xa"]) is None, "re-subscribing draws a duplicate reject"
    assert subscription.subscribe(["0xa", "0xb"]) == {"operation": "subscribe", "markets": ["0xb"]}
    assert subscription.unsubscribe(["0xc"]) is None
    assert subscription.unsubscribe(["0xa"]) == {"operation": "unsubscribe", "markets": ["0xa"]}
    with pytest.raises(ValueError, match="all markets"):
        subscription.unsubscribe(["0xb"])
    assert subscription.first_frame()["markets"] == ["0xb"]


async def test_send_if_connected_without_a_connection_keeps_the_change_for_later():
    """Not connected: nothing is sent, and the change is in the next first frame."""

    class Offline:
        connected = False

    subscription = UserSubscription(Credentials("k", "s", "p"), ["0xa"])
    assert await send_if_connected(Offline(), subscription.subscribe(["0xb"])) is False
    assert await send_if_connected(Offline(), None) is False
    assert subscription.first_frame()["markets"] == ["0xa", "0xb"]


@pytest.mark.looptime(end=600)
async def test_filter_changes_apply_live_and_survive_a_reconnect(mock_factory):
    """Live subscribe/unsubscribe change what arrives; a reconnect replays the current filter."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = (market.condition_id for market in mock.markets)
        creds = Credentials.from_env(mock.client_env())
        subscription = UserSubscription(creds, [first])
        orders: list[OrderEvent] = []
        router = UserEventRouter(on_order=orders.append)
        connection = RobustConnection(
            mock.url + "/ws/user",
            subscription.first_frame,
            router.handle_message,
            name="user",
            data_timeout=None,
            rng=lambda: 0.0,
            connect_kwargs={"proxy": None},
        )
        running = asyncio.create_task(connection.run())

        def users():
            return [
                c for c in mock.connections if c.channel == "user" and c.subscribed_at is not None
            ]

        await mock.wait_for(lambda m: len(users()) == 1)
        assert users()[0].markets == {first}
        in_first = mock.markets[0].token_ids[0]
        in_second = mock.markets[1].token_ids[0]
        mock.exchange.place_order(in_second, "BUY", "0.05", "1")  # filtered out
        placed = mock.exchange.place_order(in_first, "BUY", "0.05", "2")
        await _until(lambda: [o.id for o in orders] == [placed])

        assert await send_if_connected(connection, subscription.subscribe([second]))
        await mock.wait_for(lambda m: users()[0].markets == {first, second})
        now_seen = mock.exchange.place_order(in_second, "BUY", "0.05", "3")
        await _until(lambda: orders[-1].id == now_seen)

        assert await send_if_connected(connection, subscription.unsubscribe([first]))
        await mock.wait_for(lambda m: users()[0].markets == {second})
        mock.faults.send_malformed(channel="user")
        mock.faults.send_unknown_event(channel="user")
        await _until(lambda: router.counts["skipped"] == 1)  # the unknown event; wire drops junk
        mock.faults.drop(channel="user")
        await mock.wait_for(lambda m: len(users()) == 2)
        assert users()[1].subscriptions[0]["markets"] == [second]
        assert users()[1].authenticated and users()[1].api_key == creds.api_key
        last = mock.exchange.place_order(in_second, "BUY", "0.05", "4")
        await _until(lambda: orders[-1].id == last)
        assert connection.stats.reconnects == 1

        connection.stop()
        await asyncio.wait_for(running, 10)


def test_user_channel_sample_output_shows_the_accounts_own_trade_side():
    """TradeState.side is the account's own (its maker_orders entries when it was the maker),
    so in user-channel.md's sample output a MAKER TRADE line has the side of the account's
    order it filled, and the text never calls that side the taker's."""
    from tests.pack.blocks import PACK_ROOT

    text = (PACK_ROOT / "real-time" / "user-channel.md").read_text()
    sample = text.split("It prints lines such as these", 1)[1].split("```text\n", 1)[1]
    sample = sample.split("```", 1)[0]
    orders = dict(re.findall(r"^ORDER (\S+) .* (BUY|SELL) @", sample, re.M))
    trades = re.findall(r"^TRADE \S+ status=\w+ MAKER (BUY|SELL) .* orders=(\S+)", sample, re.M)
    assert trades
    for side, order_id in trades:
        assert orders[order_id] == side, (side, order_id)
    after = " ".join(text.split("It prints lines such as these", 1)[1].split())
    assert "the taker's side" not in after
