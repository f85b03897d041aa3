"""Broken on purpose, for the checker's heartbeat scenario:
sends a text PING every 10 ms.

python ping_flood.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["ping-flood"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
