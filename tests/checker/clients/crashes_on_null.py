"""Broken on purpose, for the checker's malformed-shapes scenario:
takes every JSON item of a frame for an object (null.get).

python crashes_on_null.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["crashes-on-null"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
