"""The results: one table (printed and in Markdown), machine facts, and the files under results/.

Every row compares a measured figure with its best-possible reference from the same run and
gives their ratio, each as median [spread] over the runs.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pack import REPO_ROOT
from .stats import Summary

__all__ = ["Row", "machine_info", "render_table", "write_results", "fmt_value"]


@dataclass
class Row:
    """One line of the table: a measured figure, its reference, and measured/reference."""

    key: str  # stable id, e.g. "throughput.market_pc"
    figure: int
    title: str
    unit: str  # "msg/s", "ms", "MiB", "x", "s", "events/s"
    measured: Summary | None  # None: not measured, `status` says why (a peer not installed)
    reference: Summary | None = None
    reference_label: str = ""
    ratio: Summary | None = None
    ratio_label: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    status: str = ""

    @property
    def runs(self) -> int:
        return self.measured.runs if self.measured else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "figure": self.figure,
            "title": self.title,
            "unit": self.unit,
            "measured": self.measured.to_json() if self.measured else None,
            "status": self.status,
            "reference": self.reference.to_json() if self.reference else None,
            "reference_label": self.reference_label,
            "ratio": self.ratio.to_json() if self.ratio else None,
            "ratio_label": self.ratio_label,
            "note": self.note,
            "extra": self.extra,
        }


def fmt_value(value: float, unit: str) -> str:
    if unit in ("msg/s", "events/s", "frames/s"):
        return f"{value / 1000:.1f} k" if value >= 1000 else f"{value:.0f}"
    if unit == "ms":
        return f"{value:.2f}"
    if unit == "MiB":
        return f"{value:.1f}"
    if unit == "s":
        return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    if unit == "x":
        return f"{value:.0f}" if value >= 100 else f"{value:.2f}"
    return f"{value:.3g}"


def _cell(summary: Summary | None, unit: str) -> str:
    if summary is None:
        return "-"
    if summary.runs == 1 or summary.low == summary.high:
        return f"{fmt_value(summary.median, unit)} {unit}"
    low, high = fmt_value(summary.low, unit), fmt_value(summary.high, unit)
    return f"{fmt_value(summary.median, unit)} {unit} [{low}-{high}]"


def _ratio_cell(row: Row) -> str:
    if row.ratio is None:
        return "-"
    ratio = row.ratio
    text = f"{ratio.median:.2f}" if ratio.median < 100 else f"{ratio.median:.0f}"
    if ratio.runs > 1 and ratio.low != ratio.high:
        fmt = "{:.2f}" if ratio.median < 100 else "{:.0f}"
        text += f" [{fmt.format(ratio.low)}-{fmt.format(ratio.high)}]"
    return f"{text} {row.ratio_label}".strip()


def render_table(rows: list[Row]) -> str:
    """A Markdown table: medians with [min-max] over the runs."""
    lines = [
        "| # | measurement | measured | best possible / reference | ratio | runs |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        reference = _cell(row.reference, row.unit)
        if row.reference_label and row.reference is not None:
            reference = f"{reference} ({row.reference_label})"
        measured = _cell(row.measured, row.unit) if row.measured else row.status or "-"
        measured = measured.replace("|", "/")  # a reason quoting pip must not split the row
        lines.append(
            f"| {row.figure} | {row.title} | {measured} | {reference} "
            f"| {_ratio_cell(row)} | {row.runs} |"
        )
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return result.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _pack_fingerprint(pack_dir: Path) -> str:
    """SHA-1 over the documented modules measured, so a result names the pack it measured."""
    digest = hashlib.sha1()
    for path in sorted(pack_dir.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info(pack_dir: Path) -> dict[str, Any]:
    import websockets

    now = datetime.datetime.now(datetime.UTC)
    return {
        "date": now.strftime("%Y-%m-%d"),
        "time_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "websockets": websockets.__version__,
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
        "git_commit": _git_commit(),
        "pack_fingerprint": _pack_fingerprint(pack_dir),
    }


def write_results(
    out_dir: Path,
    rows: list[Row],
    machine: dict[str, Any],
    settings: dict[str, Any],
    profiles: dict[str, dict[str, Any]],
    wall_seconds: float,
) -> tuple[Path, Path]:
    """Write <date>-<host>.json and .md (plus one profile text per profiled mix)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{machine['date']}-{machine['host']}"
    machine = {**machine, "load_average_at_end": list(os.getloadavg())}
    for name, profile in profiles.items():
        (out_dir / f"{stem}-profile-{name}.txt").write_text(profile["text"], "utf-8")
    payload = {
        "machine": machine,
        "settings": settings,
        "wall_seconds": round(wall_seconds, 1),
        "rows": [row.to_json() for row in rows],
        "profiles": {k: {x: y for x, y in v.items() if x != "text"} for k, v in profiles.items()},
    }
    json_path = out_dir / f"{stem}.json"
    json_path.write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(_markdown(rows, machine, settings, profiles, wall_seconds, stem), "utf-8")
    return json_path, md_path


FINDINGS = Path(__file__).resolve().parent / "findings.md"


def _findings(measured: str) -> list[str]:
    """The hand-written interpretation (findings.md), flagged if it was written for other code."""
    if not FINDINGS.is_file():
        return []
    header, _, body = FINDINGS.read_text("utf-8").partition("\n")
    written_for = header.partition(":")[2].strip()
    parts = ["", "## Findings: why, and what the pack should change", ""]
    if written_for != measured:
        parts += [
            f"> Written for pack modules {written_for}; this run measured {measured}. The "
            "pages changed since: re-check these statements against the table above.",
            "",
        ]
    return parts + [body.strip()]


def _markdown(rows, machine, settings, profiles, wall_seconds, stem) -> str:
    load_start = ", ".join(f"{x:.2f}" for x in machine["load_average_at_start"])
    load_end = ", ".join(f"{x:.2f}" for x in machine["load_average_at_end"])
    parts = [
        f"# Bench {machine['date']} on {machine['host']}",
        "",
        f"{machine['cpu_model']}, {machine['cores']} cores, {machine['implementation']} "
        f"{machine['python']}, websockets {machine['websockets']}, commit "
        f"{machine['git_commit']}, pack modules {machine['pack_fingerprint']}, "
        f"{machine['time_utc']}. Load average at start {load_start}; at end {load_end}. "
        f"Whole run {wall_seconds:.0f} s. Settings: "
        + ", ".join(f"{k}={v}" for k, v in settings.items() if k != "client_log_lines")
        + ". WARNING lines from the pack and the mock during the run: "
        + (", ".join(f"{k} {v}" for k, v in settings["client_log_lines"].items()) or "none")
        + " (the stall figure logs one per stall by design).",
        "",
        "Medians over the runs, [min-max] in brackets. The machine is shared: read the ratios "
        "(measured in the same run, interleaved), not the absolute numbers.",
        "",
        render_table(rows),
        "",
        "## Notes per row",
        "",
    ]
    for row in rows:
        if row.note:
            parts.append(f"- **{row.title}**: {row.note}")
    parts += _findings(machine["pack_fingerprint"])
    if profiles:
        parts += ["", "## Where the documented clients spend their time (pyinstrument)", ""]
        for name, profile in profiles.items():
            parts.append(
                f"### {name}: {profile['ratio']:.2f} of the bare loop "
                f"(full tree: `{stem}-profile-{name}.txt`)"
            )
            parts += ["", "| layer | share of samples |", "|---|---|"]
            for layer, share in profile["layers"]:
                parts.append(f"| {layer} | {share:.0%} |")
            parts += ["", "| function (self time) | share |", "|---|---|"]
            for function, share in profile["functions"]:
                parts.append(f"| `{function}` | {share:.0%} |")
            parts.append("")
    return "\n".join(parts) + "\n"
