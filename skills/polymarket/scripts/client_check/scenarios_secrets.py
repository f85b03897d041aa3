"""Secrets echoed by the server: none may reach the client's output (issue 16, part 3).

The first battery scanned only what a client prints unprovoked. Here the mock's echo-secrets
fault, a TEST fault (no capture shows the live server echoing credentials), sends each user
connection the credentials it authenticated with back: its own subscription frame, an
"INVALID OPERATION: ..." text frame quoting the secret and passphrase, then a 1008 close whose
reason quotes them (cut to 123 bytes). A client that logs what the server says verbatim (the
close reason, every text frame it cannot parse) prints them. The judgment is run_scenario's
leak scan (leaks.py: any 12-character piece) of the whole output once the client has stopped;
this judge provokes and reports. Registered in scenarios.SCENARIOS.
"""

from __future__ import annotations

from .harness import Run
from .scenarios import Scenario, Verdict, _died, _settle, fail, ok

__all__ = ["SECRETS_SCENARIOS"]


async def echoed_secrets(run: Run) -> Verdict:
    """Echo the credentials on every open user connection; wait for the client to come back
    (or to give up: a 1008 saying "invalid credentials" may end a client)."""
    await _settle(run)
    targets = run.open_records("user")
    if not targets:
        return fail("no user connection open to echo the credentials on")
    since = run.now
    for record in targets:
        await run.mock.faults.echo_secrets(connection_id=record.id)
    bound = run.bounds.upper("reconnect")
    back = await run.wait(lambda: run.ready("user", since), bound)
    said = (
        f"the credentials echoed on {', '.join(f'user #{r.id}' for r in targets)} in the "
        "subscription frame, an INVALID OPERATION text and a 1008 close reason"
    )
    if not run.alive:
        return ok(f"{said}; the client then exited ({_died(run)}); its output is scanned")
    if "market" in run.options.channels and not run.ready("market"):
        return fail(f"{said}; but the market side is no longer subscribed")
    then = (
        f"user subscribed again within {run.bounds.says('reconnect')}"
        if back
        else f"user not back within {run.bounds.says('reconnect')} (not judged)"
    )
    return ok(f"{said}; {then}; its output is scanned")


SECRETS_SCENARIOS = (
    Scenario(
        "echoed-secrets",
        "the server echoes the credentials (subscription, error text, close reason): none printed",
        echoed_secrets,
        needs=("user",),
        may_exit=True,
    ),
)
