"""The mock's observability records: what each connection sent, received and how it ended."""

import json
import logging

import pytest

from tests.mock._support import (
    client,
    market_socket,
    market_url,
    next_events,
    no_mock_errors,  # noqa: F401  (a fixture, used via usefixtures)
    user_socket,
)

pytestmark = [pytest.mark.looptime, pytest.mark.usefixtures("no_mock_errors")]


async def test_market_connection_record(mock_factory):
    """A record keeps every received frame with its loop time, the pings and the subscriptions."""
    async with mock_factory(activity_interval=None) as mock:
        first, second = mock.asset_ids[0], mock.asset_ids[2]
        subscribe = {"type": "market", "assets_ids": [first]}
        operation = {"operation": "subscribe", "assets_ids": [second]}
        async with market_socket(mock, subscribe) as ws:
            await next_events(ws)
            await ws.send("PING")
            assert await ws.recv() == "PONG"
            await ws.send(json.dumps(operation))
            await next_events(ws)
            await mock.wait_for(lambda m: len(m.connections[-1].frames_received) == 3)
            record = mock.connections[-1]
            assert record.channel == "market"
            texts = [text for _, text in record.frames_received]
            assert [json.loads(texts[0]), texts[1], json.loads(texts[2])] == [
                subscribe,
                "PING",
                operation,
            ]
            times = [t for t, _ in record.frames_received]
            assert times == sorted(times) and times[0] >= record.opened_at
            assert record.subscriptions == [subscribe, operation]
            assert len(record.pings) == 1
            assert record.subscribed_at is not None and record.subscribed_at >= record.opened_at
            assert record.assets == {first, second}
            assert record.data_frames_sent == 2
            assert record.frames_sent == 3, "two data frames and one PONG"
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        record = mock.connections[-1]
        assert record.closed_by == "client"
        assert record.close_code == 1000


async def test_user_connection_record(mock_factory):
    """A user record shows authentication and the market filter (None = all markets)."""
    async with mock_factory(activity_interval=None) as mock:
        async with user_socket(mock):
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            record = mock.connections[-1]
            assert record.channel == "user"
            assert record.markets is None


async def test_connection_ids_are_distinct_and_ordered(mock_factory):
    """Each accepted connection gets its own record, in order, with a distinct id."""
    async with mock_factory(activity_interval=None) as mock:
        for _ in range(3):
            async with client(market_url(mock)):
                pass
        await mock.wait_for(lambda m: len(m.connections) == 3)
        ids = [record.id for record in mock.connections]
        assert len(set(ids)) == 3 and ids == sorted(ids)
        opened = [record.opened_at for record in mock.connections]
        assert opened == sorted(opened)
        assert [h.status for h in mock.handshakes] == [101, 101, 101]
        assert {h.path for h in mock.handshakes} == {"/ws/market"}


async def test_secrets_stay_out_of_reprs_and_logs(mock_factory, caplog):
    """Neither reprs nor DEBUG logs show the secret or passphrase of a user subscription."""
    caplog.set_level(logging.DEBUG)
    async with mock_factory(activity_interval=None) as mock:
        secret, passphrase = mock.credentials.secret, mock.credentials.passphrase
        async with user_socket(mock) as ws:
            await mock.wait_for(lambda m: m.connections[-1].authenticated)
            await ws.send("PING")
            assert await ws.recv() == "PONG"
        await mock.wait_for(lambda m: m.connections[-1].closed_at is not None)
        shown = [repr(mock.credentials), repr(mock.connections[-1]), str(mock.connections[-1])]
        shown += [record.getMessage() for record in caplog.records]
        for text in shown:
            assert secret not in text and passphrase not in text, text
