"""realtime.py and trading_feed.py (quickstart.md): the front door, its JSON lines, its exits.

In-loop tests (looptime) drive the module against the mock; program tests run trading_feed.py
as a subprocess against a threaded mock through a drop, a stall, a 429, malformed frames and
SIGTERM, with stdout read, and with stdout never read (blocked).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import termios
import threading
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import account_sync
import httpx
import pytest
from account_sync import ClobClientReader
from credentials import Credentials, clob_client
from polymarket_mock.accounts import DEFAULT_MAKER_ADDRESS
from py_clob_client_v2.http_helpers import helpers as clob_http
from realtime import (
    BookUpdate,
    Connected,
    Gap,
    JsonLines,
    OrderUpdate,
    Realtime,
    Settings,
    TradeUpdate,
    json_line,
)

from tests.faults.proxy import FaultProxy
from tests.faults.rig import (
    CEILING,
    assert_books_match_mock,
    losing_changes_of,
    now,
    running,
    settled,
    until,
)
from tests.fixtures.mock import ThreadedMock
from tests.fixtures.pack import TITLED_BLOCKS, _all_requirements, mock_env
from tests.pack.blocks import PACK_ROOT

pytestmark = pytest.mark.looptime

OPTIONS = {"connect_kwargs": {"proxy": None}, "rng": CEILING}
QUICKSTART = PACK_ROOT / "real-time" / "quickstart.md"
EXIT_WITHIN = 5.0  # serve()'s documented bound from signal to exit

# -- the JSON line contract (what a checker may rely on) --------------------------------------

_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
KEYS = {
    "connected": {"type", "channel", "connection", "reconnects"},
    "book": {"type", "asset_id", "market", "status", "best_bid", "best_ask", "bbo_changed"}
    | {"snapshot", "settled", "timestamp", "bids", "asks"},
    "order": {"type", "id", "market", "asset_id", "side", "price", "original_size"}
    | {"size_matched", "filled", "remaining", "status", "status_reason", "open", "source"}
    | {"event_type", "event_status", "previous_status"},
    "trade": {"type", "id", "status", "final", "asset_id", "side", "size", "price"}
    | {"trader_side", "order_ids", "match_time", "transaction_hash", "source"}
    | {"event_type", "event_status", "previous_status"},
    "gap market": {"type", "channel", "start", "end", "asset_ids", "recovered"},
    "gap user": {"type", "channel", "start", "end", "recovered"},
    "gap output": {"type", "channel", "dropped"},
    "closed": {"type", "asset_id", "reason"},
    "synced": {"type", "source", "changes"},
}


def check_line(line: dict[str, Any]) -> dict[str, Any]:
    """Assert one JSON line has exactly its documented shape; return it."""
    kind = line.get("type")
    key = f"gap {line.get('channel')}" if kind == "gap" else kind
    assert key in KEYS, f"unknown line {line}"
    assert set(line) == KEYS[key], f"{key}: keys {sorted(set(line) ^ KEYS[key])} differ"
    if kind == "book":
        assert line["status"] in ("live", "stale")
        for side in ("bids", "asks"):
            assert all(len(lv) == 2 and all(_DECIMAL.match(x) for x in lv) for lv in line[side])
        prices = [Decimal(p) for p, _ in line["bids"]], [Decimal(p) for p, _ in line["asks"]]
        assert prices[0] == sorted(prices[0], reverse=True) and prices[1] == sorted(prices[1])
        for best, levels in ((line["best_bid"], line["bids"]), (line["best_ask"], line["asks"])):
            assert (best and Decimal(best)) == (levels and Decimal(levels[0][0])) or not levels
        assert line["settled"] in (True, False) and (line["settled"] or not line["snapshot"])
        if line["status"] == "stale":
            assert not line["settled"]
            assert (line["best_bid"], line["best_ask"], line["bids"], line["asks"]) == (
                None,
                None,
                [],
                [],
            )
    if kind in ("order", "trade"):
        assert line["source"] in ("ws", "rest", "initial")
        # the event behind a stream update; none behind a REST read
        assert (line["event_type"] is None) == (line["source"] != "ws"), line
        assert line["event_type"] in (None, "PLACEMENT", "UPDATE", "CANCELLATION", "TRADE")
        assert all(_DECIMAL.match(line[k]) for k in ("price", "size", "filled") if k in line)
    if kind == "gap" and line["channel"] != "output":
        assert line["start"] <= line["end"]
        assert line["recovered"] in (
            {"snapshot"} if line["channel"] == "market" else {"rest", "none"}
        )
    if kind == "connected":
        assert line["channel"] in ("market", "user") and line["reconnects"] >= 0
    return line


def test_the_pages_json_line_examples_have_the_documented_shapes():
    """Every JSON line shown on quickstart.md passes the same check as the program's output."""
    text = QUICKSTART.read_text("utf-8")
    examples = re.findall(r"^(\{\"type\": .*\})$", text, re.MULTILINE)
    examples += re.findall(r"`(\{\"type\": \"gap\", \"channel\": \"output\".*?\})`", text)
    examples += re.findall(r"`(\{\"type\": \"closed\".*?\})`", text)
    kinds = {check_line(json.loads(example))["type"] for example in examples}
    assert kinds == {"connected", "book", "order", "trade", "gap", "closed"}


# -- settings ---------------------------------------------------------------------------------

SECRET = "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1zaG93LTAwMQ=="
PASSPHRASE = "passphrase-that-must-never-show"


def test_settings_read_the_pack_names_or_overridden_ones_and_never_show_secrets(caplog):
    """Any variable can be read under another name; secrets stay out of reprs and logs."""
    env = {
        "BOT_WS": "ws://127.0.0.1:9",
        "BOT_TOKENS": "a, b,a,",
        "POLYMARKET_API_KEY": "key-0001",
        "POLYMARKET_API_SECRET": SECRET,
        "BOT_PASS": PASSPHRASE,
        "POLYMARKET_MARKETS": "0x1",
        "POLYMARKET_ADDRESS": DEFAULT_MAKER_ADDRESS,
    }
    names = {"ws_url": "BOT_WS", "asset_ids": "BOT_TOKENS", "passphrase": "BOT_PASS"}
    settings = Settings.from_env(env, names=names)
    assert settings.ws_url == "ws://127.0.0.1:9" and settings.asset_ids == ("a", "b")
    assert settings.markets == ("0x1",) and settings.address == DEFAULT_MAKER_ADDRESS
    assert settings.credentials == Credentials("key-0001", SECRET, PASSPHRASE)
    front = Realtime(settings)
    shown = repr(settings) + repr(front) + repr(front.sync) + repr(front.sync.reader) + caplog.text
    assert SECRET not in shown and PASSPHRASE not in shown
    market_only = Settings.from_env({"POLYMARKET_ASSET_IDS": "a"})
    assert market_only.credentials is None and Realtime(market_only).user is None


def test_settings_refuse_half_credentials_cleartext_and_nothing_to_do():
    """Two of three secrets name the missing variable; nothing to stream is an error."""
    with pytest.raises(ValueError, match="POLYMARKET_API_PASSPHRASE") as caught:
        Settings.from_env({"POLYMARKET_API_KEY": "k", "POLYMARKET_API_SECRET": SECRET})
    assert SECRET not in str(caught.value)
    nothing = r"nothing to stream: no tokens \(asset_ids\) and no credentials \(api_key\)"
    with pytest.raises(ValueError, match=nothing):
        Realtime(Settings())


def test_market_only_time_scale_and_nothing_to_stream_name_the_callers_variables():
    """from_env(market_only=True) ignores credential variables; the time scale is read from
    the caller's variable (a bad one names it); "nothing to stream" names the caller's token
    and key variables; Realtime takes the settings' scale unless given its own."""
    names = {"asset_ids": "BOT_TOKENS", "api_key": "BOT_KEY", "time_scale": "BOT_SCALE"}
    env = {"BOT_TOKENS": "a", "BOT_KEY": "k", "POLYMARKET_API_SECRET": SECRET, "BOT_SCALE": "0.1"}
    settings = Settings.from_env(env, names, market_only=True)
    assert settings.credentials is None and settings.time_scale == 0.1
    assert Realtime(settings).time_scale == 0.1 and Realtime(settings, time_scale=1).time_scale == 1
    for bad in ("0", "-1", "fast", "inf"):
        with pytest.raises(ValueError, match="BOT_SCALE must be a positive number"):
            Settings.from_env({**env, "BOT_SCALE": bad}, names, market_only=True)
    with pytest.raises(ValueError, match=r"no tokens \(BOT_TOKENS\) and no credentials \(BOT_KEY"):
        Realtime(Settings.from_env({}, names))


def test_user_only_and_fields_named_empty_are_not_read():
    """user_only reads no tokens (a program that must open no book feed); a field named ""
    is not read at all, so a POLYMARKET_* variable left in the environment cannot leak in;
    market_only and user_only together are an error."""
    env = {
        "POLYMARKET_ASSET_IDS": "a,b",
        "POLYMARKET_MARKETS": "0xm",
        "ACCT_KEY": "k",
        "POLYMARKET_API_SECRET": SECRET,
        "POLYMARKET_API_PASSPHRASE": PASSPHRASE,
    }
    user = Settings.from_env(env, {"api_key": "ACCT_KEY"}, user_only=True)
    assert user.asset_ids == () and user.markets == ("0xm",) and user.credentials is not None
    assert Realtime(user, reader=None).pool is None
    quiet = Settings.from_env(env, {"api_key": "ACCT_KEY", "markets": ""}, user_only=True)
    assert quiet.markets == ()
    with pytest.raises(ValueError, match="exclude each other"):
        Settings.from_env(env, market_only=True, user_only=True)
    unread = Settings.from_env({}, {"asset_ids": "", "api_key": "ACCT_KEY"})
    with pytest.raises(ValueError, match=r"no tokens and no credentials \(ACCT_KEY\)$"):
        Realtime(unread)  # a variable that is not read is not named


def test_asset_ids_of_names_every_token_an_event_names():
    """asset_id, each price_changes[] entry's, and assets_ids (market_resolved), once each."""
    from realtime import asset_ids_of

    change = {"price_changes": [{"asset_id": "a"}, {"asset_id": "b"}, {"asset_id": "a"}, 7]}
    assert asset_ids_of(change) == ["a", "b"]
    assert asset_ids_of({"event_type": "book", "asset_id": "c"}) == ["c"]
    assert asset_ids_of({"event_type": "market_resolved", "assets_ids": ["d", "e"]}) == ["d", "e"]
    assert asset_ids_of({"event_type": "x", "asset_id": None, "assets_ids": "junk"}) == []


def test_plain_ws_and_http_only_where_no_credential_travels_unless_the_caller_opts_in():
    """ws:// to a remote host is fine for the market channel (no secret goes out); with
    credentials it is refused, naming the variable and the choice (allow_insecure), and so is
    http:// for the CLOB (its L2 headers carry the passphrase); allow_insecure=True permits
    both, in Settings, from_env and the REST reader built from them; loopback always."""
    names = {"ws_url": "BOT_WS", "clob_url": "BOT_CLOB"}
    remote = {"BOT_WS": "ws://example.com", "BOT_CLOB": "http://example.com"}
    market = Settings.from_env({**remote, "POLYMARKET_ASSET_IDS": "a"}, names=names)
    assert (market.ws_url, market.clob_url) == ("ws://example.com", "http://example.com")
    Realtime(market)
    secrets = {"POLYMARKET_API_KEY": "key-0001", "POLYMARKET_API_SECRET": SECRET}
    secrets |= {
        "POLYMARKET_API_PASSPHRASE": PASSPHRASE,
        "POLYMARKET_ADDRESS": DEFAULT_MAKER_ADDRESS,
    }
    for variable, env in (("BOT_WS", remote), ("BOT_CLOB", {"BOT_CLOB": "http://example.com"})):
        with pytest.raises(ValueError) as caught:
            Settings.from_env({**env, **secrets}, names=names)
        text = str(caught.value)
        assert variable in text and "allow_insecure" in text, text
        assert SECRET not in text and PASSPHRASE not in text
    credentials = Credentials("key-0001", SECRET, PASSPHRASE)
    with pytest.raises(ValueError, match="ws_url.*allow_insecure"):
        Settings(ws_url="ws://example.com", credentials=credentials)
    with pytest.raises(ValueError, match="clob_url.*allow_insecure"):
        Settings(clob_url="http://example.com", credentials=credentials)
    mine = Settings.from_env({**remote, **secrets}, names=names, allow_insecure=True)
    assert mine.allow_insecure and mine.ws_url == "ws://example.com"
    front = Realtime(mine)
    assert front.user.url == "ws://example.com/ws/user"
    assert front.sync.reader.url == "http://example.com"
    local = Settings(
        ws_url="ws://127.0.0.1:9", clob_url="http://localhost:8", credentials=credentials
    )
    assert not local.allow_insecure


MY_NAMES = {
    "ws_url": "MY_WS",
    "clob_url": "MY_CLOB",
    "api_key": "MY_KEY",
    "secret": "MY_SECRET",
    "passphrase": "MY_PASS",
    "address": "MY_ADDR",
    "asset_ids": "MY_TOKENS",
    "markets": "MY_MARKETS",
}
MY_CREDENTIALS = {"MY_KEY": "key-0001", "MY_SECRET": SECRET, "MY_PASS": PASSPHRASE}


def test_every_message_names_the_callers_own_variables(caplog):
    """Settings.from_env(names=...): each error and warning about the configuration names the
    caller's variable (never POLYMARKET_*): half the credentials, a bad WebSocket or REST URL,
    a bad wallet address, no address (no REST reader); Credentials.from_env(names=...) too."""
    import credentials

    said: list[str] = []

    def refused(env: dict[str, str], variable: str) -> None:
        with pytest.raises(ValueError) as caught:
            Realtime(Settings.from_env(env, names=MY_NAMES))
        said.append(str(caught.value))
        assert variable in said[-1], said[-1]

    refused({"MY_KEY": "k", "MY_SECRET": SECRET}, "MY_PASS")
    refused({"MY_WS": "ftp://example.com", "MY_TOKENS": "a"}, "MY_WS")
    refused({"MY_CLOB": "ftp://example.com", "MY_TOKENS": "a"}, "MY_CLOB")
    refused({**MY_CREDENTIALS, "MY_ADDR": "0x12"}, "MY_ADDR")
    with pytest.raises(credentials.MissingCredentialError) as caught:
        Credentials.from_env({"MY_KEY": "k"}, names=MY_NAMES)
    said.append(str(caught.value))
    assert "MY_SECRET" in said[-1] and "MY_PASS" in said[-1]
    with caplog.at_level("WARNING"):
        Realtime(Settings.from_env(MY_CREDENTIALS, names=MY_NAMES))
    assert "MY_ADDR" in caplog.text
    for text in [*said, caplog.text]:
        assert "POLYMARKET_" not in text, text
        assert SECRET not in text and PASSPHRASE not in text


# -- the market side --------------------------------------------------------------------------


def _front(mock, lines: list[dict[str, Any]], **settings: Any) -> Realtime:
    def record(update: Any) -> None:
        lines.append(check_line(json_line(update)))  # serialised now: the book moves on

    return Realtime(
        Settings(ws_url=mock.url, **settings),
        on_connected=record,
        on_book=record,
        on_order=record,
        on_trade=record,
        on_gap=record,
        connection_options=OPTIONS,
    )


def _live(lines: list[dict[str, Any]], assets: list[str], after: int = 0) -> bool:
    last = {}
    for line in lines[after:]:
        if line["type"] == "book":
            last[line["asset_id"]] = line["status"]
    return all(last.get(asset) == "live" for asset in assets)


async def test_books_follow_the_mock_and_a_line_means_the_book_changed(mock_factory):
    """Each book line differs from the last one of its token; bbo_changed is exact; the books
    held equal the mock's after a minute of activity."""
    async with mock_factory(activity_interval=1.0) as mock:
        lines: list[dict[str, Any]] = []
        front = _front(mock, lines, asset_ids=tuple(mock.asset_ids))
        async with running(front):
            await until(lambda: _live(lines, mock.asset_ids), within=10)
            await asyncio.sleep(60)
            await settled(mock)
            for feed in front.pool.feeds:
                assert_books_match_mock(mock, feed)
            held = {a: front.pool.feeds[0].books[a].best() for a in mock.asset_ids}
    assert lines[0] == {
        "type": "connected",
        "channel": "market",
        "connection": "market-0",
        "reconnects": 0,
    }
    previous: dict[str, dict[str, Any]] = {}
    settled_before: dict[str, dict[str, Any]] = {}
    for line in lines[1:]:
        assert line["type"] == "book" and line["status"] == "live", line
        before = previous.get(line["asset_id"])
        if line["settled"]:  # compared with the previous settled line
            before = settled_before.get(line["asset_id"])
            settled_before[line["asset_id"]] = line
        elif before is not None:  # an unsettled line: the levels changed
            assert (line["bids"], line["asks"]) != (before["bids"], before["asks"])
        if before is not None:
            moved = (line["best_bid"], line["best_ask"]) != (before["best_bid"], before["best_ask"])
            assert line["bbo_changed"] == moved
        previous[line["asset_id"]] = line
    assert len(lines) > 2 * len(mock.asset_ids)
    for asset, (bid, ask) in held.items():
        shown = previous[asset]["best_bid"], previous[asset]["best_ask"]
        assert tuple(x and Decimal(x) for x in shown) == (bid, ask)


async def test_a_trade_batch_is_unsettled_until_it_is_over_then_one_settled_line(mock_factory):
    """A take across several levels arrives as several price_change messages with one
    timestamp (each with the post-batch best prices): their lines say settled false; once the
    batch is over and the best prices checked, one settled line repeats the final levels, and
    its bbo_changed compares with the previous settled line. Snapshots are settled."""
    async with mock_factory(activity_interval=None, markets=1) as mock:
        lines: list[dict[str, Any]] = []
        front = _front(mock, lines, asset_ids=tuple(mock.asset_ids))
        async with running(front):
            await until(lambda: _live(lines, mock.asset_ids), within=10)
            assert all(x["settled"] for x in lines if x["type"] == "book")
            mark = len(lines)
            yes = mock.asset_ids[0]
            book = mock.exchange.books[yes]
            deep = sorted(book.side("SELL"))[2]  # three ask levels at least: a batch
            mock.exchange.take(yes, "BUY", deep, "1000")
            await settled(mock)
            await asyncio.sleep(3)  # the watchdog's tick, if no later event ends the batch
            assert not front.pool.feeds[0].settling(yes)
    for asset in mock.asset_ids:
        mine = [x for x in lines[mark:] if x.get("asset_id") == asset]
        flags = [x["settled"] for x in mine]
        assert flags.count(False) >= 2, flags  # one line per message of the batch
        assert flags[-1] is True and flags.count(True) == 1, flags
        final, last_unsettled = mine[-1], [x for x in mine if not x["settled"]][-1]
        assert (final["bids"], final["asks"]) == (last_unsettled["bids"], last_unsettled["asks"])
        before = [x for x in lines[:mark] if x.get("asset_id") == asset][-1]
        moved = (final["best_bid"], final["best_ask"]) != (before["best_bid"], before["best_ask"])
        assert final["bbo_changed"] == moved and moved and not final["snapshot"]


async def test_a_drop_makes_books_stale_at_once_then_a_gap_line_and_a_fresh_snapshot(
    mock_factory,
):
    """The moment the socket ends every live book is reported stale; after the reconnect each
    token's fresh snapshot comes as a live line followed by its market gap line."""
    async with mock_factory(activity_interval=1.0) as mock:
        lines: list[dict[str, Any]] = []
        front = _front(mock, lines, asset_ids=tuple(mock.asset_ids))
        async with running(front):
            await until(lambda: _live(lines, mock.asset_ids), within=10)
            mark = len(lines)
            dropped_at = now()
            mock.faults.drop(channel="market")
            await until(lambda: any(x.get("status") == "stale" for x in lines[mark:]), within=5)
            stale_at = now()
            await until(lambda: sum(x["type"] == "gap" for x in lines) == len(mock.asset_ids), 30)
            await settled(mock)
            assert_books_match_mock(mock, front.pool.feeds[0])
    after = lines[mark:]
    assert stale_at - dropped_at < 1.0
    stale = [x for x in after if x.get("status") == "stale"]
    assert sorted(x["asset_id"] for x in stale) == sorted(mock.asset_ids)
    assert {
        "type": "connected",
        "channel": "market",
        "connection": "market-0",
        "reconnects": 1,
    } in (after)
    for asset in mock.asset_ids:
        mine = [x for x in after if x.get("asset_id") == asset or asset in x.get("asset_ids", ())]
        kinds = [(x["type"], x.get("status"), x.get("snapshot")) for x in mine]
        assert kinds[:3] == [("book", "stale", False), ("book", "live", True), ("gap", None, None)]
        gap = mine[2]
        assert gap["recovered"] == "snapshot" and gap["end"] - gap["start"] > 0


async def test_a_quiet_token_stays_live_through_its_probes(mock_factory):
    """No activity for 20 minutes: the feed probes its quiet tokens (every 60 s, and each after
    300 s), every probe answered, 2 s later, by the book held; no stale line, no gap line, one
    connection."""
    async with mock_factory(activity_interval=None) as mock:
        lines: list[dict[str, Any]] = []
        front = _front(mock, lines, asset_ids=tuple(mock.asset_ids))
        feed = front.pool.feeds[0]
        deliver = feed.connection.on_message

        dumped: list[bool] = []

        async def answers_late(raw: str) -> None:
            if dumped:  # not the initial dump: a probe's answer
                await asyncio.sleep(2.0)
            await deliver(raw)
            if not feed.silent_assets():
                dumped.append(True)

        feed.connection.on_message = answers_late
        async with running(front):
            await until(lambda: _live(lines, mock.asset_ids), within=10)
            mark = len(lines)
            await asyncio.sleep(1200)
        assert feed.stats.resubscribes >= 10 and feed.stats.missed_changes == 0
    assert len(mock.connections) == 1
    assert lines[mark:] == []


async def test_a_probe_that_finds_lost_changes_replaces_the_book_then_reports_a_gap(mock_factory):
    """One token's changes stop reaching us (the others flow): after 300 s of silence its probe
    is answered by a book unlike ours. The book stays live until then (no stale line); the
    answer comes as a live snapshot line followed by a market gap line for that token alone."""
    async with mock_factory(activity_interval=1.0) as mock:
        lines: list[dict[str, Any]] = []
        lost = mock.asset_ids[0]
        front = _front(mock, lines, asset_ids=tuple(mock.asset_ids))
        feed = front.pool.feeds[0]
        losing_changes_of(lost, feed)
        async with running(front):
            await until(lambda: _live(lines, mock.asset_ids), within=10)
            mark = len(lines)
            await until(lambda: feed.stats.missed_changes == 1, within=400, step=1.0)
            await asyncio.sleep(1)
    mine = [x for x in lines[mark:] if x.get("asset_id") == lost or lost in x.get("asset_ids", ())]
    assert [(x["type"], x.get("status"), x.get("snapshot")) for x in mine] == [
        ("book", "live", True),
        ("gap", None, None),
    ]
    gap = mine[1]
    assert gap["asset_ids"] == [lost] and gap["recovered"] == "snapshot"
    assert 300 <= gap["end"] - gap["start"] <= 302
    assert not [x for x in lines[mark:] if x.get("status") == "stale" or x["type"] == "gap"][2:]
    assert len(mock.connections) == 1


# -- the user side ----------------------------------------------------------------------------


@pytest.fixture
def rest_in_loop(monkeypatch):
    """py-clob-client-v2 answered by the current in-loop mock's REST handler, no threads."""
    current: dict[str, Any] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        reply = current["mock"].rest.handle(
            request.method, request.url.raw_path.decode(), request.headers
        )
        status, body = reply if reply is not None else (404, {"error": "not found"})
        return httpx.Response(status, json=body)

    async def to_thread_in_loop(function, /, *args, **kwargs):
        await asyncio.sleep(0.05)
        return function(*args, **kwargs)

    client = httpx.Client(transport=httpx.MockTransport(handle))
    monkeypatch.setattr(clob_http, "_http_client", client)
    monkeypatch.setattr(account_sync, "in_daemon_thread", to_thread_in_loop)
    yield current
    client.close()


async def test_orders_and_trades_live_then_a_user_gap_filled_over_rest(mock_factory, rest_in_loop):
    """Live order and trade lines come from the stream; what happens while the user socket is
    down arrives after a user gap line as lines with source "rest"; nothing twice."""
    async with mock_factory(activity_interval=None, markets=1) as mock:
        rest_in_loop["mock"] = mock
        env = mock.client_env()
        credentials = Credentials.from_env(env)
        lines: list[dict[str, Any]] = []
        front = _front(
            mock, lines, credentials=credentials, markets=(mock.markets[0].condition_id,)
        )
        front.sync.reader = ClobClientReader(clob_client(credentials, env))
        exchange, asset = mock.exchange, mock.asset_ids[0]
        async with running(front):
            await until(lambda: front.sync.syncs >= 1, within=10)
            bid = exchange.books[asset].best_bid
            kept = exchange.place_order(asset, "BUY", bid, "10")
            gone = exchange.place_order(asset, "BUY", bid, "20")
            trade = exchange.fill(kept, "4")
            await settled(mock)
            live = list(lines)
            mock.faults.drop(channel="user")
            exchange.fill(kept, "6")
            exchange.cancel(gone)
            await until(lambda: any(x["type"] == "gap" for x in lines), within=30)
            await until(lambda: front.sync.syncs >= 2, within=30)
            await asyncio.sleep(10)  # the settle re-read too
            await settled(mock)
    assert [x["reconnects"] for x in lines if x["type"] == "connected"] == [0, 1]
    assert {(x["type"], x["id"], x["source"]) for x in live if x["type"] != "connected"} >= {
        ("order", kept, "ws"),
        ("order", gone, "ws"),
        ("trade", trade, "ws"),
    }
    fills = [(x["filled"], x["size_matched"]) for x in lines if x.get("id") == kept]
    assert fills[0] == ("0", "0") and ("4", "4") in fills and fills[-1] == ("6", "10")
    after = lines[len(live) :]
    (gap,) = [x for x in after if x["type"] == "gap"]
    assert gap["channel"] == "user" and gap["recovered"] == "rest"
    final = {x["id"]: x for x in after if x["type"] == "order"}
    assert final[kept]["status"] == "MATCHED" and final[kept]["source"] == "rest"
    assert final[gone]["status"] == "CANCELED" and final[gone]["open"] is False
    states = [json.dumps(x, sort_keys=True) for x in lines if x["type"] in ("order", "trade")]
    assert len(states) == len(set(states)), "a state reported twice"


async def test_without_an_address_user_gaps_are_reported_unrecovered(mock_factory):
    """No POLYMARKET_ADDRESS, no REST reader: the stream runs and a gap says recovered none."""
    async with mock_factory(activity_interval=None, markets=1) as mock:
        lines: list[dict[str, Any]] = []
        front = _front(mock, lines, credentials=Credentials.from_env(mock.client_env()))
        assert front.sync.reader is None
        async with running(front):
            await until(lambda: front.user.connected, within=10)
            mock.faults.drop(channel="user")
            await until(lambda: any(x["type"] == "gap" for x in lines), within=30)
    (gap,) = [x for x in lines if x["type"] == "gap"]
    assert gap["channel"] == "user" and gap["recovered"] == "none"


async def test_on_event_gets_every_parsed_event_of_both_channels_once_without_a_secret(
    mock_factory,
):
    """Realtime(on_event=...) gets a frozen Event(channel, event, at) for every event parsed on
    either channel: books, price changes, an unknown type, orders (PLACEMENT, UPDATE,
    CANCELLATION) and trades; a price_change naming two tokens once; `at` on the loop clock.
    A server that echoes the user subscription back never puts the secret in an Event."""
    import dataclasses

    from realtime import Event

    async with mock_factory(activity_interval=0.5, markets=1) as mock:
        credentials = Credentials.from_env(mock.client_env())
        events: list[Event] = []
        front = Realtime(
            Settings(ws_url=mock.url, asset_ids=tuple(mock.asset_ids), credentials=credentials),
            on_event=events.append,
            reader=None,
            connection_options=OPTIONS,
        )
        exchange, asset = mock.exchange, mock.asset_ids[0]
        async with running(front):
            await until(lambda: front.user.connected and front.pool.feeds[0].books, within=10)
            started = now()
            await asyncio.sleep(5)
            mock.faults.send_unknown_event(channel="market")
            order = exchange.place_order(asset, "BUY", exchange.books[asset].best_bid, "10")
            exchange.fill(order, "4")
            exchange.cancel(order)
            await mock.faults.echo_secrets(("subscription",), channel="user")
            await asyncio.sleep(5)
            await settled(mock)
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].channel = "user"  # type: ignore[misc]
    market = [e.event for e in events if e.channel == "market"]
    user = [e.event for e in events if e.channel == "user"]
    assert {e.get("event_type") for e in market} >= {"book", "price_change", "mock_unknown_event"}
    assert len({id(e) for e in market}) == len(market)  # once each, whatever it touches
    assert any(len(e.get("price_changes", ())) > 1 for e in market)
    order_types = [e.get("type") for e in user if e.get("event_type") == "order"]
    assert order_types[:1] == ["PLACEMENT"] and {"UPDATE", "CANCELLATION"} <= set(order_types)
    assert any(e.get("event_type") == "trade" for e in user)
    assert any("auth" in e for e in user)  # the echoed subscription, passed on redacted
    times = [e.at for e in events]
    assert times == sorted(times) and times[-1] - started < 60
    shown = repr(events) + json.dumps([e.event for e in events])
    assert credentials.secret not in shown and credentials.passphrase not in shown


async def test_inside_on_event_the_state_already_shows_the_event(mock_factory):
    """on_event comes just after the kit applied the event: best() is the book after a book or
    price_change, order() the order after its PLACEMENT/UPDATE/CANCELLATION, trade() the
    trade after its event; so a line per event needs no lookup of internals."""
    from realtime import Event

    async with mock_factory(activity_interval=0.5, markets=1) as mock:
        credentials = Credentials.from_env(mock.client_env())
        seen: list[tuple[str, Any, Any]] = []
        front: Realtime

        def on_event(e: Event) -> None:
            kind = e.event.get("event_type")
            if kind == "book":
                book = front.pool.feeds[0].books[e.event["asset_id"]]
                seen.append(("book", front.best(e.event["asset_id"]), book.best()))
            elif kind == "order":
                order = front.order(e.event["id"])
                seen.append(("order", e.event["type"], order and order.last_kind))
            elif kind == "trade":
                trade = front.trade(e.event["id"])
                seen.append(("trade", e.event["status"], trade and trade.status))

        front = Realtime(
            Settings(ws_url=mock.url, asset_ids=tuple(mock.asset_ids), credentials=credentials),
            on_event=on_event,
            reader=None,
            connection_options=OPTIONS,
        )
        exchange, asset = mock.exchange, mock.asset_ids[0]
        async with running(front):
            await until(lambda: front.user.connected and front.best(asset), within=10)
            order = exchange.place_order(asset, "BUY", exchange.books[asset].best_bid, "10")
            exchange.fill(order, "4")
            exchange.cancel(order)
            await asyncio.sleep(5)
            await settled(mock)
    books = [s for s in seen if s[0] == "book"]
    assert books and all(best is not None and best == held for _, best, held in books)
    orders = [s for s in seen if s[0] == "order"]
    assert [t for _, t, _ in orders][:1] == ["PLACEMENT"]
    assert all(kind == last for _, kind, last in orders)  # the tracker has applied it
    trades = [s for s in seen if s[0] == "trade"]
    assert trades and all(status == held for _, status, held in trades)
    assert front.order("no such order") is None and front.trade("nothing") is None


async def test_on_synced_follows_each_rest_read_after_its_updates(mock_factory, rest_in_loop):
    """on_synced gets Synced("initial") after the startup read and Synced("rest", n) after the
    read that fills a user gap, once that read's order updates went out: a contract that
    reports a gap 'after the account was re-read' needs nothing else."""
    from realtime import Synced

    async with mock_factory(activity_interval=None, markets=1) as mock:
        rest_in_loop["mock"] = mock
        env = mock.client_env()
        credentials = Credentials.from_env(env)
        seen: list[Any] = []
        front = Realtime(
            Settings(ws_url=mock.url, credentials=credentials),
            on_order=seen.append,
            on_gap=seen.append,
            on_synced=seen.append,
            reader=ClobClientReader(clob_client(credentials, env)),
            connection_options=OPTIONS,
        )
        exchange, asset = mock.exchange, mock.asset_ids[0]
        async with running(front):
            await until(lambda: any(isinstance(x, Synced) for x in seen), within=10)
            order = exchange.place_order(asset, "BUY", exchange.books[asset].best_bid, "10")
            await until(lambda: sum(isinstance(x, Synced) for x in seen) >= 2, within=30)
            mock.faults.dead_link(channel="user")
            exchange.fill(order, "4")  # unseen by the stream: only REST can tell
            await until(lambda: any(isinstance(x, Gap) for x in seen), within=200)
            gap_at = len(seen)
            await until(lambda: any(isinstance(x, Synced) for x in seen[gap_at:]), within=60)
            await settled(mock)
    synced = [x for x in seen if isinstance(x, Synced)]
    assert synced[0].source == "initial" and {x.source for x in synced[1:]} == {"rest"}
    (fill,) = [x for x in seen if isinstance(x, OrderUpdate) and x.filled == 4]
    assert fill.source == "rest" and fill.order.id == order
    after = seen[seen.index(fill) :]
    reporting = next(x for x in after if isinstance(x, Synced))  # the read that found it
    assert reporting.changes >= 1 and json_line(reporting)["type"] == "synced"
    (gap,) = [x for x in seen if isinstance(x, Gap)]
    assert gap.recovered == "rest" and any(isinstance(x, Synced) for x in seen[gap_at:])


async def test_order_and_trade_updates_carry_the_events_type_and_status(mock_factory, rest_in_loop):
    """An OrderUpdate from the stream says the event's type and status beside the tracked
    state; a TradeUpdate says TRADE and the event's status; updates from REST say None."""
    async with mock_factory(activity_interval=None, markets=1) as mock:
        rest_in_loop["mock"] = mock
        env = mock.client_env()
        credentials = Credentials.from_env(env)
        updates: list[Any] = []
        seen: list[tuple[Any, ...]] = []  # at the time: the order's state moves on
        previous: list[tuple[Any, ...]] = []

        def order_seen(u: OrderUpdate) -> None:
            seen.append((u.order.id, u.source, u.event_type, u.event_status, u.order.status))
            previous.append((u.order.id, u.previous_status, u.order.status, u.filled))

        front = Realtime(
            Settings(ws_url=mock.url, credentials=credentials),
            on_order=order_seen,
            on_trade=updates.append,
            reader=ClobClientReader(clob_client(credentials, env)),
            connection_options=OPTIONS,
        )
        exchange, asset = mock.exchange, mock.asset_ids[0]
        early = exchange.place_order(asset, "BUY", exchange.books[asset].best_bid, "5")
        async with running(front):
            await until(lambda: front.sync.syncs >= 1, within=10)
            order = exchange.place_order(asset, "BUY", exchange.books[asset].best_bid, "10")
            exchange.fill(order, "4")
            exchange.cancel(order)
            await asyncio.sleep(5)
            await settled(mock)
    assert (early, "initial", None, None, "LIVE") in seen
    mine = [s[1:] for s in seen if s[0] == order]
    assert mine[0] == ("ws", "PLACEMENT", "LIVE", "LIVE")
    assert ("ws", "UPDATE", "MATCHED", "LIVE") in mine or ("ws", "UPDATE", "LIVE", "LIVE") in mine
    assert mine[-1] == ("ws", "CANCELLATION", "CANCELED", "CANCELED")
    # previous_status: None when first seen; equal to the status when only the size moved
    steps = [p[1:] for p in previous if p[0] == order]
    assert steps[0][0] is None and steps[-1][:2] == ("LIVE", "CANCELED")
    assert any(before == now == "LIVE" and filled == 4 for before, now, filled in steps)
    trades = [u for u in updates if isinstance(u, TradeUpdate)]
    assert trades[0].previous_status is None
    assert all(t.previous_status in (None, "MATCHED", "MINED", "RETRYING") for t in trades)
    assert trades and all(u.event_type == "TRADE" for u in trades if u.source == "ws")
    assert {u.event_status for u in trades if u.source == "ws"} <= {u.trade.status for u in trades}
    line = json_line(trades[0])
    assert (line["event_type"], line["event_status"]) == (trades[0].event_type, "MATCHED")


async def test_subscribe_while_running_starts_the_market_side_and_unsubscribe_stops_tokens(
    mock_factory,
):
    """A Realtime started with credentials and no tokens: subscribe() while running opens the
    market side; the new tokens' books arrive live and settled. unsubscribe() stops a token's
    lines, and a drop then makes only the still-subscribed token stale, then live, then a gap."""
    async with mock_factory(activity_interval=1.0, markets=2) as mock:
        lines: list[dict[str, Any]] = []
        front = _front(mock, lines, credentials=Credentials.from_env(mock.client_env()))
        assert front.pool is None
        keep, gone = mock.asset_ids[0], mock.asset_ids[1]
        async with running(front):
            await until(lambda: front.user.connected, within=10)
            assert not any(x["type"] == "book" for x in lines)
            await front.subscribe([keep, gone])
            await until(lambda: _live(lines, [keep, gone]), within=10)
            await asyncio.sleep(10)
            await front.unsubscribe([gone])
            mark = len(lines)
            await asyncio.sleep(10)
            assert not [x for x in lines[mark:] if x.get("asset_id") == gone]
            mock.faults.drop(channel="market")
            await until(lambda: any(x["type"] == "gap" for x in lines[mark:]), within=30)
            await asyncio.sleep(5)
    books = [x for x in lines if x["type"] == "book"]
    assert {x["asset_id"] for x in books} == {keep, gone}
    for asset in (keep, gone):
        first = next(x for x in books if x["asset_id"] == asset)
        assert first["status"] == "live" and first["snapshot"] and first["settled"]
    assert any(x["settled"] and not x["snapshot"] for x in books)  # a batch settled, live
    assert {
        "type": "connected",
        "channel": "market",
        "connection": "market-0",
        "reconnects": 0,
    } in lines
    after = lines[mark:]
    assert not [x for x in after if x.get("asset_id") == gone or gone in x.get("asset_ids", ())]
    mine = [x for x in after if x.get("asset_id") == keep or keep in x.get("asset_ids", ())]
    kinds = [(x["type"], x.get("status"), x.get("snapshot")) for x in mine]
    start = kinds.index(("book", "stale", False))
    assert kinds[start : start + 3] == [
        ("book", "stale", False),
        ("book", "live", True),
        ("gap", None, None),
    ]
    assert [x["asset_ids"] for x in after if x["type"] == "gap"] == [[keep]]


async def test_a_token_subscribed_past_a_full_connection_opens_a_hooked_one(mock_factory):
    """subscribe() on a running market side whose connections are full opens another: its
    connected line, its live book, and after a drop its stale line, fresh snapshot and gap."""
    async with mock_factory(activity_interval=1.0, markets=1) as mock:
        lines: list[dict[str, Any]] = []
        first, second = mock.asset_ids[0], mock.asset_ids[1]
        front = Realtime(
            Settings(ws_url=mock.url, asset_ids=(first,)),
            on_connected=lambda u: lines.append(check_line(json_line(u))),
            on_book=lambda u: lines.append(check_line(json_line(u))),
            on_gap=lambda u: lines.append(check_line(json_line(u))),
            connection_options=OPTIONS,
            market_options={"max_per_connection": 1},
        )
        async with running(front):
            await until(lambda: _live(lines, [first]), within=10)
            await front.subscribe([second])
            await until(lambda: _live(lines, [second]), within=10)
            assert [f.name for f in front.pool.feeds] == ["market-0", "market-1"]
            mark = len(lines)
            mock.faults.drop(channel="market")
            await until(lambda: sum(x["type"] == "gap" for x in lines[mark:]) == 2, within=30)
    assert {
        "type": "connected",
        "channel": "market",
        "connection": "market-1",
        "reconnects": 0,
    } in lines
    after = lines[mark:]
    mine = [x for x in after if x.get("asset_id") == second or second in x.get("asset_ids", ())]
    kinds = [(x["type"], x.get("status"), x.get("snapshot")) for x in mine]
    assert kinds[:3] == [("book", "stale", False), ("book", "live", True), ("gap", None, None)]


def test_serve_runs_any_object_with_async_run_and_stop():
    """serve() takes a Service (typing.Protocol: `async run()` and `stop()`), not only a
    Realtime: a caller's own object runs, its run() returning is exit 0, a rejected handshake
    raised from it exit 1."""
    import inspect
    import typing

    from realtime import Service, serve
    from robust_ws import FatalHandshakeError

    class Mine:
        def __init__(self, fail: bool = False):
            self.fail, self.stopped, self.ran = fail, False, False

        async def run(self) -> None:
            self.ran = True
            await asyncio.sleep(0.01)
            if self.fail:
                raise FatalHandshakeError(401, "mine")

        def stop(self) -> None:
            self.stopped = True

    assert inspect.signature(serve).parameters["realtime"].annotation in ("Service", Service)
    assert typing.get_type_hints(serve)["realtime"] is Service
    assert isinstance(Mine(), Service) and not isinstance(object(), Service)
    ok, bad = Mine(), Mine(fail=True)
    assert serve(ok, signals=()) == 0 and ok.ran
    assert serve(bad, signals=()) == 1 and bad.ran


def _api_rows() -> dict[str, str]:
    text = QUICKSTART.read_text()
    section = text.split("\n## The API: every name realtime.py exports\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)(?:[^|]*)\|.*$", section, re.M)
    lines = [x for x in section.splitlines() if x.startswith("| `")]
    return {name: line for name, line in zip(rows, lines, strict=True)}


def test_quickstart_documents_every_public_name_of_realtime_with_its_signature():
    """Every name in realtime.__all__, and every public method of Realtime, has a row in
    quickstart.md's API table naming each of its parameters: nobody needs modules/realtime.md."""
    import inspect

    import realtime

    rows = _api_rows()
    text = QUICKSTART.read_text()
    for name in realtime.__all__:
        assert f"`{name}" in text, name
        assert name in rows, f"{name}: no row in quickstart.md's API table"
        value = getattr(realtime, name)
        if callable(value) and not getattr(value, "_is_protocol", False):  # Service: no init
            params = inspect.signature(value).parameters
            for param in params:
                assert param in rows[name], f"{name}: parameter {param} not on quickstart.md"
    for method, value in vars(Realtime).items():
        if method.startswith("_") or not callable(value):
            continue
        row = rows.get(f"Realtime.{method}")
        assert row is not None, f"Realtime.{method}: no row in quickstart.md's API table"
        for param in list(inspect.signature(value).parameters)[1:]:
            assert param in row, f"Realtime.{method}: parameter {param} not on quickstart.md"


# -- stopping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["dead (blackholed)", "peer stopped reading", "healthy"])
async def test_stop_returns_within_stop_timeout_on_any_link(mock_factory, link):
    """Both channels through a proxy; stop() returns within stop_timeout; a healthy link gets
    1000 from the client on both sockets."""
    async with (
        mock_factory(activity_interval=0.2, markets=1) as mock,
        FaultProxy("127.0.0.1", mock.port) as proxy,
    ):
        lines: list[dict[str, Any]] = []
        settings = Settings(
            ws_url=proxy.url,
            asset_ids=tuple(mock.asset_ids),
            credentials=Credentials.from_env(mock.client_env()),
        )
        front = Realtime(settings, on_book=lines.append, reader=None, connection_options=OPTIONS)
        task = asyncio.create_task(front.run())
        await until(lambda: front.user.connected and front.pool.feeds[0].connection.connected, 10)
        await asyncio.sleep(5)
        if link == "dead (blackholed)":
            proxy.blackhole()
        elif link == "peer stopped reading":
            proxy.stop_reading()
        await asyncio.sleep(1)
        started = now()
        front.stop()
        await asyncio.wait_for(task, timeout=front.stop_timeout + 2)
        took = now() - started
        proxy.heal()
        await asyncio.sleep(1)
        await mock.flush()
    assert took <= front.stop_timeout + 0.6, f"stop took {took:.2f}s"
    if link == "healthy":
        assert took < 0.5
        for channel in ("market", "user"):
            last = [c for c in mock.connections if c.channel == channel][-1]
            assert (last.close_code, last.closed_by) == (1000, "client"), channel


def test_a_line_writer_never_blocks_on_a_reader_that_stopped_reading():
    """A full pipe: write() still returns at once; excess lines are dropped and counted; when
    the reader comes back an output gap line tells it how many."""
    read_end, write_end = os.pipe()
    try:
        writer = JsonLines(write_end, max_pending=50)
        update = Gap("market", 1.0, 2.0, ("a",), "snapshot")
        started = time.monotonic()
        for _ in range(20_000):
            writer.emit(update)
        assert time.monotonic() - started < 2.0
        assert writer.dropped > 0
        received = bytearray()

        def drain() -> None:
            while chunk := os.read(read_end, 65536):
                received.extend(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        deadline = time.monotonic() + 5
        while writer.pending and time.monotonic() < deadline:
            time.sleep(0.01)
        writer.emit(update)
        while writer.pending and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        lines = [json.loads(x) for x in bytes(received).decode().splitlines()]
        overflows = [check_line(x) for x in lines if x["channel"] == "output"]
        assert sum(x["dropped"] for x in overflows) == writer.dropped  # each drop said once
        assert lines[-1]["channel"] == "market"
        assert len(lines) == 20_001 - writer.dropped + len(overflows)
    finally:
        os.close(write_end)
        os.close(read_end)


def test_json_line_refuses_what_is_not_an_update():
    """json_line covers every update type and nothing else."""
    with pytest.raises(TypeError):
        json_line("book")  # type: ignore[arg-type]
    for update in (Connected("user", "user", 2), Gap("user", 1.0, 3.5, (), "rest")):
        check_line(json_line(update))
    assert {BookUpdate, OrderUpdate, TradeUpdate}  # shapes checked against the mock above


# -- the program: trading_feed.py --------------------------------------------------------------


@pytest.fixture
def feed_mock() -> Iterator[ThreadedMock]:
    with ThreadedMock(activity_interval=0.1, markets=2) as mock:
        yield mock


def _program_env(threaded_mock: ThreadedMock) -> dict[str, str]:
    return {**mock_env(threaded_mock), "POLYMARKET_ADDRESS": DEFAULT_MAKER_ADDRESS}


class Feed:
    """trading_feed.py as a subprocess with stdout and stderr apart (stdout: JSON lines only)."""

    def __init__(self, folder: Path, env: dict[str, str], args: list[str], *, read: bool = True):
        self.log = (folder / "stderr.log").open("w")
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        base = {k: v for k, v in base.items() if not k.startswith("POLYMARKET_")}
        self.process = subprocess.Popen(
            [sys.executable, "trading_feed.py", *args],
            cwd=folder,
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.folder = folder
        self._changed = threading.Condition()
        if read:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            text = raw.decode()
            with self._changed:
                self.raw.append(text)
                self.lines.append(json.loads(text))
                self._changed.notify_all()

    def wait_for(self, predicate, timeout: float = 15.0, after: int = 0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.lines[after:]):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    pytest.fail(f"feed: condition not met in {timeout}s; stderr:\n{self.stderr}")
                self._changed.wait(min(left, 0.1))
            return list(self.lines[after:])

    @property
    def stderr(self) -> str:
        return (self.folder / "stderr.log").read_text()

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds until the process was gone)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(EXIT_WITHIN + 5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"no exit within {EXIT_WITHIN + 5}s of SIGTERM:\n{self.stderr}")
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _program_folder(tmp_path: Path, title: str = "trading_feed.py") -> Path:
    folder = tmp_path / "feed"
    folder.mkdir()
    for name in [title, *_all_requirements(TITLED_BLOCKS[title])]:
        (folder / name).write_text(TITLED_BLOCKS[name].source, "utf-8")
    return folder


@contextlib.contextmanager
def feed_program(tmp_path, env, args, *, read=True) -> Iterator[Feed]:
    feed = Feed(_program_folder(tmp_path), env, args, read=read)
    try:
        yield feed
    finally:
        feed.kill()


def _connected(channel: str, reconnects: int):
    def seen(lines: list[dict[str, Any]]) -> bool:
        return any(
            x["type"] == "connected" and x["channel"] == channel and x["reconnects"] == reconnects
            for x in lines
        )

    return seen


def _all_live(assets: list[str]):
    return lambda lines: _live(lines, assets)


def _control(http_url: str):
    """GET the mock's control endpoint (/_mock/...); the JSON reply."""

    def call(action: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{http_url}/_mock/{action}", timeout=5) as reply:  # noqa: S310
            return json.loads(reply.read())

    return call


def _closed_by_client_1000(threaded_mock: ThreadedMock) -> None:
    records = threaded_mock.call(lambda: list(threaded_mock.mock.connections))
    for channel in ("market", "user"):
        last = [c for c in records if c.channel == channel][-1]
        assert (last.close_code, last.closed_by) == (1000, "client"), (channel, last)


def test_trading_feed_market_only_prints_books_and_stops_on_ctrl_c(threaded_mock, run_program):
    """Without credentials: connected and book lines only; SIGINT exits 0."""
    env = {k: v for k, v in mock_env(threaded_mock).items() if "_API_" not in k}
    run = run_program("trading_feed.py", env=env)
    for asset in threaded_mock.mock.asset_ids:
        run.wait_for(rf'^\{{"type":"book","asset_id":"{asset}",.*"status":"live"')
    assert '"channel":"user"' not in run.output
    assert run.interrupt() == 0


def test_trading_feed_refuses_half_a_configuration_without_showing_it(threaded_mock, run_program):
    """Two of the three secrets, or plain ws:// to a remote host: exit 2, one line naming the
    variable, no secret."""
    env = {k: v for k, v in mock_env(threaded_mock).items() if k != "POLYMARKET_API_PASSPHRASE"}
    half = run_program("trading_feed.py", env=env)
    assert half.process.wait(10) == 2
    half.wait_for("POLYMARKET_API_PASSPHRASE")
    assert threaded_mock.mock.credentials.secret not in half.output
    remote_env = {**mock_env(threaded_mock), "POLYMARKET_WS_URL": "ws://example.com"}
    remote = run_program("trading_feed.py", env=remote_env)
    assert remote.process.wait(10) == 2
    remote.wait_for("POLYMARKET_WS_URL")


def test_trading_feed_through_drop_stall_429_malformed_and_sigterm(feed_mock, tmp_path):
    """Faults from the mock's control endpoint: the program keeps books and the account right
    through each, prints only documented lines, and on SIGTERM exits 0 within the bound with
    both sockets closed 1000."""
    mock = feed_mock.mock
    env = _program_env(feed_mock)
    args = ["--time-scale", "0.05"]  # 3 s data timeout, 1.5 s probe, 3 s after a 429
    control = _control(feed_mock.http_url)  # faults and orders as another process would
    with feed_program(tmp_path, env, args) as feed:
        feed.wait_for(lambda ls: _live(ls, mock.asset_ids) and _connected("user", 0)(ls))
        asset = mock.asset_ids[0]
        bid = feed_mock.call(lambda: mock.exchange.books[asset].best_bid)
        order = control(f"order?asset_id={asset}&side=BUY&price={bid}&size=10")["order_id"]
        trade = control(f"fill?order_id={order}&size=4")["trade_id"]
        feed.wait_for(lambda ls: any(x.get("id") == trade for x in ls))
        # malformed frames on both channels: skipped, lines keep coming
        control("fault?kind=malformed&channel=market")
        control("fault?kind=malformed&channel=user")
        mark = len(feed.lines)
        feed.wait_for(lambda ls: sum(x["type"] == "book" for x in ls) > 10, after=mark)
        # a drop of the market socket
        control("fault?kind=drop&channel=market")
        feed.wait_for(_connected("market", 1))
        feed.wait_for(lambda ls: sum(x["type"] == "gap" for x in ls) >= len(mock.asset_ids))
        # a 429 at the user handshake after a drop; the fill made meanwhile comes over REST
        control("fault?kind=reject&status=429&times=1&channel=user")
        control("fault?kind=drop&channel=user")
        control(f"fill?order_id={order}&size=6")
        feed.wait_for(_connected("user", 1))
        feed.wait_for(lambda ls: any(x.get("id") == order and x["status"] == "MATCHED" for x in ls))
        # a stall: data stops, PONG still answered; found within the data timeout + the probe
        records = feed_mock.call(lambda: list(mock.connections))
        current = [c.id for c in records if c.channel == "market" and c.closed_at is None]
        control(f"fault?kind=stall&channel=market&connection_id={current[-1]}")  # that one only
        feed.wait_for(_connected("market", 2), timeout=20)
        feed.wait_for(_all_live(mock.asset_ids), after=len(feed.lines) - 1)
        code, took = feed.terminate()
        lines = list(feed.lines)
        stderr = feed.stderr
    assert code == 0, stderr
    assert took < EXIT_WITHIN, f"exit took {took:.2f}s"
    _closed_by_client_1000(feed_mock)
    for line in lines:
        check_line(line)
    handshakes = feed_mock.call(lambda: [h.status for h in mock.handshakes])
    assert 429 in handshakes
    (user_gap,) = [x for x in lines if x["type"] == "gap" and x["channel"] == "user"]
    assert user_gap["recovered"] == "rest" and user_gap["end"] - user_gap["start"] >= 1.0
    assert any(x.get("id") == order and x["source"] == "rest" for x in lines)
    assert "Traceback" not in stderr
    for secret in (mock.credentials.secret, mock.credentials.passphrase):
        assert secret not in stderr and secret not in "".join(feed.raw)


def test_trading_feed_exits_within_the_bound_with_stdout_blocked(feed_mock, tmp_path):
    """Nobody reads stdout (a 4 KiB pipe, blocked): SIGTERM still exits 0 within the bound, and
    both sockets are closed with 1000."""
    env = _program_env(feed_mock)
    with feed_program(tmp_path, env, [], read=False) as feed:
        pipe = feed.process.stdout
        assert pipe is not None
        fcntl.fcntl(pipe.fileno(), 1031, 4096)  # F_SETPIPE_SZ: a small pipe fills at once
        # One 4 KiB page: a write that does not fit beside what is queued blocks. The mock sends
        # ten changes a second, so bytes that stop growing for 2 s mean the writer is blocked.
        deadline, seen = time.monotonic() + 15, [-2, -1]
        while time.monotonic() < deadline and not 0 < seen[-3:].count(seen[-1]) == 3:
            time.sleep(1)
            seen.append(_queued(pipe.fileno()))
        assert seen[-1] > 0 and seen[-3:].count(seen[-1]) == 3, f"not blocked: {seen}"
        users = feed_mock.call(
            lambda: [c for c in feed_mock.mock.connections if c.channel == "user"]
        )
        assert users and users[-1].closed_at is None
        code, took = feed.terminate()
        stderr = feed.stderr
    assert code == 0, stderr
    assert took < EXIT_WITHIN, f"exit took {took:.2f}s"
    _closed_by_client_1000(feed_mock)
    assert "Traceback" not in stderr


def test_trading_feed_exits_within_the_bound_on_dead_links(feed_mock, tmp_path):
    """Both links dead (the mock neither reads nor answers): SIGTERM still exits 0 within the
    bound; each close gives up after close_timeout and the sockets are cut."""
    mock = feed_mock.mock
    with feed_program(tmp_path, _program_env(feed_mock), []) as feed:
        feed.wait_for(lambda ls: _live(ls, mock.asset_ids) and _connected("user", 0)(ls))
        control = _control(feed_mock.http_url)
        control("fault?kind=dead-link&channel=market")
        control("fault?kind=dead-link&channel=user")
        time.sleep(1)
        code, took = feed.terminate()
        stderr = feed.stderr
    assert code == 0, stderr
    assert took < EXIT_WITHIN, f"exit took {took:.2f}s"
    assert "Traceback" not in stderr


def _queued(fd: int) -> int:
    buffer = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buffer)
    return int.from_bytes(buffer, sys.byteorder)


WEDGED = """
import sys, time
from realtime import Realtime, Settings, serve

feed = Realtime(Settings.from_env(), on_book=lambda update: time.sleep(3600))
sys.exit(serve(feed))
"""


def test_the_backstop_ends_a_wedged_process_with_code_3_and_no_output(threaded_mock, tmp_path):
    """A callback that blocks the loop for an hour: the signal still arms the backstop, which
    ends the process with exit code 3 at exit_within, writing nothing to stdout or stderr."""
    folder = _program_folder(tmp_path)
    (folder / "wedged.py").write_text(WEDGED)
    env = {k: v for k, v in mock_env(threaded_mock).items() if "_API_" not in k}
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    process = subprocess.Popen(
        [sys.executable, "wedged.py"],
        cwd=folder,
        env={**{k: v for k, v in base.items() if not k.startswith("POLYMARKET_")}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        threaded_mock.run(
            threaded_mock.mock.wait_for,
            lambda m: any(c.data_frames_sent for c in m.connections),
            10.0,
            timeout=15,
        )
        time.sleep(0.5)  # the first book is in the callback, which sleeps
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=EXIT_WITHIN + 5)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 3
    assert EXIT_WITHIN - 0.5 <= took < EXIT_WITHIN + 1.0, f"backstop after {took:.2f}s"
    assert (stdout, stderr) == (b"", b"")


BOUNDED = """
import json, sys
from realtime import JsonLines, Realtime, Settings, serve

exit_within, backstop_code, close_timeout = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
out = JsonLines()
feed = Realtime(
    Settings.from_env(),
    on_connected=out.emit,
    on_book=out.emit,
    connection_options={"close_timeout": close_timeout},
)
sys.exit(serve(feed, writers=[out], exit_within=exit_within, backstop_code=backstop_code))
"""


@pytest.mark.parametrize(
    ("link", "backstop_code", "close_timeout"),
    [("healthy", 0, 1.0), ("dead", 0, 1.0), ("dead", 3, 5.0)],
)
def test_a_program_chooses_its_bound_and_status_and_the_stop_fits_inside(
    feed_mock, tmp_path, link, backstop_code, close_timeout
):
    """serve(exit_within=2.0, backstop_code=...): SIGTERM exits 0 within 2 s on a healthy link
    (1000 on both sockets) and on a dead one, even when a close would take 5 s: the stop and
    flush budgets come from the bound, so the clean path ends first, never the backstop."""
    folder = _program_folder(tmp_path)
    (folder / "bounded.py").write_text(BOUNDED)
    env = {k: v for k, v in _program_env(feed_mock).items() if "_API_" not in k}
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    base = {k: v for k, v in base.items() if not k.startswith("POLYMARKET_")}
    args = ["2.0", str(backstop_code), str(close_timeout)]
    process = subprocess.Popen(
        [sys.executable, "bounded.py", *args],
        cwd=folder,
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        assets = set(feed_mock.mock.asset_ids)
        while assets:
            line = json.loads(process.stdout.readline())
            if line["type"] == "book" and line["status"] == "live":
                assets.discard(line["asset_id"])
        if link == "dead":
            _control(feed_mock.http_url)("fault?kind=dead-link&channel=market")
            time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr.decode()
    assert took < 2.0 - 0.1, f"exit took {took:.2f}s"
    if link == "healthy":
        last = feed_mock.call(lambda: [c for c in feed_mock.mock.connections][-1])
        assert (last.close_code, last.closed_by) == (1000, "client")
    assert b"Traceback" not in stderr


@contextlib.contextmanager
def _rest_that_never_answers() -> Iterator[str]:
    """An http:// URL on loopback whose server accepts connections and never answers."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for connection in held:
            connection.close()


def test_trading_feed_exits_0_within_the_bound_during_a_rest_read_that_hangs(feed_mock, tmp_path):
    """SIGTERM while the account's REST read waits on a server that never answers (ClobRest's
    timeout is 10 s): the read runs on a daemon thread, so the process still exits 0 in time."""
    with _rest_that_never_answers() as rest_url:
        env = {**_program_env(feed_mock), "POLYMARKET_CLOB_URL": rest_url}
        with feed_program(tmp_path, env, []) as feed:
            feed.wait_for(_connected("user", 0))
            time.sleep(0.5)  # the first account read is in flight, and hangs
            code, took = feed.terminate()
            stderr = feed.stderr
    assert code == 0, f"exit code {code} after {took:.2f}s:\n{stderr}"
    assert took < EXIT_WITHIN, f"exit took {took:.2f}s"


# -- the tuning table on quickstart.md ---------------------------------------------------------


def _tuning_rows() -> list[tuple[str, str, str]]:
    """(where, option, default text) of each row of quickstart.md's tuning table."""
    text = QUICKSTART.read_text("utf-8")
    assert "## Tuning: every option and its default" in text
    table = text.split("## Tuning: every option and its default", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| [^|]+ \| `([\w(.)]+)` \|$", table, re.M)
    return [(where, name, default) for name, default, where in rows]


def test_the_tuning_table_names_every_option_with_its_true_default():
    """Each option on quickstart.md exists where the table says, with the default it states
    (the front door's own defaults for the user side included); every interval is listed."""
    import inspect

    from account_sync import AccountSync
    from market_feed import MarketFeed, MarketFeedPool
    from realtime import serve
    from robust_ws import RobustConnection

    front_door = {
        ("user_options", "data_timeout"): None,
        ("sync_options", "settle_delay"): 5.0,
        ("Realtime(...)", "stop_timeout"): 3.0,  # None: 3 s x time_scale
        ("Realtime(...)", "check_interval"): 1.0,
    }
    places = {
        "connection_options": [RobustConnection],
        "market_options": [MarketFeed, MarketFeedPool],
        "user_options": [RobustConnection],
        "sync_options": [AccountSync],
        "Realtime(...)": [Realtime],
        "serve(...)": [serve],
    }
    rows = _tuning_rows()
    assert len(rows) >= 25
    for where, name, default in rows:
        parameters = {}
        for target in places[where]:
            parameters.update(inspect.signature(target).parameters)
        assert name in parameters, f"{where}: no option {name}"
        expected = front_door.get((where, name), parameters[name].default)
        assert ast.literal_eval(default) == expected, f"{where} {name}: {default} != {expected}"
    listed = {name for _, name, _ in rows}
    for target in (RobustConnection, MarketFeed, MarketFeedPool, AccountSync, Realtime, serve):
        for name, parameter in inspect.signature(target).parameters.items():
            if isinstance(parameter.default, float) or name.endswith(("_timeout", "_delay")):
                assert name in listed, f"{target.__name__}({name}=...) is not on the page"


# -- the pages state the stall and refusal rules the code has ------------------------------------


def test_pages_give_the_market_stall_bound_the_code_has_and_refusals_retried():
    """A market connection with PONGs but no data is probed after data_timeout (60 s) and
    replaced when the probe goes unanswered for snapshot_timeout (30 s): about 90 s, not 60 s.
    401/403/404 are retried every refused_delay (300 s) by default, not a stop."""
    pages = {
        path.relative_to(PACK_ROOT).as_posix(): path.read_text("utf-8")
        for path in [PACK_ROOT / "SKILL.md", *sorted((PACK_ROOT / "real-time").glob("*.md"))]
    }
    for name in ("SKILL.md", "real-time/quickstart.md", "real-time/websocket-overview.md"):
        assert "90 s" in pages[name], f"{name} does not give the ~90 s stall bound"
    for name, text in pages.items():
        flat = " ".join(text.split())
        for claim in re.findall(r"no data for 60 s[^.\n]*?(?:replace|drop|reconnect)\w*", flat):
            assert "prob" in claim, f"{name}: {claim!r}"
    overview = pages["real-time/websocket-overview.md"]
    assert "retrying cannot help" not in overview
    assert re.search(r"401, 403 or 404[^\n]*300 s", overview)


# -- one knob for every interval: time_scale ----------------------------------------------------

NOT_INTERVALS = {"backoff_factor"}  # a ratio, not seconds


def _option_value(front: Realtime, where: str, name: str) -> list[Any]:
    """What the built objects hold for one option of the tuning table (every place it went)."""
    feed = front.pool.feeds[0]
    if where == "connection_options":
        conns = [feed.connection, front.user]
        return [
            c.connect_options[name] if name.endswith("open_timeout") else getattr(c, name)
            for c in conns
        ]
    if where == "market_options":
        return [getattr(front.pool if name == "stagger" else feed, name)]
    if where == "user_options":
        return [getattr(front.user, name)]
    if where == "sync_options":
        gate = {
            "retry_delay": "base",
            "retry_cap": "cap",
            "rate_limited_delay": "rate_limited_delay",
        }
        if name in gate:
            return [getattr(front.sync.gate, gate[name])]
        return [getattr(front.sync, name)]
    return [getattr(front, name)]


def test_time_scale_scales_every_documented_interval_and_explicit_options_win():
    """Realtime(time_scale=0.01): every interval on the tuning table (connections, market feed,
    user side, REST sync, the front door's own, the REST read timeout) is 1/100 of its
    documented default in the objects built; serve()'s bound is the caller's, not scaled. An
    option passed explicitly keeps its value."""
    settings = Settings(
        ws_url="ws://127.0.0.1:9",
        asset_ids=("a",),
        credentials=Credentials("key-0001", SECRET, PASSPHRASE),
        address=DEFAULT_MAKER_ADDRESS,
    )
    front = Realtime(settings, time_scale=0.01)
    checked = 0
    for where, name, default in _tuning_rows():
        value = ast.literal_eval(default)
        if where == "serve(...)" or name in NOT_INTERVALS or name == "time_scale":
            continue
        if not isinstance(value, float):
            continue  # counts, sizes, flags, None, and server-clock windows (trade_margin)
        for held in _option_value(front, where, name):
            assert held == pytest.approx(value / 100), f"{where} {name}: {held}"
        checked += 1
    assert checked >= 22  # every float row but serve's and backoff_factor
    assert front.sync.reader.timeout == pytest.approx(0.1)  # ClobRest's 10 s
    assert front.user.data_timeout is None and front.sync.trade_margin == 60
    mine = Realtime(
        settings,
        time_scale=0.01,
        stop_timeout=2.0,
        connection_options={"ping_interval": 5.0, "check_interval": 0.5},
        market_options={"data_timeout": 7.0},
        sync_options={"settle_delay": None},
    )
    feed = mine.pool.feeds[0]
    assert (feed.connection.ping_interval, mine.user.ping_interval) == (5.0, 5.0)
    assert (feed.check_interval, feed.connection.check_interval, mine.user.check_interval) == (
        0.5,
        0.5,
        0.5,
    )
    assert (feed.data_timeout, mine.sync.settle_delay, mine.stop_timeout) == (7.0, None, 2.0)
    assert feed.connection.pong_timeout == pytest.approx(0.3)


async def test_at_time_scale_001_a_stall_is_found_in_about_09_s_not_90(mock_factory):
    """The market stall bound (data_timeout 60 s + snapshot_timeout 30 s) at time_scale=0.01:
    the stall is found and the connection replaced about 0.9 s after the last data."""
    async with mock_factory(activity_interval=0.05, markets=1) as mock:
        front = Realtime(
            Settings(ws_url=mock.url, asset_ids=tuple(mock.asset_ids)),
            time_scale=0.01,
            connection_options=OPTIONS,
        )
        async with running(front):
            stats = front.pool.feeds[0].connection.stats
            await until(lambda: front.pool.feeds[0].books[mock.asset_ids[0]].best(), within=5)
            await asyncio.sleep(2)
            stalled_at = now()
            mock.faults.stall(connection_id=mock.connections[0].id)
            found_at = await until(lambda: stats.stalls, within=30, step=0.005)
            await until(lambda: len(mock.connections) == 2, within=5, step=0.005)
    assert 0.9 - 0.06 <= found_at - stalled_at <= 0.9 + 0.05, found_at - stalled_at
    assert stats.pong_timeouts == 0


# -- events flow one way: each layer is given its listeners when it is built --------------------


async def test_market_layers_take_their_listeners_at_construction_and_the_front_door_patches_none(
    mock_factory,
):
    """MarketFeedPool(on_connected, on_disconnected, on_missed, on_settled, ...) gives them to
    every feed it builds, a feed opened by subscribe() past a full connection too; a connect
    and the end of its socket each reach them with the feed. Realtime builds its feeds with
    its own listeners: no feed's connection callback is replaced after construction."""
    from market_feed import MarketFeed, MarketFeedPool

    async with mock_factory(activity_interval=1.0, markets=1) as mock:
        first, second = mock.asset_ids[0], mock.asset_ids[1]
        seen: list[tuple[str, str]] = []
        listeners = {
            "on_connected": lambda feed: seen.append(("connected", feed.name)),
            "on_disconnected": lambda feed: seen.append(("disconnected", feed.name)),
            "on_missed": lambda asset, since: None,
            "on_settled": lambda book: None,
        }
        pool = MarketFeedPool(
            [first], url=f"{mock.url}/ws/market", max_per_connection=1, **listeners, **OPTIONS
        )
        async with running(pool):
            await until(lambda: ("connected", "market-0") in seen, within=10)
            await pool.subscribe([second])
            await until(lambda: ("connected", "market-1") in seen, within=10)
            mock.faults.drop(connection_id=mock.connections[0].id)
            await until(lambda: ("disconnected", "market-0") in seen, within=10)
            await until(lambda: seen.count(("connected", "market-0")) == 2, within=10)
        for feed in pool.feeds:
            for name, listener in listeners.items():
                assert getattr(feed, name) is listener, (feed.name, name)
    front = Realtime(Settings(ws_url=mock.url, asset_ids=(first,)), on_book=print)
    feed = front.pool.feeds[0]
    assert feed.connection.on_connected.__func__ is MarketFeed._on_connected
    assert (feed.on_settled, feed.on_missed) == (front._settled, front._missed)
    assert not hasattr(front, "_hook_feed")


async def test_a_closed_or_unknown_token_is_told_to_the_caller_once(mock_factory):
    """A token the server answers with `[]` (closed or unknown, reference section 9.1):
    Realtime(on_closed=...) gets Closed(asset_id, reason) once, its JSON line says so; the
    other token's book stays live and nothing reconnects."""
    from realtime import Closed

    async with mock_factory(activity_interval=1.0, markets=1) as mock:
        live, unknown = mock.asset_ids[0], "12345678901234567890"
        lines: list[dict[str, Any]] = []
        told: list[Closed] = []
        front = Realtime(
            Settings(ws_url=mock.url, asset_ids=(live, unknown)),
            on_book=lambda u: lines.append(json_line(u)),
            on_closed=told.append,
            connection_options=OPTIONS,
        )
        async with running(front):
            await until(lambda: told and _live(lines, [live]), within=10)
            await asyncio.sleep(400)
    assert [(c.asset_id, "closed or unknown" in c.reason) for c in told] == [(unknown, True)]
    assert check_line(json_line(told[0])) == {
        "type": "closed",
        "asset_id": unknown,
        "reason": told[0].reason,
    }
    assert len(mock.connections) == 1 and _live(lines, [live])
    assert not [x for x in lines if x["asset_id"] == unknown and x["status"] == "live"]
