"""wire.py's two JSON decoders: the standard library (always there) and orjson (optional, chosen
at import when installed). Every real frame must give the same events with either; the frames
they treat differently are the ones the page names."""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import wire

from tests.fixtures.pack import pack_modules_dir
from tests.wire import corpus

DECODERS = ("json", "orjson")


@pytest.fixture
def use() -> Iterator[object]:
    """wire.use_json, with the decoder in use restored afterwards."""
    previous = wire.json_in_use
    yield wire.use_json
    wire.use_json(previous)


def raw_frames() -> list[str]:
    """Every corpus file's frames as the server sent them: a batch as one JSON array frame."""
    texts = []
    for entry in corpus.wire():
        texts += [json.dumps(item, separators=(",", ":")) for item in corpus.received(entry)]
    return texts


def test_every_corpus_frame_gives_the_same_events_with_either_decoder(use):
    texts = raw_frames()
    assert len(texts) > 50
    results = {}
    for name in DECODERS:
        assert use(name) == name == wire.json_in_use
        results[name] = [wire.parse_events(text) for text in texts]
    assert results["json"] == results["orjson"]
    assert all(results["json"])  # every frame gave at least one event


# Frames a decoder must skip (logged, never raised): the same with either.
BROKEN = [
    '{"event_type": "book", "asset_id": "1"',  # cut off
    '{"event_type": "book"} {"event_type": "book"}',  # two values in one frame
    "[1] x",
    "",
    "   ",
    "not json at all",
    "[" * 5000 + "]" * 5000,  # nesting beyond both decoders' limits
]


@pytest.mark.parametrize("name", DECODERS)
@pytest.mark.parametrize("text", BROKEN, ids=range(len(BROKEN)))
def test_a_broken_frame_is_skipped_with_one_line(use, name, text, caplog):
    use(name)
    with caplog.at_level(logging.WARNING, logger="polymarket.wire"):
        assert wire.parse_events(text) == []
    assert len(caplog.records) <= 1


@pytest.mark.parametrize("name", DECODERS)
def test_whitespace_around_a_frame_is_allowed(use, name):
    use(name)
    assert wire.parse_events(' \n{"event_type": "book"}\r\n ') == [{"event_type": "book"}]
    assert wire.parse_events('[{"a": 1}, 2]') == [{"a": 1}]  # non-objects skipped, as before


def test_the_differences_the_page_names(use):
    """orjson refuses NaN/Infinity and lone surrogates (the frame is skipped) and reads integers
    beyond 64 bits as floats; no Polymarket frame carries any of these."""
    odd = ['{"a": NaN}', '{"a": Infinity}', '{"a": "\\ud800"}']
    use("json")
    assert math.isnan(wire.parse_events(odd[0])[0]["a"])
    assert all(wire.parse_events(text) for text in odd)
    huge = 123456789012345678901234567890
    assert wire.parse_events(f'{{"a": {huge}}}')[0]["a"] == huge
    use("orjson")
    assert [wire.parse_events(text) for text in odd] == [[], [], []]
    assert isinstance(wire.parse_events(f'{{"a": {huge}}}')[0]["a"], float)


def test_an_unknown_decoder_name_is_refused(use):
    with pytest.raises(ValueError, match=r"use_json\(\) must be auto, orjson or json, got 'ujson'"):
        use("ujson")


def _import_wire(env: dict[str, str], hide_orjson: bool) -> subprocess.CompletedProcess[str]:
    code = "import sys\n"
    if hide_orjson:
        code += "sys.modules['orjson'] = None  # as if it were not installed\n"
    code += "import wire; print(wire.json_in_use)\n"
    environment = {k: v for k, v in os.environ.items() if k != "POLYMARKET_JSON"} | env
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=pack_modules_dir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("env", "hide_orjson", "chosen"),
    [
        ({}, False, "orjson"),  # auto: orjson when installed
        ({}, True, "json"),  # auto: the standard library when not
        ({"POLYMARKET_JSON": "json"}, False, "json"),
        ({"POLYMARKET_JSON": " ORJSON "}, False, "orjson"),
    ],
)
def test_the_decoder_is_chosen_at_import(env, hide_orjson, chosen):
    completed = _import_wire(env, hide_orjson)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == chosen


def test_asking_for_orjson_without_it_fails_at_import_and_says_so():
    completed = _import_wire({"POLYMARKET_JSON": "orjson"}, hide_orjson=True)
    assert completed.returncode == 1
    assert "orjson" in completed.stderr.splitlines()[-1]


def test_a_bad_environment_value_names_the_variable():
    completed = _import_wire({"POLYMARKET_JSON": "fast"}, hide_orjson=False)
    assert completed.returncode == 1
    assert "POLYMARKET_JSON must be auto, orjson or json, got 'fast'" in completed.stderr
