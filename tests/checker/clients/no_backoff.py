"""Broken on purpose, for the checker's accept-then-close scenario:
resets its backoff after every accepted handshake (websockets' own loop).

python no_backoff.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["no-backoff"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
