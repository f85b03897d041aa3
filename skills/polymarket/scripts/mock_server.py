#!/usr/bin/env python3
"""Run the bundled mock Polymarket server. Try: python mock_server.py --help

Works from any directory without installing anything but `websockets`: this file puts its own
folder on sys.path so the `polymarket_mock` package beside it is importable.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from polymarket_mock.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
