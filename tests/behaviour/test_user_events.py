"""user_events.py: routing on event_type then type/status, and surviving anything else."""

from __future__ import annotations

import copy
import json
import logging
from decimal import Decimal

import pytest
from polymarket_mock.exchange import Exchange
from user_events import (
    InvalidEvent,
    OrderEvent,
    TradeEvent,
    UserEventRouter,
    parse_order,
    parse_trade,
)

from tests.behaviour.samples import OWNER, order_event


def _mock_events() -> tuple[Exchange, list[dict]]:
    """Real user-channel events from the mock's exchange: place, partial fill, mine, cancel."""
    exchange = Exchange(seed=3, markets=1, clock=lambda: 1782753357257, default_owner=OWNER)
    events: list[dict] = []
    exchange.user_listeners.append(lambda owner, event: events.append(copy.deepcopy(event)))
    asset = exchange.asset_ids[0]
    order_id = exchange.place_order(asset, "BUY", exchange.books[asset].best_bid, "100")
    trade_id = exchange.fill(order_id, "40")
    exchange.advance_trade(trade_id, "MINED")
    exchange.cancel(order_id)
    return exchange, events


class Recorder:
    """Collects what the router delivers."""

    def __init__(self) -> None:
        self.items: list[OrderEvent | TradeEvent | dict] = []

    def router(self, **kwargs) -> UserEventRouter:
        return UserEventRouter(on_order=self.items.append, on_trade=self.items.append, **kwargs)


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.fixture
def mock_events():
    return _mock_events()


def test_routes_the_mocks_order_and_trade_events_in_order(mock_events):
    """PLACEMENT, UPDATE, trade MATCHED, trade MINED, CANCELLATION arrive typed and in order."""
    exchange, events = mock_events
    seen = Recorder()
    router = seen.router()
    for event in events:
        router.handle_message(json.dumps(event))
    kinds = [
        item.kind if isinstance(item, OrderEvent) else f"trade {item.status}" for item in seen.items
    ]
    assert kinds == ["PLACEMENT", "UPDATE", "trade MATCHED", "trade MINED", "CANCELLATION"]
    update = seen.items[1]
    assert update.size_matched == Decimal("40") and update.original_size == Decimal("100")
    assert update.remaining == Decimal("60")
    assert update.trade_ids == (seen.items[2].id,)
    cancel = seen.items[-1]
    assert cancel.status == "CANCELED" and cancel.remaining == Decimal("60")
    assert router.counts["skipped"] == 0


def test_a_fill_is_an_update_not_a_matched_type(mock_events):
    """The mock's fill arrives as type UPDATE with a grown size_matched (ref §8.2)."""
    _, events = mock_events
    update = next(e for e in events if e["event_type"] == "order" and e["type"] == "UPDATE")
    order = parse_order(update)
    assert order.kind == "UPDATE" and order.size_matched > 0 and order.status == "LIVE"


def test_maker_finds_its_order_in_maker_orders(mock_events):
    """trader_side MAKER: own_order_ids picks maker_orders[] entries by owner."""
    exchange, events = mock_events
    trade = parse_trade(next(e for e in events if e["event_type"] == "trade"))
    (order_id,) = exchange.orders
    assert trade.trader_side == "MAKER"
    assert trade.own_order_ids(OWNER) == {order_id}
    assert trade.own_order_ids("someone-else") == set()


def test_taker_order_is_taker_order_id():
    """trader_side TAKER: the account's order is taker_order_id."""
    exchange = Exchange(seed=1, markets=1, clock=lambda: 1782753357257, default_owner=OWNER)
    events: list[dict] = []
    exchange.user_listeners.append(lambda owner, event: events.append(event))
    asset = exchange.asset_ids[0]
    exchange.take(asset, "BUY", exchange.books[asset].best_ask, "5")
    trade = parse_trade(next(e for e in events if e["event_type"] == "trade"))
    (order_id,) = exchange.orders
    assert trade.trader_side == "TAKER" and trade.own_order_ids(OWNER) == {order_id}


def test_without_trader_side_every_named_order_is_a_candidate():
    """With no trader_side, own_order_ids returns the taker order and the owned maker orders."""
    trade = parse_trade(_trade(trader_side=None))
    assert trade.own_order_ids("maker-key") == {"0xtaker", "0xmaker"}


def _trade(**changes) -> dict:
    event = {
        "event_type": "trade",
        "type": "TRADE",
        "id": "trade-1",
        "taker_order_id": "0xtaker",
        "market": "0xmarket",
        "asset_id": "123",
        "side": "BUY",
        "size": "4",
        "price": "0.52",
        "status": "MATCHED",
        "match_time": "1782753412",
        "owner": OWNER,
        "transaction_hash": None,
        "maker_orders": [
            {
                "order_id": "0xmaker",
                "owner": "maker-key",
                "matched_amount": "4",
                "price": "0.52",
                "asset_id": "123",
                "side": "SELL",
            }
        ],
        "trader_side": "TAKER",
        "timestamp": "1782753412008",
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None or k == "transaction_hash"}


def test_malformed_json_costs_one_line_and_the_next_frame_is_handled(caplog):
    """A frame that is not JSON logs one warning; the following valid frame is still routed."""
    seen = Recorder()
    router = seen.router()
    with caplog.at_level(logging.WARNING):
        router.handle_message('{"event_type": "order", "id": ')
        router.handle_message(json.dumps(order_event()))
    assert len(_warnings(caplog)) == 1
    assert [item.id for item in seen.items] == ["0xorder"]


def test_pong_and_empty_arrays_are_not_events(caplog):
    """PONG and an empty array deliver nothing and log nothing."""
    seen = Recorder()
    router = seen.router()
    with caplog.at_level(logging.WARNING):
        router.handle_message("PONG")
        router.handle_message("[]")
    assert seen.items == [] and _warnings(caplog) == []


def test_unknown_event_type_is_skipped_with_one_line(caplog):
    """An unknown event_type logs one warning naming it; later events are processed."""
    seen = Recorder()
    router = seen.router()
    with caplog.at_level(logging.WARNING):
        router.handle_message('{"event_type": "mock_unknown_event", "timestamp": "0"}')
        router.handle_message(json.dumps(_trade()))
    (warning,) = _warnings(caplog)
    assert "mock_unknown_event" in warning.getMessage()
    assert [type(item) for item in seen.items] == [TradeEvent]


def test_on_other_receives_unknown_event_types_without_a_warning(caplog):
    """With on_other set, unknown event types go there instead of the log."""
    others: list = []
    router = UserEventRouter(on_other=others.append)
    with caplog.at_level(logging.WARNING):
        router.handle_message('{"event_type": "book", "asset_id": "1"}')
    assert others == [{"event_type": "book", "asset_id": "1"}]
    assert _warnings(caplog) == [] and router.counts["other"] == 1


def test_matched_as_an_order_type_is_rejected(caplog):
    """type "MATCHED" (the wrong, widely copied shape) is skipped, never treated as a fill."""
    seen = Recorder()
    router = seen.router()
    with caplog.at_level(logging.WARNING):
        router.handle_message(json.dumps(order_event(type="MATCHED", size_matched="4")))
    assert seen.items == []
    (warning,) = _warnings(caplog)
    assert "unknown order type" in warning.getMessage() and "MATCHED" in warning.getMessage()


@pytest.mark.parametrize(
    "broken",
    [
        order_event(id=None),
        order_event(id=""),
        order_event(id=42),
        order_event(original_size=""),
        order_event(size_matched="abc"),
        order_event(size_matched=["4"]),
        order_event(original_size=True),
        order_event(price=None),
        order_event(size_matched="-1"),
        order_event(side="SIDEWAYS"),
        order_event(associate_trades="trade-1"),
        order_event(market={"id": "0xmarket"}),
        _trade(id=None),
        _trade(size=""),
        _trade(status=7),
        _trade(maker_orders="0xmaker"),
        _trade(maker_orders=[{"order_id": "0xmaker", "matched_amount": ""}]),
        _trade(maker_orders=["0xmaker"]),
        _trade(taker_order_id=None),
    ],
)
def test_an_unusable_event_is_skipped_with_one_line(caplog, broken):
    """Missing or wrongly typed fields, "" or garbage as numbers: one warning, no delivery."""
    seen = Recorder()
    router = seen.router()
    with caplog.at_level(logging.WARNING):
        router.handle_message(json.dumps(broken))
        router.handle_message(json.dumps(order_event(id="0xafter")))
    assert len(_warnings(caplog)) == 1, caplog.text
    assert [item.id for item in seen.items] == ["0xafter"]
    assert router.counts["skipped"] == 1


def test_an_array_mixing_good_and_bad_events_logs_each_bad_one_once(caplog):
    """In one array frame, every bad event costs one line and every good one is delivered."""
    frame = [
        order_event(),
        {"event_type": "mock_unknown_event"},
        order_event(id="0xbroken", size_matched="x"),
        "not an object",
        _trade(),
        order_event(id="0xsecond", type="UPDATE", size_matched="4"),
    ]
    seen = Recorder()
    router = seen.router()
    with caplog.at_level(logging.WARNING):
        router.handle_message(json.dumps(frame))
    assert [item.id for item in seen.items] == ["0xorder", "trade-1", "0xsecond"]
    assert len(_warnings(caplog)) == 3  # unknown type, bad size, and the non-object item


def test_a_failing_callback_is_logged_and_the_router_goes_on(caplog):
    """An exception in on_order is logged; the next event is still delivered."""
    delivered: list[str] = []

    def on_order(order: OrderEvent) -> None:
        if order.id == "0xbad":
            raise RuntimeError("bug in the application")
        delivered.append(order.id)

    router = UserEventRouter(on_order=on_order)
    with caplog.at_level(logging.ERROR):
        router.handle_message(json.dumps([order_event(id="0xbad"), order_event(id="0xgood")]))
    assert delivered == ["0xgood"]
    assert router.counts["handler errors"] == 1
    assert "bug in the application" in caplog.text


def test_huge_bad_events_are_truncated_in_the_log(caplog):
    """A skipped event is previewed, never dumped whole into the log."""
    router = UserEventRouter()
    with caplog.at_level(logging.WARNING):
        router.handle_message(json.dumps({"event_type": "padding", "padding": "x" * 100_000}))
    assert len(caplog.text) < 1_000


@pytest.mark.parametrize("key", ["match_time", "matchtime"])
def test_both_spellings_of_match_time_are_read(key):
    """match_time and matchtime both fill TradeEvent.match_time (sources disagree, ref §2.4)."""
    event = _trade()
    event.pop("match_time")
    event[key] = "1782753412"
    assert parse_trade(event).match_time == "1782753412"


def test_status_prefix_and_lower_case_side_are_normalised():
    """TRADE_STATUS_ prefixes are stripped and sides upper-cased, as the official SDKs do."""
    trade = parse_trade(_trade(status="trade_status_mined", side="buy", trader_side="taker"))
    assert (trade.status, trade.side, trade.trader_side) == ("MINED", "BUY", "TAKER")


def test_matched_not_broadcasted_is_a_known_trade_status():
    """The 2026 status MATCHED_NOT_BROADCASTED is routed like any other trade status."""
    seen = Recorder()
    seen.router().handle_message(json.dumps(_trade(status="MATCHED_NOT_BROADCASTED")))
    assert [item.status for item in seen.items] == ["MATCHED_NOT_BROADCASTED"]


def test_transaction_hash_empty_or_null_means_none():
    """transaction_hash "" or null (before MINED) is None; a real hash is kept."""
    assert parse_trade(_trade(transaction_hash="")).transaction_hash is None
    assert parse_trade(_trade()).transaction_hash is None
    assert parse_trade(_trade(transaction_hash="0xabc")).transaction_hash == "0xabc"


def test_rest_records_parse_with_the_same_functions(mock_events):
    """The mock's REST order and trade records (no event_type) parse like events."""
    exchange, _ = mock_events
    (record,) = exchange.orders.values()
    order = parse_order(record, kind="REST")
    assert (order.kind, order.status, order.size_matched) == ("REST", "CANCELED", Decimal("40"))
    (trade_record,) = exchange.trades.values()
    assert parse_trade(trade_record).status == "MINED"


def test_parse_order_names_the_bad_field():
    """InvalidEvent says which field was unusable."""
    with pytest.raises(InvalidEvent, match="size_matched"):
        parse_order(order_event(size_matched="abc"))


def test_an_echoed_subscription_is_skipped_without_its_secret(caplog):
    """An echoed auth frame is an unknown event: one line, and no piece of the secret in it."""
    secret, passphrase = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr", "7f3a9c1e5b2d8f4a6c0e9b1d"
    frame = {"type": "user", "auth": {"apiKey": "k", "secret": secret, "passphrase": passphrase}}
    with caplog.at_level(logging.WARNING):
        UserEventRouter().handle_message(json.dumps(frame))
    assert len(caplog.records) == 1
    assert secret[:12] not in caplog.text and passphrase[:12] not in caplog.text
