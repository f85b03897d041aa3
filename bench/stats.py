"""Summaries of repeated measurements: median and spread, never a single run."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

__all__ = ["Summary", "summarize", "percentile"]


@dataclass(frozen=True)
class Summary:
    """Median, quartiles and range of several runs of one measurement."""

    median: float
    q1: float
    q3: float
    low: float
    high: float
    runs: int

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def percentile(values: list[float], fraction: float) -> float:
    """Linear-interpolated percentile (fraction in [0, 1]) of a non-empty list."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def summarize(values: list[float]) -> Summary:
    """Median, IQR and min-max of the runs (all equal to the value for a single run)."""
    if not values:
        raise ValueError("no measurements to summarize")
    return Summary(
        median=statistics.median(values),
        q1=percentile(values, 0.25),
        q3=percentile(values, 0.75),
        low=min(values),
        high=max(values),
        runs=len(values),
    )
