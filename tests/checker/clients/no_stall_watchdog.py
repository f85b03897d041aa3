"""Broken on purpose, for the checker's stall scenario:
never notices a feed that stopped while PONGs flow.

python no_stall_watchdog.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["no-stall-watchdog"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
