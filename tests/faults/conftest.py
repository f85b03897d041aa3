"""Fault-matrix fixtures: every mock a test starts is checked afterwards for matrix row 11.

Row 11 (a PING before the subscription, which the real server closes with 1008) is not a fault
we inject but a rule the client must keep on every connection it ever opens, so it is asserted
from the mock's own records after every test of this folder rather than in one test.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from polymarket_mock import MockPolymarket

from tests.faults.rig import assert_subscribed_before_every_ping


@pytest.fixture
def mock_factory(mock_factory) -> Iterator[Callable[..., Any]]:
    """The shared in-loop mock factory, plus the row-11 check on every connection afterwards."""
    started: list[MockPolymarket] = []

    @contextlib.asynccontextmanager
    async def factory(**config: Any) -> AsyncIterator[MockPolymarket]:
        async with mock_factory(**config) as mock:
            started.append(mock)
            yield mock

    yield factory
    for mock in started:
        assert_subscribed_before_every_ping(mock)
