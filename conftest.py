"""Root conftest: registers the shared fixtures that every test folder uses."""

pytest_plugins = [
    "tests.fixtures.mock",
    "tests.fixtures.pack",
]
