#!/usr/bin/env python3
"""Check your own Polymarket client against the bundled mock, fault by fault: --help.

Works from any directory without installing anything but `websockets`: this file puts its own
folder on sys.path so the `client_check` and `polymarket_mock` packages beside it import.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client_check.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
