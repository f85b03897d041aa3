"""pyinstrument over one documented-client run, summarised by layer and by hot function.

Used where a documented client reads less than 75 % of the bare loop's rate. The whole
event loop is sampled (async_mode="disabled"), so websockets' framing, asyncio's scheduling and
the pack's handlers all show up, in proportion.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

from .frames import Blaster
from .pack import DOCUMENTED_MODULES
from .throughput import Mix, documented_rate

__all__ = ["profile_documented", "PROFILE_THRESHOLD"]

PROFILE_THRESHOLD = 0.75  # documented/bare below this: profile it and explain why
_PACK_FILES = set(DOCUMENTED_MODULES)


def _walk(frame: Any) -> Iterator[Any]:
    stack = [frame]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _layer(file_path: str | None) -> str:
    if not file_path:
        return "other"
    name = os.path.basename(file_path)
    if name in _PACK_FILES:
        return f"pack: {name}"
    parts = file_path.replace("\\", "/").split("/")
    for package in ("websockets", "asyncio", "json", "selectors", "decimal", "logging"):
        if package in parts or name == f"{package}.py":
            return package
    if "<built-in>" in file_path:
        return "builtins"
    return "other"


def _where(path: str) -> str:
    """A pack module by name; anything else as package/file, so websockets' frames.py is not
    mistaken for ours; "<string>" is where dataclasses put their generated __init__."""
    if not path or path.startswith("<"):
        return "dataclass-generated" if path == "<string>" else path
    parts = path.replace("\\", "/").split("/")
    if parts[-1] in _PACK_FILES:
        return parts[-1]
    roots = [i for i, part in enumerate(parts) if part == "site-packages" or _is_stdlib(part)]
    return "/".join(parts[roots[-1] + 1 :] if roots else parts[-2:])


def _is_stdlib(part: str) -> bool:
    return part.startswith("python3.") and part.removeprefix("python3.").isdigit()


def profile_documented(blaster: Blaster, mix: Mix, n: int, ratio: float) -> dict[str, Any]:
    """Profile one documented run; the text tree, layer shares and top self-time functions."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    rate = asyncio.run(documented_rate(blaster, mix, n))
    profiler.stop()
    session = profiler.last_session
    root = session.root_frame()
    layers: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0.0
    for frame in _walk(root):
        if frame.is_synthetic:
            continue
        self_time = frame.total_self_time
        if self_time <= 0:
            continue
        total += self_time
        path = frame.file_path or ""
        layer = _layer(path)
        # Built-ins are charged to their caller's layer: to_decimal's Decimal() is the pack's.
        if path.startswith("<built-in>") and frame.parent is not None:
            layer = _layer(frame.parent.file_path)
        layers[layer] += self_time
        functions[f"{frame.function} ({_where(path)})"] += self_time
    total = total or 1.0
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    return {
        "ratio": ratio,
        "profiled_rate": rate,
        "duration": session.duration,
        "layers": [(name, t / total) for name, t in layers.most_common()],
        "functions": [(name, t / total) for name, t in functions.most_common(15)],
        "text": text,
    }
