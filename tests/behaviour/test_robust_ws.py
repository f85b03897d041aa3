"""robust_ws.py (connection-management.md): RobustConnection against the mock, under looptime."""

from __future__ import annotations

import itertools

from robust_ws import FatalHandshakeError, RobustConnection, full_jitter


def test_full_jitter_stays_within_the_growing_cap():
    """Each delay is rng() times min(cap, base * factor**n)."""
    delays = list(itertools.islice(full_jitter(0.5, 2.0, 30.0, rng=lambda: 1.0), 8))
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert next(full_jitter(0.5, 2.0, 30.0, rng=lambda: 0.0)) == 0.0


def test_fatal_handshake_error_names_the_status():
    """A 401/403 refusal is reported with its status, not retried."""
    assert FatalHandshakeError(401, "user").status == 401
    assert "401" in str(FatalHandshakeError(401, "user"))
    assert not RobustConnection("ws://127.0.0.1:1", dict, print).connected
