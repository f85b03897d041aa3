"""The front door (front_door.py) with ONE REST defect switched on, for the checker's REST
scenarios: each defect must fail the scenario aimed at it and pass another.

    python rest_front_door.py MODULES_DIR SCALE DEFECT

MODULES_DIR holds realtime.py and what it needs (as for front_door.py). The defect is patched
into the pack's modules before front_door.py runs them.
"""

import asyncio
import runpy
import sys
from pathlib import Path

DEFECTS = {
    "ignores-retry-after": "after a 429 backs off as after any error: Retry-After ignored",
    "no-rest-backoff": "retries a failed REST read after 10 ms, whatever the answer",
    "rest-blocks-shutdown": "reads REST in asyncio.to_thread (joined at exit), no 5 s backstop",
    "trusts-older-answer": "takes every REST order record over what the stream showed",
    "open-orders-only": "reads open orders only: no trades, no single orders",
}

MODULES, SCALE, DEFECT = sys.argv[1], sys.argv[2], sys.argv[3]
if DEFECT not in DEFECTS:
    raise SystemExit(f"unknown defect {DEFECT!r}; one of {', '.join(DEFECTS)}")
sys.path.insert(0, MODULES)

import account_sync  # noqa: E402
import clob_rest  # noqa: E402
import order_tracker  # noqa: E402
import realtime  # noqa: E402

if DEFECT == "ignores-retry-after":
    failed = account_sync.RetryGate.failed
    account_sync.RetryGate.failed = lambda self, error: failed(self, RuntimeError("failed"))
elif DEFECT == "no-rest-backoff":

    def at_once(self, error):
        self.not_before = asyncio.get_running_loop().time() + 0.01
        return 0.01

    account_sync.RetryGate.failed = at_once
elif DEFECT == "rest-blocks-shutdown":
    account_sync.in_daemon_thread = asyncio.to_thread
    serve = realtime.serve
    realtime.serve = lambda feed, **options: serve(feed, **{**options, "exit_within": 60.0})
elif DEFECT == "trusts-older-answer":
    reconcile = order_tracker.OrderTracker.reconcile

    def overwrite(self, open_orders, trades, orders=(), source="rest"):
        for record in [*open_orders, *orders]:
            self.orders.pop(record.get("id"), None)  # forget what the stream said
        return reconcile(self, open_orders, trades, orders, source)

    order_tracker.OrderTracker.reconcile = overwrite
elif DEFECT == "open-orders-only":
    clob_rest.ClobRest.trades = lambda self, market=None, after=0: []
    account_sync.orders_to_fetch = lambda *args, **kwargs: set()

sys.argv = [str(Path(__file__).with_name("front_door.py")), MODULES, SCALE]
runpy.run_path(sys.argv[0], run_name="__main__")
