"""Broken on purpose, for the checker's missing-book scenario:
never asks again for an asset whose first book did not come.

python no_resubscribe.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["no-resubscribe"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
