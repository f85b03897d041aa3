"""Root conftest: registers the shared fixtures that every test folder uses."""

# Imported early on purpose: hypothesis' pytest plugin otherwise imports it at the terminal
# summary, where CPython 3.11.7 can fail with "AST constructor recursion depth mismatch".
import os

import hypothesis  # noqa: F401

# The pack's wire.py decodes with orjson when it is installed (it is, for the tests). The suite
# runs the standard library path, what a reader with websockets alone gets; the orjson path is
# run on purpose where it matters (tests/wire/test_json_decoders.py, test_corpus_pack.py).
os.environ.setdefault("POLYMARKET_JSON", "json")

pytest_plugins = [
    "tests.fixtures.mock",
    "tests.fixtures.pack",
    "tests.fixtures.venvs",
]
