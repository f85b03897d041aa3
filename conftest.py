"""Root conftest: registers the shared fixtures that every test folder uses."""

# Imported early on purpose: hypothesis' pytest plugin otherwise imports it at the terminal
# summary, where CPython 3.11.7 can fail with "AST constructor recursion depth mismatch".
import hypothesis  # noqa: F401

pytest_plugins = [
    "tests.fixtures.mock",
    "tests.fixtures.pack",
    "tests.fixtures.venvs",
]
