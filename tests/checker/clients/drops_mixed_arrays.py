"""Broken on purpose, for the checker's malformed-shapes scenario:
drops a whole array frame when one item is not an object.

python drops_mixed_arrays.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["drops-mixed-arrays"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
