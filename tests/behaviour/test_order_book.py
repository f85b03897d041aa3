"""order_book.py (market-channel.md): a local book that matches the server's, hash included."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from order_book import OrderBook, summary_hash
from websockets.asyncio.client import connect
from wire import parse_events

ASSET = "65818619657568813474341868652308942079804919287380422192892211131408793125422"
BOOK = {
    "event_type": "book",
    "asset_id": ASSET,
    "market": "0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af",
    "bids": [{"price": "0.48", "size": "30"}, {"price": "0.49", "size": "20"}],
    "asks": [{"price": "0.53", "size": "60"}, {"price": "0.52", "size": "25"}],
    "timestamp": "1757908892351",
    "tick_size": "0.01",
    "min_order_size": "5",
    "neg_risk": False,
    "last_trade_price": "0.5",
}


def fresh_book() -> OrderBook:
    book = OrderBook(ASSET)
    book.apply_book({**BOOK, "hash": summary_hash(BOOK)})
    return book


def test_new_book_awaits_its_snapshot():
    """Before the first `book` there is nothing to trust: no prices, deltas dropped."""
    book = OrderBook(ASSET)
    assert book.awaiting_snapshot and book.best_bid() is None and book.best_ask() is None
    assert not book.apply_price_change({"price": "0.5", "size": "1", "side": "BUY"})
    assert book.dropped_deltas == 1 and not book.bids


def test_book_event_replaces_and_gives_best_prices():
    """A `book` replaces everything; best bid is the highest bid, best ask the lowest ask."""
    book = fresh_book()
    assert not book.awaiting_snapshot
    assert (book.best_bid(), book.best_ask()) == (Decimal("0.49"), Decimal("0.52"))
    book.apply_book({**BOOK, "bids": [{"price": "0.1", "size": "1"}], "asks": []})
    assert (book.best_bid(), book.best_ask()) == (Decimal("0.1"), None)


def test_book_hash_is_checked():
    """apply_book reports whether it reproduced the event's hash (None without one)."""
    assert OrderBook(ASSET).apply_book({**BOOK, "hash": summary_hash(BOOK)}) is True
    assert OrderBook(ASSET).apply_book({**BOOK, "hash": "0" * 40}) is False
    assert OrderBook(ASSET).apply_book(BOOK) is None


def test_summary_lists_levels_best_last_with_strings_as_received():
    """The summary orders bids ascending and asks descending and keeps "0.50" as sent."""
    book = fresh_book()
    book.apply_price_change({"price": "0.50", "size": "7.0", "side": "BUY"}, "1757908892999")
    summary = book.summary()
    assert [lvl["price"] for lvl in summary["bids"]] == ["0.48", "0.49", "0.50"]
    assert [lvl["price"] for lvl in summary["asks"]] == ["0.53", "0.52"]
    assert summary["bids"][-1]["size"] == "7.0" and summary["timestamp"] == "1757908892999"


def test_price_change_sets_and_removes_levels():
    """An entry sets the aggregate size at a price; size 0 removes the level."""
    book = fresh_book()
    book.apply_price_change({"price": "0.51", "size": "5", "side": "SELL"})
    assert book.best_ask() == Decimal("0.51")
    book.apply_price_change({"price": "0.51", "size": "0", "side": "SELL"})
    book.apply_price_change({"price": "0.490", "size": "0", "side": "buy"})  # "0.49" level
    assert (book.best_bid(), book.best_ask()) == (Decimal("0.48"), Decimal("0.52"))


def test_malformed_entry_is_ignored():
    """An entry without a usable price, size or side changes nothing."""
    book = fresh_book()
    before = book.summary()
    for bad in ({"price": "x", "size": "1", "side": "BUY"}, {"price": "0.4", "side": "BUY"}, {}):
        assert not book.apply_price_change(bad)
    assert book.summary() == before


def test_check_against_server_best_prices():
    """check_against compares with best_bid/best_ask strings; "" means an empty side."""
    book = fresh_book()
    assert book.check_against("0.49", "0.52")
    assert not book.check_against("0.5", "0.52")
    book.apply_book({**BOOK, "asks": []})
    assert book.check_against("0.49", "")


def test_reset_drops_deltas_until_the_fresh_snapshot():
    """After reset (a reconnect) deltas are dropped, then the new `book` is applied whole."""
    book = fresh_book()
    book.reset()
    assert book.best_bid() is None
    assert not book.apply_price_change({"price": "0.3", "size": "9", "side": "BUY"})
    book.apply_book({**BOOK, "hash": summary_hash(BOOK)})
    assert Decimal("0.3") not in book.bids and book.best_bid() == Decimal("0.49")


def test_tick_size_change_keeps_the_book_and_its_deltas_flowing():
    """tick_size_change records the new tick; no snapshot follows, so the book must not freeze."""
    book = fresh_book()
    book.apply_tick_size_change({"old_tick_size": "0.01", "new_tick_size": "0.001"})
    assert not book.awaiting_snapshot and book.tick_size == "0.001"
    assert book.apply_price_change({"price": "0.495", "size": "7", "side": "BUY"})
    assert book.best() == (Decimal("0.495"), Decimal("0.52"))


@pytest.mark.parametrize("empty_ask", ["", "1"])
@pytest.mark.parametrize("empty_bid", ["", "0"])
def test_empty_side_sentinels_agree_with_a_one_sided_book(empty_bid, empty_ask):
    """ "", "0" (bid) and "1" (ask) mean an empty side: a one-sided book agrees, a two-sided not."""
    bids_only = OrderBook(ASSET)
    bids_only.apply_book({**BOOK, "asks": []})
    assert bids_only.check_against("0.49", empty_ask)
    asks_only = OrderBook(ASSET)
    asks_only.apply_book({**BOOK, "bids": []})
    assert asks_only.check_against(empty_bid, "0.52")
    assert not fresh_book().check_against("0.49", empty_ask)
    assert not fresh_book().check_against(empty_bid, "0.52")


def test_best_tells_unknown_from_empty():
    """best() is None while awaiting a snapshot, and (bid, None) for a book with no asks."""
    book = OrderBook(ASSET)
    assert book.best() is None
    book.apply_book({**BOOK, "asks": []})
    assert book.best() == (Decimal("0.49"), None)
    book.reset()
    assert book.best() is None


def test_last_trade_price_enters_the_hash():
    """A trade print changes last_trade_price and therefore the hash."""
    book = fresh_book()
    before = book.compute_hash()
    book.apply_last_trade_price({"price": "0.52"})
    # kept as books write it, three decimals (tests/wire/test_corpus_pack.py, 2025-12 capture)
    assert book.last_trade_price == "0.520" and book.compute_hash() != before
    for sent, kept in (("0.301", "0.301"), ("1", "1.000"), ("0.7210000476613491", None)):
        book.apply_last_trade_price({"price": sent})
        assert book.last_trade_price == (kept or sent)


async def _drain(ws, books: dict[str, OrderBook], idle: float = 0.05) -> None:
    """Apply every frame that arrives until the socket is idle for `idle` seconds; then check each
    book against the server's last best prices (a batch's entries carry post-batch prices)."""
    claimed: dict[str, tuple[str, str]] = {}
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), idle)
        except TimeoutError:
            break
        for event in parse_events(raw):
            kind = event["event_type"]
            if kind == "book":
                assert books[event["asset_id"]].apply_book(event) is True
                claimed.pop(event["asset_id"], None)
            elif kind == "price_change":
                for change in event["price_changes"]:
                    if change["asset_id"] not in books:
                        continue  # the market's other token, not subscribed (sent as live)
                    book = books[change["asset_id"]]
                    if book.apply_price_change(change, event["timestamp"]):
                        claimed[change["asset_id"]] = (change["best_bid"], change["best_ask"])
            elif kind == "last_trade_price":
                books[event["asset_id"]].apply_last_trade_price(event)
            elif kind == "tick_size_change":
                books[event["asset_id"]].apply_tick_size_change(event)
    for asset, (bid, ask) in claimed.items():
        assert books[asset].check_against(bid, ask), asset


def _books_for(mock) -> dict[str, OrderBook]:
    """A book per asset, knowing the REST-only fields the hash covers (as read from /book)."""
    books = {asset: OrderBook(asset) for asset in mock.asset_ids}
    for asset, book in books.items():
        book.learn_rest_fields(mock.book(asset))
    return books


def _assert_same_as_mock(mock, books: dict[str, OrderBook]) -> None:
    for asset, book in books.items():
        server = mock.book(asset)
        mine = book.summary(timestamp=server["timestamp"])
        assert mine["bids"] == server["bids"] and mine["asks"] == server["asks"]
        assert book.compute_hash(server["timestamp"]) == server["hash"]


@pytest.mark.looptime
async def test_book_follows_the_mock_through_deltas_and_trades(mock_factory):
    """Snapshot + price_change + trades reproduce the mock's own book and its hash."""
    async with mock_factory(activity_interval=1.0) as mock:
        assets = mock.asset_ids
        books = _books_for(mock)
        async with connect(f"{mock.url}/ws/market", proxy=None) as ws:
            await ws.send(
                json.dumps({"type": "market", "assets_ids": assets, "initial_dump": True})
            )
            await _drain(ws, books)
            assert not any(book.awaiting_snapshot for book in books.values())
            for _ in range(20):  # 20 s of generated activity, checked on the way
                await asyncio.sleep(1.0)
                await mock.flush()
                await _drain(ws, books)
            mock.exchange.place_order(assets[0], "BUY", "0.45", "100")
            mock.exchange.take(assets[1], "BUY", "0.99", "10")  # a trade: prints and books
            await mock.flush()
            await _drain(ws, books)
            _assert_same_as_mock(mock, books)


@pytest.mark.looptime
async def test_deltas_before_a_fresh_snapshot_are_dropped(mock_factory):
    """A reset book ignores price_change until a new `book`, then matches the mock again."""
    async with mock_factory(activity_interval=1.0) as mock:
        asset = mock.asset_ids[0]
        book = _books_for(mock)[asset]
        async with connect(f"{mock.url}/ws/market", proxy=None) as ws:
            await ws.send(json.dumps({"type": "market", "assets_ids": [asset]}))
            await _drain(ws, {asset: book})
            book.reset()  # as on a reconnect: what we hold is no longer trusted
            await asyncio.sleep(5)
            await mock.flush()
            await _drain(ws, {asset: book})
            assert book.dropped_deltas > 0 and book.best_bid() is None
            # A targeted resubscribe brings the fresh snapshot.
            await ws.send(json.dumps({"operation": "unsubscribe", "assets_ids": [asset]}))
            await ws.send(json.dumps({"operation": "subscribe", "assets_ids": [asset]}))
            await mock.flush()
            await _drain(ws, {asset: book})
            assert not book.awaiting_snapshot
            _assert_same_as_mock(mock, {asset: book})


# Any mix of changes through the book's methods and writes straight into its level dicts.
_PRICES = st.sampled_from([Decimal(n) / 100 for n in range(1, 100, 7)])
_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["set", "set", "set", "write", "delete", "book", "reset"]),
        st.sampled_from(["BUY", "SELL"]),
        _PRICES,
        st.sampled_from([Decimal(0), Decimal(5), Decimal("12.5")]),
        st.booleans(),  # read the best prices after this step
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(steps=_STEPS)
def test_kept_best_prices_always_equal_the_levels_held(steps):
    """The best prices are kept as levels change, not recomputed over every level for each
    check; they equal max(bids) and min(asks) after any change through the book's methods, and
    after a write straight into a level dict that changes its length, read before the next one
    (the documented limit: two such writes that keep the length can hide a change)."""
    book = fresh_book()
    for action, side, price, size, read in steps:
        levels = book.bids if side == "BUY" else book.asks
        text = (str(price), str(size))
        if action == "set":
            book.set_level(side, price, size, *text)
        elif action == "write":  # behind the book's back, as a test that corrupts a book does
            levels[price] = text
        elif action == "delete":
            levels.pop(price, None)
        elif action == "book":
            book.apply_book(BOOK)
        else:
            book.reset()
            book.apply_book({**BOOK, "bids": [], "asks": []})
        if read or action in ("write", "delete"):
            expected = (max(book.bids, default=None), min(book.asks, default=None))
            assert (book.best_bid(), book.best_ask()) == expected
