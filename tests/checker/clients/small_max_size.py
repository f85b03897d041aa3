"""Broken on purpose, for the checker's oversized scenario:
keeps websockets' default 1 MiB max_size.

python small_max_size.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["small-max-size"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
