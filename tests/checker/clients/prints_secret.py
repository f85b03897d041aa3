"""Broken on purpose, for the checker's bad-credentials scenario:
prints its subscription frame when the server closes the user socket.

python prints_secret.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["prints-secret"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
