"""Broken on purpose, for the checker's dead-link scenario:
never notices a link that stopped answering PING.

python no_pong_deadline.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["no-pong-deadline"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
