"""PASS/FAIL lines, the summary and the JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from .bounds import PRODUCTION, Bounds
from .scenarios import Verdict

__all__ = ["line", "summary", "write_json"]


def line(name: str, verdict: Verdict, width: int = 18) -> str:
    """'PASS  drop  (2.1 s)  after an abrupt drop ...' plus notes; names padded to `width`."""
    text = f"{verdict.status:<4}  {name:<{width}} ({verdict.seconds:5.1f} s)  {verdict.reason}"
    for note in verdict.notes:
        text += f"\n      {'':<{width}}          note: {note}"
    return text


def summary(results: dict[str, Verdict], out: TextIO, wall: float | None = None) -> None:
    """Counts, time (the wall time too when scenarios ran in parallel) and what failed."""
    counts = {s: sum(v.status == s for v in results.values()) for s in ("PASS", "FAIL", "SKIP")}
    total = sum(v.seconds for v in results.values())
    took = f"in {total:.1f} s"
    if wall is not None and wall < total * 0.95:
        took = f"in {wall:.1f} s ({total:.1f} s of scenarios in parallel)"
    failed = [name for name, v in results.items() if v.status == "FAIL"]
    unread = [name for name, v in results.items() if v.output_error]
    print(
        f"summary: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped "
        f"{took}"
        + (f"; failed: {', '.join(failed)}" if failed else "")
        + (f"; output not checked (fix the adapter): {', '.join(unread)}" if unread else ""),
        file=out,
    )


def write_json(
    path: Path, command: list[str], bounds: Bounds, results: dict[str, Verdict], extra: dict
) -> None:
    """The whole run as JSON (no secrets: reasons never quote the client's secrets)."""
    data: dict[str, Any] = {
        "command": command,
        "time_scale": bounds.scale,
        "floor_seconds": bounds.floor,
        "startup_seconds": bounds.startup,
        "exit_within_seconds": bounds.exit_within,
        "production": PRODUCTION,
        **extra,
        "scenarios": [
            {
                "name": name,
                "status": v.status,
                "reason": v.reason,
                "notes": v.notes,
                "seconds": round(v.seconds, 3),
                "output_error": v.output_error,
            }
            for name, v in results.items()
        ],
        "passed": sum(v.status == "PASS" for v in results.values()),
        "failed": sum(v.status == "FAIL" for v in results.values()),
        "skipped": sum(v.status == "SKIP" for v in results.values()),
    }
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
