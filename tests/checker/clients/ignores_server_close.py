"""Broken on purpose, for the checker's server-close scenario:
takes a server's close frame as the end of the stream.

python ignores_server_close.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["ignores-server-close"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
