"""Broken on purpose, for the checker's handshake-429 scenario:
gives up on HTTP 429.

python fatal_429.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["fatal-429"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
