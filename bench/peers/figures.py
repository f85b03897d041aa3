"""Side-by-side rows: every client (ours, the bare loop, each peer) in a child process on the
same blaster stream, interleaved in a rotating order; peers' memory in fresh processes too.

A client that cannot run still gets its rows, with the reason instead of a figure.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import statistics
from collections.abc import Callable

from ..frames import OWNER, Blaster, build_stream
from ..report import Row
from ..stats import summarize
from ..throughput import target_label
from .launch import RunnerFailed, run_runner
from .specs import BARE
from .venvs import Readiness

__all__ = [
    "given_for",
    "last_results",
    "peer_memory_runs",
    "memory_rows",
    "side_by_side_throughput",
]


@functools.lru_cache(maxsize=16)
def _event_counts(stream: str, n: int, cycle: int) -> tuple[int, int]:
    """Events in the first n frames (an array frame holds several) and in the first frame."""
    counts = [
        len(value) if isinstance(value, list) else 1
        for value in map(json.loads, build_stream(stream, cycle).frames(n))
    ]
    return sum(counts), counts[0] if counts else 0


def given_for(blaster: Blaster, stream: str, n: int, cycle: int) -> dict:
    """What a runner reads on stdin: the assets and how many events the n frames hold."""
    expected, head = _event_counts(stream, n, cycle)
    return {
        "assets": blaster.assets[stream],
        "expected_events": expected,
        "head_events": head if head > 1 else 0,
        "owner": OWNER,
    }


def last_results(results: dict[str, list[dict]], field: str, unit: str) -> str:
    """A progress line's part: each client's latest `field` ("name 12,345/s"), or "name failed"."""
    return ", ".join(
        f"{name} {r[-1][field]:,.{1 if unit == ' MiB' else 0}f}{unit}"
        if "failed" not in r[-1]
        else f"{name} failed"
        for name, r in results.items()
        if r
    )


def _one(ready: Readiness, url: str, n: int, channel: str, mode: str, given: dict) -> dict:
    try:
        spec = ready.spec
        return run_runner(ready.python, spec.runner, url, n, channel, mode, given, spec.env)
    except RunnerFailed as error:
        return {"failed": str(error)}


def _facts(results: list[dict]) -> str:
    """What went wrong in some runs: failures, fewer events than sent, the peer's own drops."""
    facts = []
    failed = [r["failed"] for r in results if "failed" in r]
    if failed:
        facts.append(f"FAILED in {len(failed)} of {len(results)} runs ({failed[0]})")
    short = [r for r in results if "failed" not in r and r["events"] < r["expected_events"]]
    if short:
        worst = min(short, key=lambda r: r["events"])
        facts.append(
            f"FEWER EVENTS than sent in {len(short)} of {len(results)} runs (worst "
            f"{worst['events']} of {worst['expected_events']}; {worst.get('stopped', '')})"
        )
    dropped = sum(r.get("dropped", 0) or 0 for r in results if "failed" not in r)
    if dropped:
        facts.append(f"its queue dropped {dropped} events in all")
    undecoded = sum(r.get("decode_failures", 0) for r in results if "failed" not in r)
    if undecoded:
        first = next(r["first_failure"] for r in results if r.get("decode_failures"))
        facts.append(f"{undecoded} frames failed to decode ({first})")
    return " ".join(f"{fact}." for fact in facts)


def _version_note(results: list[dict]) -> str:
    ok = [r for r in results if "failed" not in r]
    if not ok:
        return ""
    return f" Version {ok[0]['version']}, Python {ok[0]['python']}."


def _status_row(key: str, figure: int, title: str, unit: str, status: str, note: str) -> Row:
    return Row(
        key=key, figure=figure, title=title, unit=unit, measured=None, status=status, note=note
    )


def side_by_side_throughput(
    blaster: Blaster,
    clients: list[Readiness],
    streams: list[tuple[str, str, str, int, int]],  # (key, stream, channel, frames, cycle)
    runs: int,
    progress: Callable[[str], None],
    inprocess: dict[str, float],
) -> tuple[list[Row], dict]:
    """Rows (figure 1) for ours and each peer against the bare runner of the same run."""
    ready = [c for c in clients if c.python is not None]
    rows, raw = [], {}
    for key, stream, channel, n, cycle in streams:
        given = given_for(blaster, stream, n, cycle)
        url = blaster.url(stream, n)
        results: dict[str, list[dict]] = {c.spec.name: [] for c in ready}
        for index in range(runs):
            shift = index % len(ready)
            for client in ready[shift:] + ready[:shift]:  # a rotating order: drift hits all alike
                results[client.spec.name].append(_one(client, url, n, channel, "throughput", given))
            progress(
                f"side by side {key} run {index + 1}/{runs}: "
                + last_results(results, "frames_per_s", "/s")
            )
        raw[key] = results
        bare = results.get(BARE.name, [])
        for client in clients:
            spec = client.spec
            if spec.name == BARE.name:
                continue
            row_key, title = f"peers.{key}.{spec.name}", f"side by side, {key}: {spec.label}"
            if client.python is None:
                rows.append(_status_row(row_key, 1, title, "msg/s", client.reason, spec.measures))
                continue
            mine = results[spec.name]
            pairs = [
                (m["frames_per_s"], b["frames_per_s"])
                for m, b in zip(mine, bare, strict=True)
                if "failed" not in m and "failed" not in b and m["frames_per_s"] > 0
            ]
            facts = _facts(mine)
            if not pairs:
                rows.append(
                    _status_row(row_key, 1, title, "msg/s", f"failed: {facts}", spec.measures)
                )
                continue
            note = f"{spec.measures}{_version_note(mine)} {facts}".strip()
            same = inprocess.get(f"{key}.{spec.name}")
            if same is not None:
                note += (
                    f" In the bench's own process the same client read {same:.2f} of the bare "
                    "loop (the throughput row above): child and in-process agree when the two "
                    "ratios are close."
                )
            decoder = {"ours": "json", "ours+orjson": "orjson"}.get(spec.name)
            ratio_label = "of bare"
            if decoder:
                median = statistics.median(m / b for m, b in pairs)
                ratio_label = target_label(key, decoder, median)
            rows.append(
                Row(
                    key=row_key,
                    figure=1,
                    title=title,
                    unit="msg/s",
                    measured=summarize([m for m, _ in pairs]),
                    reference=summarize([b for _, b in pairs]),
                    reference_label="bare runner, same runs",
                    ratio=summarize([m / b for m, b in pairs]),
                    ratio_label=ratio_label,
                    note=f"{n} frames a run, each client a fresh child process, rotating order. "
                    + note,
                )
            )
    return rows, raw


def peer_memory_runs(peers: list[Readiness], url: str, frames: int, given: dict) -> dict[str, dict]:
    """One memory run of every ready peer, two at a time (RSS does not depend on speed)."""
    ready = [p for p in peers if p.python is not None]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            p.spec.name: pool.submit(_one, p, url, frames, "market", "memory", given) for p in ready
        }
        return {name: future.result() for name, future in futures.items()}


def memory_rows(
    peers: list[Readiness], results: dict[str, list[dict]], bare_peaks: list[float], books: int
) -> list[Row]:
    """Rows (figure 6): each peer's peak RSS against the bare client's of the same run."""
    rows = []
    for peer in peers:
        spec = peer.spec
        key, title = (
            f"peers.memory.{spec.name}",
            f"memory: peak RSS, {books} books + burst: {spec.label}",
        )
        if peer.python is None:
            rows.append(_status_row(key, 6, title, "MiB", peer.reason, spec.measures))
            continue
        mine = results.get(spec.name, [])
        pairs = [
            (m["peak_rss_mib"], b)
            for m, b in zip(mine, bare_peaks, strict=False)
            if "failed" not in m
        ]
        facts = _facts(mine)
        if not pairs:
            rows.append(_status_row(key, 6, title, "MiB", f"failed: {facts}", spec.measures))
            continue
        ok = [m for m in mine if "failed" not in m]
        held = statistics.median(m.get("books_held", 0) for m in ok)
        after_dump = statistics.median(m["books_rss_mib"] for m in ok)
        rows.append(
            Row(
                key=key,
                figure=6,
                title=title,
                unit="MiB",
                measured=summarize([m for m, _ in pairs]),
                reference=summarize([b for _, b in pairs]),
                reference_label="bare client",
                ratio=summarize([m / b for m, b in pairs]),
                ratio_label="x bare",
                note=f"VmHWM of a fresh runner process; {held:.0f} books held at the end; RSS "
                f"once the dump was read {after_dump:.1f} MiB. {spec.measures}"
                f"{_version_note(mine)} {facts}".strip(),
            )
        )
    return rows
