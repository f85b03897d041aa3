"""Broken on purpose, for the checker's malformed scenario:
json.loads on every frame, no try.

python crash_on_malformed.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["crash-on-malformed"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
