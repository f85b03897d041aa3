"""Bounds in seconds of real time, derived from production intervals and the declared time scale.

A client run with ``--time-scale 0.1`` declares that every interval of its own is ten times
shorter than in production (PING every 1 s instead of 10 s, ...). Each bound here is a
production value times the scale, never below ``floor`` real seconds where it is an upper
bound (a process needs some real time to notice anything and to reconnect).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Bounds", "MEANING", "PRODUCTION", "SHORT_RETRY_AFTER"]

# Production figures the bounds start from (seconds unless said otherwise). Sources: the pack's
# connection-management page and the protocol reference (PING every 10 s; a dead link noticed
# by a 30 s PONG deadline; a stalled feed by 60 s without data; 429 waits 60 s or Retry-After).
# The 429 floor is the pack's choice (robust_ws.py: max(backoff, rate_limited_delay, Retry-After));
# nothing documents one. It is what makes a short or missing Retry-After safe: without a floor,
# a server that keeps answering 429 with "Retry-After: 1" (or none) gets a tight loop.
# The stall bound is 2x, not 1.5x: a client may probe one asset first (the pack's MarketFeed
# resubscribes one and waits its 30 s snapshot deadline before replacing the connection).
_FIGURES: tuple[tuple[str, float, str], ...] = (
    ("ping_max_gap", 15.0, "longest time without a PING (docs: every 10 s; 1.5x slack)"),
    ("ping_min_mean", 2.0, "PINGs closer than this on average are a flood"),
    ("heartbeat_window", 40.0, "how long PINGs are watched"),
    ("reconnect", 10.0, "drop or server close: subscribed again within this"),
    ("dead_link", 45.0, "no PONG: replaced within 1.5x a 30 s PONG deadline"),
    ("stall", 120.0, "data stops, PONG flows: replaced within 2x a 60 s data deadline"),
    ("missing_book", 45.0, "a first book missing: asked again within 1.5x a 30 s deadline"),
    ("loop_window", 60.0, "accept-then-close and bad credentials are watched this long"),
    ("loop_max", 20, "handshakes allowed per channel in that window (a count, not scaled)"),
    ("error_window", 30.0, "handshakes refused with 502/503/504 are watched this long"),
    ("error_max", 15, "handshakes allowed per channel in that window (a count, not scaled)"),
    ("recover", 45.0, "a fault cleared: subscribed again within 1.5x a 30 s backoff cap"),
    ("rate_limited", 60.0, "after 429, wait at least this, or Retry-After if longer"),
    ("quiet", 10.0, "bad or big frames: no reconnect, no crash for this long"),
    ("settle", 2.0, "wait after the client is ready before a fault"),
)
SHORT_RETRY_AFTER = 1  # whole seconds (RFC 9110 delay-seconds), so it cannot be scaled down
PRODUCTION: dict[str, float] = {name: value for name, value, _ in _FIGURES}
MEANING: dict[str, str] = {name: text for name, _, text in _FIGURES}


@dataclass(frozen=True)
class Bounds:
    """Every bound the scenarios use, from `scale` (client interval / production interval)."""

    scale: float = 1.0
    floor: float = 1.0
    startup: float = 15.0  # real seconds for the client process to start and subscribe
    exit_within: float = 5.0  # real seconds from SIGTERM/SIGINT to exit (not scaled)

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 10:
            raise ValueError("time scale must be in (0, 10]")

    def upper(self, name: str) -> float:
        """An upper bound: production value x scale, at least `floor` seconds."""
        return max(PRODUCTION[name] * self.scale, self.floor)

    def exact(self, name: str) -> float:
        """A scaled value without the floor (lower bounds, windows)."""
        return PRODUCTION[name] * self.scale

    def retry_after(self) -> int:
        """Retry-After (whole seconds) the 429 scenario sends: the production 60 s, scaled."""
        return max(1, math.ceil(self.exact("rate_limited")))

    def rate_limited_floor(self) -> float:
        """The least wait after a 429 whatever its Retry-After says (none, or shorter)."""
        return self.exact("rate_limited")

    def says(self, name: str, value: float | None = None) -> str:
        """How a bound was derived, for the output: '9.0 s (90 s x 0.1)'."""
        value = self.upper(name) if value is None else value
        prod = PRODUCTION[name]
        text = f"{value:.2f} s ({prod:g} s x {self.scale:g}"
        if value == self.floor and prod * self.scale < self.floor:
            text += f", floor {self.floor:g} s"
        return text + ")"
