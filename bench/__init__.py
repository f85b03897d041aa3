"""`make bench`: the pack's documented clients against the best possible, same machine, same run.

Each figure is measured several times, interleaved with its baseline, and reported as a median
with its spread and as a ratio: the machine is shared and noisy, so only ratios mean anything.
Run `python -m bench --help`.
"""

import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
# The mock is not installed as a package by `make` (pytest adds this folder through its
# `pythonpath` setting); the bench and its child processes need it the same way.
for _folder in (_REPO / "skills" / "polymarket" / "scripts", _REPO):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
