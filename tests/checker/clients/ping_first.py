"""Broken on purpose, for the checker's heartbeat scenario:
sends a text PING before its subscription.

python ping_first.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["ping-first"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
