"""Broken on purpose, for the checker's handshake-429-bare scenario:
after HTTP 429 without Retry-After retries at once
                    elif DEFECT == "no-429-floor":.

python no_429_floor.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["no-429-floor"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
