"""Broken on purpose, for the checker's quiet-market scenario:
reconnects after 60 s without data, without probing an asset first.

python reconnects_on_quiet.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["reconnects-on-quiet"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
