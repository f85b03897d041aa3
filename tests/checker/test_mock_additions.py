"""What the mock gained for scripts/check_client.py: a Retry-After header on a refused handshake."""

import asyncio
import json
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


@pytest.mark.looptime
async def test_reject_handshake_with_retry_after(mock_factory):
    """reject_handshake(429, retry_after=7): the refusal carries Retry-After: 7; default none."""
    async with mock_factory(activity_interval=None) as mock:
        mock.faults.reject_handshake(status=429, times=1, retry_after=7)
        mock.faults.reject_handshake(status=503, times=1)
        with pytest.raises(InvalidStatus) as first:
            async with connect(mock.url + "/ws/market"):
                pass
        assert first.value.response.status_code == 429
        assert first.value.response.headers["Retry-After"] == "7"
        with pytest.raises(InvalidStatus) as second:
            async with connect(mock.url + "/ws/market"):
                pass
        assert second.value.response.status_code == 503
        assert "Retry-After" not in second.value.response.headers


def test_control_reject_takes_retry_after(threaded_mock):
    """/_mock/fault?kind=reject&retry_after=3 sets the header too."""
    url = f"{threaded_mock.http_url}/_mock/fault?kind=reject&status=429&times=1&retry_after=3"
    with urllib.request.urlopen(url) as reply:
        assert json.load(reply)["ok"] is True

    async def attempt():
        with pytest.raises(InvalidStatus) as caught:
            async with connect(threaded_mock.url + "/ws/market"):
                pass
        return caught.value.response

    response = asyncio.run(attempt())
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")


@pytest.mark.looptime
@pytest.mark.parametrize("early_ping", ["close", "record"])
async def test_early_ping(mock_factory, early_ping):
    """A PING before the subscription: "close" (default) = 1008; "record" = recorded, ignored."""
    async with mock_factory(activity_interval=None, early_ping=early_ping) as mock:
        asset = mock.asset_ids[0]
        async with connect(mock.url + "/ws/market") as ws:
            await ws.send("PING")
            await ws.send(json.dumps({"assets_ids": [asset], "type": "market"}))
            if early_ping == "close":
                await ws.wait_closed()
                assert ws.close_code == 1008
            else:
                [book] = json.loads(await ws.recv())  # a one-element array (reference §9.1)
                assert book["event_type"] == "book"
        record = mock.connections[0]
        assert len(record.pings) == 1
        assert record.frames_received[0][1] == "PING"
        assert (record.subscribed_at is not None) is (early_ping == "record")
