"""The corpus manifest: every file listed, every listed file present, full provenance."""

from __future__ import annotations

import datetime
import re

import pytest

from tests.wire import corpus

ENTRIES = corpus.entries()
IDS = [e["file"] for e in ENTRIES]
FORMS = {"as-is", "anonymised", "hand-edited", "docs-example", "transcribed", "converted"}
# The 2026-12 capture set's own provenance words, kept on its entries (corpus/README.md).
PROVENANCE = {"captured", "captured-edited", "converted"}
COMMIT = re.compile(r"^[0-9a-f]{40}$")


def test_every_corpus_file_is_listed_once():
    on_disk = {
        p.relative_to(corpus.CORPUS).as_posix()
        for p in corpus.CORPUS.rglob("*.json*")
        if p != corpus.MANIFEST and p.suffix in corpus.SUFFIXES
    }
    assert sorted(IDS) == sorted(set(IDS)), "a file is listed twice"
    assert on_disk == set(IDS)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_entry_has_complete_provenance(entry):
    assert corpus.path(entry).is_file()
    assert entry["channel"] in ("market", "user", "rest")
    assert entry["event_types"] and all(isinstance(t, str) for t in entry["event_types"])
    assert entry["era"] in ("current", "old")
    assert ("old_because" in entry) == (entry["era"] == "old") == ("old_fields" in entry)
    if entry["era"] == "old":
        assert entry["old_because"].strip()
    assert entry["form"] in FORMS
    assert entry["notes"].strip()
    source = entry["source"]
    if source.get("repo"):
        assert source["path"] and COMMIT.match(source["commit"]), source
        assert source["url"].startswith("https://"), source
    else:
        # Docs pages, or a file the code index holds without naming its repository: `via`
        # says where exactly it was read.
        assert entry["form"] != "as-is", "an as-is copy needs its repo"
        assert source["via"].strip()
        assert source["url"] is None or source["url"].startswith(
            ("https://docs.polymarket.com/", "https://github.com/")
        )
    if entry["form"] in ("transcribed", "converted") or "provenance" in entry:
        assert entry["provenance"] in PROVENANCE
        assert (entry["provenance"] == "converted") == (entry["form"] == "converted")
    captured = entry["captured"]
    assert captured["date"].strip() and captured["evidence"].strip()


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_as_published_files_have_the_published_length(entry):
    """An as-is copy is byte for byte the published text (its length recorded at copy time)."""
    if entry["form"] not in ("as-is", "anonymised") and "published_chars" not in entry:
        pytest.skip("excerpt, transcription or docs example: no byte-for-byte published text")
    text = corpus.path(entry).read_text(encoding="utf-8")
    assert len(text) == entry["published_chars"]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_event_types_are_the_ones_in_the_file(entry):
    schema = entry.get("schema", "").removeprefix("rest_")
    kinds = {f.get("event_type", schema) for f in corpus.frames(entry)}
    assert kinds == set(entry["event_types"])


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_capture_date_agrees_with_the_frames(entry):
    """A dated capture's date is the date of its frames' millisecond timestamps."""
    date = entry["captured"]["date"]
    if not date[:4].isdigit():
        pytest.skip("undated (constructed upstream)")
    stamps = [f["timestamp"] for f in corpus.frames(entry) if len(f.get("timestamp", "")) == 13]
    if not stamps:
        pytest.skip("no millisecond timestamp in the frames")
    day = datetime.datetime.fromtimestamp(int(stamps[0]) / 1000, datetime.UTC).date()
    if entry["channel"] == "rest":
        return  # the book's timestamp is its last change, minutes before the capture
    assert date.startswith(day.isoformat())
