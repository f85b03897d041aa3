"""Broken on purpose, for the checker's handshake-429-short scenario:
after HTTP 429 waits Retry-After alone, however short (no floor).

python blind_retry_after.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["blind-retry-after"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
