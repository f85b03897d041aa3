"""pytest plugin (`-p bench.looptime_probe`): how much loop time each looptime test covers.

For every test that runs with looptime's fake clock, it records the loop time the test
advanced and the real seconds the test body took, and writes the totals as one JSON line to
the file named by BENCH_LOOPTIME_OUT (or prints it) at the end of the session. Hypothesis does
not shrink failures in this run (see `_no_shrinking`).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

__all__ = ["pytest_pyfunc_call", "pytest_sessionfinish"]

_totals: dict[str, Any] = {"tests": 0, "loop_seconds": 0.0, "real_seconds": 0.0, "slowest": []}


def _no_shrinking() -> None:
    """A failing hypothesis test fails at once here: shrinking it is debugging, not what the
    bench measures, and it has taken minutes. Tests' own @settings still set everything else."""
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    phases = (Phase.explicit, Phase.reuse, Phase.generate)
    settings.register_profile("bench-no-shrink", phases=phases, database=None)
    settings.load_profile("bench-no-shrink")


_no_shrinking()


def _running_loop(item: pytest.Function) -> Any:
    policy = item.funcargs.get("event_loop_policy")
    if policy is None:
        return None
    try:
        return policy.get_event_loop()
    except RuntimeError:
        return None


# trylast: inside looptime's own wrapper, so its fake clock is already switched on.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    loop = _running_loop(pyfuncitem)
    if not getattr(loop, "looptime_on", False):
        return (yield)
    loop_start, real_start = loop.time(), time.perf_counter()
    try:
        return (yield)
    finally:
        real = time.perf_counter() - real_start
        simulated = loop.time() - loop_start
        _totals["tests"] += 1
        _totals["loop_seconds"] += simulated
        _totals["real_seconds"] += real
        _totals["slowest"].append((real, simulated, pyfuncitem.nodeid))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _totals["slowest"] = sorted(_totals["slowest"], reverse=True)[:5]
    _totals["exitstatus"] = int(exitstatus)
    line = json.dumps(_totals)
    target = os.environ.get("BENCH_LOOPTIME_OUT")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            out.write(line + "\n")
    else:
        print(line)
