"""Broken on purpose, for the checker's closed-token scenario:
reconnects while an asset asked for again still has no book.

python reconnects_on_empty.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["reconnects-on-empty"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
