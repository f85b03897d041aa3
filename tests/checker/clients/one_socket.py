"""Broken on purpose, for the checker's many-assets scenario:
puts every asset on one connection.

python one_socket.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["one-socket"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
