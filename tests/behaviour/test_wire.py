"""wire.py (websocket-overview.md): defensive frame parsing, Decimal numbers, endpoint checks."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
from wire import DEFAULT_WS_URL, is_heartbeat, parse_events, to_decimal, ws_base_url

BOOK = {"event_type": "book", "asset_id": "1", "bids": [], "asks": []}


def test_object_frame_gives_one_event():
    """A single JSON object is one event."""
    assert parse_events(json.dumps(BOOK)) == [BOOK]


def test_array_frame_gives_each_event():
    """A JSON array (the batched initial dump) gives every event in order."""
    second = {**BOOK, "asset_id": "2"}
    assert parse_events(json.dumps([BOOK, second])) == [BOOK, second]


def test_bytes_frame_is_decoded():
    """A frame delivered as bytes parses like text."""
    assert parse_events(json.dumps(BOOK).encode()) == [BOOK]


@pytest.mark.parametrize("reply", ["PONG", "NO NEW ASSETS", b"PONG"])
def test_heartbeat_replies_are_not_events(reply, caplog):
    """PONG and NO NEW ASSETS are heartbeats: no events and no warning."""
    assert is_heartbeat(reply)
    with caplog.at_level(logging.WARNING, logger="polymarket.wire"):
        assert parse_events(reply) == []
    assert not caplog.records


def test_data_is_not_a_heartbeat():
    """A data frame is never mistaken for a heartbeat."""
    assert not is_heartbeat(json.dumps(BOOK))
    assert not is_heartbeat(None)


@pytest.mark.parametrize(
    "frame",
    ["{not json", "[1, 2", '"just a string"', "42", b"\xff\xfe", None, 3.5, "[[[[" * 10_000],
)
def test_malformed_frame_logs_one_warning_and_never_raises(frame, caplog):
    """Malformed JSON, a non-object value or a non-text frame is skipped with one warning."""
    with caplog.at_level(logging.WARNING, logger="polymarket.wire"):
        assert parse_events(frame) == []
    assert len(caplog.records) == 1


def test_non_object_items_are_skipped_with_one_warning(caplog):
    """Non-object items in an array are dropped (one warning); the objects survive."""
    with caplog.at_level(logging.WARNING, logger="polymarket.wire"):
        assert parse_events(json.dumps([BOOK, 1, "x", None])) == [BOOK]
    assert len(caplog.records) == 1


def test_warning_about_a_huge_frame_is_truncated(caplog):
    """A megabyte of garbage is not copied into the log."""
    with caplog.at_level(logging.WARNING, logger="polymarket.wire"):
        parse_events("x" * 1_000_000)
    assert len(caplog.records[0].getMessage()) < 400


@pytest.mark.parametrize(
    "value,expected",
    [
        ("0.52", Decimal("0.52")),
        ("1757908892351", Decimal("1757908892351")),
        (" 3 ", Decimal(3)),
        (7, Decimal(7)),
        (Decimal("0.1"), Decimal("0.1")),
        ("", None),
        ("abc", None),
        ("NaN", None),
        ("Infinity", None),
        (None, None),
        (True, None),
        ([], None),
    ],
)
def test_to_decimal(value, expected):
    """Wire numbers become Decimal; "" and garbage become None."""
    assert to_decimal(value) == expected


def test_base_url_defaults_to_the_real_host(monkeypatch):
    """Without POLYMARKET_WS_URL the real CLOB host is used."""
    monkeypatch.delenv("POLYMARKET_WS_URL", raising=False)
    assert ws_base_url() == DEFAULT_WS_URL == "wss://ws-subscriptions-clob.polymarket.com"


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:8765/", "ws://localhost:1", "ws://[::1]:9", "wss://example.com"]
)
def test_base_url_accepts_tls_or_loopback(monkeypatch, url):
    """wss:// anywhere, ws:// only on loopback; a trailing slash is dropped."""
    monkeypatch.setenv("POLYMARKET_WS_URL", url)
    assert ws_base_url() == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["ws://example.com", "ws://10.0.0.5:80", "http://127.0.0.1", "example.com"]
)
def test_base_url_refuses_clear_text_or_non_websocket(monkeypatch, url):
    """Plain ws:// to another machine, or a non-WebSocket URL, is a clear ValueError."""
    monkeypatch.setenv("POLYMARKET_WS_URL", url)
    with pytest.raises(ValueError, match="POLYMARKET_WS_URL|ws://"):
        ws_base_url()


def test_base_url_with_credentials_is_refused_without_echoing_them(monkeypatch):
    """A URL with user:password is refused and the error does not repeat the secret."""
    monkeypatch.setenv("POLYMARKET_WS_URL", "wss://me:hunter2@example.com")
    with pytest.raises(ValueError) as caught:
        ws_base_url()
    assert "hunter2" not in str(caught.value)


# A server that echoes the subscription back (or a proxy that mangles it) must not put the
# credentials into a log line, not even the part that fits in a truncated preview.
SECRET = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr"
PASSPHRASE = "7f3a9c1e5b2d8f4a6c0e9b1d3f5a7c9e"


def _pieces(secret: str, length: int = 12) -> set[str]:
    return {secret[i : i + length] for i in range(len(secret) - length + 1)}


@pytest.mark.parametrize("cut", [None, 120, 150])
def test_an_echoed_auth_frame_is_redacted_before_it_is_truncated(caplog, cut):
    """No 12-character piece of the secret or passphrase reaches the log of a malformed frame."""
    auth = {"apiKey": "9180014b-33c8-9240-a14b-bdca11c0a465", "secret": SECRET}
    echoed = json.dumps({"type": "user", "auth": {**auth, "passphrase": PASSPHRASE}})
    frame = (echoed[:cut] if cut else echoed[:-1]) + " " * 300  # not JSON any more
    with caplog.at_level(logging.WARNING, logger="polymarket.wire"):
        assert parse_events(frame) == []
    logged = caplog.text
    assert "redacted" in logged
    assert not any(piece in logged for piece in _pieces(SECRET) | _pieces(PASSPHRASE))


def test_preview_redacts_credentials_in_any_spelling():
    """preview() hides apiKey/secret/passphrase values in JSON text and in Python reprs."""
    from wire import preview

    for value in (
        {"auth": {"secret": SECRET, "passphrase": PASSPHRASE}},
        f'{{"api_secret": "{SECRET}", "api_passphrase": "{PASSPHRASE}"}}',
    ):
        text = preview(value)
        assert SECRET[:12] not in text and PASSPHRASE[:12] not in text
        assert "<redacted>" in text
    assert preview({"price": "0.52"}) == repr({"price": "0.52"})


@pytest.mark.parametrize("url", ["ws://example.com", "http://127.0.0.1", "wss://me:pw@h.com"])
def test_base_url_reads_any_mapping_under_any_name_and_names_it(url):
    """ws_base_url(environ, name): the same checks for a value read under another name."""
    assert ws_base_url({"BOT_WS": "ws://127.0.0.1:9/"}, "BOT_WS") == "ws://127.0.0.1:9"
    assert ws_base_url({}, "BOT_WS") == DEFAULT_WS_URL
    with pytest.raises(ValueError, match="BOT_WS") as caught:
        ws_base_url({"BOT_WS": url}, "BOT_WS")
    assert "pw" not in str(caught.value)
