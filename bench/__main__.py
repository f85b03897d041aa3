"""`python -m bench`: measure every figure, print the table, write bench/results/<date>-<host>.*

python -m bench            # the full bench (what `make bench` runs; a few minutes)
python -m bench --quick    # smaller sizes, same rows
python -m bench --smoke    # tiny sizes, for the test suite (seconds; not for reading)

Peers (other Polymarket clients) run side by side in their own venvs, built on first use:
python -m bench --peers official,nautilus   # choose them (default: all; "none" for none)
python -m bench --no-install                # never install; missing peers show as such
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import frames as frames_module
from .frames import Blaster
from .mock_ceiling import MockProcess, ceiling_sample
from .pack import install_pack_modules
from .peers.specs import BARE, OURS, OURS_ORJSON, PEERS
from .peers.venvs import Readiness, prepare
from .report import Row, machine_info, render_table, write_results
from .stats import summarize

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FIGURES = ("throughput", "reconnect", "stall", "suite", "ceiling", "memory", "scale")


@dataclass(frozen=True)
class Sizes:
    """How much each figure measures; every figure runs `runs` times unless noted."""

    runs: int = 5
    frames: int = 20_000  # market frames per throughput run
    user_frames: int = 20_000  # user frames per throughput run (8 000 gave a wide spread)
    handler_frames: int = 6_000  # frames for the no-socket handler timing
    growth_frames: int = 24_000  # user frames for the cost-growth row
    drops: int = 100  # aborts per reconnect run
    stalls: int = 3  # stalls per stall run
    ceiling_window: float = 0.5  # seconds of delivery per mock-ceiling run
    ceiling_subscribers: tuple[int, ...] = (1, 50)
    memory_runs: int = 5
    memory_burst: int = 100_000
    suite: str = "tests/behaviour,tests/faults"  # "" = a synthetic looptime test (smoke)
    cycle_scale: float = 1.0  # length of the blaster's generated cycles
    profile: bool = True
    profile_limit: int = 3  # at most this many mixes profiled
    peer_runs: int = 0  # side-by-side runs (every client a child process); 0 = `runs`
    scale_frames: int = 15_000  # frames per scale run, in all connections together


PRESETS = {
    "full": Sizes(),
    "quick": Sizes(
        frames=5_000,
        user_frames=3_000,
        handler_frames=3_000,
        growth_frames=8_000,
        drops=40,
        stalls=2,
        ceiling_window=0.3,
        memory_burst=20_000,
        suite="tests/faults",
        cycle_scale=0.5,
        scale_frames=6_000,
    ),
    "smoke": Sizes(
        runs=2,
        frames=1_200,
        user_frames=600,
        handler_frames=600,
        growth_frames=600,
        drops=10,
        stalls=1,
        ceiling_window=0.1,
        ceiling_subscribers=(1, 50),
        memory_runs=1,
        memory_burst=1_000,
        suite="",
        cycle_scale=0.1,
        profile_limit=1,
        peer_runs=1,  # five child processes a run per stream: keeps smoke well under a minute
        scale_frames=600,
    ),
}


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    elapsed = time.perf_counter() - _STARTED
    print(f"bench [{elapsed:5.1f}s] {message}", file=sys.stderr, flush=True)


class _CountingHandler(logging.Handler):
    """Counts the pack's and the mock's WARNING+ log lines instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.name} {record.levelname}"
        self.counts[key] += 1
        self.examples.setdefault(key, record.getMessage()[:160])


def _quiet_logs() -> _CountingHandler:
    handler = _CountingHandler()
    for name in ("polymarket", "polymarket_mock"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)  # INFO is where the lifecycle lines are: formatted, dropped
    return handler


# -- figure 1 ---------------------------------------------------------------------------------


def bench_throughput(blaster: Blaster, sizes: Sizes, rows: list[Row], raw: dict) -> dict:
    from .throughput import (
        MIXES,
        ORJSON_MISSING,
        bare_rate,
        documented_rate,
        handler_rates,
        orjson_installed,
        target_label,
    )

    with_orjson = orjson_installed()
    ratios_by_mix = {}
    for mix in MIXES:
        n = sizes.user_frames if mix.client == "user" else sizes.frames
        # Each run: the bare loop, the documented client on the standard library decoder and,
        # if installed, on orjson; the order rotates from run to run so drift hits all alike.
        sides = ["bare", "json"] + (["orjson"] if with_orjson else [])
        rates: dict[str, list[float]] = {side: [] for side in sides}

        async def one(side: str, n: int, mix=mix) -> float:
            if side == "bare":
                return await bare_rate(blaster, mix.stream, n)
            return await documented_rate(blaster, mix, n, decoder=side)

        async def run(index: int, n: int = n, sides=sides) -> dict[str, float]:
            shift = index % len(sides)
            return {side: await one(side, n) for side in sides[shift:] + sides[:shift]}

        asyncio.run(run(0, max(200, n // 10)))  # warm-up, not counted
        for index in range(sizes.runs):
            for side, rate in asyncio.run(run(index)).items():
                rates[side].append(rate)
            progress(
                f"throughput {mix.key} run {index + 1}/{sizes.runs}: "
                + ", ".join(
                    f"{'bare' if side == 'bare' else 'documented ' + side} {r[-1]:,.0f}/s"
                    for side, r in rates.items()
                )
            )
        bare, documented = rates["bare"], rates["json"]
        ratios = [d / b for d, b in zip(documented, bare, strict=True)]
        ratios_by_mix[mix.key] = (statistics.median(ratios), mix, n)
        raw[f"throughput.{mix.key}"] = {"frames": n, **rates}
        kinds = ", ".join(f"{k} {v}" for k, v in blaster.kinds[mix.stream].items())
        source = f"{n} frames a run over loopback from the frame blaster; cycle of {kinds}."
        rows.append(
            Row(
                key=f"throughput.{mix.key}",
                figure=1,
                title=f"throughput: {mix.label}",
                unit="msg/s",
                measured=summarize(documented),
                reference=summarize(bare),
                reference_label="bare recv+json.loads",
                ratio=summarize(ratios),
                ratio_label=target_label(mix.key, "json", statistics.median(ratios)),
                note=f"decoder: json (standard library; wire.use_json('json')). {source}",
            )
        )
        key, title = f"throughput.{mix.key}.orjson", f"throughput + orjson: {mix.label}"
        if not with_orjson:
            rows.append(
                Row(key=key, figure=1, title=title, unit="msg/s", measured=None,
                    status=ORJSON_MISSING, note="the pack's optional fast path (wire.use_json).")
            )  # fmt: skip
            continue
        fast = rates["orjson"]
        fast_ratios = [f / b for f, b in zip(fast, bare, strict=True)]
        rows.append(
            Row(
                key=key,
                figure=1,
                title=title,
                unit="msg/s",
                measured=summarize(fast),
                reference=summarize(bare),
                reference_label="bare recv+json.loads, same runs",
                ratio=summarize(fast_ratios),
                ratio_label=target_label(mix.key, "orjson", statistics.median(fast_ratios)),
                note="decoder: orjson (wire.use_json('orjson')); the same documented client, "
                "interleaved with the standard-library row above and the same bare loop "
                f"(which keeps json.loads). {source}",
            )
        )
    for mix in MIXES:
        handler, parse_only, growth = [], [], []
        for _ in range(sizes.runs):
            d, p, _ = handler_rates(mix, sizes.handler_frames, _cycle(mix.stream, sizes))
            handler.append(d)
            parse_only.append(p)
            if mix.client == "user":
                _, _, g = handler_rates(mix, sizes.growth_frames, _cycle(mix.stream, sizes))
                growth.append(g)
        raw[f"handler.{mix.key}"] = {"documented": handler, "json_loads": parse_only}
        ratios = [d / p for d, p in zip(handler, parse_only, strict=True)]
        us = statistics.median(handler)
        rows.append(
            Row(
                key=f"handler.{mix.key}",
                figure=1,
                title=f"handler only, no socket: {mix.label}",
                unit="msg/s",
                measured=summarize(handler),
                reference=summarize(parse_only),
                reference_label="json.loads",
                ratio=summarize(ratios),
                ratio_label="of json.loads",
                note=f"{1e6 / us:.1f} us per frame in the documented handler "
                f"({sizes.handler_frames} frames, no socket, no event-loop I/O); decoder: json "
                "(standard library).",
            )
        )
        if mix.client == "user":
            rows.append(
                Row(
                    key="handler.user_growth",
                    figure=1,
                    title="user handler: cost of the last quarter vs the first",
                    unit="x",
                    measured=summarize(growth),
                    ratio=summarize(growth),
                    ratio_label="(flat = 1.0)",
                    note=f"handler time per frame over the last 25 % of a {sizes.growth_frames}"
                    "-frame user stream divided by the first 25 %; above 1 means the per-event "
                    "cost grows with the session's history.",
                )
            )
    return ratios_by_mix


# -- figure 2 ---------------------------------------------------------------------------------


def bench_reconnect(sizes: Sizes, rows: list[Row], raw: dict) -> None:
    from .reconnect import RECONNECT_MARKETS, outage_samples, p50_p99

    results: dict[str, list[tuple[float, float]]] = {"documented": [], "bare": []}
    asyncio.run(outage_samples("documented", 3))  # warm-up
    for index in range(sizes.runs):
        order = ("documented", "bare") if index % 2 == 0 else ("bare", "documented")
        for client in order:
            samples = asyncio.run(outage_samples(client, sizes.drops))
            results[client].append(tuple(x * 1000 for x in p50_p99(samples)))
        progress(
            f"reconnect run {index + 1}/{sizes.runs}: documented p50 "
            f"{results['documented'][-1][0]:.2f} ms, bare {results['bare'][-1][0]:.2f} ms"
        )
    raw["reconnect"] = results
    for position, label in ((0, "p50"), (1, "p99")):
        doc = [r[position] for r in results["documented"]]
        bare = [r[position] for r in results["bare"]]
        rows.append(
            Row(
                key=f"reconnect.{label}",
                figure=2,
                title=f"reconnect outage {label}",
                unit="ms",
                measured=summarize(doc),
                reference=summarize(bare),
                reference_label="bare websockets loop",
                ratio=summarize([d / b for d, b in zip(doc, bare, strict=True)]),
                ratio_label="x bare",
                note=f"abort -> first frame of the new session; {sizes.drops} drops a run, mock in "
                f"the same loop, {2 * RECONNECT_MARKETS}-asset subscription and dump; "
                "RobustConnection with rng=lambda: 0.0 (no backoff delay).",
            )
        )


# -- figure 3 ---------------------------------------------------------------------------------


def bench_stall(sizes: Sizes, rows: list[Row], raw: dict) -> None:
    from .stall import CHECK_INTERVAL, DATA_TIMEOUT, stall_samples

    samples = []
    for index in range(sizes.runs):
        samples += asyncio.run(stall_samples(sizes.stalls, seed=index))
        progress(
            f"stall run {index + 1}/{sizes.runs}: last "
            f"{samples[-1].reconnected * 1000:.0f} ms to reconnect"
        )
    raw["stall"] = [list(s) for s in samples]
    threshold = DATA_TIMEOUT * 1000
    allowed = (DATA_TIMEOUT + CHECK_INTERVAL) / DATA_TIMEOUT
    reconnected = [s.reconnected * 1000 for s in samples]
    rows.append(
        Row(
            key="stall.reconnect",
            figure=3,
            title="stall: last data -> reconnected",
            unit="ms",
            measured=summarize(reconnected),
            reference=summarize([threshold]),
            reference_label="data_timeout",
            ratio=summarize([r / threshold for r in reconnected]),
            ratio_label=f"of threshold (design: 1-{allowed:.2f} + reconnect)",
            note=f"real time, data_timeout {DATA_TIMEOUT} s, check_interval {CHECK_INTERVAL} s, "
            "PONGs flowing through the stall; each stall is one sample.",
        )
    )
    detected = [s.detected * 1000 for s in samples if s.detected is not None]
    if detected:
        rows.append(
            Row(
                key="stall.detect",
                figure=3,
                title="stall: last data -> stall detected",
                unit="ms",
                measured=summarize(detected),
                reference=summarize([threshold]),
                reference_label="data_timeout",
                ratio=summarize([d / threshold for d in detected]),
                ratio_label=f"of threshold (design: 1-{allowed:.2f})",
                note="to the loop time of the documented 'stall' warning line "
                "(logger polymarket.ws).",
            )
        )


# -- figure 4 ---------------------------------------------------------------------------------

_SYNTHETIC_TEST = '''
import asyncio
import pytest

@pytest.mark.looptime
async def test_an_hour_passes():
    """Sleeps one simulated hour."""
    await asyncio.sleep(3600)

@pytest.mark.looptime
async def test_a_minute_passes():
    """Sleeps one simulated minute."""
    await asyncio.sleep(60)

async def test_real_time_is_not_counted():
    """Runs without looptime: not a looptime test."""
    await asyncio.sleep(0)
'''


def bench_suite(sizes: Sizes, rows: list[Row], raw: dict) -> None:
    from .pack import REPO_ROOT
    from .suite import run_suite

    if sizes.suite:
        totals = run_suite(tuple(sizes.suite.split(",")))
        label = sizes.suite.replace(",", " ")
    else:
        with tempfile.TemporaryDirectory(prefix="bench_synthetic_") as folder:
            (Path(folder) / "test_synthetic_looptime.py").write_text(_SYNTHETIC_TEST, "utf-8")
            config = ("-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", folder)
            totals = run_suite((folder,), config)
        label = "a synthetic looptime test file (smoke)"
    raw["suite"] = totals
    progress(
        f"suite: {totals['loop_seconds']:.0f} s simulated in "
        f"{totals['real_seconds']:.1f} s real ({totals['summary']})"
    )
    real = max(totals["real_seconds"], 1e-9)
    rows.append(
        Row(
            key="suite.compression",
            figure=4,
            title="suite compression (looptime tests)",
            unit="s",
            measured=summarize([totals["loop_seconds"]]),
            reference=summarize([real]),
            reference_label="real seconds",
            ratio=summarize([totals["loop_seconds"] / real]),
            ratio_label="x (simulated/real)",
            note=f"{totals['tests']} looptime tests in {label}; whole pytest run "
            f"{totals['wall_seconds']:.1f} s wall ({totals['summary']}). One suite run (it is the "
            "slowest figure); per-test detail in the JSON.",
            extra={"slowest": totals.get("slowest", [])},
        )
    )


# -- figure 5 ---------------------------------------------------------------------------------


def bench_ceiling(sizes: Sizes, rows: list[Row], raw: dict) -> None:
    results: dict[int, list] = {k: [] for k in sizes.ceiling_subscribers}
    with MockProcess() as mock:

        async def one(k: int):
            return await ceiling_sample(mock, k, sizes.ceiling_window)

        asyncio.run(one(1))  # warm-up
        for index in range(sizes.runs):
            for k in sizes.ceiling_subscribers:
                results[k].append(asyncio.run(one(k)))
            progress(
                f"mock ceiling run {index + 1}/{sizes.runs}: "
                + ", ".join(f"{k} sub: {results[k][-1].per_subscriber:,.0f}/s" for k in results)
            )
    raw["ceiling"] = {str(k): [list(s) for s in v] for k, v in results.items()}
    for k, samples in results.items():
        per_sub = [s.per_subscriber for s in samples]
        per_cpu = [s.total / s.mock_cpu / k for s in samples if s.mock_cpu > 0]
        cpu = statistics.median(s.mock_cpu for s in samples)
        rows.append(
            Row(
                key=f"ceiling.{k}",
                figure=5,
                title=f"mock ceiling, {k} subscriber{'s' if k > 1 else ''} (events/s each)",
                unit="events/s",
                measured=summarize(per_sub),
                reference=summarize(per_cpu) if per_cpu else None,
                reference_label="per mock CPU-second",
                ratio=summarize([s.mock_cpu for s in samples]),
                ratio_label="mock CPU share",
                note=f"mock alone in a child process, activity_interval=0, 2 markets; "
                f"total {statistics.median(s.total for s in samples):,.0f} frames/s; the mock used "
                f"{cpu:.0%} of a core (about 100 % means the mock is the limit; less, the machine "
                "or the subscribers). Per CPU-second is the figure to plan load tests with.",
            )
        )


# -- figure 6 ---------------------------------------------------------------------------------


def bench_memory(
    blaster: Blaster, sizes: Sizes, rows: list[Row], raw: dict, peers: list[Readiness]
) -> None:
    from .memory import MEMORY_ASSETS_STREAM, memory_pair
    from .peers.figures import given_for, last_results, memory_rows, peer_memory_runs

    total = sizes.memory_burst + 1
    url = blaster.url(MEMORY_ASSETS_STREAM, total)
    assets = blaster.assets[MEMORY_ASSETS_STREAM]
    given = given_for(blaster, MEMORY_ASSETS_STREAM, total, _cycle(MEMORY_ASSETS_STREAM, sizes))
    results: dict[str, list[dict]] = {"documented": [], "bare": []}
    peer_results: dict[str, list[dict]] = {p.spec.name: [] for p in peers}
    for index in range(sizes.memory_runs):
        for client, sample in memory_pair(url, assets, sizes.memory_burst).items():
            results[client].append(sample)
        for name, sample in peer_memory_runs(peers, url, total, given).items():
            peer_results[name].append(sample)
        progress(
            f"memory run {index + 1}/{sizes.memory_runs}: documented peak "
            f"{results['documented'][-1]['peak_mib']:.1f} MiB, bare "
            f"{results['bare'][-1]['peak_mib']:.1f} MiB"
            + (", " if any(peer_results.values()) else "")
            + last_results(peer_results, "peak_rss_mib", " MiB")
        )
    raw["memory"] = results
    raw["peers.memory"] = peer_results
    doc, bare = results["documented"], results["bare"]
    held = statistics.median(r["books_held"] for r in doc)
    decoder = "/".join(sorted({r.get("json_decoder", "?") for r in doc}))
    heap = statistics.median(r["heap_mib"] for r in doc)
    floor = statistics.median(r["floor_mib"] for r in doc)
    for key, title, note in (
        (
            "books_mib",
            f"RSS holding {len(assets)} books",
            f"{held:.0f} books in place, 20 levels a side; the documented client's Python heap "
            f"then held {heap:.1f} MiB (tracemalloc); RSS after imports {floor:.1f} MiB.",
        ),
        (
            "peak_mib",
            f"peak RSS after a {sizes.memory_burst:,}-frame burst",
            "peak (VmHWM) of a fresh process per run; bare = recv + json.loads, keeps nothing.",
        ),
    ):
        d, b = [r[key] for r in doc], [r[key] for r in bare]
        rows.append(
            Row(
                key=f"memory.{key.removesuffix('_mib')}",
                figure=6,
                title=f"memory: {title}",
                unit="MiB",
                measured=summarize(d),
                reference=summarize(b),
                reference_label="bare client",
                ratio=summarize([x / y for x, y in zip(d, b, strict=True)]),
                ratio_label="x bare",
                note=f"{note} Decoder: {decoder} (POLYMARKET_JSON=json).",
            )
        )
    bare_peaks = [r["peak_mib"] for r in bare]
    rows += memory_rows(peers, peer_results, bare_peaks, len(assets))


def bench_side_by_side(
    blaster: Blaster,
    sizes: Sizes,
    rows: list[Row],
    raw: dict,
    clients: list[Readiness],
    inprocess: dict[str, float],
) -> None:
    from .peers.figures import side_by_side_throughput
    from .throughput import MIXES

    streams = []
    for mix in MIXES:
        n = sizes.user_frames if mix.client == "user" else sizes.frames
        streams.append((mix.key, mix.stream, mix.client, n, _cycle(mix.stream, sizes)))
    new_rows, results = side_by_side_throughput(
        blaster, clients, streams, sizes.peer_runs or sizes.runs, progress, inprocess
    )
    rows += new_rows
    raw["peers.throughput"] = results


# -- figure 7 ---------------------------------------------------------------------------------


SOURCE_LIMITED = 0.8  # a rate within this share of its source's ceiling may be the source's


def bench_scale(sizes: Sizes, rows: list[Row], raw: dict) -> None:
    from .frames import SHARD_SIZE, SHARDED
    from .scale import (
        SCALE_STREAMS,
        connections,
        handler_us_per_frame,
        pack_sample,
        source_sample,
    )

    plan = {s: max(1, sizes.scale_frames // connections(s)) for s in SCALE_STREAMS}
    wanted = [(s, n, _cycle(s, sizes)) for s, n in plan.items()]
    wanted += [(s, max(100, n // 10), _cycle(s, sizes)) for s, n in plan.items()]
    progress(f"scale: preparing {', '.join(SCALE_STREAMS)} in a frame blaster of its own")
    results: dict[str, dict[str, list]] = {s: {"pack": [], "source": []} for s in SCALE_STREAMS}
    with Blaster(wanted) as blaster:
        for stream in SCALE_STREAMS:  # warm-up, not counted
            asyncio.run(pack_sample(blaster, stream, max(100, plan[stream] // 10)))
        for index in range(sizes.runs):
            shift = index % len(SCALE_STREAMS)
            for stream in SCALE_STREAMS[shift:] + SCALE_STREAMS[:shift]:
                n = plan[stream]
                results[stream]["pack"].append(asyncio.run(pack_sample(blaster, stream, n)))
                results[stream]["source"].append(asyncio.run(source_sample(blaster, stream, n)))
            progress(
                f"scale run {index + 1}/{sizes.runs}: "
                + ", ".join(
                    f"{SHARDED[s]} assets {r['pack'][-1].frames_per_s:,.0f}/s "
                    f"{r['pack'][-1].cpu_us_per_frame:.1f} us/frame "
                    f"(source {r['source'][-1].frames_per_s:,.0f}/s)"
                    for s, r in results.items()
                )
            )
        shards = blaster.shards
    handler: dict[str, list[float]] = {s: [] for s in SCALE_STREAMS}
    for index in range(sizes.runs):  # in process, after the socket runs: no blaster needed
        shift = index % len(SCALE_STREAMS)
        for stream in SCALE_STREAMS[shift:] + SCALE_STREAMS[:shift]:
            cycle = _cycle(stream, sizes)
            handler[stream].append(handler_us_per_frame(stream, plan[stream], cycle))
    progress(
        "scale, handler alone: "
        + ", ".join(
            f"{SHARDED[s]} assets {statistics.median(v):.1f} us/frame" for s, v in handler.items()
        )
    )
    raw["scale.handler_us_per_frame"] = handler
    raw["scale"] = {
        s: {k: [list(x.__dict__.values()) for x in v] for k, v in r.items()}
        for s, r in results.items()
    }
    raw["scale.shards"] = shards
    mock = _mock_ceiling_text(rows)
    base = [x.cpu_us_per_frame for x in results[SCALE_STREAMS[0]]["pack"]]
    base_event = [
        x.cpu_us_per_frame * x.frames / max(1, x.events) for x in results[SCALE_STREAMS[0]]["pack"]
    ]
    for stream in SCALE_STREAMS:
        pack, source = results[stream]["pack"], results[stream]["source"]
        count, conns = SHARDED[stream], connections(stream)
        rate = [x.frames_per_s for x in pack]
        ceiling = [x.frames_per_s for x in source]
        cpu = [x.cpu_us_per_frame for x in pack]
        per_event = statistics.median(x.events / x.frames for x in pack)
        us_event = [x.cpu_us_per_frame * x.frames / max(1, x.events) for x in pack]
        event_ratio = statistics.median(e / b for e, b in zip(us_event, base_event, strict=True))
        share = statistics.median(rate) / statistics.median(ceiling)
        alone = statistics.median(handler[stream])
        alone_ratio = alone / statistics.median(handler[SCALE_STREAMS[0]])
        limited = (
            f"MAY BE SOURCE-LIMITED: {share:.0%} of the blaster's ceiling. "
            if share >= SOURCE_LIMITED
            else f"{share:.0%} of the blaster's ceiling: not source-limited. "
        )
        groups = shards.get(stream, [])
        composition = "; ".join(
            f"{g['assets']} assets: cycle of {g['cycle']} frames ("
            + ", ".join(f"{k} {v}" for k, v in g["kinds"].items())
            + ")"
            for g in groups
            if g["cycle"] >= 100  # the warm-up's parts are the same groups
        )
        how = (
            f"MarketFeedPool, {conns} connections of at most {SHARD_SIZE} assets "
            "(max_per_connection=200, stagger=0: opened at once)"
            if conns > 1
            else "MarketFeedPool of one MarketFeed (stagger=0)"
        )
        rows.append(
            Row(
                key=f"scale.{count}",
                figure=7,
                title=f"scale: {count} asset{'s' if count > 1 else ''}, {conns} connection"
                f"{'s' if conns > 1 else ''} (frames/s in all)",
                unit="msg/s",
                measured=summarize(rate),
                reference=summarize(ceiling),
                reference_label="blaster to a do-nothing reader, same shards",
                ratio=summarize([c / b for c, b in zip(cpu, base, strict=True)]),
                ratio_label=f"CPU/frame vs 1 asset (flat = 1.0; {statistics.median(cpu):.1f} us)",
                note=f"{statistics.median(cpu):.1f} us of client CPU per frame "
                f"[{min(cpu):.1f}-{max(cpu):.1f}] (process CPU time / frames); {per_event:.2f} "
                "events a frame (one per book, one per price_change entry: a 1-asset client "
                "gets 1 entry per price_change where a market's both assets get 2, and fewer "
                f"book frames, so part of any rise from the 1-asset row is the mix); "
                f"{statistics.median(us_event):.1f} us per event, {event_ratio:.2f}x the "
                f"1-asset row's. Handler alone, no socket, the same frames: {alone:.1f} us "
                f"a frame, {alone_ratio:.2f}x the 1-asset row's (the rest of the rise is the "
                f"transport: more connections, more event-loop wake-ups). {how}; "
                f"{plan[stream]} frames a connection a run, each connection fed only its own "
                f"assets' frames by the frame blaster (not the mock). Decoder: json (standard "
                f"library). {limited}{mock} Streams: {composition}.",
                extra={
                    "cpu_us_per_frame": summarize(cpu).to_json(),
                    "handler_us_per_frame": summarize(handler[stream]).to_json(),
                    "connections": conns,
                },
            )
        )


def _mock_ceiling_text(rows: list[Row]) -> str:
    ceilings = {row.key: row for row in rows if row.key.startswith("ceiling.")}
    if not ceilings:
        return "The mock's ceiling (figure 5) was not measured in this run."
    parts = [
        f"{row.key.split('.')[1]} subscriber(s) {row.measured.median:,.0f} events/s each"
        for row in ceilings.values()
        if row.measured
    ]
    return (
        "These rows read the frame blaster, not the mock; the mock's own ceiling (figure 5) is "
        + ", ".join(parts)
        + ", far below these rates: a load test through the mock is limited by the mock."
    )


# -- main -------------------------------------------------------------------------------------


def _blaster_sizes(sizes: Sizes, figures: set[str]) -> list[tuple[str, int, int]]:
    from .memory import MEMORY_ASSETS_STREAM
    from .throughput import MIXES

    wanted = []
    if "throughput" in figures:
        for mix in MIXES:
            n = sizes.user_frames if mix.client == "user" else sizes.frames
            wanted += [(mix.stream, n), (mix.stream, max(200, n // 10))]
    if "memory" in figures:
        wanted.append((MEMORY_ASSETS_STREAM, sizes.memory_burst + 1))
    return [(name, n, _cycle(name, sizes)) for name, n in wanted]


def _cycle(stream: str, sizes: Sizes) -> int:
    return max(100, int(frames_module.STREAMS[stream][3] * sizes.cycle_scale))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=textwrap.dedent(__doc__ or ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument(
        "--quick",
        action="store_const",
        dest="preset",
        const="quick",
        help="smaller sizes (about a minute)",
    )
    preset.add_argument(
        "--smoke",
        action="store_const",
        dest="preset",
        const="smoke",
        help="tiny sizes for the test suite; numbers are not meaningful",
    )
    parser.add_argument("--runs", type=int, help="runs per figure (at least 5 for real use)")
    parser.add_argument("--only", help=f"comma-separated figures out of {','.join(FIGURES)}")
    parser.add_argument("--no-profile", action="store_true", help="skip pyinstrument")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder")
    peer_names = [p.name for p in PEERS]
    parser.add_argument(
        "--peers",
        default=",".join(peer_names),
        help=f"comma-separated peers out of {','.join(peer_names)} (default all), or none",
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="never build a peer's venv; peers not yet installed are reported as such",
    )
    args = parser.parse_args(argv)
    chosen = [] if args.peers in ("", "none") else args.peers.split(",")
    if set(chosen) - set(peer_names):
        parser.error(f"unknown peer(s): {', '.join(sorted(set(chosen) - set(peer_names)))}")
    name = args.preset or "full"
    sizes = PRESETS[name]
    if args.runs:
        sizes = replace(sizes, runs=args.runs, memory_runs=args.runs, peer_runs=0)
    if args.no_profile:
        sizes = replace(sizes, profile=False)
    figures = set(args.only.split(",")) if args.only else set(FIGURES)
    unknown = figures - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    # The pack's wire.py would pick orjson at import when installed: every documented figure
    # uses the standard library decoder unless its row says "+ orjson" (children inherit this).
    os.environ["POLYMARKET_JSON"] = "json"
    pack_dir = install_pack_modules()
    from .throughput import ORJSON_MISSING, orjson_installed, use_decoder

    use_decoder("json")
    machine = machine_info(pack_dir)
    logs = _quiet_logs()
    rows: list[Row] = []
    raw: dict = {}
    profiles: dict = {}
    peers: list[Readiness] = []
    if figures & {"throughput", "memory"}:
        specs = [p for p in PEERS if p.name in chosen]
        peers = prepare(specs, install=not args.no_install)
        raw["peers.install"] = {
            p.spec.name: {
                "python": str(p.python or ""),
                "reason": p.reason,
                "install_seconds": p.install_seconds,
            }
            for p in peers
        }
    blaster_sizes = _blaster_sizes(sizes, figures)
    progress(f"{name} run; preparing {len(blaster_sizes)} streams in the frame blaster")
    with Blaster(blaster_sizes) as blaster:
        if "throughput" in figures:
            ratios = bench_throughput(blaster, sizes, rows, raw)
            fast = (
                prepare([OURS_ORJSON], install=False)
                if orjson_installed()
                else [Readiness(OURS_ORJSON, None, ORJSON_MISSING)]
            )
            clients = prepare([BARE, OURS], install=False) + fast + peers
            inprocess = {}
            for key in ratios:
                rates = raw[f"throughput.{key}"]
                for decoder, client in (("json", OURS.name), ("orjson", OURS_ORJSON.name)):
                    if decoder in rates:
                        pairs = zip(rates[decoder], rates["bare"], strict=True)
                        inprocess[f"{key}.{client}"] = statistics.median(d / b for d, b in pairs)
            bench_side_by_side(blaster, sizes, rows, raw, clients, inprocess)
            if sizes.profile:
                from .profile import PROFILE_THRESHOLD, profile_documented

                for key, (ratio, mix, n) in ratios.items():
                    if ratio < PROFILE_THRESHOLD and len(profiles) < sizes.profile_limit:
                        progress(f"profiling {key} ({ratio:.2f} of bare)")
                        profiles[key] = profile_documented(blaster, mix, n, ratio)
        if "memory" in figures:
            bench_memory(blaster, sizes, rows, raw, peers)
    if "reconnect" in figures:
        bench_reconnect(sizes, rows, raw)
    if "stall" in figures:
        bench_stall(sizes, rows, raw)
    if "ceiling" in figures:
        bench_ceiling(sizes, rows, raw)
    if "scale" in figures:
        bench_scale(sizes, rows, raw)
    if "suite" in figures:
        bench_suite(sizes, rows, raw)
    rows.sort(key=lambda row: row.figure)
    wall = time.perf_counter() - started
    settings = {"preset": name, **asdict(sizes)}
    settings["json_decoder"] = (
        "json (standard library) in every documented figure; orjson only in rows marked "
        "+ orjson" + ("" if orjson_installed() else f" ({ORJSON_MISSING})")
    )
    settings["client_log_lines"] = dict(logs.counts)
    json_path, md_path = write_results(args.out, rows, machine, settings, profiles, wall)
    _append_raw(json_path, raw, logs)
    print(render_table(rows))
    print(f"\nresults: {json_path} and {md_path.name} ({wall:.0f} s)")
    return 0


def _append_raw(json_path: Path, raw: dict, logs: _CountingHandler) -> None:
    import json

    payload = json.loads(json_path.read_text("utf-8"))
    payload["raw"] = raw
    payload["log_examples"] = logs.examples
    json_path.write_text(json.dumps(payload, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    sys.exit(main())
