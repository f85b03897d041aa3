"""Broken on purpose, for the checker's shutdown scenario:
installs no SIGTERM handler (dies without closing).

python no_close_on_sigterm.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["no-close-on-sigterm"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
