"""Broken on purpose, for the checker's echoed-secrets scenario:
logs the server's close reason verbatim (a server that echoes a credential in it is printed).

python logs_close_reason.py SCALE     minimal.py with this one defect
"""

import runpy
import sys
from pathlib import Path

sys.argv[2:2] = ["logs-close-reason"]
runpy.run_path(str(Path(__file__).with_name("minimal.py")), run_name="__main__")
