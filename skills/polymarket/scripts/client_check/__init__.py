"""Fault-test any Polymarket WebSocket client against the bundled mock: ``check_client.py``.

One job per module:

* ``bounds``    production intervals, the declared time scale, every bound derived from them
* ``harness``   one scenario's world: a fresh in-process mock, the client process, its output
* ``leaks``     the secret scan of the client's stdout and stderr
* ``scenarios`` the battery: each scenario drives the mock and judges what the mock recorded
* ``adapter``   a client's own stdout lines mapped to book/order/trade facts (``--output-adapter``)
* ``output_check`` the client's last word on every book and order against the mock's
* ``report``    PASS/FAIL lines, the summary and the JSON report
* ``cli``       the command line (``python check_client.py --help``)

Standard library and ``websockets`` only (through the mock), like the rest of ``scripts/``.
"""
