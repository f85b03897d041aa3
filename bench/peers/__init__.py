"""Other Polymarket clients measured side by side with the pack's (bench/README.md, "Peers").

Each peer runs in its own virtual environment (`venvs.py` builds it from pinned requirements on
first use) through a runner script (`run_<name>.py`, stdlib + that peer's packages only) that
reads the same blaster stream and prints one JSON line (`runner_io.py`). `launch.py` starts
runners, `figures.py` turns their results into table rows.
"""
