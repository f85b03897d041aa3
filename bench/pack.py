"""The pack's documented modules, extracted from their pages into a temporary import folder.

The bench never copies their code: it writes every titled module block (tests/pack/blocks.py
finds them) to a folder put first on sys.path, exactly as the test harness does.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = ["REPO_ROOT", "DOCUMENTED_MODULES", "PACK_DIR_VARIABLE", "install_pack_modules"]

REPO_ROOT = Path(__file__).resolve().parents[1]
# What the bench drives; each must exist as a titled module block in the pack.
DOCUMENTED_MODULES = (
    "wire.py",
    "robust_ws.py",
    "order_book.py",
    "market_feed.py",
    "user_events.py",
    "order_tracker.py",
)

# A child process of the bench reuses its parent's folder instead of extracting again.
PACK_DIR_VARIABLE = "BENCH_PACK_DIR"

_installed: Path | None = None


def install_pack_modules() -> Path:
    """Write every module block to a temp folder on sys.path (once); return the folder."""
    global _installed
    if _installed is not None:
        return _installed
    inherited = os.environ.get(PACK_DIR_VARIABLE)
    if inherited and all((Path(inherited) / title).is_file() for title in DOCUMENTED_MODULES):
        sys.path.insert(0, inherited)
        _installed = Path(inherited)
        return _installed
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.pack.blocks import python_blocks  # the harness's own finder

    folder = Path(tempfile.mkdtemp(prefix="bench_pack_"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    written: set[str] = set()
    for block in python_blocks():
        if block.kind == "module" and block.title not in written:
            (folder / block.title).write_text(block.source, "utf-8")
            written.add(block.title)
    missing = [title for title in DOCUMENTED_MODULES if title not in written]
    if missing:
        raise RuntimeError(f"the pack has no module block titled {', '.join(missing)}")
    sys.path.insert(0, str(folder))
    os.environ[PACK_DIR_VARIABLE] = str(folder)  # inherited by the bench's child processes
    _installed = folder
    return folder
