"""Every current frame of the real-frame corpus through the pack's own code, with asserted state.

wire.py parses each frame; market frames go through MarketFeed (books, batch checks, sentinels)
and user frames through UserEventRouter and OrderTracker (order and trade state). The frames and
their provenance are in tests/wire/corpus/ (manifest.json). Old shapes are recognised and
skipped with one log line.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import pytest
import wire
from market_feed import MarketFeed
from order_book import OrderBook
from order_tracker import OrderTracker
from user_events import UserEventRouter, parse_trade
from wire import parse_events

from tests.wire import corpus

CURRENT = corpus.wire(corpus.current())
BURST_FILE = "nautilus_trader/test_data/ws_market_price_change_crossing_burst.json"
# The receiving account of the 2024 user captures: order_placement.json's owner, the taker of
# user_trade2.json and one of the six makers of user_trade1.json.
ACCOUNT_2024 = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"
# The receiver of user_trade3/4.json (constructed upstream): its maker_orders entries' owner.
ACCOUNT_2025 = "a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5"


@pytest.fixture(autouse=True, params=["json", "orjson"])
def decoder(request) -> Any:
    """Every corpus test runs with both of wire.py's JSON decoders."""
    previous = wire.json_in_use
    wire.use_json(request.param)
    yield request.param
    wire.use_json(previous)


def frames_of(file: str) -> list[dict[str, Any]]:
    (entry,) = [e for e in corpus.entries() if e["file"] == file]
    return corpus.frames(entry)


def assets_of(frames: list[dict[str, Any]]) -> list[str]:
    ids = [f.get("asset_id") for f in frames]
    ids += [c["asset_id"] for f in frames for c in f.get("price_changes", [])]
    return [a for a in dict.fromkeys(ids) if isinstance(a, str)]


def feed_for(frames: list[dict[str, Any]]) -> tuple[MarketFeed, list]:
    seen: list = []
    feed = MarketFeed(
        assets_of(frames),
        lambda event, book: seen.append((event["event_type"], book)),
        url="ws://127.0.0.1:9",  # never connected: frames are handed to it directly
        custom_feature_enabled=True,
    )
    return feed, seen


async def play(feed: MarketFeed, frames: list[dict[str, Any]]) -> None:
    for frame in frames:
        # As RobustConnection calls it: a resync to send comes back as an awaitable.
        resync = feed.connection.on_message(json.dumps(frame))
        if resync is not None:
            await resync


def levels(book: OrderBook, side: str) -> list[tuple[str, str]]:
    held = book.bids if side == "bids" else book.asks
    return sorted(held.values(), key=lambda level: Decimal(level[0]))


def wire_levels(frame: dict[str, Any], side: str) -> list[tuple[str, str]]:
    return sorted(((lv["price"], lv["size"]) for lv in frame[side]), key=lambda p: Decimal(p[0]))


@pytest.mark.parametrize("entry", CURRENT, ids=[e["file"] for e in CURRENT])
def test_wire_parses_every_current_frame(entry):
    """parse_events gives back each current frame unchanged, alone or as a batch."""
    frames = corpus.frames(entry)
    assert parse_events(json.dumps(frames)) == frames
    for frame in frames:
        assert parse_events(json.dumps(frame).encode()) == [frame]


MARKET = [e for e in CURRENT if e["channel"] == "market"]


@pytest.mark.parametrize("entry", MARKET, ids=[e["file"] for e in MARKET])
async def test_every_current_market_frame_is_used_without_a_warning(entry, caplog):
    """MarketFeed takes every current market frame: no skip, no resync, events passed on."""
    frames = corpus.frames(entry)
    feed, seen = feed_for(frames)
    with caplog.at_level(logging.WARNING, logger="polymarket"):
        await play(feed, frames)
    assert caplog.records == []
    assert feed.stats.book_mismatches == 0 and feed.stats.resubscribes == 0
    assert {kind for kind, _ in seen} == set(entry["event_types"])
    for frame in frames:
        if frame.get("event_type") == "book" and frame is frames[-1]:
            book = feed.books[frame["asset_id"]]
            assert levels(book, "bids") == wire_levels(frame, "bids")
            assert levels(book, "asks") == wire_levels(frame, "asks")
            best_bid = max((Decimal(lv["price"]) for lv in frame["bids"]), default=None)
            best_ask = min((Decimal(lv["price"]) for lv in frame["asks"]), default=None)
            assert feed.best(frame["asset_id"]) == (best_bid, best_ask)


async def test_a_real_trade_batch_is_consistent_and_ends_in_the_servers_book(caplog):
    """2026-09 burst: deltas of 49 messages, incl. a 3-message batch carrying post-batch best
    prices, reproduce the closing book's levels and hash; no check fails, nothing resyncs."""
    frames = frames_of(BURST_FILE)
    opening, deltas, closing = frames[0], frames[1:-1], frames[-1]
    feed, _ = feed_for(frames)
    book = feed.books[opening["asset_id"]]
    book.learn_rest_fields({"min_order_size": "5", "neg_risk": False})  # see test_book_hash.py
    with caplog.at_level(logging.WARNING, logger="polymarket"):
        await play(feed, [opening, *deltas])
        assert levels(book, "bids") == wire_levels(closing, "bids")
        assert levels(book, "asks") == wire_levels(closing, "asks")
        book.apply_last_trade_price({"price": "0.301"})  # the batch's trade (not in the capture)
        assert book.compute_hash(closing["timestamp"]) == closing["hash"]
        await play(feed, [closing])
    assert feed.stats.book_mismatches == 0 and feed.stats.resubscribes == 0
    assert feed.stats.hash_mismatches == 0 and caplog.records == []
    assert feed.best(opening["asset_id"]) == (Decimal("0.29"), Decimal("0.301"))
    other = next(a for a in feed.subscribed_assets if a != opening["asset_id"])
    assert feed.best(other) is None  # never had a book: unknown, not empty


async def test_a_book_that_really_missed_a_delta_is_still_caught():
    """Lose the message that raised the best bid to 0.311: the next check finds it out of sync."""
    frames = frames_of(BURST_FILE)
    feed, _ = feed_for(frames)
    await play(feed, frames[:2] + frames[3:5])  # message 2 lost
    assert feed.stats.book_mismatches == 1 and feed.stats.resubscribes == 1
    assert feed.best(frames[0]["asset_id"]) is None  # reset: awaiting its fresh snapshot


async def test_empty_side_sentinels_of_the_docs_example_do_not_resync():
    """Polymarket's own example: best_ask "1" beside a lone bid, best_bid "0" beside a lone ask."""
    (event,) = frames_of("docs/market-channel_price_change.json")
    feed, _ = feed_for([event])
    for change in event["price_changes"]:
        empty = {"event_type": "book", "asset_id": change["asset_id"], "market": event["market"]}
        await play(feed, [{**empty, "bids": [], "asks": [], "timestamp": "1"}])
    await play(feed, [event, {**event, "timestamp": str(int(event["timestamp"]) + 1)}])
    assert feed.stats.book_mismatches == 0 and feed.stats.resubscribes == 0
    bid_only, ask_only = (c["asset_id"] for c in event["price_changes"])
    assert feed.best(bid_only) == (Decimal("0.5"), None)
    assert feed.best(ask_only) == (None, Decimal("0.5"))


async def test_tick_size_change_keeps_the_book():
    """A real tick_size_change records the new tick; the book stays usable."""
    (event,) = frames_of("nautilus_trader/ws_messages/tick_size_change.json")
    feed, _ = feed_for([event])
    book = {"event_type": "book", "asset_id": event["asset_id"], "market": event["market"]}
    levels_ = {"bids": [{"price": "0.95", "size": "10"}], "asks": [{"price": "0.97", "size": "5"}]}
    await play(feed, [{**book, **levels_, "timestamp": "1", "tick_size": event["old_tick_size"]}])
    await play(feed, [event])
    held = feed.books[event["asset_id"]]
    assert held.tick_size == event["new_tick_size"] and not held.awaiting_snapshot
    assert feed.best(event["asset_id"]) == (Decimal("0.95"), Decimal("0.97"))


def test_real_book_hashes_are_reproduced_by_order_book():
    """OrderBook reproduces the 2026 WebSocket hashes once it knows REST's two fields."""
    for file in ("nautilus_trader/test_data/ws_book_snapshot_captured.json", BURST_FILE):
        frame = frames_of(file)[0]
        book = OrderBook(frame["asset_id"])
        assert book.apply_book(frame) is None  # not checkable from the WebSocket alone
        book.learn_rest_fields({"min_order_size": "5", "neg_risk": False})
        assert book.apply_book(frame) is True


USER = [e for e in CURRENT if e["channel"] == "user"]


@pytest.mark.parametrize("entry", USER, ids=[e["file"] for e in USER])
def test_every_current_user_frame_is_delivered(entry, caplog):
    """UserEventRouter delivers every current order and trade frame; none is skipped."""
    tracker = OrderTracker(owner=ACCOUNT_2024)
    router = UserEventRouter(tracker.apply_order, tracker.apply_trade)
    frames = corpus.frames(entry)
    # Records stored without event_type (a REST trade, an anonymised order) go the REST way.
    bare = [f for f in frames if "event_type" not in f]
    bare_orders = [f for f in bare if "original_size" in f]
    bare_trades = [f for f in bare if "original_size" not in f]
    with caplog.at_level(logging.WARNING, logger="polymarket"):
        router.handle_message(json.dumps([f for f in frames if "event_type" in f]))
        tracker.reconcile([], bare_trades, bare_orders)
    assert router.counts["skipped"] == 0 and caplog.records == []
    # One state per order or trade id (an order's PLACEMENT and CANCELLATION share one).
    assert len(tracker.orders) + len(tracker.trades) == len({f["id"] for f in frames})


@pytest.mark.parametrize(
    "file",
    [
        "nautilus_trader/test_data/ws_user_order_fok_killed.json",
        "nautilus_trader/test_data/ws_user_order_fok_buy_pusd_size.json",
    ],
)
def test_a_killed_fok_order_is_canceled_with_nothing_matched(file):
    """size_matched "" and a CANCELED_<reason> status: canceled, nothing filled, not open."""
    (frame,) = frames_of(file)
    tracker = OrderTracker()
    UserEventRouter(tracker.apply_order).handle_message(json.dumps(frame))
    order = tracker.orders[frame["id"]]
    assert order.status == "CANCELED" and order.status_reason.startswith("order couldn't be")
    assert order.size_matched == 0 and not order.is_open and order.remaining == 0
    assert tracker.open_order_ids() == set()


def test_a_resolved_market_cancels_the_order():
    """CANCELED_MARKET_RESOLVED (polypy#11) ends an open order like CANCELED."""
    (placed,) = frames_of("nautilus_trader/ws_messages/order_placement.json")
    tracker = OrderTracker(owner=ACCOUNT_2024)
    router = UserEventRouter(tracker.apply_order)
    router.handle_message(json.dumps(placed))
    assert tracker.open_order_ids() == {placed["id"]}
    resolved = {**placed, "type": "CANCELLATION", "status": "CANCELED_MARKET_RESOLVED"}
    router.handle_message(json.dumps(resolved))
    order = tracker.orders[placed["id"]]
    assert (order.status, order.status_reason) == ("CANCELED", "MARKET_RESOLVED")
    assert tracker.open_order_ids() == set()


def test_a_venue_cancel_and_a_filled_cancel_end_the_order():
    """INVALID (venue cancel, 2026) and CANCELED after a full match (2024) are both final."""
    for file in (
        "nautilus_trader/test_data/ws_user_order_venue_cancel.json",
        "nautilus_trader/ws_messages/order_cancel.json",
    ):
        (frame,) = frames_of(file)
        tracker = OrderTracker()
        UserEventRouter(tracker.apply_order).handle_message(
            json.dumps({"event_type": "order", **frame})  # the 2026 file lacks event_type
        )
        order = tracker.orders[frame["id"]]
        assert order.status == frame["status"] and not order.is_open
        assert order.size_matched == Decimal(frame["size_matched"] or 0)


def test_a_makers_fill_is_its_own_entry_not_the_takers_size():
    """user_trade1 (2024, MAKER): the account filled 5 of the taker's 1096.87, selling at 0.518."""
    (frame,) = frames_of("nautilus_trader/ws_messages/user_trade1.json")
    tracker = OrderTracker(owner=ACCOUNT_2024)
    tracker.apply_trade(parse_trade(frame))
    trade = tracker.trades[frame["id"]]
    assert (trade.side, trade.size, trade.price) == ("SELL", Decimal("5"), Decimal("0.518"))
    mine = [m["order_id"] for m in frame["maker_orders"] if m["owner"] == ACCOUNT_2024]
    assert trade.order_ids == set(mine) and trade.trader_side == "MAKER"
    # A maker on the complementary token (No at 0.482) buys too: together they mint a set.
    no_maker = frame["maker_orders"][0]
    fill = parse_trade(frame).own_fill(no_maker["owner"])
    assert (fill.side, fill.size, fill.price) == ("BUY", Decimal("10"), Decimal("0.482"))
    assert fill.asset_id == no_maker["asset_id"]


def test_two_own_maker_entries_add_up():
    """user_trade4: two of the three makers are the account's: BUY 10 at 0.35 on average."""
    (frame,) = frames_of("nautilus_trader/ws_messages/user_trade4.json")
    tracker = OrderTracker(owner=ACCOUNT_2025)
    tracker.apply_trade(parse_trade(frame))
    trade = tracker.trades[frame["id"]]
    assert (trade.side, trade.size, trade.price) == ("BUY", Decimal("10"), Decimal("0.35"))
    assert len(trade.order_ids) == 2 and trade.status == "CONFIRMED" and trade.is_final


def test_a_takers_trade_can_be_mined_before_its_status_says_so():
    """user_trade2 (2024, TAKER): MATCHED already carries a transaction_hash; the status rules."""
    (frame,) = frames_of("nautilus_trader/ws_messages/user_trade2.json")
    tracker = OrderTracker(owner=ACCOUNT_2024)
    tracker.apply_trade(parse_trade(frame))
    trade = tracker.trades[frame["id"]]
    assert (trade.side, trade.size, trade.price) == ("BUY", Decimal("5"), Decimal("0.52"))
    assert trade.status == "MATCHED" and not trade.is_final
    assert trade.transaction_hash == frame["transaction_hash"]
    assert tracker.pending_trade_times() == [int(frame["match_time"])]


# --- the 2026-12 capture set (tests/wire/corpus/captures_2026-12/) -------------------------------

CAPTURES = "captures_2026-12/"
GO_2025_12 = CAPTURES + "unid_go_book_pc_book_sequence_2025-12.jsonl"
PY_2026_05 = CAPTURES + "unid_py_book_pc_2026-05.jsonl"
RS_2026_08 = CAPTURES + "unid_rs_real_book_change_abridged_2026-08.jsonl"
REST_TRADES = CAPTURES + "unid_rs_rest_data_trades_rows_2026-07-08.json"
# The account of the 2026-07/08 REST trade rows: the taker of three, the maker of the fourth.
ACCOUNT_2026 = "f13cd2a4-7647-a9ed-eb2e-30a05e27b270"


def test_books_without_tick_size_and_with_a_padded_price_reproduce_their_hashes():
    """2025-12: an initial dump without tick_size, last_trade_price "0.500", then a post-trade
    book without either: with REST's fields and tick "0.01" every hash reproduces, and only
    with the price text as sent ("0.5" misses)."""
    frames = frames_of(GO_2025_12)
    books = [f for f in frames if f["event_type"] == "book"]
    assert [("tick_size" in b, b.get("last_trade_price")) for b in books] == [
        (False, "0.500"),
        (False, "0.500"),
        (False, None),
    ]
    held: dict[str, OrderBook] = {}
    for frame in books:
        book = held.setdefault(frame["asset_id"], OrderBook(frame["asset_id"]))
        book.learn_rest_fields({"min_order_size": "5", "neg_risk": False, "tick_size": "0.01"})
        assert book.apply_book(frame) is True
    book.last_trade_price = "0.5"
    assert book.compute_hash() != books[-1]["hash"]


def test_a_trade_print_is_hashed_as_books_write_it():
    """The 2025-12 post-trade book (line 3) follows a trade (post-trade shape, levels at 0.5 and
    0.51 changed) and reproduces with "0.500". Inference: its last_trade_price event said "0.5"
    (events write prices plainly: "0.01" in a 2026-08 tape), and the hash uses the book's
    three-decimal text, so OrderBook keeps a print's price in that form."""
    dump, _, after_trade = corpus.received({"file": GO_2025_12})
    book = OrderBook(after_trade["asset_id"])
    book.learn_rest_fields({"min_order_size": "5", "neg_risk": False, "tick_size": "0.01"})
    book.apply_book(next(b for b in dump if b["asset_id"] == after_trade["asset_id"]))
    book.apply_last_trade_price({"event_type": "last_trade_price", "price": "0.5"})
    assert book.last_trade_price == "0.500"
    assert book.apply_book(after_trade) is True
    book.apply_last_trade_price({"price": "0.301"})  # three decimals already: as sent
    assert book.last_trade_price == "0.301"


@pytest.mark.parametrize("file", [PY_2026_05, RS_2026_08])
async def test_a_sibling_tokens_entries_are_ignored_by_a_one_token_subscriber(file, caplog):
    """Live, a price_change carries entries for both tokens of a market even to a connection
    subscribed to one (its dump held one book): the other token's entry changes nothing, costs
    no warning, and the subscribed book takes its own entry."""
    (dump, change) = corpus.received({"file": file})
    (book,) = dump
    (own,) = [e for e in change["price_changes"] if e["asset_id"] == book["asset_id"]]
    (sibling,) = [e for e in change["price_changes"] if e["asset_id"] != book["asset_id"]]
    seen: list = []
    feed = MarketFeed(
        [book["asset_id"]],
        lambda event, held: seen.append(event["event_type"]),
        url="ws://127.0.0.1:9",
        custom_feature_enabled=True,
    )
    with caplog.at_level(logging.WARNING, logger="polymarket"):
        await play(feed, [book, change])
    assert caplog.records == [] and feed.stats.resubscribes == 0
    assert feed.stats.book_mismatches == 0
    assert set(feed.books) == {book["asset_id"]} and sibling["asset_id"] not in feed.books
    held = feed.books[book["asset_id"]]
    side = held.bids if own["side"] == "BUY" else held.asks
    assert side[Decimal(own["price"])] == (own["price"], own["size"])
    assert feed.best(book["asset_id"]) == (Decimal(own["best_bid"]), Decimal(own["best_ask"]))


def test_an_order_ended_by_its_markets_resolution():
    """2026-07: PLACEMENT (LIVE) then CANCELLATION with CANCELED_MARKET_RESOLVED, 105 s later."""
    file = CAPTURES + "unid_user_order_placement_cancel_resolved_2026-07.jsonl"
    placed, canceled = frames_of(file)
    tracker = OrderTracker(owner=placed["owner"])
    router = UserEventRouter(tracker.apply_order)
    router.handle_message(json.dumps(placed))
    assert tracker.open_order_ids() == {placed["id"]}
    router.handle_message(json.dumps(canceled))
    order = tracker.orders[placed["id"]]
    assert (order.status, order.status_reason) == ("CANCELED", "MARKET_RESOLVED")
    assert order.size_matched == 0 and tracker.open_order_ids() == set()


def test_an_update_that_cancels_a_partly_filled_order_ends_it():
    """NT #3797 (converted from a log line): UPDATE with status CANCELED after 1.219511 of 20."""
    (frame,) = frames_of(CAPTURES + "nt_issue3797_order_update_canceled_2026-04_converted.json")
    tracker = OrderTracker()
    UserEventRouter(tracker.apply_order).handle_message(json.dumps(frame))
    order = tracker.orders[frame["id"]]
    assert order.status == "CANCELED" and not order.is_open and order.remaining == 0
    assert order.size_matched == Decimal("1.219511")
    assert order.trade_ids == set(frame["associate_trades"])
    assert tracker.open_order_ids() == set()


def test_rest_trade_rows_with_blank_maker_fees_and_off_grid_maker_prices():
    """2026-07/08 GET /data/trades rows: maker fee_rate_bps "" and maker prices such as
    "0.7210000476613491" are read; each row becomes the account's own fill."""
    rows = frames_of(REST_TRADES)
    assert {m["fee_rate_bps"] for r in rows for m in r["maker_orders"]} == {""}
    tracker = OrderTracker(owner=ACCOUNT_2026)
    tracker.reconcile([], rows, [])
    assert set(tracker.trades) == {r["id"] for r in rows}
    fills = {r["id"]: tracker.trades[r["id"]] for r in rows}
    maker, *takers = rows
    mine = fills[maker["id"]]  # the account is the row's only maker: SELL 15.88 Yes at 0.13
    assert (mine.side, mine.size, mine.price) == ("SELL", Decimal("15.88"), Decimal("0.13"))
    assert mine.trader_side == "MAKER" and mine.status == "CONFIRMED" and mine.is_final
    for row in takers:  # the taker's own order: side, size and price of the row
        fill = fills[row["id"]]
        assert (fill.side, fill.size, fill.price) == (
            row["side"],
            Decimal(row["size"]),
            Decimal(row["price"]),
        )
    noisy = parse_trade(rows[2]).maker_orders[1]
    assert noisy.price == Decimal("0.7210000476613491")  # as sent, not rounded to the tick


OLD = corpus.wire(corpus.old())
OLD_MARKET = [e for e in OLD if e["channel"] == "market"]
OLD_USER = [e for e in OLD if e["channel"] == "user"]


@pytest.mark.parametrize("entry", OLD_MARKET, ids=[e["file"] for e in OLD_MARKET])
async def test_old_market_shapes_are_skipped_with_one_line_and_crash_nothing(entry, caplog):
    """The pre-2025-09 price_change costs one log line per frame and changes no book."""
    frames = corpus.frames(entry)
    feed, seen = feed_for(frames)
    with caplog.at_level(logging.WARNING, logger="polymarket"):
        await play(feed, frames)
    assert len(caplog.records) == len(frames) and seen == []
    assert all(book.awaiting_snapshot for book in feed.books.values())


@pytest.mark.parametrize("entry", OLD_USER, ids=[e["file"] for e in OLD_USER])
def test_old_user_shapes_differ_only_where_the_pack_does_not_read(entry, caplog):
    """A 2024 trade with bucket_index "0" (a string) is a real fill: the pack, which never reads
    bucket_index, records it as usual rather than dropping it."""
    frames = corpus.frames(entry)
    tracker = OrderTracker(owner=ACCOUNT_2024)
    router = UserEventRouter(tracker.apply_order, tracker.apply_trade)
    with caplog.at_level(logging.WARNING, logger="polymarket"):
        router.handle_message(json.dumps(frames))
    assert caplog.records == [] and set(tracker.trades) == {f["id"] for f in frames}
